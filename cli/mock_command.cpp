// provkit mock: runs the mock OpenAI-compatible server until SIGINT or SIGTERM.
#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "commands.hpp"
#include "mock_reload.hpp"
#include "provkit/mockserver/config.hpp"
#include "provkit/mockserver/server.hpp"
#include "provkit/support/clip.hpp"
#include "provkit/support/redact.hpp"

namespace provkit::cli {
namespace {

namespace mock = provkit::mock;

constexpr char kDescription[] =
    "Runs the mock OpenAI-compatible server until SIGINT or SIGTERM. The first line\n"
    "on stdout is the server's URL; each request is logged on stderr as one line.\n"
    "With --config, the file is reloaded when it changes (checked every 500 ms) and on\n"
    "SIGHUP: scenario, script, timing, profile and models apply at once, other settings\n"
    "need a restart; a broken file keeps the running config and is reported as\n"
    "file:line:column: message on stderr.";

/// Where the admin token may come from besides --admin-token.
constexpr char kAdminTokenVariable[] = "PROVKIT_ADMIN_TOKEN";

/// Flags as given; unset ones leave the config file's or the default value.
struct Flags {
  std::optional<std::string> host;
  std::optional<int> port;
  std::optional<std::string> base_path;
  std::optional<std::string> models;
  std::optional<std::string> profile;
  std::optional<std::string> scenario;
  std::vector<std::string> params;
  std::optional<std::string> endpoint;
  std::optional<long long> seed;
  std::optional<std::string> config;
  std::optional<long long> chunk_chars;
  std::optional<double> chunk_interval_ms;
  std::optional<double> first_chunk_ms;
  std::optional<double> listen_delay_ms;
  std::optional<long long> threads;
  std::optional<long long> max_connections;
  std::optional<double> header_timeout_ms;
  std::optional<long long> keep_alive_s;
  std::optional<long long> journal_size;
  std::optional<std::string> admin_token;
  std::optional<std::string> replay;
  bool replay_strict = false;
  std::optional<double> replay_speed;
  bool quiet = false;
};

/// A bad combination of flags found after parsing: printed with the usage line, exit 2.
struct UsageError {
  std::string message;
};

std::string Epilogue() {
  std::string out = "scenarios:\n";
  const auto row = [&out](std::string_view name, std::string_view summary) {
    std::string padded(name);
    padded.resize(std::max<std::size_t>(padded.size() + 1, 15), ' ');
    out += "  " + padded + std::string(summary) + "\n";
  };
  for (const mock::ScenarioInfo& info : mock::Scenarios()) row(info.name, info.summary);
  out += "\nprofiles:\n";
  for (const mock::ProfileInfo& info : mock::Profiles()) row(info.name, info.summary);
  out +=
      "\nadmin endpoints: GET|DELETE /__provkit/journal, GET /__provkit/stats,\n"
      "GET|POST /__provkit/{scenario,script,timing,profile,models}. They answer requests\n"
      "addressed to this server only (Host, Origin; POST bodies as application/json); on a\n"
      "non-loopback --host they need the admin token (--admin-token, $PROVKIT_ADMIN_TOKEN, or\n"
      "one generated and printed at start) as 'Authorization: Bearer T' or\n"
      "'X-Provkit-Admin-Token: T'.\n"
      "\nmetrics: GET /__provkit/metrics (admin access as above) and GET /metrics (public,\n"
      "unless the profile serves its own: llama.cpp answers 501 there) serve Prometheus\n"
      "text format: requests by path, status and fault, streams in flight, time to first\n"
      "token and between tokens, connections.";
  return out;
}

support::FlagParser MakeParser(Flags& flags) {
  constexpr double kMaxMillis = 86400000.0;  // a day
  support::FlagParser parser = NewFlagParser("provkit mock", "[options]");
  parser.Description(kDescription)
      .Epilogue(Epilogue())
      .String({.name = "host", .value_name = "H", .help = "address to bind (default 127.0.0.1)"},
              &flags.host)
      .Int({.name = "port", .value_name = "P", .help = "port to bind (default 0: a free port)"},
           &flags.port, 0, 65535)
      .String({.name = "base-path",
               .value_name = "PATH",
               .help = "API root (default /v1); /health lives beside it"},
              &flags.base_path)
      .String({.name = "models",
               .value_name = "a,b",
               .help = "models to list and serve (default provkit-mock)"},
              &flags.models)
      .String({.name = "profile",
               .value_name = "NAME",
               .help = "the server to imitate (default openai), see below"},
              &flags.profile)
      .String({.name = "scenario",
               .value_name = "NAME",
               .help = "the state or fault to start in (default healthy), see below"},
              &flags.scenario)
      .Repeated({.name = "param",
                 .value_name = "KEY=VALUE",
                 .help = "a scenario parameter, e.g. --param requests=3 (repeatable;\n"
                         "VALUE is read as JSON when it parses, else as a string)"},
                &flags.params)
      .String({.name = "endpoint",
               .value_name = "NAME",
               .help = "confine the scenario to health, models, chat or root"},
              &flags.endpoint)
      .Int({.name = "seed",
            .value_name = "N",
            .help = "the chaos scenario's seed: the same N draws the same faults (--param seed=N)"},
           &flags.seed, 0LL, (1LL << 53))
      .String({.name = "config",
               .value_name = "FILE",
               .help = "JSON config file (docs/mockserver.md); flags override it;\n"
                       "reloaded when it changes and on SIGHUP"},
              &flags.config)
      .Int({.name = "chunk-chars",
            .value_name = "N",
            .help = "characters per stream event (default 8)"},
           &flags.chunk_chars, 1LL, 1LL << 30)
      .Number({.name = "chunk-interval-ms",
               .value_name = "N",
               .help = "pause between stream events (default 0)"},
              &flags.chunk_interval_ms, 0.0, kMaxMillis)
      .Number({.name = "first-chunk-ms",
               .value_name = "N",
               .help = "wait before the first stream event (default 0)"},
              &flags.first_chunk_ms, 0.0, kMaxMillis)
      .Number({.name = "listen-delay-ms",
               .value_name = "N",
               .help = "reserve the port but listen only after N ms"},
              &flags.listen_delay_ms, 0.0, kMaxMillis)
      .Int({.name = "threads",
            .value_name = "N",
            .help = "most requests answered at once (default 1024; idle connections need none)"},
           &flags.threads, 1LL, 4096LL)
      .Int({.name = "max-connections",
            .value_name = "N",
            .help = "most connections open at once; more get 503 (default 4096)"},
           &flags.max_connections, 1LL, 1000000LL)
      .Number({.name = "header-timeout-ms",
               .value_name = "N",
               .help = "a request's headers must arrive within N ms, else 408 (default 10000)"},
              &flags.header_timeout_ms, 1.0, kMaxMillis)
      .Int({.name = "keep-alive-s",
            .value_name = "N",
            .help = "idle keep-alive timeout in seconds (default 5)"},
           &flags.keep_alive_s, 1LL, 86400LL)
      .Int({.name = "journal-size",
            .value_name = "N",
            .help = "requests kept in the journal (default 10000)"},
           &flags.journal_size, 1LL, 10000000LL)
      .String({.name = "admin-token",
               .value_name = "T",
               .help = "admin requests must carry T (default $PROVKIT_ADMIN_TOKEN; on a\n"
                       "non-loopback --host without either, one is generated and printed)",
               .non_empty = true},
              &flags.admin_token)
      .Bool({.name = "quiet", .help = "do not log requests", .short_name = 'q'}, &flags.quiet)
      .Section("replay")
      .String({.name = "replay",
               .value_name = "CASSETTE",
               .help = "answer from recorded exchanges first (provkit record; docs/mockserver.md)",
               .non_empty = true},
              &flags.replay)
      .Bool({.name = "replay-strict",
             .help = "an unmatched request answers 404 naming the closest recording"},
            &flags.replay_strict)
      .Number({.name = "replay-speed",
               .value_name = "X",
               .help = "recorded timing divided by X (default 1; 0: no waits)"},
              &flags.replay_speed, 0.0, 1000.0);
  return parser;
}

/// "unknown KIND 'NAME'", with a suggestion among `known` when one is close.
template <typename Infos>
std::string Unknown(std::string_view kind, const std::string& name, const Infos& known) {
  std::vector<std::string> names;
  for (const auto& info : known) names.emplace_back(info.name);
  std::string message =
      "unknown " + std::string(kind) + " '" + support::ClipPrintable(name, 120) + "'";
  if (const auto match = support::ClosestMatch(name, names)) {
    message += " (did you mean " + *match + "?)";
  }
  return message;
}

std::chrono::microseconds Micros(double millis) {
  return std::chrono::microseconds(static_cast<long long>(millis * 1000.0 + 0.5));
}

/// The scenario named by the flags, on top of the config file's.
mock::Scenario ScenarioOf(const Flags& flags, const mock::Scenario& configured) {
  if (!flags.scenario && flags.params.empty() && !flags.endpoint && !flags.seed) return configured;
  nlohmann::json object = flags.scenario ? nlohmann::json::object() : mock::ToJson(configured);
  if (flags.scenario) {
    if (!mock::ParseScenarioKind(*flags.scenario))
      throw UsageError{Unknown("scenario", *flags.scenario, mock::Scenarios())};
    object["name"] = *flags.scenario;
  }
  if (flags.endpoint) object["endpoint"] = *flags.endpoint;
  for (const std::string& param : flags.params) {
    const std::size_t equals = param.find('=');
    if (equals == std::string::npos || equals == 0)
      throw UsageError{"--param expects KEY=VALUE, got '" + param + "'"};
    const std::string text = param.substr(equals + 1);
    object[param.substr(0, equals)] =
        nlohmann::json::accept(text) ? nlohmann::json::parse(text) : nlohmann::json(text);
  }
  if (flags.seed) {
    if (object.value("name", "") != "chaos")
      throw UsageError{"--seed applies to the chaos scenario (--scenario chaos)"};
    object["seed"] = *flags.seed;
  }
  try {
    return mock::ScenarioFromJson(object);
  } catch (const mock::ConfigError& error) {
    throw UsageError{std::string("bad scenario: ") + error.what()};
  }
}

mock::ServerOptions OptionsOf(const Flags& flags) {
  mock::ServerOptions options;
  if (flags.config) options = mock::LoadConfigFile(*flags.config);
  if (flags.host) options.host = *flags.host;
  if (flags.port) options.port = *flags.port;
  if (flags.base_path) options.base_path = *flags.base_path;
  if (flags.models) {
    options.models.clear();
    std::string_view rest = *flags.models;
    while (!rest.empty()) {
      const std::size_t comma = rest.find(',');
      const std::string_view id = rest.substr(0, comma);
      if (!id.empty()) options.models.emplace_back(std::string(id));
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
  }
  if (flags.profile) {
    const auto profile = mock::ParseProfile(*flags.profile);
    if (!profile) throw UsageError{Unknown("profile", *flags.profile, mock::Profiles())};
    options.profile = *profile;
  }
  options.scenario = ScenarioOf(flags, options.scenario);
  if (flags.chunk_chars) options.timing.chunk_chars = static_cast<std::size_t>(*flags.chunk_chars);
  if (flags.chunk_interval_ms) options.timing.chunk_interval = Micros(*flags.chunk_interval_ms);
  if (flags.first_chunk_ms) options.timing.first_chunk_delay = Micros(*flags.first_chunk_ms);
  if (flags.listen_delay_ms) {
    options.listen_delay =
        std::chrono::duration_cast<std::chrono::milliseconds>(Micros(*flags.listen_delay_ms));
  }
  if (flags.threads) options.threads = static_cast<std::size_t>(*flags.threads);
  if (flags.max_connections)
    options.max_connections = static_cast<std::size_t>(*flags.max_connections);
  if (flags.header_timeout_ms) {
    options.header_timeout =
        std::chrono::duration_cast<std::chrono::milliseconds>(Micros(*flags.header_timeout_ms));
  }
  if (flags.keep_alive_s) options.keep_alive_timeout = std::chrono::seconds(*flags.keep_alive_s);
  if (flags.journal_size) options.journal_size = static_cast<std::size_t>(*flags.journal_size);
  if (!flags.replay && (flags.replay_strict || flags.replay_speed)) {
    throw UsageError{"--replay-strict and --replay-speed need --replay CASSETTE"};
  }
  if (flags.replay) {
    mock::ReplayOptions replay;
    replay.cassette = mock::LoadCassette(*flags.replay);  // ConfigError names the file and line
    // What the cassette did not record is answered as the recorded server would: its profile and
    // its listed models, unless the command line or a config file says otherwise.
    const mock::RecordedServer recorded = mock::RecordedServerOf(replay.cassette);
    if (!flags.profile && !flags.config && recorded.profile) options.profile = *recorded.profile;
    if (!flags.models && !flags.config && !recorded.models.empty())
      options.models = recorded.models;
    replay.strict = flags.replay_strict;
    if (flags.replay_speed) replay.speed = *flags.replay_speed;
    options.replay = std::move(replay);
  }
  return options;
}

/// Where the admin token came from, for messages that must not show it.
enum class TokenSource { kNone, kFlag, kEnvironment, kGenerated };

/// Sets options.admin_token from --admin-token, else $PROVKIT_ADMIN_TOKEN, else (on a
/// non-loopback host only) a fresh random one.
TokenSource ChooseAdminToken(const Flags& flags, mock::ServerOptions& options) {
  if (flags.admin_token) {
    options.admin_token = *flags.admin_token;
    return TokenSource::kFlag;
  }
  if (const char* value = std::getenv(kAdminTokenVariable); value != nullptr && *value != '\0') {
    options.admin_token = value;
    return TokenSource::kEnvironment;
  }
  if (mock::IsLoopbackHost(options.host)) return TokenSource::kNone;
  options.admin_token = mock::NewAdminToken();
  return TokenSource::kGenerated;
}

/// Says what a non-loopback host means, and how admin requests authenticate. A token the user
/// gave is named by its source, never shown; a generated one is shown once, as the only way
/// to learn it.
/// Each connection is a file descriptor: the soft open-file limit (often 1024) is raised to the
/// hard one, and a max_connections beyond what it allows is said once.
void RaiseOpenFileLimit(std::size_t max_connections) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
    getrlimit(RLIMIT_NOFILE, &limit);
  }
  constexpr rlim_t kSpare = 64;  // the listener, logs, config files, epoll
  if (limit.rlim_cur != RLIM_INFINITY && max_connections + kSpare > limit.rlim_cur) {
    std::fprintf(stderr,
                 "provkit mock: warning: max_connections %zu is over what the open-file limit "
                 "(%llu) allows; connections beyond about %llu wait in the backlog instead of "
                 "getting 503 (raise it with ulimit -n)\n",
                 max_connections, static_cast<unsigned long long>(limit.rlim_cur),
                 static_cast<unsigned long long>(std::max(limit.rlim_cur, kSpare) - kSpare));
  }
}

void PrintAdminNotice(const std::string& host, const std::string& token, TokenSource source) {
  if (!mock::IsLoopbackHost(host)) {
    std::fprintf(stderr,
                 "provkit mock: warning: --host %s is not loopback: other machines can reach "
                 "this server, its API answers whoever connects, and its admin endpoints "
                 "(/__provkit/) need the admin token\n",
                 support::ClipPrintable(host, 200).c_str());
  }
  switch (source) {
    case TokenSource::kNone:
      break;
    case TokenSource::kFlag:
    case TokenSource::kEnvironment:
      std::fprintf(stderr,
                   "provkit mock: admin requests need the token given by %s, as "
                   "'Authorization: Bearer <token>' or 'X-Provkit-Admin-Token: <token>'\n",
                   source == TokenSource::kFlag ? "--admin-token" : "$PROVKIT_ADMIN_TOKEN");
      break;
    case TokenSource::kGenerated:
      std::fprintf(stderr,
                   "provkit mock: admin token (generated, shown once; set --admin-token or "
                   "$PROVKIT_ADMIN_TOKEN to choose one): %s\n",
                   token.c_str());
      break;
  }
}

/// Keeps secrets out of the request log: the server's (the admin token and every auth
/// scenario's token, posted ones included) once it exists, the configured ones until then.
class LogRedactor {
 public:
  explicit LogRedactor(const mock::ServerOptions& options) {
    configured_.Add(options.admin_token);
    if (options.scenario.kind == mock::ScenarioKind::kAuth) configured_.Add(options.scenario.token);
  }
  void Attach(const mock::Server* server) { server_.store(server, std::memory_order_release); }
  std::string Apply(std::string_view text) const {
    const mock::Server* server = server_.load(std::memory_order_acquire);
    return server != nullptr ? server->Redact(text) : configured_.ApplyKnown(text);
  }

