// provkit mock --config: reloads the config file when it changes or on SIGHUP, applying what a
// running server can change and naming what needs a restart.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "provkit/mockserver/config.hpp"
#include "provkit/mockserver/server.hpp"

namespace provkit::cli {

/// What the reload of a config file did, for the one log line it prints.
struct ReloadReport {
  bool ok = false;
  std::string error;                 ///< When !ok: file:line:column: message.
  std::vector<std::string> applied;  ///< e.g. "scenario", "script".
  std::vector<std::string> restart;  ///< Changed settings a running server cannot take.
};

/// Watches one config file for a running server. Not thread-safe: one thread polls and reloads.
class ConfigReloader {
 public:
  /// Files larger than this are refused, not read.
  static constexpr std::uintmax_t kMaxBytes = 16u << 20;

  /// `load` reads the file with the command line's flags on top (as at start) and throws
  /// mock::ConfigError, or std::exception, on a bad file. `started` is what `load` gave at start.
  ConfigReloader(std::filesystem::path file, std::function<mock::ServerOptions()> load,
                 mock::ServerOptions started);

  /// Reloads into `server` when the file's size, modification time or inode changed since the
  /// last look; prints one line on stderr when it did.
  void Poll(mock::Server& server);
  /// Reloads into `server` now; `why` ("SIGHUP", "file changed") starts the line printed on stderr.
  ReloadReport Reload(mock::Server& server, std::string_view why);

 private:
  struct Signature {
    bool exists = false;
    ino_t inode = 0;
    std::uintmax_t size = 0;
    std::int64_t mtime_ns = 0;
    bool operator==(const Signature&) const = default;
  };
  Signature Look() const;

  std::filesystem::path file_;
  std::function<mock::ServerOptions()> load_;
  mock::ServerOptions current_;  ///< What the file (with the flags) said when last applied.
  Signature seen_;
};

}  // namespace provkit::cli
