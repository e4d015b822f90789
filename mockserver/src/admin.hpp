// Admin API: /__provkit/... endpoints that read the journal and switch the server's state.
#pragma once

#include <httplib.h>

#include <string>
#include <string_view>
#include <vector>

#include "provkit/mockserver/journal.hpp"
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
};

/// Whether `path` is an admin path (/__provkit/...); admin requests are not journalled.
bool IsAdminPath(std::string_view path);

/// Answers one admin request. Bad bodies answer 400 naming the offending key; unknown admin
/// paths 404. Thread-safe as `controls` is.
void HandleAdmin(AdminControls& controls, const httplib::Request& request,
                 httplib::Response& response);

}  // namespace provkit::mock
