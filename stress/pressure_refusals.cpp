// Pressure phases slowloris and limit: slow headers are cut off, connections past the limit
// refused.
#include <atomic>
#include <optional>
#include <system_error>
#include <thread>

#include "pressure.hpp"
#include "provkit/mockserver/server.hpp"

namespace provkit::stress {
namespace {

using nlohmann::json;

constexpr double kFreshLimitMs = 1000;
constexpr std::chrono::milliseconds kProbeTimeout{5000};
constexpr std::chrono::milliseconds kProbeEvery{100};
// A slow client's request line and first header; then one byte a second of a header that never
// ends.
constexpr std::string_view kSlowStart = "GET /health HTTP/1.1\r\nHost: x\r\n";
constexpr std::string_view kSlowHeader = "X-Slow: ";
constexpr std::chrono::seconds kTrickleEvery{1};
// The server must have cut a slow client off within header_timeout + this of its first byte.
constexpr std::chrono::seconds kCutOffSlack{1};
// How long a slow client waits for the server at most: past the bound, to measure a miss.
constexpr std::chrono::seconds kSlowWaitSlack{3};
// A connection past the limit must have had its 503 and its end of stream within this.
constexpr std::chrono::milliseconds kRefusalLimit{1000};
constexpr std::chrono::milliseconds kHeldTimeout{5000};

class SlowClients : public HttpHandler {
 public:
  struct Slow {
    bool connected = false;
    Clock::time_point first_byte;
    std::optional<Clock::time_point> ended;  // Answered or closed by the server.
    int status = 0;                          // The answer's status; 0: none.
    std::string outcome = "not connected";
    std::size_t trickled = 0;
  };

  SlowClients(const std::string& host, int port, std::size_t count, std::chrono::milliseconds wait)
      : loop_(*this, host, port), wait_(wait), slow_(count) {}

  void Run(Clock::time_point deadline) {
    try {
      for (std::size_t i = 0; i < slow_.size(); ++i) loop_.Connect();
    } catch (const std::system_error& error) {
      connect_error_ = std::string("connect: ") + error.what();
      finished_ += slow_.size() - loop_.open_count();
    }
    loop_.Run(deadline, [this] { return finished_ == slow_.size(); });
  }

  std::uint64_t connected() const { return connected_.load(); }
  /// Slow clients the server has answered or closed.
  std::uint64_t ended() const { return ended_.load(); }
  const std::vector<Slow>& slow() const { return slow_; }
  const std::string& connect_error() const { return connect_error_; }

  void OnConnected(int id, Clock::time_point at) override {
    Slow& slow = slow_[static_cast<std::size_t>(id)];
    slow.connected = true;
    slow.first_byte = at;
    slow.outcome = "waiting";
    loop_.Request(id, std::string(kSlowStart), wait_);
    connected_.fetch_add(1);
    loop_.At(at + kTrickleEvery, [this, id] { Trickle(id); });
  }
  void OnResponse(int id, HttpResponse response) override {
    Slow& slow = slow_[static_cast<std::size_t>(id)];
    slow.status = response.status;
    slow.ended = response.first_byte;
    slow.outcome = "answered " + std::to_string(response.status);
    loop_.Close(id);
    Finish(true);
  }
  void OnFailure(int id, HttpFailure failure, std::string why, Clock::time_point at) override {
    Slow& slow = slow_[static_cast<std::size_t>(id)];
    if (failure == HttpFailure::kClosed) {
      slow.ended = at;
      slow.outcome = "closed without an answer";
    } else {
      slow.outcome = std::string(FailureName(failure)) + ": " + why;
    }
    Finish(slow.ended.has_value());
  }

 private:
  void Trickle(int id) {
    if (!loop_.open(id) || !loop_.awaiting(id)) return;
    Slow& slow = slow_[static_cast<std::size_t>(id)];
    const char byte = slow.trickled < kSlowHeader.size() ? kSlowHeader[slow.trickled] : 'a';
    ++slow.trickled;
    loop_.Write(id, std::string_view(&byte, 1));
    loop_.At(Clock::now() + kTrickleEvery, [this, id] { Trickle(id); });
  }
  void Finish(bool by_server) {
    ++finished_;
    if (by_server) ended_.fetch_add(1);
  }

  HttpLoop loop_;
  std::chrono::milliseconds wait_;
  std::vector<Slow> slow_;
  std::size_t finished_ = 0;
  std::atomic<std::uint64_t> connected_{0};
  std::atomic<std::uint64_t> ended_{0};
  std::string connect_error_;
};

/// The held connections (ids 0..limit-1) and those past the limit (the rest).
class LimitClients : public HttpHandler {
 public:
  struct Connection {
    bool extra = false;
    Clock::time_point started;
    int status = 0;
    bool retry_after = false;
    bool closes = false;  // The answer said Connection: close.
    std::uint64_t answers_ok = 0;
    std::optional<Clock::time_point> answered_at;
    std::optional<Clock::time_point> closed_at;
    std::string problem;
  };

