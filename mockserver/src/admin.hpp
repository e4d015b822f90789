// Admin API: /__provkit/... endpoints that read the journal and switch the server's state.
#pragma once

#include <httplib.h>

#include <string>
#include <string_view>
#include <vector>

#include "admin_access.hpp"
#include "provkit/mockserver/journal.hpp"
#include "provkit/support/redact.hpp"
#include "state.hpp"

namespace provkit::mock {

/// What the admin endpoints act on; the server implements it.
class AdminControls {
 public:
  virtual ~AdminControls() = default;
  virtual std::vector<JournalEntry> JournalSnapshot() const = 0;
  virtual void ResetJournal() = 0;
  virtual ServerStats Stats() const = 0;
  virtual std::string Url() const = 0;
  virtual ServerState& State() = 0;
  /// Switches the scenario, learning its token as a secret first.
  virtual void SetScenario(Scenario scenario) = 0;
  /// Who may use the admin endpoints.
  virtual AdminPolicy Access() const = 0;
  /// The /metrics text (Prometheus text exposition format 0.0.4).
  virtual std::string MetricsText() const = 0;
  /// The secrets every admin answer is redacted of.
  virtual support::Redactor Secrets() const = 0;
};

/// Whether `path` is an admin path (/__provkit/...); admin requests are not journalled.
bool IsAdminPath(std::string_view path);

/// Answers one admin request: 403 or 401 when CheckAdminAccess refuses it, bad bodies 400 naming
/// the offending key, unknown admin paths 404. Every answer is redacted: secret headers of
/// journalled requests, scenario tokens and each known secret read "<redacted>". Thread-safe as
/// `controls` is.
void HandleAdmin(AdminControls& controls, const httplib::Request& request,
                 httplib::Response& response);

}  // namespace provkit::mock
