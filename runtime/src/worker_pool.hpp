// WorkerPool: reusable background threads for blocking work, so that starting a stream costs a
// wake-up, not a thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>

namespace provkit {

/// Runs tasks on background threads. A task goes to an idle thread when there
/// is one, else to a new thread; a thread idle for kIdleLifetime exits. There
/// is no limit on threads: every task may block (a stream producer waits on
/// its server), so none may wait for another. Thread-safe.
class WorkerPool {
 public:
  static constexpr std::chrono::seconds kIdleLifetime{30};

  /// The process-wide pool; never destroyed, its idle threads end with the process.
  static WorkerPool& Instance();

  WorkerPool() = default;
  /// Waits for running tasks to finish and for every thread to exit.
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  /// Runs `task` soon on a pool thread. An exception escaping `task` is
  /// swallowed: tasks report their own failures. Throws std::system_error when
  /// a thread is needed and cannot be started.
  void Run(std::function<void()> task);

  /// Threads alive now, busy or idle.
  std::size_t threads() const;
  /// Threads waiting for a task now.
  std::size_t idle_threads() const;

 private:
  void Work();

  mutable std::mutex mutex_;
  std::condition_variable available_;
  std::condition_variable exited_;
  std::deque<std::function<void()>> tasks_;
  std::size_t idle_ = 0;
  std::size_t threads_ = 0;
  bool shutdown_ = false;
};

}  // namespace provkit
