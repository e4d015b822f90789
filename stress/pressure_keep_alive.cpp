// Pressure phase keep-alive: N clients hold one connection each and keep asking; fresh ones too.
#include <atomic>
#include <cstdio>
#include <exception>
#include <random>
#include <system_error>
#include <thread>

#include "pressure.hpp"
#include "provkit/mockserver/server.hpp"

namespace provkit::stress {
namespace {

using nlohmann::json;

// How long all clients may take to connect and get their first answer before the hold starts.
constexpr std::chrono::seconds kRampLimit{30};
// Each client pauses between its requests for a time drawn uniformly from this range.
constexpr std::chrono::milliseconds kPauseMin{50};
constexpr std::chrono::milliseconds kPauseMax{200};
constexpr std::chrono::milliseconds kProbeEvery{500};
constexpr std::chrono::milliseconds kProbeTimeout{10000};
constexpr double kFreshLimitMs = 1000;

/// The N clients, all on one HttpLoop run by one thread.
class KeepAliveClients : public HttpHandler {
 public:
  KeepAliveClients(const std::string& host, int port, std::size_t count,
                   std::chrono::milliseconds timeout)
      : loop_(*this, host, port), timeout_(timeout), clients_(count) {}

  /// Connects every client, then serves them until Stop() and the last answer (or `deadline`).
  void Run(Clock::time_point deadline) {
    const double cpu_start = ThreadCpuSeconds();
    try {
      for (std::size_t i = 0; i < clients_.size(); ++i) {
        const int id = loop_.Connect();
        clients_[static_cast<std::size_t>(id)].rng.seed(static_cast<std::uint32_t>(i + 1));
      }
    } catch (const std::system_error& error) {
      errors_.Add(std::string("connect: ") + error.what());
      connect_errors_ = clients_.size() - loop_.open_count();
    }
    loop_.Run(deadline, [this] { return stop_.load() && in_flight_ == 0; });
    unfinished_ = in_flight_;
    cpu_s_ = ThreadCpuSeconds() - cpu_start;
  }
  void Stop() { stop_ = true; }

  std::uint64_t connected() const { return connected_.load(); }
  std::uint64_t answered_once() const { return answered_once_.load(); }
  std::uint64_t answers() const { return answers_.load(); }

  // Read after Run() returned.
  std::uint64_t health_sent = 0;
  std::uint64_t chat_sent = 0;
  std::uint64_t wrong = 0;
  std::uint64_t timeouts = 0;
  std::uint64_t failed = 0;  // Closed, refused or unreadable, timeouts aside.
  std::uint64_t idle_closed = 0;
  std::vector<double> latencies_ms;
  const ErrorSamples& errors() const { return errors_; }
  std::uint64_t connect_errors() const { return connect_errors_; }
  std::uint64_t unfinished() const { return unfinished_; }
  double cpu_s() const { return cpu_s_; }

  void OnConnected(int id, Clock::time_point at) override {
    (void)at;
    connected_.fetch_add(1);
    SendNext(id);
  }

  void OnResponse(int id, HttpResponse response) override {
    Client& client = clients_[static_cast<std::size_t>(id)];
    client.awaiting = false;
    --in_flight_;
    answers_.fetch_add(1, std::memory_order_relaxed);
    latencies_ms.push_back(Ms(response.done - client.sent_at));
    const std::string problem =
        client.asked_health ? CheckHealthAnswer(response) : CheckChatAnswer(response, client.text);
    if (!problem.empty()) {
      ++wrong;
      errors_.Add("client " + std::to_string(id) + ": " + problem);
    }
    if (client.requests == 1) answered_once_.fetch_add(1);
    std::uniform_int_distribution<long long> pause(kPauseMin.count(), kPauseMax.count());
    loop_.At(response.done + std::chrono::milliseconds(pause(client.rng)), [this, id] {
      if (loop_.open(id) && !loop_.awaiting(id)) SendNext(id);
    });
  }

  void OnFailure(int id, HttpFailure failure, std::string why, Clock::time_point at) override {
    (void)at;
    Client& client = clients_[static_cast<std::size_t>(id)];
    if (client.awaiting) {
      client.awaiting = false;
      --in_flight_;
    }
    if (failure == HttpFailure::kTimeout) {
      ++timeouts;
    } else {
      ++failed;
    }
    errors_.Add("client " + std::to_string(id) + " request " + std::to_string(client.requests) +
                " (" + (client.asked_health ? "GET /health" : "POST /v1/chat/completions") +
                "): " + std::string(FailureName(failure)) + ": " + why);
  }

