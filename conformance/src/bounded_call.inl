// CallBounded: a call on its own thread with a deadline, abandoned (detached) when it does not end.
#pragma once

#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>

namespace provkit::conformance::internal {

template <typename T>
Bounded<T> CallBounded(std::function<T()> fn, Millis limit, const std::function<void()>& on_timeout,
                       Millis grace) {
  struct Shared {
    std::mutex mutex;
    std::condition_variable done_cv;
    bool done = false;
    Bounded<T> result;
  };
  auto shared = std::make_shared<Shared>();
  const auto start = std::chrono::steady_clock::now();
  std::thread worker([shared, fn = std::move(fn), start] {
    Bounded<T> local;
    try {
      local.value = fn();
    } catch (const SubjectError& error) {
      local.error = error;
    } catch (const HarnessError& error) {
      local.harness_error = error.what();
    } catch (const std::exception& error) {
      local.error = SubjectError("exception", error.what());
    } catch (...) {
      local.error = SubjectError("exception", "an exception that is not a std::exception");
    }
    local.elapsed_ms = MsSince(start);
    std::lock_guard lock(shared->mutex);
    shared->result = std::move(local);
    shared->done = true;
    shared->done_cv.notify_all();
  });
  std::unique_lock lock(shared->mutex);
  if (!shared->done_cv.wait_for(lock, limit, [&] { return shared->done; })) {
    lock.unlock();
    if (on_timeout) on_timeout();
    lock.lock();
    if (!shared->done_cv.wait_for(lock, grace, [&] { return shared->done; })) {
      lock.unlock();
      worker.detach();  // the subject never returned: leave it, the harness keeps its own budget
      Bounded<T> abandoned;
      abandoned.timed_out = true;
      abandoned.elapsed_ms = MsSince(start);
      return abandoned;
    }
    Bounded<T> late = shared->result;
    late.timed_out = true;
    lock.unlock();
    worker.join();
    return late;
  }
  Bounded<T> result = shared->result;
  lock.unlock();
  worker.join();
  return result;
}

}  // namespace provkit::conformance::internal
