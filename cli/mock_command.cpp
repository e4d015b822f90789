// provkit mock: runs the mock OpenAI-compatible server until SIGINT or SIGTERM.
#include <pthread.h>
#include <signal.h>

#include <charconv>
#include <cstdio>
#include <exception>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "commands.hpp"
#include "provkit/mockserver/config.hpp"
#include "provkit/mockserver/server.hpp"

namespace provkit::cli {
namespace {

namespace mock = provkit::mock;

constexpr char kUsage[] = R"(usage: provkit mock [options]

Runs the mock OpenAI-compatible server until SIGINT or SIGTERM. The first line
on stdout is the server's URL; each request is logged on stderr as one line.

options:
  --host H               address to bind (default 127.0.0.1)
  --port P               port to bind (default 0: a free port)
  --base-path PATH       API root (default /v1); /health lives beside it
  --models a,b           models to list and serve (default provkit-mock)
  --profile NAME         the server to imitate (default openai), see below
  --scenario NAME        the state or fault to start in (default healthy), see below
  --param KEY=VALUE      a scenario parameter, e.g. --param requests=3 (repeatable;
                         VALUE is read as JSON when it parses, else as a string)
  --endpoint NAME        confine the scenario to health, models, chat or root
  --config FILE          JSON config file (docs/mockserver.md); flags override it
  --chunk-chars N        characters per stream event (default 8)
  --chunk-interval-ms N  pause between stream events (default 0)
  --first-chunk-ms N     wait before the first stream event (default 0)
  --listen-delay-ms N    reserve the port but listen only after N ms
  --threads N            most connections served at once (default 128)
  --keep-alive-s N       idle keep-alive timeout in seconds (default 5)
  --journal-size N       requests kept in the journal (default 10000)
  --quiet                do not log requests
  -h, --help             show this help

admin endpoints: GET|DELETE /__provkit/journal, GET /__provkit/stats,
GET|POST /__provkit/{scenario,script,timing,profile,models}
)";

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
  std::optional<std::string> config;
  std::optional<long long> chunk_chars;
  std::optional<double> chunk_interval_ms;
  std::optional<double> first_chunk_ms;
  std::optional<double> listen_delay_ms;
  std::optional<long long> threads;
  std::optional<long long> keep_alive_s;
  std::optional<long long> journal_size;
  bool quiet = false;
  bool help = false;
};

/// A bad command line: the message is printed with the usage, and the command exits 2.
struct UsageError {
  std::string message;
};

void PrintHelp(std::FILE* out) {
  std::fputs(kUsage, out);
  std::fputs("\nscenarios:\n", out);
  for (const mock::ScenarioInfo& info : mock::Scenarios()) {
    std::fprintf(out, "  %-14.*s %.*s\n", static_cast<int>(info.name.size()), info.name.data(),
                 static_cast<int>(info.summary.size()), info.summary.data());
  }
  std::fputs("\nprofiles:\n", out);
  for (const mock::ProfileInfo& info : mock::Profiles()) {
    std::fprintf(out, "  %-14.*s %.*s\n", static_cast<int>(info.name.size()), info.name.data(),
                 static_cast<int>(info.summary.size()), info.summary.data());
  }
}

long long ParseInteger(std::string_view flag, std::string_view text, long long min, long long max) {
  long long value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    throw UsageError{std::string(flag) + " expects an integer from " + std::to_string(min) +
                     " to " + std::to_string(max) + ", got '" + std::string(text) + "'"};
  }
  return value;
}

double ParseMillis(std::string_view flag, std::string_view text) {
  try {
    std::size_t used = 0;
    const double value = std::stod(std::string(text), &used);
    if (used == text.size() && value >= 0 && value <= 86400000.0) return value;
  } catch (const std::exception&) {
  }
  throw UsageError{std::string(flag) + " expects milliseconds (0 or more), got '" +
                   std::string(text) + "'"};
}

