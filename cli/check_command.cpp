// provkit check: a one-off readiness preflight of a live server, optionally waiting (over one
// session) until ready.
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>

#include "commands.hpp"
#include "provkit/runtime/error.hpp"
#include "provkit/runtime/session.hpp"

namespace provkit::cli {
namespace {

constexpr std::string_view kUsage =
    R"(usage: provkit check URL [--model M] [--api-key K] [--wait DURATION] [--budget MS] [--json]

Probes the server at base URL (e.g. http://127.0.0.1:8080/v1) with the reference
readiness probe: GET /health, then GET <URL>/models when a model is given.

  --model M          verify that the server lists M
  --api-key K        bearer token (default: $PROVKIT_API_KEY, else none)
  --wait DURATION    re-probe over one session, backing off, until ready or the
                     deadline (e.g. 90s, 5m, 500ms; a bare number is seconds)
  --budget MS        probe budget per probe (default 2000)
  --json             print the readiness record as JSON

exit: 0 ready, 1 not ready, 2 usage error.
)";

int Usage(const std::string& problem) {
  std::cerr << "provkit check: " << problem << "\n\n" << kUsage;
  return kExitUsage;
}

std::optional<std::chrono::milliseconds> ParseDuration(const std::string& text) {
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || value < 0) return std::nullopt;
  const std::string unit(end);
  double ms = 0;
  if (unit.empty() || unit == "s")
    ms = value * 1000;
  else if (unit == "ms")
    ms = value;
  else if (unit == "m")
    ms = value * 60000;
  else if (unit == "h")
    ms = value * 3600000;
  else
    return std::nullopt;
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
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "-h" || arg == "--help") {
      std::cout << kUsage;
      return kExitOk;
    } else if (arg == "--json") {
      as_json = true;
    } else if (arg == "--model" || arg == "--api-key" || arg == "--wait" || arg == "--budget") {
      if (!has_value) return Usage(arg + " needs a value");
      const std::string value = argv[++i];
      if (arg == "--model") config.model = value;
      if (arg == "--api-key") config.api_key = value;
      if (arg == "--wait") {
        wait = ParseDuration(value);
        if (!wait) return Usage("--wait needs a duration like 90s, 5m or 500ms");
      }
      if (arg == "--budget") {
        const auto budget = ParseDuration(value + "ms");
        if (!budget || budget->count() <= 0)
          return Usage("--budget needs a positive number of milliseconds");
        config.probe_budget = *budget;
      }
    } else if (!arg.empty() && arg[0] == '-') {
      return Usage("unknown option '" + arg + "'");
    } else if (url) {
      return Usage("only one URL, please");
    } else {
      url = arg;
    }
  }
  if (!url) return Usage("a base URL is required");
  config.base_url = *url;
  try {
    config.Validate();
  } catch (const ConfigurationError& error) {
    return Usage(error.what());
  }

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
      if (readiness.ready || !wait || std::chrono::steady_clock::now() >= deadline) break;
      std::cerr << "provkit check: not ready (attempt " << attempt
                << "): " << readiness.message.value_or("") << "\n";
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
    if (readiness.message) std::cout << "  " << *readiness.message << "\n";
  }
  return readiness.ready ? kExitOk : kExitFailure;
}

}  // namespace provkit::cli
