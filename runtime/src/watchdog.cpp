// Watchdog: stops due HTTP clients from one timer thread, re-stopping until they are disarmed.
#include "watchdog.hpp"

#include <httplib.h>

#include <algorithm>

namespace provkit {

Watchdog& Watchdog::Instance() {
  // Never destroyed: providers held in static objects may still use it during exit.
  static auto* instance = new Watchdog();
  return *instance;
}

Watchdog::Watchdog() : thread_([this] { Run(); }) {}

Watchdog::~Watchdog() {
  {
    std::lock_guard lock(mutex_);
    shutdown_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void Watchdog::WakeFor(Clock::time_point due) {
  if (due < wake_at_) {
    wake_at_ = Clock::time_point::min();
    wake_.notify_one();
  }
}

void Watchdog::Arm(Entry& entry, httplib::Client* client, const void* owner,
                   Clock::time_point deadline) {
  std::lock_guard lock(mutex_);
  entry.client = client;
  entry.owner = owner;
  entry.deadline = deadline;
  entry.next_stop = {};
  entry.stopping = false;
  entry.armed = true;
  entries_.push_back(&entry);
  WakeFor(entry.reason == StopReason::kNone ? deadline : Clock::time_point::min());
}

StopReason Watchdog::Disarm(Entry& entry) {
  std::unique_lock lock(mutex_);
  stop_done_.wait(lock, [&] { return !entry.stopping; });
  if (entry.armed) {
    entry.armed = false;
    entries_.erase(std::find(entries_.begin(), entries_.end(), &entry));
  }
  entry.client = nullptr;
  return entry.reason;
}

void Watchdog::SetDeadline(Entry& entry, Clock::time_point deadline) {
  std::lock_guard lock(mutex_);
  entry.deadline = deadline;
  if (entry.armed) WakeFor(deadline);
}

void Watchdog::Abort(Entry& entry) {
  std::lock_guard lock(mutex_);
  if (entry.reason == StopReason::kNone) entry.reason = StopReason::kAborted;
  if (entry.armed) {
    entry.next_stop = {};
    WakeFor(Clock::time_point::min());
  }
}

void Watchdog::AbortOwner(const void* owner) {
  std::lock_guard lock(mutex_);
  for (Entry* entry : entries_) {
    if (entry->owner != owner) continue;
    if (entry->reason == StopReason::kNone) entry->reason = StopReason::kAborted;
    entry->next_stop = {};
    WakeFor(Clock::time_point::min());
  }
}

StopReason Watchdog::reason(const Entry& entry) const {
  std::lock_guard lock(mutex_);
  return entry.reason;
}

void Watchdog::Run() {
  std::unique_lock lock(mutex_);
  std::vector<Entry*> due;
  while (!shutdown_) {
    const Clock::time_point now = Clock::now();
    Clock::time_point next = Clock::time_point::max();
    due.clear();
    for (Entry* entry : entries_) {
      if (entry->reason == StopReason::kNone && entry->deadline <= now) {
        entry->reason = StopReason::kDeadline;
        entry->next_stop = {};
      }
      if (entry->reason == StopReason::kNone) {
        next = std::min(next, entry->deadline);
        continue;
      }
      if (entry->next_stop <= now) {
        entry->stopping = true;
        entry->next_stop = now + kRestopInterval;
        due.push_back(entry);
      }
      next = std::min(next, entry->next_stop);
    }
    if (!due.empty()) {
      // stop() may wait for a connect in progress: never hold our mutex across it.
      lock.unlock();
      for (Entry* entry : due) entry->client->stop();
      lock.lock();
      for (Entry* entry : due) entry->stopping = false;
      stop_done_.notify_all();
      continue;
    }
    wake_at_ = next;
    if (next == Clock::time_point::max()) {
      wake_.wait(lock);
    } else {
      wake_.wait_until(lock, next);
    }
    wake_at_ = Clock::time_point::min();
  }
}

}  // namespace provkit
