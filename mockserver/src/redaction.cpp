// Redaction: the secrets a server knows, kept out of its admin views and logs.
#include "redaction.hpp"

#include <nlohmann/json.hpp>

namespace provkit::mock {

void SecretRegistry::Add(std::string_view secret) {
  std::lock_guard lock(mutex_);
  redactor_.Add(secret);
}

support::Redactor SecretRegistry::Snapshot() const {
  std::lock_guard lock(mutex_);
  return redactor_;
}

JournalEntry Redacted(JournalEntry entry, const support::Redactor& secrets) {
  for (auto& [name, value] : entry.headers) {
    value = support::IsSecretHeader(name) ? support::RedactHeaderValue(value)
                                          : secrets.ApplyKnown(value);
  }
  if (secrets.empty()) return entry;
  entry.path = secrets.ApplyKnown(entry.path);
  entry.body = secrets.ApplyKnown(entry.body);
  return entry;
}

void RedactStrings(nlohmann::json& value, const support::Redactor& secrets) {
  if (secrets.empty()) return;
  if (value.is_string()) {
    value = secrets.ApplyKnown(value.get_ref<const std::string&>());
  } else if (value.is_structured()) {
    for (auto& item : value) RedactStrings(item, secrets);
  }
}

}  // namespace provkit::mock
