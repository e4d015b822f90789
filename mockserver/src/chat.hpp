// Chat completions: reading the request, building the answer, and the SSE event source for streams.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "plan.hpp"
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
  Conversation conversation;
  long long prompt_words = 0;
};

/// Appends `turn` to the request's conversation and counts its words into prompt_words.
void AddTurn(ChatRequest& request, Turn turn);

/// Reads a request body already parsed as JSON; on failure `error` says why (answered with 400).
struct ParsedChatRequest {
  ChatRequest request;
  std::string error;
};
/// `empty_messages_ok`: accept `"messages": []` (llama.cpp), else it is refused like a missing
/// `messages`, whose message is `missing_messages`.
ParsedChatRequest ReadChatRequest(const nlohmann::json& document, bool empty_messages_ok,
                                  std::string_view missing_messages);

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

/// The SSE events of one streamed chat completion, produced lazily, so streams of any length
/// cost constant memory.
class ChatEventSource final : public EventSource {
 public:
  /// `role_content_null`: the first chunk says "content": null (llama.cpp) instead of "".
  ChatEventSource(ChatAnswer answer, Profile profile, std::size_t chunk_chars, bool include_usage,
                  bool role_content_null);

  Step Next(std::string& out) override;
  bool AtTerminator() const override;
  void AppendData(std::string& out, std::string_view payload) const override;
  std::string TruncatedPayload() const override;
  std::string WrongShapePayload() const override;
  bool PadContent(std::size_t bytes) override;

 private:
  enum class Phase {
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

  ChatAnswer answer_;
  Profile profile_;
  std::size_t chunk_chars_;
  bool include_usage_;
  bool role_content_null_;
  std::string data_prefix_;
  std::string chunk_prefix_;
  Phase phase_ = Phase::kRole;
  std::size_t offset_ = 0;
  std::size_t tool_ = 0;
  int since_comment_ = 0;
  std::size_t huge_bytes_ = 0;
  bool huge_ = false;
  std::size_t huge_remaining_ = 0;
};

}  // namespace provkit::mock
