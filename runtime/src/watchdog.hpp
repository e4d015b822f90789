// Watchdog: one process-wide thread that stops in-flight HTTP clients at their deadline or on
// request.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace httplib {
class Client;
}  // namespace httplib

namespace provkit {

/// Why a watched request was stopped.
enum class StopReason { kNone, kDeadline, kAborted };

/// cpp-httplib's timeouts are per read, so a server that trickles bytes never
/// trips them, and Client::stop() is lost when it runs before the socket
/// exists. The watchdog closes both gaps: once an entry is due (deadline
/// passed, or Abort), it calls stop() on the entry's client, and again every
/// few milliseconds, until the entry is disarmed.
///
/// Thread-safe. Arm and Disarm bracket one use of a client; Abort and
/// AbortOwner may be called from any thread at any time.
class Watchdog {
 public:
  using Clock = std::chrono::steady_clock;

  /// One watched request. Lives at a fixed address from Arm to Disarm; every
  /// field is guarded by the watchdog's mutex.
  struct Entry {
    httplib::Client* client = nullptr;
    const void* owner = nullptr;
    Clock::time_point deadline = Clock::time_point::max();
    Clock::time_point next_stop{};
    StopReason reason = StopReason::kNone;
    bool armed = false;
    bool stopping = false;
  };

  /// Interval between repeated stop() calls on a due entry.
  static constexpr std::chrono::milliseconds kRestopInterval{5};

  /// The process-wide instance; its thread starts on first use and lives until exit.
  static Watchdog& Instance();

  Watchdog();
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  /// Starts watching `client` for `owner` until `deadline` (max() for none). An
  /// entry aborted before it was armed is stopped at once.
  void Arm(Entry& entry, httplib::Client* client, const void* owner, Clock::time_point deadline);
  /// Stops watching; waits for a stop() in progress on the entry's client.
  /// Returns why the entry was stopped, if it was.
  StopReason Disarm(Entry& entry);
  /// Moves the deadline of an armed or unarmed entry.
  void SetDeadline(Entry& entry, Clock::time_point deadline);
  /// Marks the entry aborted and, when armed, stops its client now.
  void Abort(Entry& entry);
  /// Aborts every armed entry of `owner`.
  void AbortOwner(const void* owner);
  StopReason reason(const Entry& entry) const;

 private:
  void Run();
  // With mutex_ held: wakes the thread when `due` is earlier than its next wake-up.
  void WakeFor(Clock::time_point due);

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable stop_done_;
  std::vector<Entry*> entries_;
  Clock::time_point wake_at_ = Clock::time_point::min();  // min() while running.
  bool shutdown_ = false;
  std::thread thread_;
};

}  // namespace provkit
