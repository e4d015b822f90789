// SseParser: incremental server-sent-events parser (WHATWG event-stream rules).
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace provkit {

/// One dispatched event.
struct SseEvent {
  std::string_view event;  ///< The `event:` field; empty means "message".
  std::string_view data;   ///< `data:` lines joined by "\n", without the final newline.
  std::string_view id;     ///< The last `id:` field seen (persists across events).
};

/// Feeds bytes as they arrive, in pieces of any size, and calls the handler for
/// each complete event. Handles CR, LF and CRLF line ends (also split across
/// feeds), comments, a leading BOM, fields without a space after the colon.
/// Events with no data are not dispatched. Not thread-safe.
class SseParser {
 public:
  using Handler = std::function<void(const SseEvent&)>;
  static constexpr std::size_t kDefaultMaxEventBytes = 16u << 20;

  explicit SseParser(Handler handler, std::size_t max_event_bytes = kDefaultMaxEventBytes);

  /// Parses `bytes`, calling the handler for each event completed. Returns
  /// false, and ignores further input, once an event grows over the limit.
  /// Exceptions from the handler propagate.
  bool Feed(std::string_view bytes);
  /// True when a partial event is pending (the stream ended mid-event).
  bool HasPartialEvent() const noexcept;
  bool overflowed() const noexcept { return overflowed_; }

 private:
  void ProcessLine(std::string_view line);
  void Dispatch();

  Handler handler_;
  std::size_t max_event_bytes_;
  std::string line_;  // Partial line carried between feeds.
  std::string data_;
  std::string event_;
  std::string id_;
  bool has_data_ = false;
  bool skip_lf_ = false;  // Last feed ended with CR: a leading LF belongs to it.
  bool bom_checked_ = false;
  bool overflowed_ = false;
};

}  // namespace provkit
