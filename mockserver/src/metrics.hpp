// Metrics: the counters, gauges and histograms a mock server serves at /metrics in Prometheus
// text exposition format 0.0.4.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace provkit::mock {

/// The Content-Type of a /metrics answer.
inline constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

/// A Prometheus histogram of durations in seconds with fixed buckets. Lock-free; thread-safe.
class DurationHistogram {
 public:
  /// Upper bounds in seconds, +Inf excluded.
  static constexpr std::array<double, 12> kBounds = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                     0.25,  0.5,   1.0,  2.5,   5.0,  10.0};
  void Observe(std::chrono::nanoseconds duration) noexcept;
  /// Appends the _bucket, _sum and _count lines of metric `name`.
  void Render(std::string_view name, std::string& out) const;

 private:
  std::array<std::atomic<std::uint64_t>, kBounds.size() + 1> counts_{};  ///< Last: over 10 s.
  std::atomic<std::uint64_t> sum_nanos_{0};
};

/// Everything /metrics shows that the server counts itself (connections come from the
/// ConnectionRegistry). Thread-safe: counters are atomics, the request counts a small map behind
/// a mutex that allocates only when a (path, status, fault) triple is first seen.
class Metrics {
 public:
  using Clock = std::chrono::steady_clock;

  /// `known_paths`: the paths routes serve; any other path is counted as "other", so that a
  /// scanner cannot grow the set of label values.
  explicit Metrics(std::vector<std::string> known_paths);

  /// A request was answered with `status` (0: not answered) shaped by `fault` (static storage, or
  /// empty).
  void CountRequest(std::string_view path, int status, std::string_view fault);

  /// Held by a stream in flight: counts it in the gauge, and observes the time from the
  /// request's arrival to its first write and between writes.
  class StreamProbe {
   public:
    StreamProbe(Metrics* metrics, Clock::time_point arrival);
    ~StreamProbe();
    StreamProbe(const StreamProbe&) = delete;
    StreamProbe& operator=(const StreamProbe&) = delete;
    /// A chunk of the stream was written.
    void Wrote();

   private:
    Metrics* metrics_;
    Clock::time_point last_;
    bool first_ = true;
  };

  /// The connection numbers of the exposition (ConnectionRegistry's).
  struct ConnectionFigures {
    std::uint64_t open = 0;
    std::uint64_t opened = 0;
    std::uint64_t refused_at_limit = 0;
    std::uint64_t header_timeouts = 0;
    std::uint64_t headers_too_large = 0;
  };
  /// The exposition text, with the connection numbers given.
  std::string Render(const ConnectionFigures& connections) const;

 private:
  /// The index into known_paths_ of `path`, or known_paths_.size() for "other".
  std::size_t PathIndex(std::string_view path) const;

  std::vector<std::string> known_paths_;  ///< Sorted.
  mutable std::mutex mutex_;
  std::map<std::tuple<std::size_t, int, std::string_view>, std::uint64_t> requests_;
  std::atomic<std::int64_t> streams_in_flight_{0};
  DurationHistogram first_token_;
  DurationHistogram inter_token_;
};

/// `value` escaped as a Prometheus label value: backslash, double quote and newline.
std::string EscapeLabelValue(std::string_view value);

}  // namespace provkit::mock