 private:
  support::Redactor configured_;
  std::atomic<const mock::Server*> server_{nullptr};
};

void LogRequest(const mock::JournalEntry& entry, const LogRedactor& redactor) {
  const auto since_epoch =
      std::chrono::duration_cast<std::chrono::milliseconds>(entry.time.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(since_epoch / 1000);
  std::tm parts{};
  localtime_r(&seconds, &parts);
  std::fprintf(stderr, "%02d:%02d:%02d.%03lld #%llu conn %llu %s %s -> %d%s%s\n", parts.tm_hour,
               parts.tm_min, parts.tm_sec, static_cast<long long>(since_epoch % 1000),
               static_cast<unsigned long long>(entry.sequence),
               static_cast<unsigned long long>(entry.connection_id),
               support::ClipPrintable(redactor.Apply(entry.method), 32).c_str(),
               support::ClipPrintable(redactor.Apply(entry.path), 300).c_str(), entry.status,
               entry.fault.empty() ? "" : " fault=", entry.fault.c_str());
}

}  // namespace

int MockCommand(int argc, char** argv) {
  Flags flags;
  support::FlagParser parser = MakeParser(flags);
  if (const std::optional<int> exit = parser.ParseOrExit(argc, argv, std::cout, std::cerr)) {
    return *exit;
  }
  mock::ServerOptions options;
  mock::ServerOptions baseline;  ///< As the file and flags say, before the token is chosen.
  try {
    options = OptionsOf(flags);
    baseline = options;
  } catch (const UsageError& error) {
    return parser.PrintUsageError(error.message, std::cerr);
  } catch (const mock::ConfigError& error) {
    std::fprintf(stderr, "provkit mock: %s\n", error.what());
    return kExitUsage;
  }
  const TokenSource token_source = ChooseAdminToken(flags, options);
  // Declared before the server, so that it outlives every request the server logs.
  LogRedactor redactor(options);
  const std::string host = options.host;
  const std::string generated = token_source == TokenSource::kGenerated ? options.admin_token : "";
  if (!flags.quiet) {
    options.on_request = [&redactor](const mock::JournalEntry& entry) {
      LogRequest(entry, redactor);
    };
  }

  // Block the stop signals before the server starts its threads, so that only sigwait below sees
  // them.
  sigset_t stop_signals = BlockStopSignals();
  sigaddset(&stop_signals, SIGHUP);  // reload, in the loop below
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::optional<ConfigReloader> reloader;
  if (flags.config) {
    const auto load = [&flags] {
      try {
        return OptionsOf(flags);
      } catch (const UsageError& error) {
        // The new file with the flags on top makes no sense (a --param its scenario lacks).
        throw std::runtime_error(error.message);
      }
    };
    reloader.emplace(*flags.config, load, baseline);
  }

  RaiseOpenFileLimit(options.max_connections);
  std::optional<mock::Server> server;
  try {
    server.emplace(std::move(options));
  } catch (const std::exception& error) {
    std::fprintf(stderr, "provkit mock: %s\n", error.what());
    return kExitUsage;
  }
  redactor.Attach(&*server);
  std::printf("%s\n", server->url().c_str());
  std::fflush(stdout);
  PrintAdminNotice(host, generated, token_source);
  if (!flags.quiet) {
    const mock::Scenario scenario = server->scenario();
    std::fprintf(stderr, "provkit mock: %s profile %s, scenario %s, base URL %s%s\n",
                 server->listening() ? "listening," : "port reserved, listening later;",
                 std::string(mock::ProfileName(server->profile())).c_str(),
                 std::string(mock::ScenarioName(scenario.kind)).c_str(), server->base_url().c_str(),
                 "; stop with Ctrl-C");
    if (flags.replay) {
      std::string models;
      for (const mock::Model& model : server->models()) {
        models += (models.empty() ? "" : ",") + model.id;
      }
      std::fprintf(stderr, "provkit mock: replaying %s%s%s\n",
                   support::ClipPrintable(*flags.replay, 300).c_str(),
                   flags.replay_strict
                       ? " (strict: unmatched requests are errors)"
                       : "; unmatched requests answered by the profile with models ",
                   flags.replay_strict ? "" : support::ClipPrintable(models, 300).c_str());
    }
  }

  int signal_number = 0;
  for (;;) {
    // With a config file, wake every 500 ms to look at it.
    const timespec poll{0, 500 * 1000 * 1000};
    signal_number = sigtimedwait(&stop_signals, nullptr, reloader ? &poll : nullptr);
    if (signal_number == SIGINT || signal_number == SIGTERM) break;
    if (!reloader) {
      if (signal_number == SIGHUP)
        std::fprintf(stderr, "provkit mock: SIGHUP: no --config file to reload\n");
      continue;
    }
    if (signal_number == SIGHUP) {
      reloader->Reload(*server, "SIGHUP");
    } else {
      reloader->Poll(*server);
    }
  }
  if (!flags.quiet)
    std::fprintf(stderr, "provkit mock: %s, stopping\n",
                 signal_number == SIGINT ? "SIGINT" : "SIGTERM");
  server->Stop();
  return kExitOk;
}

}  // namespace provkit::cli
