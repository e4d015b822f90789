// FaultState: a fixed-window counter and a token bucket for the rate-limit scenario.
#include "fault_state.hpp"

#include <algorithm>

namespace provkit::mock {

std::optional<FaultState::Clock::duration> FaultState::Admit(const Scenario& scenario,
                                                             Clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (scenario.limit_rate > 0) {
    const double burst = std::max(1.0, scenario.limit_burst);
    if (!tokens_) {
      tokens_ = burst;
    } else {
      const double elapsed = std::chrono::duration<double>(now - refilled_).count();
      tokens_ = std::min(burst, *tokens_ + std::max(0.0, elapsed) * scenario.limit_rate);
    }
    refilled_ = now;
    if (*tokens_ >= 1.0) {
      *tokens_ -= 1.0;
      return std::nullopt;
    }
    const auto wait = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>((1.0 - *tokens_) / scenario.limit_rate));
    return std::max(wait, Clock::duration{1});
  }
  const Clock::duration window = scenario.limit_window;
  if (!window_start_ || now - *window_start_ >= window) {
    window_start_ = now;
    admitted_ = 0;
  }
  if (admitted_ < scenario.limit_requests) {
    ++admitted_;
    return std::nullopt;
  }
  return std::max(*window_start_ + window - now, Clock::duration{1});
}

}  // namespace provkit::mock