  LimitClients(const std::string& host, int port) : loop_(*this, host, port) {}

  HttpLoop& loop() { return loop_; }
  std::vector<Connection>& connections() { return connections_; }

  int Open(bool extra) {
    const int id = loop_.Connect();
    connections_.resize(static_cast<std::size_t>(id) + 1);
    connections_.back().extra = extra;
    connections_.back().started = Clock::now();
    return id;
  }
  void Ask(int id) {
    ++pending_;
    loop_.Request(id, GetRequest("/health"), kHeldTimeout);
  }
  void AwaitRefusal(int id) {
    ++pending_;
    loop_.Request(id, std::string(), kRefusalLimit * 2);
    // Past the bound a connection that is still open has not been closed: give up on it.
    loop_.At(connections_[static_cast<std::size_t>(id)].started + kRefusalLimit * 2, [this, id] {
      if (!loop_.open(id)) return;
      Connection& connection = connections_[static_cast<std::size_t>(id)];
      if (connection.problem.empty())
        connection.problem =
            "still open " + std::to_string((kRefusalLimit * 2).count()) + " ms after connecting";
      loop_.Close(id);
      --pending_;
    });
  }
  bool Wait(Clock::time_point deadline) {
    return loop_.Run(deadline, [this] { return pending_ == 0; });
  }

  void OnResponse(int id, HttpResponse response) override {
    Connection& connection = connections_[static_cast<std::size_t>(id)];
    connection.status = response.status;
    connection.answered_at = response.done;
    if (!connection.extra) {
      const std::string problem = CheckHealthAnswer(response);
      if (problem.empty()) {
        ++connection.answers_ok;
      } else {
        connection.problem = problem;
      }
      --pending_;
      return;
    }
    connection.retry_after = response.Header("retry-after") != nullptr;
    const std::string* closes = response.Header("connection");
    connection.closes = closes != nullptr && closes->find("close") != std::string::npos;
    // Still pending: the end of stream must follow.
  }
  void OnClosed(int id, Clock::time_point at) override {
    Connection& connection = connections_[static_cast<std::size_t>(id)];
    connection.closed_at = at;
    if (connection.extra) {
      --pending_;
    } else {
      connection.problem = "the server closed a held connection";
    }
  }
  void OnFailure(int id, HttpFailure failure, std::string why, Clock::time_point at) override {
    Connection& connection = connections_[static_cast<std::size_t>(id)];
    if (failure == HttpFailure::kClosed) connection.closed_at = at;
    connection.problem = std::string(FailureName(failure)) + ": " + why;
    --pending_;
  }

