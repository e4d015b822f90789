// WorkerPool: idle threads wait for tasks and exit after a quiet spell.
#include "worker_pool.hpp"

#include <thread>
#include <utility>

namespace provkit {

WorkerPool& WorkerPool::Instance() {
  static auto* instance = new WorkerPool();
  return *instance;
}

WorkerPool::~WorkerPool() {
  std::unique_lock lock(mutex_);
  shutdown_ = true;
  available_.notify_all();
  exited_.wait(lock, [this] { return threads_ == 0; });
}

void WorkerPool::Run(std::function<void()> task) {
  std::unique_lock lock(mutex_);
  tasks_.push_back(std::move(task));
  if (idle_ >= tasks_.size()) {
    lock.unlock();
    available_.notify_one();
    return;
  }
  try {
    std::thread([this] { Work(); }).detach();
    ++threads_;
  } catch (...) {
    tasks_.pop_back();
    throw;
  }
}

std::size_t WorkerPool::threads() const {
  std::lock_guard lock(mutex_);
  return threads_;
}

std::size_t WorkerPool::idle_threads() const {
  std::lock_guard lock(mutex_);
  return idle_;
}

void WorkerPool::Work() {
  std::unique_lock lock(mutex_);
  for (;;) {
    ++idle_;
    const bool has_task = available_.wait_for(lock, kIdleLifetime, [this] {
      return !tasks_.empty() || shutdown_;
    }) && !tasks_.empty();
    --idle_;
    if (!has_task) {
      --threads_;
      exited_.notify_all();  // Under the lock: the pool may be destroyed right after.
      return;
    }
    std::function<void()> task = std::move(tasks_.front());
    tasks_.pop_front();
    lock.unlock();
    try {
      task();
    } catch (...) {
      // Tasks report their own failures; a worker must survive them.
    }
    task = nullptr;  // Release what the task holds before waiting again.
    lock.lock();
  }
}

}  // namespace provkit
