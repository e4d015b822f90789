// EventStream: the pull-based stream of events of one streamed turn.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "provkit/runtime/interaction.hpp"

namespace provkit {

enum class EventType {
  kStart,           ///< The server accepted the request; always first.
  kTextDelta,       ///< `delta` holds new answer text.
  kReasoningDelta,  ///< `delta` holds new reasoning text.
  kToolCallDelta,  ///< `tool_index`, `tool_call` (id, name so far) and `delta` (argument fragment).
  kToolCall,       ///< `tool_call` is complete, arguments parsed.
  kUsage,          ///< `usage` holds token counts.
  kFinish,         ///< `finish_reason` is set.
  kDone,           ///< `output` holds what Interact would have returned (S8); always last.
};
std::string_view EventTypeName(EventType type) noexcept;

/// One event. Only the fields named for its type are meaningful.
struct StreamEvent {
  EventType type = EventType::kStart;
  std::string delta;
  int tool_index = 0;
  ToolCall tool_call;
  Usage usage;
  std::string finish_reason;
  std::shared_ptr<const Output> output;  ///< kDone only.
};

/// What a provider implements to produce a stream. Next() runs on the
/// consumer's thread; Cancel() may be called from any thread, at any time.
class EventSource {
 public:
  virtual ~EventSource() = default;
  /// Fills `event` and returns true, or returns false once the stream has ended
  /// after kDone. Throws provkit::Error when the stream fails (S7).
  virtual bool Next(StreamEvent& event) = 0;
  /// Ends the stream early from any thread: a blocked Next() returns promptly
  /// by throwing an APIError of kind kCancelled. Idempotent.
  virtual void Cancel() noexcept = 0;
};

/// A stream of events. Pull with Next() or iterate with range-for; stop
/// reading at any time (the transport is cleaned up, S6); Cancel() from
/// another thread. Move-only; destroying it cancels an unfinished stream.
class EventStream {
 public:
  EventStream() = default;
  explicit EventStream(std::unique_ptr<EventSource> source);
  EventStream(EventStream&&) noexcept = default;
  EventStream& operator=(EventStream&&) noexcept;
  EventStream(const EventStream&) = delete;
  EventStream& operator=(const EventStream&) = delete;
  ~EventStream();

  /// The next event, or nullopt after kDone. Throws provkit::Error on failure.
  std::optional<StreamEvent> Next();
  /// Reads to the end and returns the kDone output. Throws on failure.
  Output Collect();
  /// Thread-safe; see EventSource::Cancel.
  void Cancel() noexcept;
  /// True once kDone was read, a failure was thrown, or the stream was cancelled.
  bool finished() const noexcept { return finished_; }

  class Iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = StreamEvent;
    using difference_type = std::ptrdiff_t;
    using pointer = const StreamEvent*;
    using reference = const StreamEvent&;

    Iterator() = default;
    explicit Iterator(EventStream* stream) : stream_(stream) { ++*this; }
    reference operator*() const { return *current_; }
    pointer operator->() const { return &*current_; }
    Iterator& operator++();
    void operator++(int) { ++*this; }
    friend bool operator==(const Iterator& a, const Iterator& b) { return a.stream_ == b.stream_; }

   private:
    EventStream* stream_ = nullptr;
    std::optional<StreamEvent> current_;
  };
  Iterator begin() { return Iterator(this); }
  Iterator end() { return Iterator(); }

 private:
  std::unique_ptr<EventSource> source_;
  bool finished_ = false;
};

/// A thread-safe EventSource fed by a producer thread: for providers built on
/// callback-style HTTP clients. The producer calls Push, then Finish or Fail;
/// `on_cancel` runs (once, on the cancelling thread) when the consumer cancels.
class QueueEventSource : public EventSource {
 public:
  explicit QueueEventSource(std::function<void()> on_cancel = {});
  /// Appends an event. Returns false once the stream was cancelled: stop producing.
  bool Push(StreamEvent event);
  /// Ends the stream normally (after the kDone event was pushed).
  void Finish();
  /// Ends the stream with an error that Next() rethrows after queued events.
  void Fail(std::exception_ptr error);
  bool cancelled() const;

  bool Next(StreamEvent& event) override;
  void Cancel() noexcept override;

 private:
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<StreamEvent> queue_;
  std::exception_ptr error_;
  bool finished_ = false;
  bool cancelled_ = false;
  std::function<void()> on_cancel_;
};

}  // namespace provkit
