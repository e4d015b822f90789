// Wire dialects: what differs between the generation APIs a provider can speak (Chat Completions,
// OpenAI Responses, Anthropic Messages). The transport (connection pool, watchdog, stream
// producer) is shared; a dialect builds the request body, names the path and the headers, and
// decodes answers and streams.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "provkit/runtime/error.hpp"
#include "provkit/runtime/interaction.hpp"
#include "provkit/runtime/stream.hpp"
#include "text_assembler.hpp"

namespace provkit::wire {

/// Turns the SSE events of one streamed answer into StreamEvents and assembles the Output the
/// dialect's non-streaming decoder gives for the same answer (S8). Not thread-safe.
class StreamDecoder {
 public:
  virtual ~StreamDecoder() = default;
  /// Decodes one event (`data` of SSE event type `event`), appending events to `out`. Throws
  /// APIError of kind kStreamFailure (phase kStream) for an error event or a malformed event;
  /// never throws anything else.
  virtual void Decode(std::string_view data, std::vector<StreamEvent>& out,
                      std::string_view event) = 0;
  /// Emits what is still pending at the end of the body.
  virtual void Finish(std::vector<StreamEvent>& out) = 0;
  /// True once the stream's terminal event arrived (`[DONE]`, `response.completed`,
  /// `message_stop`); later events are ignored.
  virtual bool done() const noexcept = 0;
  /// True once the answer's finish reason arrived.
  virtual bool finished() const noexcept = 0;
  /// True once a text, reasoning or tool-call delta was emitted.
  virtual bool produced() const noexcept = 0;
  /// The assembled output. Call once, at the end.
  virtual Output TakeOutput() = 0;
};

/// How a dialect sends the API key.
enum class Auth {
  kBearer,     ///< `Authorization: Bearer <key>` (OpenAI and compatible servers).
  kAnthropic,  ///< `x-api-key: <key>` and `anthropic-version` (Anthropic).
};

/// One generation API as a provider speaks it.
struct Dialect {
  std::string_view name;   ///< "chat", "responses", "anthropic" (as `provkit conform --dialect`).
  std::string_view title;  ///< For messages: "Chat Completions", ...
  std::string_view path;   ///< Under the base URL: "/chat/completions".
  /// The provider_options scope merged into the request body (S12).
  std::string_view scope;
  /// Request body fields the provider sets itself; provider options may not replace them (S12).
  std::span<const std::string_view> managed_fields;
  Auth auth = Auth::kBearer;
  /// Who answered, for error messages: "Local server".
  std::string_view server_noun;

  /// The request body of one turn; throws ConfigurationError before anything is sent when the
  /// provider options are malformed or name a managed field.
  nlohmann::json (*build_body)(const Environment& environment, const Input& input,
                               const Requirements& requirements,
                               const std::optional<std::string>& model, bool stream);
  /// Decodes a non-streaming answer; throws APIError of kind kMalformedResponse.
  Output (*decode)(std::string_view body, const std::string& provider, Phase phase);
  /// A decoder for one streamed answer; `accumulate_text` false keeps no text or reasoning.
  std::unique_ptr<StreamDecoder> (*new_decoder)(const std::string& provider, bool accumulate_text);
};

/// A Dialect::new_decoder for a decoder class constructible from (provider, accumulate_text).
template <class Decoder>
std::unique_ptr<StreamDecoder> NewDecoder(const std::string& provider, bool accumulate_text) {
  return std::make_unique<Decoder>(provider, accumulate_text);
}

/// OpenAI Chat Completions (chat_codec.hpp), scope "local".
const Dialect& ChatCompletions();
/// OpenAI Responses (responses_codec.cpp), scope "openai".
const Dialect& Responses();
/// Anthropic Messages (messages_codec.cpp), scope "anthropic".
const Dialect& Messages();

/// The options of `scope` in `provider_options` ({"local": {...}, "openai": {...}}), or nullptr
/// when there are none. Throws ConfigurationError, naming the field, when `provider_options` or
/// the scope is not an object, or when the scope sets one of `managed` (S12).
const nlohmann::json* ScopedOptions(const nlohmann::json& provider_options, std::string_view scope,
                                    std::span<const std::string_view> managed);

/// Merges `patch` into `target`: objects member by member, anything else replaced.
void MergeInto(nlohmann::json& target, const nlohmann::json& patch);

/// `value` as compact JSON text, invalid UTF-8 replaced.
std::string Dump(const nlohmann::json& value);

/// The string member `key` of `object`, or "" when it is missing or not a string.
std::string StringOr(const nlohmann::json& object, std::string_view key);

/// A tool call with `arguments_text` kept and `arguments` parsed from it (null when it is not
/// valid JSON).
ToolCall MakeToolCall(std::string id, std::string name, std::string arguments_text);

/// Assembles one streamed turn from the deltas a decoder reads: text and reasoning without a
/// second copy (TextAssembler), tool calls by index, finish reason and usage. Shared by the
/// stream decoders of the dialects. Not thread-safe.
class TurnAssembler {
 public:
  /// Highest tool-call index accepted; bounds the assembly table.
  static constexpr std::size_t kMaxToolIndex = 1023;