Flags ParseFlags(int argc, char** argv) {
  Flags flags;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    std::optional<std::string_view> inline_value;
    if (arg.substr(0, 2) == "--") {
      if (const std::size_t equals = arg.find('='); equals != std::string_view::npos) {
        inline_value = arg.substr(equals + 1);
        arg = arg.substr(0, equals);
      }
    }
    const auto value = [&]() -> std::string {
      if (inline_value) return std::string(*inline_value);
      if (i + 1 >= argc) throw UsageError{std::string(arg) + " needs a value"};
      return argv[++i];
    };
    if (arg == "-h" || arg == "--help") {
      flags.help = true;
    } else if (arg == "--quiet" || arg == "-q") {
      flags.quiet = true;
    } else if (arg == "--host") {
      flags.host = value();
    } else if (arg == "--port") {
      flags.port = static_cast<int>(ParseInteger(arg, value(), 0, 65535));
    } else if (arg == "--base-path") {
      flags.base_path = value();
    } else if (arg == "--models") {
      flags.models = value();
    } else if (arg == "--profile") {
      flags.profile = value();
    } else if (arg == "--scenario") {
      flags.scenario = value();
    } else if (arg == "--param") {
      flags.params.push_back(value());
    } else if (arg == "--endpoint") {
      flags.endpoint = value();
    } else if (arg == "--config") {
      flags.config = value();
    } else if (arg == "--chunk-chars") {
      flags.chunk_chars = ParseInteger(arg, value(), 1, 1 << 30);
    } else if (arg == "--chunk-interval-ms") {
      flags.chunk_interval_ms = ParseMillis(arg, value());
    } else if (arg == "--first-chunk-ms") {
      flags.first_chunk_ms = ParseMillis(arg, value());
    } else if (arg == "--listen-delay-ms") {
      flags.listen_delay_ms = ParseMillis(arg, value());
    } else if (arg == "--threads") {
      flags.threads = ParseInteger(arg, value(), 1, 4096);
    } else if (arg == "--keep-alive-s") {
      flags.keep_alive_s = ParseInteger(arg, value(), 1, 86400);
    } else if (arg == "--journal-size") {
      flags.journal_size = ParseInteger(arg, value(), 1, 10000000);
    } else {
      throw UsageError{"unknown option '" + std::string(argv[i]) + "'"};
    }
  }
  return flags;
}

std::chrono::microseconds Micros(double millis) {
  return std::chrono::microseconds(static_cast<long long>(millis * 1000.0 + 0.5));
}

/// The scenario named by the flags, on top of the config file's.
mock::Scenario ScenarioOf(const Flags& flags, const mock::Scenario& configured) {
  if (!flags.scenario && flags.params.empty() && !flags.endpoint) return configured;
  nlohmann::json object = flags.scenario ? nlohmann::json::object() : mock::ToJson(configured);
  if (flags.scenario) {
    if (!mock::ParseScenarioKind(*flags.scenario))
      throw UsageError{"unknown scenario '" + *flags.scenario + "'"};
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
    if (!profile) throw UsageError{"unknown profile '" + *flags.profile + "'"};
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
  if (flags.keep_alive_s) options.keep_alive_timeout = std::chrono::seconds(*flags.keep_alive_s);
  if (flags.journal_size) options.journal_size = static_cast<std::size_t>(*flags.journal_size);
  return options;
}

void LogRequest(const mock::JournalEntry& entry) {
  const auto since_epoch =
      std::chrono::duration_cast<std::chrono::milliseconds>(entry.time.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(since_epoch / 1000);
  std::tm parts{};
  localtime_r(&seconds, &parts);
  std::fprintf(stderr, "%02d:%02d:%02d.%03lld #%llu conn %llu %s %s -> %d%s%s\n", parts.tm_hour,
               parts.tm_min, parts.tm_sec, static_cast<long long>(since_epoch % 1000),
               static_cast<unsigned long long>(entry.sequence),
               static_cast<unsigned long long>(entry.connection_id), entry.method.c_str(),
               entry.path.c_str(), entry.status,
               entry.fault.empty() ? "" : " fault=", entry.fault.c_str());
}

}  // namespace

int MockCommand(int argc, char** argv) {
  Flags flags;
  mock::ServerOptions options;
  try {
    flags = ParseFlags(argc, argv);
    if (flags.help) {
      PrintHelp(stdout);
      return kExitOk;
    }
    options = OptionsOf(flags);
  } catch (const UsageError& error) {
    std::fprintf(stderr, "provkit mock: %s\n\n", error.message.c_str());
    PrintHelp(stderr);
    return kExitUsage;
  } catch (const mock::ConfigError& error) {
    std::fprintf(stderr, "provkit mock: %s\n", error.what());
    return kExitUsage;
  }
  if (!flags.quiet) options.on_request = LogRequest;

  // Block the stop signals before the server starts its threads, so that only sigwait below sees
  // them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  std::optional<mock::Server> server;
  try {
    server.emplace(std::move(options));
  } catch (const std::exception& error) {
    std::fprintf(stderr, "provkit mock: %s\n", error.what());
    return kExitUsage;
  }
  std::printf("%s\n", server->url().c_str());
  std::fflush(stdout);
  if (!flags.quiet) {
    const mock::Scenario scenario = server->scenario();
    std::fprintf(stderr, "provkit mock: %s profile %s, scenario %s, base URL %s%s\n",
                 server->listening() ? "listening," : "port reserved, listening later;",
                 std::string(mock::ProfileName(server->profile())).c_str(),
                 std::string(mock::ScenarioName(scenario.kind)).c_str(), server->base_url().c_str(),
                 "; stop with Ctrl-C");
  }

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  if (!flags.quiet)
    std::fprintf(stderr, "provkit mock: %s, stopping\n",
                 signal_number == SIGINT ? "SIGINT" : "SIGTERM");
  server->Stop();
  return kExitOk;
}

}  // namespace provkit::cli
