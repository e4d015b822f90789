// Redaction: the secrets a server knows, kept out of its admin views and logs.
#pragma once

#include <mutex>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

#include "provkit/mockserver/journal.hpp"
#include "provkit/support/redact.hpp"

namespace provkit::mock {

/// The secrets of one server: its admin token and the token of every auth scenario it was given
/// (at start or since). Secrets are only ever added, so that an entry journalled under an earlier
/// scenario stays redacted. Thread-safe.
class SecretRegistry {
 public:
  /// Values shorter than 4 bytes are not searched for in text (support::Redactor).
  void Add(std::string_view secret);
  /// A copy to redact with, outside the lock.
  support::Redactor Snapshot() const;

 private:
  mutable std::mutex mutex_;
  support::Redactor redactor_;
};

/// `entry` as an admin view may show it: the value of each secret header (support::IsSecretHeader)
/// replaced by support::RedactHeaderValue, and every known secret in the path, the other header
/// values and the body replaced by "<redacted>".
JournalEntry Redacted(JournalEntry entry, const support::Redactor& secrets);

/// Replaces every known secret in each string of `value` (object keys are left as they are).
void RedactStrings(nlohmann::json& value, const support::Redactor& secrets);

}  // namespace provkit::mock