 private:
  HttpLoop loop_;
  std::vector<Connection> connections_;
  std::size_t pending_ = 0;
};

}  // namespace

PhaseResult RunSlowlorisPhase(const PressureOptions& options) {
  PhaseResult result;
  result.name = "slowloris";
  const auto count = static_cast<std::size_t>(options.slow_clients);
  const std::chrono::milliseconds header_timeout(options.header_timeout_ms);
  const std::chrono::milliseconds wait = header_timeout + kSlowWaitSlack;

  mock::ServerOptions server_options;
  server_options.models = {std::string(kPressureModel)};
  server_options.header_timeout = header_timeout;
  mock::Server server(server_options);

  SlowClients slow(server.host(), server.port(), count, wait);
  const Clock::time_point start = Clock::now();
  std::thread loop_thread([&] { slow.Run(start + wait + std::chrono::seconds(10)); });
  while (slow.connected() < count && Clock::now() - start < std::chrono::seconds(10))
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  const double connect_s = std::chrono::duration<double>(Clock::now() - start).count();

  // Fresh clients while every slow client is still connected: a probe counts only when no slow
  // client had been cut off by its end.
  std::vector<double> probe_ms;
  std::uint64_t probes_ok = 0;
  std::uint64_t probes_late = 0;
  ErrorSamples probe_errors;
  while (slow.connected() == count && slow.ended() == 0 && Clock::now() - start < wait) {
    const ProbeResult probe = FreshHealthProbe(server.host(), server.port(), kProbeTimeout);
    if (slow.ended() != 0) {
      ++probes_late;
      break;
    }
    probe_ms.push_back(probe.ms);
    if (probe.ok && probe.ms < kFreshLimitMs) {
      ++probes_ok;
    } else {
      probe_errors.Add(probe.ok ? "fresh GET /health took " + Fixed(probe.ms) + " ms"
                                : probe.problem + " (after " + Fixed(probe.ms) + " ms)");
    }
    std::this_thread::sleep_for(kProbeEvery);
  }
  loop_thread.join();
  const bool all_closed = server.WaitForOpenConnectionsAtMost(0, std::chrono::seconds(5));
  const mock::ServerStats stats = server.stats();

  std::size_t answered_408 = 0;
  std::size_t closed = 0;
  std::size_t other = 0;
  std::size_t unanswered = 0;
  std::size_t in_time = 0;
  std::vector<double> cut_off_ms;
  ErrorSamples slow_errors;
  const double bound_ms = static_cast<double>(
      (header_timeout + std::chrono::duration_cast<std::chrono::milliseconds>(kCutOffSlack))
          .count());
  for (std::size_t i = 0; i < count; ++i) {
    const SlowClients::Slow& client = slow.slow()[i];
    if (!client.ended) {
      ++unanswered;
      slow_errors.Add("slow client " + std::to_string(i) + ": " + client.outcome);
      continue;
    }
    const double ms = Ms(*client.ended - client.first_byte);
    cut_off_ms.push_back(ms);
    if (client.status == 408) {
      ++answered_408;
    } else if (client.status == 0) {
      ++closed;
    } else {
      ++other;
      slow_errors.Add("slow client " + std::to_string(i) + ": " + client.outcome);
      continue;
    }
    if (ms <= bound_ms) {
      ++in_time;
    } else {
      slow_errors.Add("slow client " + std::to_string(i) + ": " + client.outcome + " after " +
                      Fixed(ms, 0) + " ms");
    }
  }
  const Distribution cut_off = Summarize(cut_off_ms);
  const Distribution fresh = Summarize(probe_ms);

  result.summary.push_back(std::to_string(count) + " slow-header clients (one byte a second), " +
                           "header_timeout " + std::to_string(options.header_timeout_ms) +
                           " ms; all connected in " + Fixed(connect_s, 2) + " s");
  result.summary.push_back("fresh GET /health while all were connected: " + fresh.Text());
  result.summary.push_back("cut off after their first byte: " + cut_off.Text() + "; 408: " +
                           std::to_string(answered_408) + ", closed: " + std::to_string(closed) +
                           ", other status: " + std::to_string(other) + ", not cut off within " +
                           std::to_string(wait.count()) + " ms: " + std::to_string(unanswered));

  result.verdict.Check("slowloris: fresh client", !probe_ms.empty() && probes_ok == probe_ms.size(),
                       std::to_string(probes_ok) + " of " + std::to_string(probe_ms.size()) +
                           " fresh clients answered in under " + Fixed(kFreshLimitMs, 0) +
                           " ms while all " + std::to_string(slow.connected()) +
                           " slow clients were connected; " + fresh.Text());
  result.verdict.Check("slowloris: cut off", in_time == count && slow.connect_error().empty(),
                       std::to_string(in_time) + " of " + std::to_string(count) +
                           " slow clients answered 408 or closed within " + Fixed(bound_ms, 0) +
                           " ms of their first byte (header_timeout + 1 s); " + cut_off.Text() +
                           (slow.connect_error().empty() ? "" : "; " + slow.connect_error()));

  // The server's own count: each connection it answered itself (408) and closed.
  result.verdict.Check("slowloris: server counted",
                       stats.connections_refused == answered_408 + closed,
                       "the server counted " + std::to_string(stats.connections_refused) +
                           " connections it answered itself and closed; the clients saw " +
                           std::to_string(answered_408 + closed) + " cut off");

  for (const std::string& error : slow_errors.samples()) result.errors.push_back(error);
  for (const std::string& error : probe_errors.samples()) result.errors.push_back(error);
  result.figures = {
      {"slow_clients", count},
      {"header_timeout_ms", options.header_timeout_ms},
      {"connect_s", connect_s},
      {"fresh_probes", fresh.ToJson()},
      {"fresh_probes_ok", probes_ok},
      {"cut_off_after_first_byte", cut_off.ToJson()},
      {"answered_408", answered_408},
      {"closed_without_answer", closed},
      {"other_status", other},
      {"not_cut_off", unanswered},
      {"within_bound", in_time},
      {"bound_ms", bound_ms},
      {"server_connections_closed_after", all_closed},
      {"server_stats", mock::ToJson(stats)},
      {"server_threads_option", server_options.threads},
  };
  return result;
}

PhaseResult RunLimitPhase(const PressureOptions& options) {
  PhaseResult result;
  result.name = "limit";
  const auto limit = static_cast<std::size_t>(options.limit);
  const auto over = static_cast<std::size_t>(options.over_limit);

  mock::ServerOptions server_options;
  server_options.models = {std::string(kPressureModel)};
  server_options.max_connections = limit;
  mock::Server server(server_options);

  LimitClients clients(server.host(), server.port());
  std::vector<int> held;
  for (std::size_t i = 0; i < limit; ++i) held.push_back(clients.Open(false));
  for (const int id : held) clients.Ask(id);
  clients.Wait(Clock::now() + kHeldTimeout + std::chrono::seconds(1));
  std::size_t first_ok = 0;
  for (const int id : held)
    first_ok += clients.connections()[static_cast<std::size_t>(id)].answers_ok;
  // Every held connection has been answered, so the server has them all open.
  const std::uint64_t open_before = server.connections_open();

  std::vector<int> extra;
  for (std::size_t i = 0; i < over; ++i) {
    const int id = clients.Open(true);
    extra.push_back(id);
    clients.AwaitRefusal(id);
  }
  clients.Wait(Clock::now() + kRefusalLimit * 2 + std::chrono::seconds(1));

  for (const int id : held) {
    if (clients.loop().open(id)) {
      clients.Ask(id);
    }
  }
  clients.Wait(Clock::now() + kHeldTimeout + std::chrono::seconds(1));
  std::size_t still_ok = 0;
  ErrorSamples problems;
  for (const int id : held) {
    const LimitClients::Connection& connection =
        clients.connections()[static_cast<std::size_t>(id)];
    if (connection.answers_ok == 2) ++still_ok;
    if (!connection.problem.empty())
      problems.Add("held connection " + std::to_string(id) + ": " + connection.problem);
  }

  std::size_t refused_right = 0;
  std::size_t answered_503 = 0;
  std::size_t with_retry_after = 0;
  std::size_t with_eof = 0;
  std::vector<double> refusal_ms;
  for (const int id : extra) {
    const LimitClients::Connection& connection =
        clients.connections()[static_cast<std::size_t>(id)];
    if (connection.status == 503) ++answered_503;
    if (connection.retry_after) ++with_retry_after;
    if (connection.closed_at) {
      ++with_eof;
      refusal_ms.push_back(Ms(*connection.closed_at - connection.started));
    }
    const bool in_time =
        connection.closed_at && *connection.closed_at - connection.started <= kRefusalLimit;
    if (connection.status == 503 && connection.retry_after && connection.answered_at && in_time) {
      ++refused_right;
      continue;
    }
    std::string what = "connection past the limit " + std::to_string(id) + ": ";
    what += connection.status == 0 ? "no answer" : "answered " + std::to_string(connection.status);
    if (connection.status != 0 && !connection.retry_after) what += " without Retry-After";
    if (!connection.closed_at) {
      what += ", no end of stream";
    } else if (!in_time) {
      what += ", end of stream after " + Fixed(Ms(*connection.closed_at - connection.started), 0) +
              " ms";
    }
    if (!connection.problem.empty()) what += " (" + connection.problem + ")";
    problems.Add(std::move(what));
  }
  const Distribution refusal = Summarize(refusal_ms);
  const mock::ServerStats stats = server.stats();

  result.summary.push_back("max_connections " + std::to_string(limit) + ": " +
                           std::to_string(limit) + " held keep-alive connections, then " +
                           std::to_string(over) + " more");
  result.summary.push_back("past the limit: 503 " + std::to_string(answered_503) +
                           ", Retry-After " + std::to_string(with_retry_after) +
                           ", end of stream " + std::to_string(with_eof) +
                           "; connect to end of stream " + refusal.Text());

  result.verdict.Check("limit: held served", first_ok == limit && open_before == limit,
                       std::to_string(first_ok) + " of " + std::to_string(limit) +
                           " held connections answered 200; the server had " +
                           std::to_string(open_before) + " open");
  result.verdict.Check("limit: refused politely",
                       refused_right == over && stats.connections_refused == over,
                       std::to_string(refused_right) + " of " + std::to_string(over) +
                           " connections past the limit got 503 with Retry-After and then the "
                           "end of stream within " +
                           std::to_string(kRefusalLimit.count()) + " ms; the server counted " +
                           std::to_string(stats.connections_refused) + " refused");
  result.verdict.Check("limit: held still served", still_ok == limit,
                       std::to_string(still_ok) + " of " + std::to_string(limit) +
                           " held connections answered 200 again afterwards");

  result.errors = problems.samples();
  result.figures = {
      {"max_connections", limit},
      {"over_limit", over},
      {"held_first_ok", first_ok},
      {"server_open_before_extra", open_before},
      {"answered_503", answered_503},
      {"with_retry_after", with_retry_after},
      {"with_end_of_stream", with_eof},
      {"refused_right", refused_right},
      {"connect_to_end_of_stream", refusal.ToJson()},
      {"held_still_ok", still_ok},
      {"server_stats", mock::ToJson(stats)},
  };
  return result;
}

}  // namespace provkit::stress
