// The soak campaign: threads share Sessions while the mock flips healthy/loading/stream-drop.
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <exception>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "modes.hpp"
#include "provkit/mockserver/server.hpp"
#include "provkit/runtime/error.hpp"
#include "provkit/runtime/session.hpp"
#include "report.hpp"
#include "stress_support.hpp"
// Private runtime headers: the process-wide watchdog thread and the stream worker pool are the
// runtime's only long-lived threads, so the thread count is judged against them.
#include "watchdog.hpp"
#include "worker_pool.hpp"

namespace provkit::stress {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

constexpr std::string_view kModel = "provkit-mock";
constexpr std::chrono::seconds kHangLimit{10};
// LocalProvider keeps at most this many idle connections (kMaxIdleClients in local_provider.cpp):
// with more threads per Session, connections beyond it are closed and reopened by design.
constexpr std::int64_t kRuntimeIdleConnections = 16;

constexpr char kDescription[] =
    "One mock server whose scenario flips every flip-ms through healthy, loading and\n"
    "stream-drop; N threads share the Sessions (thread i uses Session i % sessions) and loop:\n"
    "CheckReady, Interact, Stream to the end. Every verdict must match the scenario active\n"
    "during the call (healthy: ready, answer, done; loading: not ready 503, HTTP 503, HTTP 503;\n"
    "stream-drop: ready, transport error, stream error before done); a call that spans a flip\n"
    "may give either scenario's verdict. Threads and sockets are counted before and after\n"
    "(Sessions destroyed, server stopped); a call making no progress for 10 s aborts. The\n"
    "server may see at most one new connection per thread plus one per answer that dropped\n"
    "its connection (S5: Sessions reuse their connections under load; judged with at most 16\n"
    "threads per Session, the idle connections a Session keeps).";

enum class Call { kProbe, kInteract, kStream };
constexpr std::array<std::string_view, 3> kCallNames = {"probe", "interact", "stream"};

enum class Flavour { kHealthy, kLoading, kStreamDrop };
constexpr std::array<std::string_view, 3> kFlavourNames = {"healthy", "loading", "stream-drop"};

mock::Scenario MakeScenario(Flavour flavour) {
  switch (flavour) {
    case Flavour::kHealthy:
      return mock::Scenario::Healthy();
    case Flavour::kLoading:
      return mock::Scenario::Loading(0);  // Neither counted nor timed: loading until flipped.
    case Flavour::kStreamDrop:
      return mock::Scenario::StreamDrop(2);
  }
  return {};
}

Flavour FlavourOfStep(std::uint64_t step) { return static_cast<Flavour>(step % 3); }

/// What the caller saw.
enum class Outcome {
  kReady,           // probe: ready
  kNotReady503,     // probe: not ready, status 503
  kNotReadyOther,   // probe: not ready otherwise
  kAnswer,          // interact: the echoed text
  kDone,            // stream: kDone with the echoed text, never an error
  kHttp503,         // interact or stream start: APIError kHttpStatus 503
  kHttpOther,       // interact or stream start: another HTTP status
  kTransportError,  // interact or stream start: APIError without a status
  kDropped,         // stream: started, then an APIError before kDone
  kWrongText,       // interact or stream: finished with text other than the echo
  kOtherError,      // anything else thrown
};
constexpr std::array<std::string_view, 11> kOutcomeNames = {
    "ready",      "not-ready-503",   "not-ready-other", "answer",     "done",       "http-503",
    "http-other", "transport-error", "dropped",         "wrong-text", "other-error"};

Outcome Expected(Call call, Flavour flavour) {
  switch (flavour) {
    case Flavour::kHealthy:
      return call == Call::kProbe      ? Outcome::kReady
             : call == Call::kInteract ? Outcome::kAnswer
                                       : Outcome::kDone;
    case Flavour::kLoading:
      return call == Call::kProbe ? Outcome::kNotReady503 : Outcome::kHttp503;
    case Flavour::kStreamDrop:
      return call == Call::kProbe      ? Outcome::kReady
             : call == Call::kInteract ? Outcome::kTransportError
                                       : Outcome::kDropped;
  }
  return Outcome::kOtherError;
}

Outcome OfApiError(const APIError& error) {
  if (error.kind() == ErrorKind::kHttpStatus)
    return error.status_code() == 503 ? Outcome::kHttp503 : Outcome::kHttpOther;
  return error.status_code() ? Outcome::kHttpOther : Outcome::kTransportError;
}

/// The scenario epoch: even 2k while step k's scenario is in force, odd while switching.
struct Epochs {
  std::atomic<std::uint64_t> value{0};
  /// The scenarios that may have shaped a call that began at `before` and ended at `after`.
  static std::pair<std::uint64_t, std::uint64_t> Steps(std::uint64_t before, std::uint64_t after) {
    return {before / 2, (after + 1) / 2};
  }
};

/// counts[scenario or "flip"][call][outcome].
using Counts = std::map<std::string, std::map<std::string, std::map<std::string, std::uint64_t>>>;

struct Shared {
  std::vector<std::unique_ptr<Session>> sessions;
  Epochs epochs;
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> progress{0};
  Failures inconsistencies;
};

class Worker {
 public:
  Worker(Shared& shared, std::size_t index) : shared_(shared), index_(index) {}

