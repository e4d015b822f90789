// Journal: the bounded, thread-safe ring buffer of requests behind Server::journal().
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include "provkit/mockserver/journal.hpp"

namespace provkit::mock {

/// One journalled request: fixed when it arrives, but for the outcome, which its
/// handler sets later without taking the journal's lock.
class JournalRecord {
 public:
  explicit JournalRecord(JournalEntry entry) : entry_(std::move(entry)) {}

  /// Sets the answer status and the fault; `fault` must be a string with static
  /// storage (a ScenarioName) or empty.
  void Finish(int status, std::string_view fault) noexcept;
  /// The entry with its current status and fault.
  JournalEntry Entry() const;

 private:
  friend class Journal;
  JournalEntry entry_;
  std::atomic<int> status_{0};
  std::atomic<const char*> fault_{nullptr};
  std::atomic<std::size_t> fault_size_{0};
};

/// Keeps the last `capacity` records. Thread-safe.
class Journal {
 public:
  explicit Journal(std::size_t capacity) : capacity_(capacity) {}

  /// Stores `entry` (status 0), assigning its sequence number; the caller
  /// finishes the returned record once the status is known.
  std::shared_ptr<JournalRecord> Begin(JournalEntry entry);
  std::vector<JournalEntry> Snapshot() const;
  /// Empties the journal and zeroes the request count; sequence numbers keep growing.
  void Reset();
  std::uint64_t requests() const;
  std::uint64_t dropped() const;
  bool WaitForRequests(std::uint64_t count, std::chrono::milliseconds timeout) const;

 private:
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  mutable std::condition_variable arrived_;
  std::deque<std::shared_ptr<JournalRecord>> records_;
  std::uint64_t next_sequence_ = 1;
  std::uint64_t requests_ = 0;
  std::uint64_t dropped_ = 0;
  mutable int waiters_ = 0;
};

}  // namespace provkit::mock
