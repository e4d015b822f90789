// FaultState: the mutable state of one active scenario (its rate limiter, its chaos draws).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>

#include "provkit/mockserver/scenario.hpp"

namespace provkit::mock {

/// Created with each scenario and shared by the requests answered under it, so switching the
/// scenario starts its counters afresh. Thread-safe.
class FaultState {
 public:
  using Clock = std::chrono::steady_clock;

  /// Admits one request limited by the kRateLimit `scenario` at `now`; when it is over the
  /// limit, returns how long until a request would be admitted (always above zero).
  std::optional<Clock::duration> Admit(const Scenario& scenario, Clock::time_point now);

  /// The number of the next chaos draw under this scenario: 1, 2, ...
  std::uint64_t NextDraw() noexcept { return draws_.fetch_add(1) + 1; }

 private:
  std::mutex mutex_;
  // Fixed window. Guarded by mutex_.
  std::optional<Clock::time_point> window_start_;
  int admitted_ = 0;
  // Token bucket. Guarded by mutex_.
  std::optional<double> tokens_;
  Clock::time_point refilled_;

  std::atomic<std::uint64_t> draws_{0};
};

}  // namespace provkit::mock