  void Run() {
    Session& session = *shared_.sessions[index_ % shared_.sessions.size()];
    const Environment environment;
    for (std::uint64_t i = 0; !shared_.stop.load(); ++i) {
      const std::string text = "soak thread " + std::to_string(index_) + " call " +
                               std::to_string(i) + ": the quick brown fox jumps over the lazy dog";
      const Input input{.text = text};
      Observe(Call::kProbe, [&](std::string& detail) {
        const ProviderReadiness readiness = session.CheckReady();
        if (readiness.ready) return Outcome::kReady;
        detail = readiness.message.value_or("");
        return readiness.status_code == 503 ? Outcome::kNotReady503 : Outcome::kNotReadyOther;
      });
      Observe(Call::kInteract, [&](std::string& detail) {
        const Output output = session.Interact(environment, input);
        if (output.text == text) return Outcome::kAnswer;
        detail = "answered '" + output.text + "'";
        return Outcome::kWrongText;
      });
      Observe(Call::kStream, [&](std::string& detail) {
        EventStream stream;
        try {
          stream = session.Stream(environment, input);
        } catch (const APIError& error) {
          detail = error.what();
          return OfApiError(error);
        }
        std::string deltas;
        try {
          while (std::optional<StreamEvent> event = stream.Next()) {
            if (event->type == EventType::kTextDelta) deltas += event->delta;
            if (event->type == EventType::kDone) {
              const bool same = event->output && event->output->text == text && deltas == text;
              if (!same) detail = "streamed '" + deltas + "'";
              return same ? Outcome::kDone : Outcome::kWrongText;
            }
          }
        } catch (const APIError& error) {
          detail = error.what();
          return Outcome::kDropped;
        }
        return Outcome::kOtherError;  // Ended without kDone and without an error.
      });
    }
  }

  const Counts& counts() const { return counts_; }

 private:
  template <typename Body>
  void Observe(Call call, Body body) {
    const std::uint64_t before = shared_.epochs.value.load();
    Outcome outcome;
    std::string detail;
    try {
      outcome = body(detail);
    } catch (const APIError& error) {
      outcome = OfApiError(error);
      detail = error.what();
    } catch (const std::exception& error) {
      outcome = Outcome::kOtherError;
      detail = error.what();
    }
    const std::uint64_t after = shared_.epochs.value.load();
    shared_.progress.fetch_add(1);

    const auto [first, last] = Epochs::Steps(before, after);
    bool acceptable = false;
    for (std::uint64_t step = first; step <= last && !acceptable; ++step)
      acceptable = Expected(call, FlavourOfStep(step)) == outcome;
    const std::string scenario =
        before == after && before % 2 == 0
            ? std::string(kFlavourNames[static_cast<int>(FlavourOfStep(first))])
            : std::string("flip");
    ++counts_[scenario][std::string(kCallNames[static_cast<int>(call)])]
             [std::string(kOutcomeNames[static_cast<int>(outcome)])];
    if (!acceptable) {
      std::string expected;
      for (std::uint64_t step = first; step <= last; ++step) {
        expected +=
            (expected.empty() ? "" : " or ") +
            std::string(kOutcomeNames[static_cast<int>(Expected(call, FlavourOfStep(step)))]);
      }
      shared_.inconsistencies.Add(
          "thread " + std::to_string(index_) + " " +
          std::string(kCallNames[static_cast<int>(call)]) + " during " + scenario + " (epochs " +
          std::to_string(before) + ".." + std::to_string(after) + "): got " +
          std::string(kOutcomeNames[static_cast<int>(outcome)]) + ", expected " + expected +
          (detail.empty() ? "" : " -- " + detail));
    }
  }

