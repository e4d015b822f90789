// The request journal: a bounded ring buffer of requests, and its JSON form for the admin endpoint.
#include "journal.hpp"

#include <cctype>
#include <nlohmann/json.hpp>

#include "json_util.hpp"

namespace provkit::mock {
namespace {

bool SameNameIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower_a = static_cast<char>(std::tolower(static_cast<unsigned char>(a[i])));
    const auto lower_b = static_cast<char>(std::tolower(static_cast<unsigned char>(b[i])));
    if (lower_a != lower_b) return false;
  }
  return true;
}

}  // namespace

std::optional<std::string> JournalEntry::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (SameNameIgnoringCase(key, name)) return value;
  }
  return std::nullopt;
}

nlohmann::json ToJson(const JournalEntry& entry) {
  nlohmann::json headers = nlohmann::json::object();
  for (const auto& [key, value] : entry.headers) {
    auto& slot = headers[key];
    slot = slot.is_null() ? nlohmann::json(value)
                          : nlohmann::json(slot.get<std::string>() + ", " + value);
  }
  return {{"sequence", entry.sequence},
          {"connection_id", entry.connection_id},
          {"method", entry.method},
          {"path", entry.path},
          {"headers", std::move(headers)},
          {"body", entry.body},
          {"body_truncated", entry.body_truncated},
          {"status", entry.status},
          {"fault", entry.fault},
          {"time", FormatUtc(entry.time)}};
}

nlohmann::json ToJson(const ServerStats& stats) {
  return {{"connections_opened", stats.connections_opened},
          {"connections_open", stats.connections_open},
          {"requests", stats.requests},
          {"journal_dropped", stats.journal_dropped},
          {"generations_running", stats.generations_running},
          {"generations_waiting", stats.generations_waiting},
          {"connections_refused", stats.connections_refused}};
}

void JournalRecord::Finish(int status, std::string_view fault) noexcept {
  fault_size_.store(fault.size(), std::memory_order_relaxed);
  fault_.store(fault.empty() ? nullptr : fault.data(), std::memory_order_relaxed);
  status_.store(status, std::memory_order_release);
}

JournalEntry JournalRecord::Entry() const {
  JournalEntry entry = entry_;
  entry.status = status_.load(std::memory_order_acquire);
  const char* fault = fault_.load(std::memory_order_relaxed);
  if (fault != nullptr) entry.fault.assign(fault, fault_size_.load(std::memory_order_relaxed));
  return entry;
}

std::shared_ptr<JournalRecord> Journal::Begin(JournalEntry entry) {
  auto record = std::make_shared<JournalRecord>(std::move(entry));
  std::shared_ptr<JournalRecord> evicted;  // Released after the lock.
  bool notify;
  {
    std::lock_guard lock(mutex_);
    record->entry_.sequence = next_sequence_++;
    records_.push_back(record);
    if (records_.size() > capacity_) {
      evicted = std::move(records_.front());
      records_.pop_front();
      ++dropped_;
    }
    ++requests_;
    notify = waiters_ > 0;
  }
  if (notify) arrived_.notify_all();
  return record;
}

std::vector<JournalEntry> Journal::Snapshot() const {
  std::lock_guard lock(mutex_);
  std::vector<JournalEntry> entries;
  entries.reserve(records_.size());
  for (const auto& record : records_) entries.push_back(record->Entry());
  return entries;
}

void Journal::Reset() {
  std::lock_guard lock(mutex_);
  records_.clear();
  requests_ = 0;
  dropped_ = 0;
}

std::uint64_t Journal::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

std::uint64_t Journal::dropped() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

bool Journal::WaitForRequests(std::uint64_t count, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  ++waiters_;
  const bool arrived = arrived_.wait_for(lock, timeout, [&] { return requests_ >= count; });
  --waiters_;
  return arrived;
}

}  // namespace provkit::mock
