// Connections: exact TCP connection counters, and the live sockets Stop ends.
#include "connections.hpp"

#include "sockets.hpp"

namespace provkit::mock {
namespace {

thread_local Connection* current_connection = nullptr;

}  // namespace

Connection* ConnectionRegistry::Current() noexcept { return current_connection; }
void ConnectionRegistry::SetCurrent(Connection* connection) noexcept {
  current_connection = connection;
}

void ConnectionRegistry::Accepted(Connection& connection) {
  connection.id = next_id_.fetch_add(1);
  opened_.fetch_add(1);
  open_.fetch_add(1);
  std::lock_guard lock(mutex_);
  live_.insert(&connection);
  if (stopping_) ShutdownSocket(connection.socket);
}

void ConnectionRegistry::Closing(Connection& connection) {
  {
    std::lock_guard lock(mutex_);
    live_.erase(&connection);
    open_.fetch_sub(1);
  }
  changed_.notify_all();
}

void ConnectionRegistry::ShutdownAll() {
  std::lock_guard lock(mutex_);
  stopping_ = true;
  for (Connection* connection : live_) ShutdownSocket(connection->socket);
}

void ConnectionRegistry::Refused(Refusal why) noexcept {
  refused_[static_cast<int>(why)].fetch_add(1, std::memory_order_relaxed);
}

std::uint64_t ConnectionRegistry::refused(Refusal why) const noexcept {
  return refused_[static_cast<int>(why)].load(std::memory_order_relaxed);
}

bool ConnectionRegistry::WaitForOpenAtMost(std::uint64_t count,
                                           std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return open_.load() <= count; });
}

}  // namespace provkit::mock
