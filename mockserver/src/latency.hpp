// Latency: draws a stream's time to first token and inter-token waits from StreamTiming.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <random>

#include "provkit/mockserver/script.hpp"
#include "stop_signal.hpp"

namespace provkit::mock {

/// One wait drawn from `spread` around `mean`, clamped at 0.
std::chrono::microseconds Draw(const Spread& spread, std::chrono::microseconds mean,
                               std::mt19937_64& engine);

/// The waits of one stream. Its generator is seeded from the timing's seed and the stream's key
/// (the request's journal sequence number), so equal seeds give equal draws whatever the order
/// in which threads serve streams. Used by one thread at a time.
class LatencySampler {
 public:
  LatencySampler(const StreamTiming& timing, std::uint64_t stream_key);

  std::chrono::microseconds FirstToken();
  std::chrono::microseconds InterToken();

 private:
  Spread first_token_;
  Spread inter_token_;
  std::chrono::microseconds first_mean_;
  std::chrono::microseconds inter_mean_;
  std::mt19937_64 engine_;
};

/// Generation slots (StreamTiming::slots): counts the generations running and the requests
/// waiting for one. Waits share the server's StopSignal lock, so a stop ends them at once.
/// Thread-safe.
class SlotGate {
 public:
  explicit SlotGate(StopSignal& stop) : stop_(stop) {}

  /// Takes a slot of `limit` (0: no limit, returns true at once). Waits while `limit` are taken,
  /// until the server stops or `gone()` (asked every `poll`, outside the lock) says the client
  /// left; false then.
  bool Acquire(std::size_t limit, const std::function<bool()>& gone,
               std::chrono::milliseconds poll = std::chrono::milliseconds(20));
  /// Gives back a slot taken by Acquire.
  void Release();

  std::size_t running() const;
  std::size_t waiting() const;

 private:
  StopSignal& stop_;
  // Guarded by stop_'s lock.
  std::size_t running_ = 0;
  std::size_t waiting_ = 0;
};

}  // namespace provkit::mock