  Shared& shared_;
  std::size_t index_;
  Counts counts_;
};

/// Flips the server's scenario every `period` until stopped.
class Flipper {
 public:
  Flipper(mock::Server& server, Epochs& epochs, std::chrono::milliseconds period)
      : server_(server), epochs_(epochs), period_(period), thread_([this] { Run(); }) {}
  ~Flipper() { Stop(); }
  void Stop() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    changed_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  std::uint64_t flips() const { return flips_; }

 private:
  void Run() {
    Clock::time_point next = Clock::now() + period_;
    std::unique_lock lock(mutex_);
    for (std::uint64_t step = 1;; ++step) {
      if (changed_.wait_until(lock, next, [this] { return stop_; })) return;
      next += period_;
      epochs_.value.fetch_add(1);  // Odd: switching.
      server_.SetScenario(MakeScenario(FlavourOfStep(step)));
      epochs_.value.fetch_add(1);  // Even: step's scenario is in force.
      ++flips_;
    }
  }

  mock::Server& server_;
  Epochs& epochs_;
  std::chrono::milliseconds period_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool stop_ = false;
  std::atomic<std::uint64_t> flips_{0};
  std::thread thread_;
};

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string line;
  std::getline(in, line);
  return line;
}

/// Polls `condition` every 50 ms for up to `limit`; true once it holds.
template <typename Condition>
bool WaitUntil(std::chrono::milliseconds limit, Condition condition) {
  const Clock::time_point deadline = Clock::now() + limit;
  for (;;) {
    if (condition()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace

int RunSoak(int argc, char** argv) {
  std::int64_t threads = 32;
  std::int64_t sessions = 4;
  std::int64_t seconds = 30;
  std::int64_t flip_ms = 1000;
  std::int64_t settle_seconds = 0;
  std::string json_path;
  support::FlagParser parser = NewFlagParser("soak", "[options]");
  parser.Description(kDescription)
      .Int({.name = "threads", .value_name = "N", .help = "calling threads, 1-1024 (default 32)"},
           &threads, std::int64_t{1}, std::int64_t{1024})
      .Int({.name = "sessions", .value_name = "N", .help = "shared Sessions, 1-256 (default 4)"},
           &sessions, std::int64_t{1}, std::int64_t{256})
      .Int({.name = "seconds", .value_name = "N", .help = "duration, 1-3600 (default 30)"},
           &seconds, std::int64_t{1}, std::int64_t{3600})
      .Int({.name = "flip-ms",
            .value_name = "N",
            .help = "scenario period, 10-60000 (default 1000)"},
           &flip_ms, std::int64_t{10}, std::int64_t{60000})
      .Int({.name = "settle-seconds",
            .value_name = "N",
            .help = "afterwards, wait up to N s (0-120, default 0) for the runtime's idle\n"
                    "stream workers to retire (they live 30 s) and require the thread\n"
                    "count back at the baseline; with 0, idle workers are subtracted"},
           &settle_seconds, std::int64_t{0}, std::int64_t{120})
      .String({.name = "json",
               .value_name = "FILE",
               .help = "also write the summary as JSON to FILE",
               .non_empty = true},
              &json_path);
  if (const std::optional<int> exit = parser.ParseOrExit(argc, argv, std::cout, std::cerr)) {
    return *exit;
  }
  const std::string command = CommandLine(argc, argv);
  const std::string load_before = LoadAverage();

  // The runtime's watchdog thread starts on first use and lives until exit: start it now, so that
  // the baseline includes it.
  Watchdog::Instance();
  const std::size_t threads_before = ThreadCount();
  const std::size_t sockets_before = SocketCount();
  const std::size_t workers_before = WorkerPool::Instance().threads();

  Shared shared;
  mock::ServerOptions options;
  options.models = {std::string(kModel)};
  options.threads = static_cast<std::size_t>(threads) * 2 + 16;
  auto server = std::make_unique<mock::Server>(options);
  Config config;
  config.provider = "local";
  config.model = std::string(kModel);
  config.base_url = server->base_url();
  // Generous on a shared machine: the verdicts judged here are about correctness, not latency.
  config.request_timeout = std::chrono::seconds(10);
  config.probe_budget = std::chrono::seconds(5);
  for (std::int64_t i = 0; i < sessions; ++i)
    shared.sessions.push_back(std::make_unique<Session>(config));
  const std::size_t threads_with_server = ThreadCount();

  std::vector<std::unique_ptr<Worker>> workers;
  for (std::int64_t i = 0; i < threads; ++i)
    workers.push_back(std::make_unique<Worker>(shared, static_cast<std::size_t>(i)));
  HangWatchdog watchdog("soak", shared.progress, kHangLimit, [&] {
    return "calls so far: " + std::to_string(shared.progress.load()) +
           ", scenario epoch: " + std::to_string(shared.epochs.value.load()) +
           ", server connections open: " + std::to_string(server->connections_open());
  });
  const Clock::time_point start = Clock::now();
  std::size_t threads_peak = 0;
  std::uint64_t flips = 0;
  {
    Flipper flipper(*server, shared.epochs, std::chrono::milliseconds(flip_ms));
    std::vector<std::thread> running;
    for (auto& worker : workers) running.emplace_back([&worker] { worker->Run(); });
    const Clock::time_point end = start + std::chrono::seconds(seconds);
    while (Clock::now() < end) {
      threads_peak = std::max(threads_peak, ThreadCount());
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    shared.stop = true;
    for (std::thread& thread : running) thread.join();
    flipper.Stop();
    flips = flipper.flips();
  }
  const double elapsed_s = std::chrono::duration<double>(Clock::now() - start).count();
  watchdog.Stop();

  const std::uint64_t connections_opened = server->connections_opened();
  const std::uint64_t open_with_sessions = server->connections_open();
  shared.sessions.clear();  // Closes every provider and its pooled connections.
  const bool connections_closed = server->WaitForOpenConnectionsAtMost(0, std::chrono::seconds(10));
  const std::uint64_t open_after_sessions = server->connections_open();
  server.reset();

  const std::size_t sockets_after = SocketCount();
  // Idle stream workers stay up to WorkerPool::kIdleLifetime; anything else must be gone.
  std::size_t idle_workers = 0;
  std::size_t threads_after = 0;
  const bool threads_settled = WaitUntil(std::chrono::seconds(5), [&] {
    idle_workers = WorkerPool::Instance().threads() - workers_before;
    threads_after = ThreadCount();
    return threads_after == threads_before + idle_workers;
  });
  bool workers_retired = true;
  if (settle_seconds > 0) {
    workers_retired = WaitUntil(std::chrono::seconds(settle_seconds), [&] {
      threads_after = ThreadCount();
      return threads_after == threads_before;
    });
    idle_workers = WorkerPool::Instance().threads() - workers_before;
  }

  Counts counts;
  for (const auto& worker : workers) {
    for (const auto& [scenario, calls] : worker->counts()) {
      for (const auto& [call, outcomes] : calls) {
        for (const auto& [outcome, count] : outcomes) counts[scenario][call][outcome] += count;
      }
    }
  }
  std::uint64_t total_calls = 0;
  for (const auto& [scenario, calls] : counts) {
    for (const auto& [call, outcomes] : calls) {
      for (const auto& [outcome, count] : outcomes) total_calls += count;
    }
  }

  // S5 under load: a Session opens a connection only for a thread that finds none idle, which
  // happens at first use and after an answer that dropped its connection (stream-drop).
  std::uint64_t dropped_connections = 0;
  for (const auto& [scenario, calls] : counts) {
    for (const auto& [call, outcomes] : calls) {
      for (const auto& [outcome, count] : outcomes) {
        if (outcome == kOutcomeNames[static_cast<int>(Outcome::kTransportError)] ||
            outcome == kOutcomeNames[static_cast<int>(Outcome::kDropped)])
          dropped_connections += count;
      }
    }
  }

  Verdict verdict;
  const std::int64_t threads_per_session = (threads + sessions - 1) / sessions;
  const std::string reuse = std::to_string(connections_opened) + " opened; at most " +
                            std::to_string(threads) + " threads + " +
                            std::to_string(dropped_connections) +
                            " answers that dropped their connection";
  if (threads_per_session <= kRuntimeIdleConnections) {
    verdict.Check("connection-reuse",
                  connections_opened <= dropped_connections + static_cast<std::uint64_t>(threads),
                  reuse);
  } else {
    verdict.Check("connection-reuse", true,
                  "not judged: " + std::to_string(threads_per_session) +
                      " threads per Session exceed the " + std::to_string(kRuntimeIdleConnections) +
                      " idle connections a Session keeps; " + reuse);
  }
  verdict.Check("verdicts-consistent", shared.inconsistencies.count() == 0,
                std::to_string(shared.inconsistencies.count()) + " of " +
                    std::to_string(total_calls) + " calls disagree with the scenario");
  bool every_scenario_seen = true;
  for (std::string_view name : kFlavourNames)
    every_scenario_seen &= counts.count(std::string(name)) > 0;
  verdict.Check("scenarios-covered", every_scenario_seen && flips >= 2,
                std::to_string(flips) + " flips; each scenario judged at least once: " +
                    (every_scenario_seen ? "yes" : "no"));
  verdict.Check("connections-closed", connections_closed,
                std::to_string(open_with_sessions) + " open before the Sessions closed, " +
                    std::to_string(open_after_sessions) + " after (" +
                    std::to_string(connections_opened) + " opened in all)");
  verdict.Check(
      "sockets", sockets_after == sockets_before,
      std::to_string(sockets_before) + " before, " + std::to_string(sockets_after) + " after");
  verdict.Check("threads", threads_settled && workers_retired,
                std::to_string(threads_before) + " before (runtime watchdog included), " +
                    std::to_string(threads_after) + " after" +
                    (settle_seconds > 0 ? " waiting up to " + std::to_string(settle_seconds) +
                                              " s for idle stream workers to retire"
                                        : " of which " + std::to_string(idle_workers) +
                                              " idle stream workers (retire after 30 s)") +
                    "; peak " + std::to_string(threads_peak));

  std::printf(
      "provkit-stress soak: %lld threads on %lld Sessions, %lld s (elapsed %.1f s), flip every "
      "%lld ms (%llu flips), load average %s\n",
      static_cast<long long>(threads), static_cast<long long>(sessions),
      static_cast<long long>(seconds), elapsed_s, static_cast<long long>(flip_ms),
      static_cast<unsigned long long>(flips), load_before.c_str());
  std::printf("  calls: %llu\n", static_cast<unsigned long long>(total_calls));
  for (const auto& [scenario, calls] : counts) {
    std::printf("  %-11s", scenario.c_str());
    for (const auto& [call, outcomes] : calls) {
      std::printf(" | %s:", call.c_str());
      for (const auto& [outcome, count] : outcomes)
        std::printf(" %s %llu", outcome.c_str(), static_cast<unsigned long long>(count));
    }
    std::printf("\n");
  }
  verdict.Print(stdout);
  for (const std::string& sample : shared.inconsistencies.samples())
    std::printf("  inconsistent: %s\n", sample.c_str());
  std::printf("%s\n", verdict.passed() ? "PASS" : "FAIL");

  if (!json_path.empty()) {
    json report = {
        {"mode", "soak"},
        {"command", command},
        {"passed", verdict.passed()},
        {"load_average_before", load_before},
        {"threads", threads},
        {"sessions", sessions},
        {"seconds", seconds},
        {"flip_ms", flip_ms},
        {"elapsed_s", elapsed_s},
        {"flips", flips},
        {"calls", total_calls},
        {"calls_by_scenario", counts},
        {"inconsistencies", shared.inconsistencies.count()},
        {"inconsistency_samples", shared.inconsistencies.samples()},
        {"process_threads",
         {{"before", threads_before},
          {"with_server_and_sessions", threads_with_server},
          {"peak", threads_peak},
          {"after", threads_after},
          {"idle_stream_workers_after", idle_workers},
          {"settle_seconds", settle_seconds}}},
        {"process_sockets", {{"before", sockets_before}, {"after", sockets_after}}},
        {"server_connections",
         {{"opened", connections_opened},
          {"dropped_by_answers", dropped_connections},
          {"open_before_sessions_closed", open_with_sessions},
          {"open_after_sessions_closed", open_after_sessions}}},
        {"checks", verdict.ToJson()},
    };
    if (!WriteJson(json_path, report, "soak")) return kExitFail;
  }
  return verdict.passed() ? kExitPass : kExitFail;
}

}  // namespace provkit::stress
