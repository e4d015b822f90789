// EventStream and QueueEventSource.
#include "provkit/runtime/stream.hpp"

#include <utility>

#include "provkit/runtime/error.hpp"

namespace provkit {

std::string_view EventTypeName(EventType type) noexcept {
  switch (type) {
    case EventType::kStart:
      return "start";
    case EventType::kTextDelta:
      return "text_delta";
    case EventType::kReasoningDelta:
      return "reasoning_delta";
    case EventType::kToolCallDelta:
      return "tool_call_delta";
    case EventType::kToolCall:
      return "tool_call";
    case EventType::kUsage:
      return "usage";
    case EventType::kFinish:
      return "finish";
    case EventType::kDone:
      return "done";
  }
  return "?";
}

EventStream::EventStream(std::unique_ptr<EventSource> source) : source_(std::move(source)) {}

EventStream& EventStream::operator=(EventStream&& other) noexcept {
  if (this != &other) {
    if (source_ && !finished_) source_->Cancel();
    source_ = std::move(other.source_);
    finished_ = other.finished_;
  }
  return *this;
}

EventStream::~EventStream() {
  if (source_ && !finished_) source_->Cancel();
}

std::optional<StreamEvent> EventStream::Next() {
  if (!source_ || finished_) return std::nullopt;
  StreamEvent event;
  try {
    if (!source_->Next(event)) {
      finished_ = true;
      return std::nullopt;
    }
  } catch (...) {
    finished_ = true;
    throw;
  }
  if (event.type == EventType::kDone) finished_ = true;
  return event;
}

Output EventStream::Collect() {
  while (auto event = Next()) {
    if (event->type == EventType::kDone && event->output) return *event->output;
  }
  throw Error(ErrorKind::kStreamFailure, "stream ended without a done event",
              "The provider's stream ended early; retry the turn.");
}

void EventStream::Cancel() noexcept {
  if (source_) source_->Cancel();
}

EventStream::Iterator& EventStream::Iterator::operator++() {
  current_ = stream_->Next();
  if (!current_) stream_ = nullptr;
  return *this;
}

QueueEventSource::QueueEventSource(std::function<void()> on_cancel)
    : on_cancel_(std::move(on_cancel)) {}

bool QueueEventSource::Push(StreamEvent event) {
  {
    std::lock_guard lock(mutex_);
    if (cancelled_ || finished_) return false;
    queue_.push_back(std::move(event));
  }
  ready_.notify_one();
  return true;
}

void QueueEventSource::Finish() {
  {
    std::lock_guard lock(mutex_);
    finished_ = true;
  }
  ready_.notify_all();
}

void QueueEventSource::Fail(std::exception_ptr error) {
  {
    std::lock_guard lock(mutex_);
    if (!finished_) error_ = std::move(error);
    finished_ = true;
  }
  ready_.notify_all();
}

bool QueueEventSource::cancelled() const {
  std::lock_guard lock(mutex_);
  return cancelled_;
}

bool QueueEventSource::Next(StreamEvent& event) {
  std::unique_lock lock(mutex_);
  ready_.wait(lock, [this] { return !queue_.empty() || finished_ || cancelled_; });
  if (cancelled_) {
    throw Error(ErrorKind::kCancelled, "stream cancelled",
                "The stream was cancelled by its consumer.");
  }
  if (!queue_.empty()) {
    event = std::move(queue_.front());
    queue_.pop_front();
    return true;
  }
  // The consumer takes the producer's error rather than sharing it: the exception object then dies
  // on the consumer's thread, whichever thread drops the last reference to this queue.
  if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
  return false;
}

void QueueEventSource::Cancel() noexcept {
  std::function<void()> on_cancel;
  {
    std::lock_guard lock(mutex_);
    if (cancelled_) return;
    cancelled_ = true;
    queue_.clear();
    on_cancel = std::move(on_cancel_);
  }
  ready_.notify_all();
  if (on_cancel) {
    try {
      on_cancel();
    } catch (...) {
      // Cancel is noexcept: a failing hook must not escape a destructor.
    }
  }
}

}  // namespace provkit
