// The pressure campaign (issue 15): the mock serves what it promises and refuses politely past it.
#include "pressure.hpp"

#include <sys/resource.h>

#include <array>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "modes.hpp"
#include "stress_support.hpp"

namespace provkit::stress {
namespace {

using nlohmann::json;

constexpr std::array<std::string_view, 4> kPhases = {"keep-alive", "streams", "slowloris", "limit"};
// Sockets this process needs beyond the client and server ends of its connections.
constexpr std::uint64_t kSpareDescriptors = 256;

constexpr char kDescription[] =
    "Runs phases, each against its own embedded mock server (127.0.0.1, a free port), with an\n"
    "epoll-driven client in this process (non-blocking sockets, TCP_NODELAY; one loop\n"
    "thread for the keep-alive clients, two for the streams):\n"
    "\n"
    "  keep-alive  N clients connect at once, one keep-alive connection each, and alternate\n"
    "              GET /health and a chat turn with a 50-200 ms pause for the whole hold.\n"
    "              Passes when every client connected and was answered, every answer is 200\n"
    "              with the right body, no request went unanswered for the client timeout,\n"
    "              the server accepted exactly N connections (+ one per fresh client), and\n"
    "              fresh clients connecting every 500 ms of the hold get /health in under 1 s.\n"
    "  streams     M streamed chat completions at once (8 characters an event, 20 ms apart).\n"
    "              Passes when all end with data: [DONE] and the echoed text, all were in\n"
    "              flight at one time, and the gaps between events as they arrive have p50\n"
    "              within 10 % of the interval and p99 within 2 ms + 10 % of it (neither is\n"
    "              judged in a sanitizer build, p99 not with --no-p99-bound).\n"
    "  slowloris   S clients send a request line and one header, then one byte a second,\n"
    "              never finishing; the server's header_timeout is --header-timeout-ms.\n"
    "              Passes when fresh clients get /health in under 1 s while all are\n"
    "              connected, and each slow client is answered 408 or closed within\n"
    "              header_timeout + 1 s of its first byte.\n"
    "  limit       a server with max_connections L: L keep-alive connections each answered\n"
    "              200, then K more each get 503 with Retry-After and the end of the stream\n"
    "              within 1 s, and the L first are answered 200 again afterwards.\n"
    "\n"
    "Needs 2 file descriptors per connection (both ends are in this process): the soft\n"
    "RLIMIT_NOFILE is raised to the hard limit, and the run stops at once when that is too low.";

bool ParsePhases(std::string_view text, std::set<std::string>* phases) {
  phases->clear();
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    const std::string_view name = text.substr(0, comma);
    bool known = false;
    for (const std::string_view phase : kPhases) known = known || phase == name;
    if (!known) return false;
    phases->insert(std::string(name));
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
    if (text.empty()) return false;
  }
  return !phases->empty();
}

std::string LoadAverageLine() {
  std::FILE* file = std::fopen("/proc/loadavg", "r");
  if (file == nullptr) return "unknown";
  char line[128] = {};
  const bool read = std::fgets(line, sizeof line, file) != nullptr;
  std::fclose(file);
  if (!read) return "unknown";
  std::string text(line);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

}  // namespace

int RunPressure(int argc, char** argv) {
  PressureOptions options;
  std::set<std::string> phases(kPhases.begin(), kPhases.end());
  std::string json_path;
  bool no_p99_bound = false;
  support::FlagParser parser = NewFlagParser("pressure", "[options]");
  parser.Description(kDescription)
      .Int({.name = "clients",
            .value_name = "N",
            .help = "keep-alive: concurrent clients, 1-8000 (default 2000)"},
           &options.clients, std::int64_t{1}, std::int64_t{8000})
      .Int({.name = "seconds",
            .value_name = "N",
            .help = "keep-alive: how long the clients are held, 1-3600 (default 20)"},
           &options.seconds, std::int64_t{1}, std::int64_t{3600})
      .Int({.name = "streams",
            .value_name = "N",
            .help = "streams: concurrent streamed completions, 1-4000 (default 1000)"},
           &options.streams, std::int64_t{1}, std::int64_t{4000})
      .Bool({.name = "no-p99-bound",
             .help = "streams: report the gap p99 without judging it (the short CTest run,\n"
                     "which shares the machine with other tests)"},
            &no_p99_bound)
      .Int({.name = "slow-clients",
            .value_name = "N",
            .help = "slowloris: slow-header clients, 1-4000 (default 140)"},
           &options.slow_clients, std::int64_t{1}, std::int64_t{4000})
      .Int({.name = "header-timeout-ms",
            .value_name = "MS",
            .help = "slowloris: the server's header_timeout, 100-30000 (default 2000)"},
           &options.header_timeout_ms, std::int64_t{100}, std::int64_t{30000})
      .Int({.name = "limit",
            .value_name = "L",
            .help = "limit: the server's max_connections, 1-4000 (default 64)"},
           &options.limit, std::int64_t{1}, std::int64_t{4000})
      .Int({.name = "over-limit",
            .value_name = "K",
            .help = "limit: connections opened past it, 1-1000 (default 16)"},
           &options.over_limit, std::int64_t{1}, std::int64_t{1000})
      .Value({.name = "phases",
              .value_name = "LIST",
              .help = "comma-separated phases to run (default keep-alive,streams,slowloris,limit)"},
             "a comma-separated list of keep-alive, streams, slowloris and limit",
             [&phases](std::string_view text) { return ParsePhases(text, &phases); })
      .String({.name = "json",
               .value_name = "FILE",
               .help = "also write the figures and checks as JSON to FILE",
               .non_empty = true},
              &json_path);
  if (const std::optional<int> exit = parser.ParseOrExit(argc, argv, std::cout, std::cerr)) {
    return *exit;
  }
  options.judge_p99 = !no_p99_bound;
  const std::string command = CommandLine(argc, argv);
  std::signal(SIGPIPE, SIG_IGN);

  // Both ends of every connection live in this process.
  std::int64_t widest = 0;
  if (phases.count("keep-alive")) widest = std::max(widest, options.clients + 1);
  if (phases.count("streams")) widest = std::max(widest, options.streams);
  if (phases.count("slowloris")) widest = std::max(widest, options.slow_clients + 1);
  if (phases.count("limit")) widest = std::max(widest, options.limit + options.over_limit);
  const std::uint64_t needed = 2 * static_cast<std::uint64_t>(widest) + kSpareDescriptors;
  rlimit files{};
  getrlimit(RLIMIT_NOFILE, &files);
  if (files.rlim_cur < files.rlim_max) {
    rlimit raised = files;
    raised.rlim_cur = files.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) files = raised;
  }
  if (files.rlim_cur < needed) {
    std::fprintf(stderr,
                 "provkit-stress pressure: needs %llu file descriptors (2 per connection for %lld "
                 "connections, + %llu), but RLIMIT_NOFILE is %llu (hard %llu); raise it "
                 "(ulimit -n) or ask for fewer clients\nFAIL\n",
                 static_cast<unsigned long long>(needed), static_cast<long long>(widest),
                 static_cast<unsigned long long>(kSpareDescriptors),
                 static_cast<unsigned long long>(files.rlim_cur),
                 static_cast<unsigned long long>(files.rlim_max));
    return kExitFail;
  }