  void OnClosed(int id, Clock::time_point at) override {
    (void)at;
    ++idle_closed;
    errors_.Add("client " + std::to_string(id) + ": the server closed its idle connection");
  }

 private:
  struct Client {
    std::mt19937 rng;
    std::uint64_t requests = 0;
    bool asked_health = false;
    bool awaiting = false;
    Clock::time_point sent_at;
    std::string text;
  };

  void SendNext(int id) {
    if (stop_.load(std::memory_order_relaxed)) return;
    Client& client = clients_[static_cast<std::size_t>(id)];
    client.asked_health = client.requests % 2 == 0;
    ++client.requests;
    client.awaiting = true;
    ++in_flight_;
    client.sent_at = Clock::now();
    if (client.asked_health) {
      ++health_sent;
      loop_.Request(id, GetRequest("/health"), timeout_);
      return;
    }
    ++chat_sent;
    char text[80];
    std::snprintf(text, sizeof text, "pressure client %06d request %010llu: keep me alive", id,
                  static_cast<unsigned long long>(client.requests));
    client.text = text;
    loop_.Request(id, PostJsonRequest("/v1/chat/completions", ChatBody(client.text, false)),
                  timeout_);
  }

  HttpLoop loop_;
  std::chrono::milliseconds timeout_;
  std::vector<Client> clients_;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> connected_{0};
  std::atomic<std::uint64_t> answered_once_{0};
  std::atomic<std::uint64_t> answers_{0};
  std::uint64_t in_flight_ = 0;
  std::uint64_t connect_errors_ = 0;
  std::uint64_t unfinished_ = 0;
  double cpu_s_ = 0;
  ErrorSamples errors_;
};

}  // namespace

PhaseResult RunKeepAlivePhase(const PressureOptions& options) {
  PhaseResult result;
  result.name = "keep-alive";
  const auto clients = static_cast<std::size_t>(options.clients);
  const std::chrono::milliseconds timeout(options.client_timeout_ms);
  const std::chrono::seconds hold(options.seconds);

  mock::ServerOptions server_options;
  server_options.models = {std::string(kPressureModel)};
  mock::Server server(server_options);

  KeepAliveClients load(server.host(), server.port(), clients, timeout);
  const Clock::time_point start = Clock::now();
  std::thread loop_thread(
      [&] { load.Run(start + kRampLimit + hold + timeout + std::chrono::seconds(5)); });

  // The hold starts once every client has its first answer (or the ramp's bound has passed).
  while (load.answered_once() < clients && Clock::now() - start < kRampLimit)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const Clock::time_point hold_start = Clock::now();
  const std::uint64_t connected_at_hold = load.connected();
  const std::uint64_t answered_at_hold = load.answered_once();
  const std::uint64_t answers_at_hold = load.answers();

  std::vector<double> probe_ms;
  std::uint64_t probes_ok = 0;
  std::uint64_t probes_connected = 0;
  ErrorSamples probe_errors;
  for (Clock::time_point next = hold_start + kProbeEvery / 2; next < hold_start + hold;
       next += kProbeEvery) {
    std::this_thread::sleep_until(next);
    const ProbeResult probe = FreshHealthProbe(server.host(), server.port(), kProbeTimeout);
    probe_ms.push_back(probe.ms);
    if (probe.connected) ++probes_connected;
    if (probe.ok && probe.ms < kFreshLimitMs) {
      ++probes_ok;
    } else {
      probe_errors.Add(probe.ok ? "fresh GET /health took " + Fixed(probe.ms) + " ms"
                                : probe.problem + " (after " + Fixed(probe.ms) + " ms)");
    }
    if (Clock::now() >= hold_start + hold) break;
  }
  std::this_thread::sleep_until(hold_start + hold);
  const std::uint64_t answers_at_end = load.answers();
  const Clock::time_point hold_end = Clock::now();
  load.Stop();
  loop_thread.join();
  const std::uint64_t connections_opened = server.connections_opened();
  const mock::ServerStats stats = server.stats();

  const double hold_s = std::chrono::duration<double>(hold_end - hold_start).count();
  const double rps = static_cast<double>(answers_at_end - answers_at_hold) / hold_s;
  const Distribution latency = Summarize(load.latencies_ms);
  const Distribution fresh = Summarize(probe_ms);
  const std::uint64_t requests = load.health_sent + load.chat_sent;
  const std::uint64_t expected_connections = clients + probes_connected;
  const double ramp_s = std::chrono::duration<double>(hold_start - start).count();

  result.summary.push_back(std::to_string(clients) + " keep-alive clients, hold " +
                           std::to_string(options.seconds) + " s after a ramp of " +
                           Fixed(ramp_s, 2) + " s; client timeout " +
                           std::to_string(options.client_timeout_ms) + " ms");
  result.summary.push_back("requests: " + std::to_string(requests) + " (health " +
                           std::to_string(load.health_sent) + ", chat " +
                           std::to_string(load.chat_sent) + "), " + Fixed(rps, 0) +
                           "/s during the hold; latency " + latency.Text());
  result.summary.push_back("fresh clients during the hold: GET /health " + fresh.Text());
  result.summary.push_back("client loop (one thread): " + Fixed(load.cpu_s(), 2) + " s CPU in " +
                           Fixed(std::chrono::duration<double>(hold_end - start).count(), 1) +
                           " s");

  result.verdict.Check(
      "keep-alive: all connected", connected_at_hold == clients && answered_at_hold == clients,
      std::to_string(connected_at_hold) + " of " + std::to_string(clients) + " connected and " +
          std::to_string(answered_at_hold) + " answered once within " + Fixed(ramp_s, 2) +
          " s (bound " + std::to_string(kRampLimit.count()) + " s)");
  result.verdict.Check("keep-alive: answers",
                       load.wrong == 0 && load.failed == 0 && load.idle_closed == 0 &&
                           load.connect_errors() == 0 && requests > 0,
                       std::to_string(requests) + " requests: " + std::to_string(load.wrong) +
                           " wrong, " + std::to_string(load.failed) + " failed, " +
                           std::to_string(load.idle_closed) + " idle connections closed, " +
                           std::to_string(load.connect_errors()) + " connect errors");
  result.verdict.Check(
      "keep-alive: no timeouts", load.timeouts == 0 && load.unfinished() == 0,
      std::to_string(load.timeouts) + " requests got no answer within " +
          std::to_string(options.client_timeout_ms) + " ms" +
          (load.unfinished() > 0 ? ", " + std::to_string(load.unfinished()) + " unfinished"
                                 : std::string()));
  result.verdict.Check("keep-alive: connections",
                       connections_opened == expected_connections && stats.connections_refused == 0,
                       "the server accepted " + std::to_string(connections_opened) +
                           " connections for " + std::to_string(clients) + " clients + " +
                           std::to_string(probes_connected) + " fresh probes, refused " +
                           std::to_string(stats.connections_refused));
  result.verdict.Check(
      "keep-alive: fresh client", !probe_ms.empty() && probes_ok == probe_ms.size(),
      std::to_string(probes_ok) + " of " + std::to_string(probe_ms.size()) +
          " fresh clients answered in under " + Fixed(kFreshLimitMs, 0) + " ms; " + fresh.Text());

  for (const std::string& error : load.errors().samples()) result.errors.push_back(error);
  for (const std::string& error : probe_errors.samples()) result.errors.push_back(error);
  result.figures = {
      {"clients", clients},
      {"hold_s", hold_s},
      {"ramp_s", ramp_s},
      {"client_timeout_ms", options.client_timeout_ms},
      {"pause_ms", {kPauseMin.count(), kPauseMax.count()}},
      {"requests", {{"health", load.health_sent}, {"chat", load.chat_sent}, {"total", requests}}},
      {"requests_per_s_during_hold", rps},
      {"latency", latency.ToJson()},
      {"wrong", load.wrong},
      {"timeouts", load.timeouts},
      {"failed", load.failed},
      {"idle_connections_closed_by_server", load.idle_closed},
      {"errors", load.errors().count()},
      {"fresh_probes", fresh.ToJson()},
      {"fresh_probes_ok", probes_ok},
      {"connections_opened", connections_opened},
      {"connections_expected", expected_connections},
      {"client_loop_cpu_s", load.cpu_s()},
      {"server_stats", mock::ToJson(stats)},
      {"server_threads_option", server_options.threads},
  };
  return result;
}

}  // namespace provkit::stress
