// ServerOptions: everything a mock server is built from, in code or from a JSON config file.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "provkit/mockserver/journal.hpp"
#include "provkit/mockserver/profile.hpp"
#include "provkit/mockserver/replay.hpp"
#include "provkit/mockserver/scenario.hpp"
#include "provkit/mockserver/script.hpp"

namespace provkit::mock {

/// A bad config value or file. what() reads `file:line:column: message` when
/// the error comes from a file, `pointer: message` otherwise.
class ConfigError : public std::runtime_error {
 public:
  ConfigError(const std::string& message, std::string pointer = {}, std::string file = {},
              int line = 0, int column = 0);
  const std::string& pointer() const noexcept {
    return pointer_;
  }  ///< JSON pointer, e.g. "/scenario/name".
  const std::string& file() const noexcept { return file_; }
  int line() const noexcept { return line_; }      ///< 1-based; 0 when unknown.
  int column() const noexcept { return column_; }  ///< 1-based, in bytes; 0 when unknown.

 private:
  std::string pointer_;
  std::string file_;
  int line_;
  int column_;
};

/// A model the server lists and serves.
struct Model {
  Model(const char* model_id)
      : id(model_id) {}  // NOLINT(google-explicit-constructor): {"m1"} reads best.
  Model(std::string model_id, std::string load_status = {}, std::string owner = {})  // NOLINT
      : id(std::move(model_id)), status(std::move(load_status)), owned_by(std::move(owner)) {}

  std::string id;
  /// llama.cpp router mode load state: "unloaded", "loading", "loaded", "sleeping"
  /// or "failed"; listed as status.value by the llama.cpp profile. Empty: no
  /// status field. A model with a status puts the llama.cpp profile in router mode, where a
  /// chat request naming a model that is not "loaded" loads it first (ServerOptions::
  /// model_load_time) and POST /models/load and /models/unload change the status; the other
  /// profiles answer chat requests for a model that is not "loaded" with 503.
  std::string status;
  std::string owned_by;  ///< Empty: the profile's owner ("llamacpp", "vllm", ...).

  bool operator==(const Model&) const = default;
};

/// Called once per journalled request when its answer status is known (for a
/// stream: when the stream starts). Runs on a server thread; must be thread-safe.
using RequestObserver = std::function<void(const JournalEntry&)>;

/// How to build a Server. Plain data with working defaults.
struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;                   ///< 0 picks a free port.
  std::string base_path = "/v1";  ///< The API root; /health lives beside it (/v1 -> /health).
  std::vector<Model> models = {"provkit-mock"};
  Profile profile = Profile::kOpenAi;
  Scenario scenario;
  Script script;
  StreamTiming timing;

  /// Most requests answered at once. Each request in flight (a stream for its whole length) has
  /// a thread; idle keep-alive connections and connections still sending their headers have none.
  /// Threads start as requests need them; a request beyond the limit waits for a thread.
  std::size_t threads = 1024;
  /// Most TCP connections open at once. A connection beyond the limit is answered 503 with
  /// `Retry-After: 1` in the profile's error envelope and closed; the ones open are unaffected.
  std::size_t max_connections = 4096;
  /// A request's line and headers must arrive within this time of its first byte, else the
  /// server answers 408 and closes the connection (so slow-header clients cannot hold it).
  std::chrono::milliseconds header_timeout{10000};
  /// Idle time after which the server closes a keep-alive connection.
  std::chrono::seconds keep_alive_timeout{5};
  /// Journal ring-buffer size in entries; older entries are dropped.
  std::size_t journal_size = 10000;
  /// Request bodies are journalled up to this many bytes.
  std::size_t journal_body_limit = 64 * 1024;
  /// Larger request bodies are refused with 413.
  std::size_t max_request_bytes = 8 * 1024 * 1024;
  /// Requests whose header names and values exceed this many bytes in total
  /// answer 431. (cpp-httplib also refuses any single line over 8 KiB.)
  std::size_t max_header_bytes = 64 * 1024;
  /// Reserve the port at once but only start listening after this delay:
  /// meanwhile connections are refused. The vllm profile with a timed loading
  /// scenario delays listening by the loading time on its own.
  std::chrono::milliseconds listen_delay{0};
  /// llama.cpp router mode: how long loading a model takes (status "loading", then "loaded").
  std::chrono::milliseconds model_load_time{200};
  /// The `created` time stamp of listed models and completions (fixed, so answers are
  /// reproducible).
  std::int64_t created = 1700000000;
  /// Sees every journalled request, raw as journal() keeps it (secrets in clear); the command
  /// logs with it, redacted through Server::Redact.
  RequestObserver on_request;
  /// Answer from recorded exchanges first (see ReplayOptions); unset: generated answers only.
  std::optional<ReplayOptions> replay;
  /// When set, every admin request (/__provkit/...) must carry it as "Authorization: Bearer T" or
  /// "X-Provkit-Admin-Token: T", else 401. Empty: none, which a loopback `host` allows; on any
  /// other host the admin endpoints then answer 403 (see docs/mockserver.md, "Admin endpoints").
  /// Printable ASCII without spaces; never shown by the server (redacted from every admin view).
  std::string admin_token;
};

/// Whether `host` names the loopback interface: "localhost", 127.0.0.0/8, ::1 (bracketed or
/// not), ::ffff:127.x.y.z. Anything else (0.0.0.0, ::, a LAN address, a host name) is reachable
/// from other machines as far as the mock server knows. Thread-safe (pure).
bool IsLoopbackHost(std::string_view host);

/// A fresh random admin token ("pkadm-" and 32 hex digits, 128 bits from std::random_device).
std::string NewAdminToken();

/// Reads options from a config object; keys as in docs/mockserver.md. Keys left
/// out keep the values of `defaults`. Throws ConfigError naming the offending
/// key on an unknown key or a wrong value.
ServerOptions OptionsFromJson(const nlohmann::json& value, ServerOptions defaults = {});

/// Parses JSON config `text`; `file` names it in errors. Throws ConfigError
/// with file, line and column on a syntax error or a wrong value.
ServerOptions ParseConfig(std::string_view text, const std::string& file = "<config>",
                          ServerOptions defaults = {});

/// Reads and parses the config file at `path`. Throws ConfigError when the file
/// cannot be read, or as ParseConfig.
ServerOptions LoadConfigFile(const std::filesystem::path& path, ServerOptions defaults = {});

/// What a cassette says about the server it recorded, so that a replay can answer what was not
/// recorded in that server's manner: the profile named by `server` (nullopt when no profile has
/// that name) and the models of the first recorded 200 answer of GET .../models (ids, and the
/// router `status.value` when listed), empty when no listing was recorded.
struct RecordedServer {
  std::optional<Profile> profile;
  std::vector<Model> models;
};
RecordedServer RecordedServerOf(const Cassette& cassette);

}  // namespace provkit::mock
