// The pressure campaign's phases and the pieces they share (issue 15: refuse politely under load).
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "http_loop.hpp"
#include "report.hpp"

namespace provkit::stress {

inline constexpr std::string_view kPressureModel = "provkit-mock";

/// The campaign's settings, from its flags.
struct PressureOptions {
  std::int64_t clients = 2000;             ///< keep-alive: clients, one connection each.
  std::int64_t seconds = 20;               ///< keep-alive: how long they are held.
  std::int64_t client_timeout_ms = 10000;  ///< keep-alive: one request's bound.
  std::int64_t streams = 1000;             ///< streams: concurrent streamed chat completions.
  std::int64_t stream_interval_ms = 20;    ///< streams: StreamTiming::chunk_interval.
  std::int64_t stream_events = 60;         ///< streams: text events per stream.
  bool judge_p99 = true;            ///< streams: false reports the gap p99 without judging it.
  std::int64_t slow_clients = 140;  ///< slowloris: slow-header clients.
  std::int64_t header_timeout_ms = 2000;  ///< slowloris: ServerOptions::header_timeout.
  std::int64_t limit = 64;                ///< limit: ServerOptions::max_connections.
  std::int64_t over_limit = 16;           ///< limit: connections opened beyond it.
};

/// What one phase measured and judged.
struct PhaseResult {
  std::string name;
  Verdict verdict;
  nlohmann::json figures = nlohmann::json::object();
  std::vector<std::string> summary;  ///< Lines printed before the checks.
  std::vector<std::string> errors;   ///< The first few failure messages.
};

PhaseResult RunKeepAlivePhase(const PressureOptions& options);
PhaseResult RunStreamsPhase(const PressureOptions& options);
PhaseResult RunSlowlorisPhase(const PressureOptions& options);
PhaseResult RunLimitPhase(const PressureOptions& options);

/// Nearest-rank percentiles of a sample, in milliseconds.
struct Distribution {
  std::size_t count = 0;
  double p50 = 0;
  double p99 = 0;
  double max = 0;
  nlohmann::json ToJson() const;
  /// "p50 1.2 ms, p99 3.4 ms, max 5.6 ms (n 789)".
  std::string Text() const;
};
Distribution Summarize(std::vector<double> values_ms);

double Ms(Clock::duration duration);
/// CPU time (user + system) the calling thread has used, in seconds: how busy a client loop was.
double ThreadCpuSeconds();
/// `value` with `decimals` digits after the point.
std::string Fixed(double value, int decimals = 1);

/// "GET PATH HTTP/1.1" with a Host header, keep-alive.
std::string GetRequest(std::string_view path);
/// "POST PATH HTTP/1.1" with a JSON body.
std::string PostJsonRequest(std::string_view path, std::string_view body);
/// A Chat Completions request body asking kPressureModel about `text`.
std::string ChatBody(std::string_view text, bool stream);

/// Empty when `response` is 200 {"status":"ok"}, else what is wrong.
std::string CheckHealthAnswer(const HttpResponse& response);
/// Empty when `response` is a 200 chat.completion whose content is `expected`.
std::string CheckChatAnswer(const HttpResponse& response, std::string_view expected);

/// One fresh client: connect, GET /health, judged by CheckHealthAnswer; `ms` from the connect
/// to the whole answer (the timeout when there was none).
struct ProbeResult {
  bool ok = false;
  bool connected = false;
  double ms = 0;
  std::string problem;
};
ProbeResult FreshHealthProbe(const std::string& host, int port, std::chrono::milliseconds timeout);

/// Keeps the first `keep` messages and counts them all (single thread).
class ErrorSamples {
 public:
  explicit ErrorSamples(std::size_t keep = 10) : keep_(keep) {}
  void Add(std::string message) {
    ++count_;
    if (samples_.size() < keep_) samples_.push_back(std::move(message));
  }
  std::uint64_t count() const { return count_; }
  const std::vector<std::string>& samples() const { return samples_; }

 private:
  std::size_t keep_;
  std::uint64_t count_ = 0;
  std::vector<std::string> samples_;
};

}  // namespace provkit::stress
