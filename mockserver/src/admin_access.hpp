// Admin access: which /__provkit/ requests the server obeys (Host, Origin, Content-Type, token).
#pragma once

#include <httplib.h>

#include <optional>
#include <string>

namespace provkit::mock {

/// Who may use the admin endpoints of one listening server.
struct AdminPolicy {
  std::string host;   ///< ServerOptions::host, the address listened on.
  int port = 0;       ///< The port actually bound.
  std::string token;  ///< ServerOptions::admin_token; empty: none.
};

/// Why an admin request is not obeyed: 403 (wrong Host, foreign Origin, a body that is not JSON,
/// admin disabled on a non-loopback host without a token) or 401 (token missing or wrong).
struct AdminRefusal {
  int status = 403;
  std::string code;     ///< Stable: "admin_host", "admin_origin", "admin_content_type", ...
  std::string message;  ///< What was refused and why; never quotes a token.
};

/// The refusal for `request` to an admin path, or nullopt when it may be obeyed. Checked in this
/// order: Host, Origin, token, Content-Type. Thread-safe (pure).
std::optional<AdminRefusal> CheckAdminAccess(const AdminPolicy& policy,
                                             const httplib::Request& request);

}  // namespace provkit::mock
