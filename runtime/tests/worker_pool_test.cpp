// Tests WorkerPool: tasks run, idle threads are reused, blocking tasks never starve each other,
// failures stay inside.
#include "worker_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace provkit {
namespace {

using std::chrono::seconds;

// Counts finished tasks and lets a test wait for a number of them.
class Tally {
 public:
  // Notifies under the lock: a waiter may destroy the Tally as soon as it sees the count.
  void Add() {
    std::lock_guard lock(mutex_);
    ++count_;
    changed_.notify_all();
  }
  bool WaitFor(int count) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, seconds(10), [&] { return count_ >= count; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int count_ = 0;
};

TEST(WorkerPool, SequentialTasksReuseIdleThreads) {
  WorkerPool pool;
  const std::thread::id caller = std::this_thread::get_id();
  std::atomic<bool> on_caller{false};
  for (int i = 0; i < 50; ++i) {
    Tally once;
    pool.Run([&] {
      on_caller = on_caller || std::this_thread::get_id() == caller;
      once.Add();
    });
    ASSERT_TRUE(once.WaitFor(1));
    // The task is done once it counted; its thread is idle again a moment later. Waiting for
    // that keeps a loaded machine from handing the next task to a spare thread.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (pool.idle_threads() == 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ASSERT_EQ(pool.idle_threads(), 1u) << "task " << i;
  }
  EXPECT_EQ(pool.threads(), 1u);
  EXPECT_FALSE(on_caller);
}

TEST(WorkerPool, DestructionWaitsForEveryThread) {
  std::atomic<int> finished{0};
  {
    WorkerPool pool;
    for (int i = 0; i < 4; ++i) pool.Run([&] { ++finished; });
  }
  EXPECT_EQ(finished.load(), 4);
}

TEST(WorkerPool, BlockingTasksDoNotStarveEachOther) {
  WorkerPool pool;
  constexpr int kTasks = 8;
  std::mutex mutex;
  std::condition_variable all_started;
  int started = 0;
  Tally finished;
  for (int i = 0; i < kTasks; ++i) {
    pool.Run([&] {
      std::unique_lock lock(mutex);
      ++started;
      all_started.notify_all();
      // Every task waits for all the others: only works when each has its own thread.
      if (all_started.wait_for(lock, seconds(10), [&] { return started == kTasks; }))
        finished.Add();
    });
  }
  EXPECT_TRUE(finished.WaitFor(kTasks));
}

TEST(WorkerPool, AThrowingTaskDoesNotKillItsWorker) {
  WorkerPool pool;
  Tally tally;
  pool.Run([] { throw std::runtime_error("task failed"); });
  pool.Run([&] { tally.Add(); });
  EXPECT_TRUE(tally.WaitFor(1));
}

}  // namespace
}  // namespace provkit
