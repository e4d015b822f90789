// provkit check: a one-off readiness preflight of a live server, optionally waiting (over one
// session) until ready.
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>

#include "commands.hpp"
#include "provkit/runtime/error.hpp"
#include "provkit/runtime/router.hpp"
#include "provkit/runtime/session.hpp"
#include "provkit/support/clip.hpp"

namespace provkit::cli {
namespace {

constexpr char kDescription[] =
    "Probes the server at base URL (e.g. http://127.0.0.1:8080/v1) with the reference\n"
    "readiness probe: GET /health, then GET <URL>/models when a model is given.";

constexpr char kEpilogue[] =
    "--load is for llama.cpp in router mode, where a model stays \"unloaded\" until asked for:\n"
    "the probe itself never changes the server (contract R11).\n"
    "exit: 0 ready, 1 not ready, 2 usage error.";

/// The reference probe's words for a router model that is not loaded (readiness_probe.cpp).
bool SaysUnloaded(const ProviderReadiness& readiness) {
  return readiness.message &&
         readiness.message->find("its status is 'unloaded'") != std::string::npos;
}

/// The longest --wait or --budget accepted: a week.
constexpr double kMaxDurationMs = 7 * 24 * 3600 * 1000.0;

/// "90s", "5m", "500ms", "1h", or a bare number of `bare_unit`; nullopt for anything else,
/// negative, not finite or longer than kMaxDurationMs.
std::optional<std::chrono::milliseconds> ParseDuration(std::string_view text,
                                                       std::string_view bare_unit) {
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end == text.data() || !std::isfinite(value) || value < 0) {
    return std::nullopt;
  }
  std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
  if (unit.empty()) unit = bare_unit;
  double ms = 0;
  if (unit == "s") {
    ms = value * 1000;
  } else if (unit == "ms") {
    ms = value;
  } else if (unit == "m") {
    ms = value * 60000;
  } else if (unit == "h") {
    ms = value * 3600000;
  } else {
    return std::nullopt;
  }
  if (ms > kMaxDurationMs) return std::nullopt;
  return std::chrono::milliseconds(static_cast<long long>(ms));
}

}  // namespace

int CheckCommand(int argc, char** argv) {
  std::optional<std::string> url;
  Config config;
  config.api_key.clear();
  if (const char* key = std::getenv("PROVKIT_API_KEY")) config.api_key = key;
  std::optional<std::chrono::milliseconds> wait;
  bool as_json = false;
  bool load = false;
  support::FlagParser parser = NewFlagParser("provkit check", "URL [options]");
  parser.Description(kDescription)
      .Epilogue(kEpilogue)
      .Positional("URL", "the server's base URL", &url, /*required=*/true)
      .String({.name = "model", .value_name = "M", .help = "verify that the server lists M"},
              &config.model)
      .String({.name = "api-key",
               .value_name = "K",
               .help = "bearer token (default: $PROVKIT_API_KEY, else none)"},
              &config.api_key)
      .Value({.name = "wait",
              .value_name = "DURATION",
              .help = "re-probe over one session, backing off, until ready or the\n"
                      "deadline (e.g. 90s, 5m, 500ms; a bare number is seconds)"},
             "a duration like 90s, 5m or 500ms",
             [&wait](std::string_view text) {
               wait = ParseDuration(text, "s");
               return wait.has_value();
             })
      .Value(
          {.name = "budget", .value_name = "MS", .help = "probe budget per probe (default 2000)"},
          "a positive number of milliseconds",
          [&config](std::string_view text) {
            const auto budget = ParseDuration(text, "ms");
            if (!budget || budget->count() <= 0) return false;
            config.probe_budget = *budget;
            return true;
          })
      .Bool({.name = "load",
             .help = "llama.cpp router mode: when M is not loaded, ask the server once to\n"
                     "load it (POST /models/load), then wait through loading (with --wait)"},
            &load)
      .Bool({.name = "json", .help = "print the readiness record as JSON"}, &as_json);
  if (const std::optional<int> exit = parser.ParseOrExit(argc, argv, std::cout, std::cerr)) {
    return *exit;
  }
  config.base_url = *url;
  try {
    config.Validate();
  } catch (const ConfigurationError& error) {
    return parser.PrintUsageError(error.what(), std::cerr);
  }
  if (load && !config.model) return parser.PrintUsageError("--load needs --model M", std::cerr);
  bool load_requested = false;

  ProviderReadiness readiness;
  try {
    Session session(config);
    const auto deadline =
        std::chrono::steady_clock::now() + wait.value_or(std::chrono::milliseconds(0));
    auto pause = std::chrono::milliseconds(250);
    int attempt = 0;
    while (true) {
      readiness = session.CheckReady();
      ++attempt;
      if (!readiness.ready && load && !load_requested && SaysUnloaded(readiness)) {
        load_requested = true;  // once: a router that refuses or forgets the load is reported
        const ModelLoadAnswer answer = RequestModelLoad(config, *config.model);
        std::cerr << "provkit check: model " << support::ClipPrintable(*config.model, 200)
                  << " is unloaded; asked the server to load it: " << answer.message << "\n";
        if (answer.accepted) continue;  // probe again at once: now it should be loading
      }
      if (readiness.ready || !wait || std::chrono::steady_clock::now() >= deadline) break;
      std::cerr << "provkit check: not ready (attempt " << attempt
                << "): " << support::ClipPrintable(readiness.message.value_or(""), 500) << "\n";
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      std::this_thread::sleep_for(
          std::min(pause, left));  // backing off between probes is the point of --wait
      pause = std::min(pause * 2, std::chrono::milliseconds(5000));
    }
  } catch (const Error& error) {
    std::cerr << "provkit check: " << error.what() << "\n";
    return kExitUsage;
  }
  if (as_json) {
    std::cout << nlohmann::json(readiness).dump(2) << "\n";
  } else {
    std::cout << (readiness.ready ? "READY" : "NOT READY") << "  " << *url;
    if (readiness.model) std::cout << "  model " << *readiness.model;
    if (readiness.status_code) std::cout << "  HTTP " << *readiness.status_code;
    if (readiness.model_verified)
      std::cout << (*readiness.model_verified ? "  verified" : "  unverified");
    std::cout << "\n";
    // The server's words reach a terminal: control characters are escaped, the length bounded.
    if (readiness.message)
      std::cout << "  " << support::ClipPrintable(*readiness.message, 2000) << "\n";
    const int status = readiness.status_code.value_or(0);
    if (!readiness.ready && SaysUnloaded(readiness) && !load) {
      std::cout << "  hint: the model is unloaded (llama.cpp router mode loads a model when asked "
                   "for); pass --load to ask the server to load it, with --wait to wait\n";
    }
    if (!readiness.ready && !config.model && (status == 404 || status == 405 || status == 501)) {
      std::cout << "  hint: the server has no /health (as Ollama and LM Studio); pass --model M so "
                   "that its model listing decides\n";
    }
  }
  return readiness.ready ? kExitOk : kExitFailure;
}

}  // namespace provkit::cli
