// Named-event SSE streams (`event: <type>` + `data: <json>`), shared by the Responses and
// Anthropic Messages dialects, and the helpers those dialects share with Chat Completions.
#pragma once

#include <cstddef>
#include <deque>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "chat.hpp"
#include "plan.hpp"
#include "responses.hpp"

namespace provkit::mock {

/// Stands for the padded text in a JSON value built for the huge fault: PadAt splits a dumped
/// value at the marker's JSON form and generates the padding there.
inline constexpr std::string_view kPadMarker = "\x01";

/// `dumped` (a JSON text holding the string kPadMarker once) with that string's content
/// replaced by `bytes` of padding, generated piece by piece.
HugeBody PadAt(const std::string& dumped, std::size_t bytes);

/// The hex digest of a chat answer's id ("chatcmpl-<hex>" -> "<hex>"), to build ids in other
/// dialects' shapes.
std::string AnswerDigest(const ChatAnswer& answer);

/// A stream of named events produced lazily: a subclass's Produce() emits the next event with
/// Emit(). Under the huge fault, an event that holds kPadMarker is sent piece by piece, so the
/// padded text costs constant memory. No `[DONE]` terminator.
class NamedEventSource : public EventSource {
 public:
  Step Next(std::string& out) final;
  /// Frames `payload` as an event named DataEventName(), so a client parses it (the malformed
  /// fault's bad payload must reach the JSON parser, not be skipped as an unknown event).
  void AppendData(std::string& out, std::string_view payload) const override;
  bool SendsDone() const override { return false; }
  bool PadContent(std::size_t bytes) override;

 protected:
  /// Emits the next event; false once the stream is complete.
  virtual bool Produce() = 0;
  /// The event name AppendData gives a payload: the dialect's text delta event.
  virtual std::string_view DataEventName() const = 0;
  /// Queues `event: <type>` with `data` as its JSON payload.
  void Emit(std::string_view type, const nlohmann::ordered_json& data);
  /// Appends one event directly (an error event a fault inserts).
  static void AppendEvent(std::string& out, std::string_view type,
                          const nlohmann::ordered_json& data);
  /// True when every queued event was sent.
  bool Idle() const { return pending_.empty(); }
  bool huge() const { return huge_; }
  std::size_t pad_bytes() const { return pad_bytes_; }
  /// The largest piece of padding sent at once.
  static constexpr std::size_t kPadPieceBytes = 64 * 1024;

 private:
  struct Piece {
    std::string text;
    std::size_t pad = 0;  ///< Nonzero: this many bytes of padding instead of `text`.
    bool ends_event = true;
  };
  std::deque<Piece> pending_;
  bool huge_ = false;
  std::size_t pad_bytes_ = 0;
};

}  // namespace provkit::mock
