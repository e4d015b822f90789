// Connections: exact TCP connection counters and the pool cpp-httplib serves connections on.
#include "connection_pool.hpp"

#include "sockets.hpp"

namespace provkit::mock {
namespace {

thread_local Connection* current_connection = nullptr;

}  // namespace

ConnectionRegistry::~ConnectionRegistry() = default;

Connection* ConnectionRegistry::Current() noexcept { return current_connection; }

std::uint64_t ConnectionRegistry::Accepted() {
  opened_.fetch_add(1);
  open_.fetch_add(1);
  return next_id_.fetch_add(1);
}

void ConnectionRegistry::Serving(Connection& connection) {
  current_connection = &connection;
  std::lock_guard lock(mutex_);
  live_.insert(&connection);
}

void ConnectionRegistry::Finished(Connection& connection) {
  current_connection = nullptr;
  {
    std::lock_guard lock(mutex_);
    live_.erase(&connection);
    CloseSocket(connection.socket);
    connection.socket = -1;
    open_.fetch_sub(1);
  }
  changed_.notify_all();
}

void ConnectionRegistry::Attach(Connection& connection, int socket) {
  std::lock_guard lock(mutex_);
  connection.socket = socket;
  if (stopping_) ShutdownSocket(socket);
}

void ConnectionRegistry::ShutdownAll() {
  std::lock_guard lock(mutex_);
  stopping_ = true;
  for (Connection* connection : live_) ShutdownSocket(connection->socket);
}

bool ConnectionRegistry::WaitForOpenAtMost(std::uint64_t count,
                                           std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return open_.load() <= count; });
}

ConnectionPool::ConnectionPool(ConnectionRegistry& registry, std::size_t max_threads)
    : registry_(registry), max_threads_(max_threads == 0 ? 1 : max_threads) {}

ConnectionPool::~ConnectionPool() { shutdown(); }

void ConnectionPool::enqueue(std::function<void()> task) {
  const std::uint64_t id = registry_.Accepted();
  {
    std::lock_guard lock(mutex_);
    tasks_.push_back({id, std::move(task)});
    if (tasks_.size() > idle_ && threads_.size() < max_threads_)
      threads_.emplace_back([this] { Work(); });
  }
  queued_.notify_one();
}

void ConnectionPool::shutdown() {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mutex_);
    shutting_down_ = true;
    threads.swap(threads_);
  }
  queued_.notify_all();
  for (std::thread& thread : threads) thread.join();
}

void ConnectionPool::Work() {
  for (;;) {
    Task task;
    {
      std::unique_lock lock(mutex_);
      ++idle_;
      queued_.wait(lock, [&] { return shutting_down_ || !tasks_.empty(); });
      --idle_;
      if (tasks_.empty()) return;
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    Connection connection{.id = task.connection_id};
    registry_.Serving(connection);
    task.serve();
    registry_.Finished(connection);
  }
}

}  // namespace provkit::mock
