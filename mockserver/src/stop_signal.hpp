// StopSignal: the server's stop flag, and waits that end at once when the server stops.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>

namespace provkit::mock {

/// The stop flag every wait of the server (hang, trickle, paced streams, loads, the listen
/// delay) watches. Other lifecycle flags share its lock, so waits on them also wake at stop.
/// Thread-safe.
class StopSignal {
 public:
  /// Waits `duration` unless the server stops first; true when the whole time passed.
  bool WaitFor(std::chrono::microseconds duration) const;
  bool stopping() const;
  /// Sets the flag and wakes every wait; false when it was already set.
  bool RequestStop();

  /// Runs `change(stopping)` under the lock and wakes every wait.
  void Change(const std::function<void(bool stopping)>& change);
  /// Runs `read(stopping)` under the lock.
  void Read(const std::function<void(bool stopping)>& read) const;
  /// Waits until `done()` (called under the lock) holds, the server stops, or `timeout` passes;
  /// returns the last value of `done()`.
  bool WaitUntil(std::chrono::milliseconds timeout, const std::function<bool()>& done) const;

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  bool stopping_ = false;
};

}  // namespace provkit::mock
