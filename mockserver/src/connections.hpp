// Connections: exact TCP connection counters, and the live sockets Stop ends.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <set>

namespace provkit::mock {

/// One accepted TCP connection, from accept to close.
struct Connection {
  std::uint64_t id = 0;
  int socket = -1;  ///< The accepted socket; owned by the front door, which closes it.
};

/// Why the front door answered a connection itself and closed it.
enum class Refusal { kConnectionLimit, kHeaderTimeout, kHeaderTooLarge };

/// Counts connections and knows the live ones, so Stop can end them. Thread-safe.
class ConnectionRegistry {
 public:
  /// The connection whose request the calling thread is answering, or nullptr.
  static Connection* Current() noexcept;
  /// Marks the calling thread as answering a request of `connection` (nullptr: none).
  static void SetCurrent(Connection* connection) noexcept;

  /// `connection.socket` was accepted: gives it its id, counts it and keeps it live. Once
  /// stopping, shuts the socket down at once.
  void Accepted(Connection& connection);
  /// The connection is about to be closed (its socket is still open): no longer live.
  void Closing(Connection& connection);
  /// Ends every live connection (shutdown: its reads and writes fail, waits on it wake), now
  /// and as more are accepted.
  void ShutdownAll();
  void Refused(Refusal why) noexcept;

  std::uint64_t opened() const noexcept { return opened_.load(); }
  std::uint64_t open() const noexcept { return open_.load(); }
  void ResetOpened() noexcept { opened_.store(0); }
  /// TCP connections accepted since start; ResetOpened leaves it alone.
  std::uint64_t accepted_total() const noexcept { return next_id_.load() - 1; }
  /// Connections answered by the front door and closed, by reason, since start.
  std::uint64_t refused(Refusal why) const noexcept;
  bool WaitForOpenAtMost(std::uint64_t count, std::chrono::milliseconds timeout) const;

 private:
  std::atomic<std::uint64_t> opened_{0};
  std::atomic<std::uint64_t> open_{0};
  std::atomic<std::uint64_t> next_id_{1};
  std::atomic<std::uint64_t> refused_[3] = {};
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::set<Connection*> live_;
  bool stopping_ = false;
};

}  // namespace provkit::mock
