// StopSignal: the server's stop flag, and waits that end at once when the server stops.
#include "stop_signal.hpp"

namespace provkit::mock {

bool StopSignal::WaitFor(std::chrono::microseconds duration) const {
  std::unique_lock lock(mutex_);
  if (duration.count() <= 0) return !stopping_;
  return !changed_.wait_for(lock, duration, [&] { return stopping_; });
}

bool StopSignal::stopping() const {
  std::lock_guard lock(mutex_);
  return stopping_;
}

bool StopSignal::RequestStop() {
  bool first = false;
  {
    std::lock_guard lock(mutex_);
    first = !stopping_;
    stopping_ = true;
  }
  changed_.notify_all();
  return first;
}

void StopSignal::Change(const std::function<void(bool stopping)>& change) {
  {
    std::lock_guard lock(mutex_);
    change(stopping_);
  }
  changed_.notify_all();
}

void StopSignal::Read(const std::function<void(bool stopping)>& read) const {
  std::lock_guard lock(mutex_);
  read(stopping_);
}

bool StopSignal::WaitUntil(std::chrono::milliseconds timeout,
                           const std::function<bool()>& done) const {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [&] { return stopping_ || done(); });
  return done();
}

}  // namespace provkit::mock
