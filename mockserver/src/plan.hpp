// Plans: an answer decided but not yet sent, the event sources streams are made of, and the stages
// at which faults may answer instead of the server.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "provkit/mockserver/script.hpp"
#include "responses.hpp"

namespace provkit::mock {

/// The events of one streamed answer (SSE), produced lazily so streams of any length cost
/// constant memory. Used by one serving thread at a time.
class EventSource {
 public:
  enum class Step {
    kEvent,    ///< A whole data event was appended.
    kPartial,  ///< Part of a (huge) data event, or a comment line, was appended.
    kDrop,     ///< Close the connection now.
    kEnd,      ///< The stream is complete.
  };

  virtual ~EventSource() = default;

  /// Appends the next event (or piece) to `out`.
  virtual Step Next(std::string& out) = 0;
  /// True when the next event is the stream's terminator (`data: [DONE]`) or nothing is left.
  virtual bool AtTerminator() const = 0;
  /// Appends `payload` as one data event in this stream's framing ("data: X\n\n").
  virtual void AppendData(std::string& out, std::string_view payload) const = 0;
  /// A data payload cut in the middle, and one of the wrong shape (the malformed fault).
  virtual std::string TruncatedPayload() const = 0;
  virtual std::string WrongShapePayload() const = 0;
  /// Appends an in-stream error event in this stream's wire shape (the stream-error fault).
  /// `payload` is the profile's error envelope, which Chat Completions sends as a data event;
  /// `message` is its text, for dialects with their own error event.
  virtual void AppendError(std::string& out, std::string_view payload,
                           std::string_view /*message*/) {
    AppendData(out, payload);
  }
  /// Whether the stream ends with `data: [DONE]`, which faults then send after their bad or
  /// error event. Dialects with named events (Responses, Anthropic Messages) have none.
  virtual bool SendsDone() const { return true; }
  /// Replaces the answer's text by `bytes` of padding generated piece by piece (the huge fault).
  /// False when this source cannot.
  virtual bool PadContent(std::size_t /*bytes*/) { return false; }
  /// The wait before the next event when the source keeps its own time (a recorded stream);
  /// nullopt: the server's StreamTiming paces it.
  virtual std::optional<std::chrono::microseconds> NextDelay() const { return std::nullopt; }
};

/// When a fault may answer instead of the server: at arrival (before any handler), once the
/// handler found the request valid, and once it resolved the model that answers.
enum class Stage { kArrival, kValidated, kResolved };

/// An answer decided but not yet sent. Handlers produce it, faults change it, delivery sends it.
struct Plan {
  enum class Kind {
    kBody,       ///< `body`, complete.
    kStream,     ///< The events of `stream`, paced by `timing` (or the source's own delays).
    kGenerated,  ///< A chunked body produced piece by piece by `generated`.
    kHang,       ///< Nothing: the connection is closed unanswered after `hold`.
  };
  struct Trickle {
    std::chrono::milliseconds interval;  ///< The pause after each body byte.
    std::chrono::milliseconds hold;      ///< The longest the trickle may take.
  };

  Kind kind = Kind::kBody;
  Body body;
  std::shared_ptr<EventSource> stream;
  StreamTiming timing;
  std::shared_ptr<HugeBody> generated;
  std::string generated_type = "application/json";
  std::chrono::milliseconds hold{0};

  /// Waited before a body is sent (a non-streaming chat answer's first_chunk_delay).
  std::chrono::microseconds delay{0};
  /// Send only the first half of the body, then close (stream-drop on a plain answer).
  bool cut_half = false;
  std::optional<Trickle> trickle;
  /// The answer's body padded to about `bytes` (set by generation dialects for the huge fault).
  std::function<HugeBody(std::size_t bytes)> pad_body;
  /// Faults leave a final plan alone: an error the handler answered before generating.
  bool final = false;
  /// The fault that answered or shaped the plan (a ScenarioName), empty when none did.
  std::string_view fault;

  static Plan Of(Body body, bool final = false) {
    Plan plan;
    plan.body = std::move(body);
    plan.final = final;
    return plan;
  }
};

/// What a handler calls at each stage it reaches; a plan it returns is the answer instead.
using Checkpoint = std::function<std::optional<Plan>(Stage)>;

}  // namespace provkit::mock