  explicit TurnAssembler(bool accumulate_text) : accumulate_text_(accumulate_text) {}

  void Text(std::string delta, std::vector<StreamEvent>& out);
  void Reasoning(std::string delta, std::vector<StreamEvent>& out);
  /// A fragment of the arguments of call `index`; `id` and `name` fill in what is still empty.
  /// Returns false when `index` is above kMaxToolIndex.
  bool ToolDelta(std::size_t index, const std::string& id, const std::string& name,
                 std::string fragment, std::vector<StreamEvent>& out);
  /// Emits call `index` as complete (kToolCall) unless it was; `arguments` replaces the
  /// assembled fragments when given (a dialect that repeats them whole at the end).
  void CompleteCall(std::size_t index, std::vector<StreamEvent>& out,
                    const std::optional<std::string>& arguments = std::nullopt);
  /// Emits every call begun and not yet complete, by index.
  void CompleteCalls(std::vector<StreamEvent>& out);
  void Finish(std::string reason, std::vector<StreamEvent>& out);
  void SetUsage(Usage usage, std::vector<StreamEvent>& out);
  void SetResponseId(std::string id);

  bool produced() const noexcept { return produced_; }
  bool finished() const noexcept { return !output_.finish_reason.empty(); }
  std::size_t call_count() const noexcept { return output_.tool_calls.size(); }
  Output Take();

 private:
  struct PendingCall {
    std::string id;
    std::string name;
    std::string arguments;
    bool used = false;
    bool emitted = false;
  };
  bool accumulate_text_;
  bool produced_ = false;
  Output output_;
  TextAssembler text_;
  TextAssembler reasoning_;
  std::vector<PendingCall> calls_;
};

/// The body of a non-streamed answer as JSON. Throws APIError of kind kMalformedResponse (for
/// `provider` in `phase`, with `hint`) when it is not JSON or nests too deep.
nlohmann::json ParseAnswer(std::string_view body, const std::string& provider, Phase phase,
                           const char* hint);

/// The base of the decoders of named-event streams (Responses, Messages), whose every event is a
/// JSON object with a `type` (else the SSE event name says it). Decode parses, bounds and routes
/// each event to OnEvent; turn_ assembles the answer. Not thread-safe.
class NamedEventDecoder : public StreamDecoder {
 public:
  void Decode(std::string_view data, std::vector<StreamEvent>& out, std::string_view event) final;
  void Finish(std::vector<StreamEvent>& out) override { turn_.CompleteCalls(out); }
  bool done() const noexcept final { return done_; }
  bool finished() const noexcept final { return turn_.finished(); }
  bool produced() const noexcept final { return turn_.produced(); }
  Output TakeOutput() final { return turn_.Take(); }

  NamedEventDecoder(std::string provider, bool accumulate_text)
      : provider_(std::move(provider)), turn_(accumulate_text) {}

 protected:
  /// One parsed event of type `type`.
  virtual void OnEvent(const std::string& type, const nlohmann::json& event,
                       std::vector<StreamEvent>& out) = 0;
  /// Throws APIError of kind kStreamFailure (phase kStream) with `message`.
  [[noreturn]] void Fail(const std::string& message) const;
  /// The integer member `key` of `event` as a tool index; Fail()s when it is missing or out of
  /// range (TurnAssembler::kMaxToolIndex).
  std::size_t IndexOf(const nlohmann::json& event, std::string_view key) const;

  std::string provider_;
  TurnAssembler turn_;
  bool done_ = false;
};

}  // namespace provkit::wire
