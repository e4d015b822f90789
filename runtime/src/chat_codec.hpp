// The Chat Completions wire format: request bodies, chat.completion answers, chat.completion.chunk
// streams.
#pragma once

#include <array>
#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "provkit/runtime/error.hpp"
#include "provkit/runtime/interaction.hpp"
#include "provkit/runtime/stream.hpp"
#include "wire_dialect.hpp"

namespace provkit::chat {

/// The provider_options scope the local provider merges into its request bodies.
inline constexpr std::string_view kLocalScope = "local";

/// The request body fields a provider sets itself; provider options may not replace them (S12).
inline constexpr std::array<std::string_view, 4> kManagedFields = {"model", "messages", "stream",
                                                                   "stream_options"};

/// The request body of one turn: the system message from the instructions, the
/// history (assistant tool calls, tool messages), tool results as role "tool",
/// the user text, tools as function tools, the set sampling fields, and
/// `stream:true` with `stream_options.include_usage` when streaming. Finally
/// the object `requirements.provider_options["local"]` is merged in (objects
/// merged key by key). Throws ConfigurationError before anything is sent when
/// the options are malformed or would replace a managed field (ScopedOptions).
nlohmann::json BuildRequestBody(const Environment& environment, const Input& input,
                                const Requirements& requirements,
                                const std::optional<std::string>& model, bool stream);

/// Decodes a chat.completion body (timing left zero). Throws APIError of kind
/// kMalformedResponse, for `provider` in `phase`, when the body is not a
/// completion; never throws anything else.
Output DecodeCompletion(std::string_view body, const std::string& provider, Phase phase);
Output DecodeCompletionJson(const nlohmann::json& body, const std::string& provider, Phase phase);

/// Turns the `data` payloads of a chat.completion.chunk stream into events and
/// assembles the Output that DecodeCompletion gives for the same answer (S8).
/// Tool-call fragments are assembled by index; each complete call is emitted
/// as kToolCall when the finish_reason arrives, or at Finish(). Not thread-safe.
class ChunkDecoder final : public wire::StreamDecoder {
 public:
  /// With `accumulate_text` false the output keeps no text or reasoning (events
  /// only). `fast_path` false reads every chunk through nlohmann::json (tests
  /// compare the two paths).
  explicit ChunkDecoder(std::string provider, bool accumulate_text = true, bool fast_path = true);

  /// Decodes one event (`data` of SSE event type `event`), appending events to
  /// `out`. `[DONE]` ends the stream; later events are ignored. Throws APIError
  /// of kind kStreamFailure (phase kStream) for an error envelope, an `error`
  /// event or a malformed chunk; never throws anything else.
  void Decode(std::string_view data, std::vector<StreamEvent>& out,
              std::string_view event = {}) override;
  /// Emits the tool calls still pending (a stream that never sent finish_reason).
  void Finish(std::vector<StreamEvent>& out) override;

  bool done() const noexcept override { return done_; }
  /// True once a finish_reason was received.
  bool finished() const noexcept override { return turn_.finished(); }
  /// True once a text, reasoning or tool-call delta was emitted.
  bool produced() const noexcept override { return turn_.produced(); }
  /// The assembled output (the text joined without a second copy held; see
  /// TextAssembler). Call once, at the end.
  Output TakeOutput() override;

 private:
  // What one chunk says, read by either path; Apply turns it into events.
  struct ToolFragment {
    std::optional<long long> index;  // Unset: the fragment's position is used.
    std::size_t position = 0;
    std::string id;
    std::string name;
    std::string arguments;
  };
  struct ChoiceFields {
    std::string reasoning;
    std::string content;
    std::vector<ToolFragment> tool_calls;
    std::string finish_reason;
  };
  struct ChunkFields {
    std::string id;
    std::vector<ChoiceFields> choices;  // Choices with index 0 only.
    std::optional<Usage> usage;
  };

  [[noreturn]] void Fail(const std::string& message) const;
  // Reads the common chunk shapes without a DOM; false sends the chunk to ReadGeneral.
  bool ReadFast(std::string_view data);
  // Reads any chunk through nlohmann::json; throws for error envelopes and malformed chunks.
  void ReadGeneral(std::string_view data);
  void Apply(std::vector<StreamEvent>& out);
  void ApplyToolFragments(std::vector<ToolFragment>& fragments, std::vector<StreamEvent>& out);

  std::string provider_;
  bool fast_path_;
  bool done_ = false;
  wire::TurnAssembler turn_;
  ChunkFields fields_;  // Reused across chunks.
  std::string scratch_;
};

}  // namespace provkit::chat
