// Chat completions: reading the request, building the answer, and the SSE event source for streams.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "provkit/mockserver/profile.hpp"
#include "provkit/mockserver/scenario.hpp"
#include "provkit/mockserver/script.hpp"

namespace provkit::mock {

/// What the mock needs from a chat completion request.
struct ChatRequest {
  std::optional<std::string> model;
  bool stream = false;
  bool include_usage = false;
  bool enable_thinking = false;
  std::string last_user_text;
  long long prompt_words = 0;
};

/// Parses a request body; on failure `error` says why (answered with 400).
struct ParsedChatRequest {
  ChatRequest request;
  std::string error;
};
ParsedChatRequest ParseChatRequest(std::string_view body);

/// The answer as sent, with defaults filled in.
struct ChatAnswer {
  std::string id;
  std::string model;
  std::int64_t created = 0;
  std::string text;
  std::string reasoning;  ///< Empty unless thinking was enabled.
  std::vector<ToolCall> tool_calls;
  Usage usage;
  std::string finish_reason;
};

ChatAnswer MakeAnswer(const ChatRequest& request, const Reply& reply, std::string model,
                      std::int64_t created);

/// The non-streaming chat.completion object.
std::string CompletionJson(const ChatAnswer& answer);

/// What a stream does instead of ending normally.
struct StreamFault {
  ScenarioKind kind = ScenarioKind::kHealthy;  ///< kStreamDrop, kStreamError, kMalformed or kHuge.
  int after_chunks = 0;
  std::string error_payload;  ///< kStreamError: the envelope.
  bool done_after_error = false;
  MalformedVariant malformed = MalformedVariant::kNotJson;
  std::size_t huge_bytes = 0;  ///< kHuge: the content of one event.
};

/// Produces the SSE events of one streamed answer, lazily, so streams of any
/// length cost constant memory.
class ChatEventSource {
 public:
  enum class Step {
    kEvent,    ///< A whole data event was appended.
    kPartial,  ///< Part of a (huge) data event, or a comment line was appended.
    kDrop,     ///< Close the connection now.
    kEnd,      ///< The stream is complete.
  };

  ChatEventSource(ChatAnswer answer, Profile profile, std::size_t chunk_chars, bool include_usage,
                  StreamFault fault);

  /// Appends the next event (or piece) to `out`.
  Step Next(std::string& out);
  int events() const { return events_; }

 private:
  enum class Phase {
    kComment,
    kRole,
    kReasoning,
    kContent,
    kHugeContent,
    kToolHeader,
    kToolArguments,
    kFinal,
    kUsage,
    kDone,
    kEnd,
  };

  void BeginEvent(std::string& out) const;
  void AppendChunk(std::string& out, std::string_view delta, std::string_view finish_reason) const;
  /// Appends the next piece of `text` from `offset`; false when nothing is left.
  bool AppendPiece(std::string& out, const std::string& text, std::size_t& offset,
                   std::string_view key);
  Step Fault(std::string& out);

  ChatAnswer answer_;
  Profile profile_;
  std::size_t chunk_chars_;
  bool include_usage_;
  StreamFault fault_;
  std::string data_prefix_;
  std::string chunk_prefix_;
  Phase phase_ = Phase::kRole;
  std::size_t offset_ = 0;
  std::size_t tool_ = 0;
  int events_ = 0;
  int since_comment_ = 0;
  bool fault_done_ = false;
  std::size_t huge_remaining_ = 0;
};

}  // namespace provkit::mock
