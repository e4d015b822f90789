// Latency: the distributions of StreamTiming, and the generation slots.
#include "latency.hpp"

#include <algorithm>
#include <cmath>

namespace provkit::mock {
namespace {

/// SplitMix64's finaliser: spreads neighbouring keys over the whole seed space.
std::uint64_t Mix(std::uint64_t value) {
  value += 0x9E3779B97F4A7C15ULL;
  value = (value ^ (value >> 30)) * 0xBF58476D1CE4E5B9ULL;
  value = (value ^ (value >> 27)) * 0x94D049BB133111EBULL;
  return value ^ (value >> 31);
}

}  // namespace

std::chrono::microseconds Draw(const Spread& spread, std::chrono::microseconds mean,
                               std::mt19937_64& engine) {
  const double m = static_cast<double>(mean.count());
  const double s = static_cast<double>(spread.spread.count());
  double drawn = m;
  switch (spread.distribution) {
    case Distribution::kFixed:
      break;
    case Distribution::kUniform:
      if (s > 0) drawn = std::uniform_real_distribution<double>(m - s, m + s)(engine);
      break;
    case Distribution::kNormal:
      if (s > 0) drawn = std::normal_distribution<double>(m, s)(engine);
      break;
    case Distribution::kLognormal:
      if (s > 0 && m > 0) {
        // The underlying normal's parameters that give the log-normal mean m and deviation s.
        const double sigma2 = std::log1p((s * s) / (m * m));
        drawn = std::lognormal_distribution<double>(std::log(m) - sigma2 / 2,
                                                    std::sqrt(sigma2))(engine);
      }
      break;
  }
  return std::chrono::microseconds(std::llround(std::max(0.0, drawn)));
}

LatencySampler::LatencySampler(const StreamTiming& timing, std::uint64_t stream_key)
    : first_token_(timing.first_token),
      inter_token_(timing.inter_token),
      first_mean_(timing.first_chunk_delay),
      inter_mean_(timing.chunk_interval),
      engine_(Mix(timing.seed ^ Mix(stream_key))) {}

std::chrono::microseconds LatencySampler::FirstToken() {
  return Draw(first_token_, first_mean_, engine_);
}

std::chrono::microseconds LatencySampler::InterToken() {
  return Draw(inter_token_, inter_mean_, engine_);
}

bool SlotGate::Acquire(std::size_t limit, const std::function<bool()>& gone,
                       std::chrono::milliseconds poll) {
  bool taken = false;
  bool counted = false;
  stop_.Change([&](bool stopping) {
    if (stopping) return;
    if (limit == 0 || running_ < limit) {
      ++running_;
      taken = true;
    } else {
      ++waiting_;
      counted = true;
    }
  });
  if (taken) return true;
  if (!counted) return false;
  for (;;) {
    stop_.WaitUntil(poll, [&] {
      if (running_ < limit) {
        ++running_;
        taken = true;
      }
      return taken;
    });
    bool stopping = false;
    stop_.Read([&](bool now) { stopping = now; });
    if (taken || stopping || gone()) break;
  }
  stop_.Change([&](bool) { --waiting_; });
  return taken;
}

void SlotGate::Release() {
  stop_.Change([&](bool) { --running_; });
}

std::size_t SlotGate::running() const {
  std::size_t count = 0;
  stop_.Read([&](bool) { count = running_; });
  return count;
}

std::size_t SlotGate::waiting() const {
  std::size_t count = 0;
  stop_.Read([&](bool) { count = waiting_; });
  return count;
}

}  // namespace provkit::mock