  const std::string load_before = LoadAverageLine();
  std::printf("provkit-stress pressure: load average %s; RLIMIT_NOFILE %llu\n", load_before.c_str(),
              static_cast<unsigned long long>(files.rlim_cur));
  std::fflush(stdout);
  std::vector<PhaseResult> results;
  for (const std::string_view phase : kPhases) {
    if (!phases.count(std::string(phase))) continue;
    PhaseResult result;
    if (phase == "keep-alive") result = RunKeepAlivePhase(options);
    if (phase == "streams") result = RunStreamsPhase(options);
    if (phase == "slowloris") result = RunSlowlorisPhase(options);
    if (phase == "limit") result = RunLimitPhase(options);
    std::printf("%s:\n", result.name.c_str());
    for (const std::string& line : result.summary) std::printf("  %s\n", line.c_str());
    result.verdict.Print(stdout);
    for (const std::string& error : result.errors) std::printf("  error: %s\n", error.c_str());
    std::fflush(stdout);
    results.push_back(std::move(result));
  }
  bool passed = true;
  for (const PhaseResult& result : results) passed = passed && result.verdict.passed();
  const std::string load_after = LoadAverageLine();
  std::printf("load average after: %s\n%s\n", load_after.c_str(), passed ? "PASS" : "FAIL");

  if (!json_path.empty()) {
    json phase_reports = json::array();
    json checks = json::array();
    for (const PhaseResult& result : results) {
      phase_reports.push_back({{"name", result.name},
                               {"passed", result.verdict.passed()},
                               {"figures", result.figures},
                               {"checks", result.verdict.ToJson()},
                               {"error_samples", result.errors}});
      for (const json& check : result.verdict.ToJson()) checks.push_back(check);
    }
    const json report = {
        {"mode", "pressure"},
        {"command", command},
        {"passed", passed},
        {"load_average_before", load_before},
        {"load_average_after", load_after},
        {"sanitized_build", SanitizedBuild()},
        {"rlimit_nofile", {{"soft", files.rlim_cur}, {"hard", files.rlim_max}, {"needed", needed}}},
        {"options",
         {{"clients", options.clients},
          {"seconds", options.seconds},
          {"client_timeout_ms", options.client_timeout_ms},
          {"streams", options.streams},
          {"stream_interval_ms", options.stream_interval_ms},
          {"stream_events", options.stream_events},
          {"judge_p99", options.judge_p99},
          {"slow_clients", options.slow_clients},
          {"header_timeout_ms", options.header_timeout_ms},
          {"limit", options.limit},
          {"over_limit", options.over_limit}}},
        {"phases", std::move(phase_reports)},
        {"checks", std::move(checks)},
    };
    if (!WriteJson(json_path, report, "pressure")) return kExitFail;
  }
  return passed ? kExitPass : kExitFail;
}

}  // namespace provkit::stress
