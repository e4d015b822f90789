// Connections: exact TCP connection counters and the pool cpp-httplib serves connections on.
#pragma once

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace provkit::mock {

/// One accepted TCP connection, alive while a pool thread serves it.
struct Connection {
  std::uint64_t id = 0;
  /// Our duplicate of the connection's socket, found at its first request; -1 before.
  int socket = -1;
  bool socket_looked_up = false;
};

/// Counts connections and knows the live ones, so Stop can end them. Outlives
/// every pool that reports to it. Thread-safe.
class ConnectionRegistry {
 public:
  ~ConnectionRegistry();

  /// The connection the calling pool thread is serving, or nullptr.
  static Connection* Current() noexcept;

  /// A connection was accepted: counts it and returns its id.
  std::uint64_t Accepted();
  /// The calling thread starts serving `connection` (until Finished).
  void Serving(Connection& connection);
  /// The connection's socket is closed; its thread is about to serve another.
  void Finished(Connection& connection);
  /// Records `socket` (a duplicate) as the socket of `connection`; once
  /// stopping, shuts it down at once.
  void Attach(Connection& connection, int socket);
  /// Ends every connection that has a known socket, now and as they attach.
  void ShutdownAll();

  std::uint64_t opened() const noexcept { return opened_.load(); }
  std::uint64_t open() const noexcept { return open_.load(); }
  void ResetOpened() noexcept { opened_.store(0); }
  /// TCP connections accepted since start; ResetOpened leaves it alone.
  std::uint64_t accepted_total() const noexcept { return next_id_.load() - 1; }
  bool WaitForOpenAtMost(std::uint64_t count, std::chrono::milliseconds timeout) const;

 private:
  std::atomic<std::uint64_t> opened_{0};
  std::atomic<std::uint64_t> open_{0};
  std::atomic<std::uint64_t> next_id_{1};
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::set<Connection*> live_;
  bool stopping_ = false;
};

/// cpp-httplib's task queue: one task per accepted connection. Starts threads
/// as connections need them, up to `max_threads`; later connections wait.
class ConnectionPool final : public httplib::TaskQueue {
 public:
  ConnectionPool(ConnectionRegistry& registry, std::size_t max_threads);
  ~ConnectionPool() override;

  void enqueue(std::function<void()> task) override;
  /// Serves the queued connections, then joins every thread.
  void shutdown() override;

 private:
  struct Task {
    std::uint64_t connection_id;
    std::function<void()> serve;
  };
  void Work();

  ConnectionRegistry& registry_;
  const std::size_t max_threads_;
  std::mutex mutex_;
  std::condition_variable queued_;
  std::deque<Task> tasks_;
  std::vector<std::thread> threads_;
  std::size_t idle_ = 0;
  bool shutting_down_ = false;
};

}  // namespace provkit::mock
