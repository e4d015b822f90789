// Scripts: what the mock's chat endpoint answers, and how fast it streams the answer.
#pragma once

#include <chrono>
#include <cstddef>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

namespace provkit::mock {

/// A tool call the scripted assistant makes.
struct ToolCall {
  std::string id;  ///< Empty: "call_<n>" with n its position in the reply.
  std::string name;
  std::string arguments;  ///< Raw JSON text; streamed in fragments of StreamTiming::chunk_chars.
};

/// Token counts to report instead of the mock's word counts.
struct Usage {
  long long prompt_tokens = 0;
  long long completion_tokens = 0;
  long long total_tokens = 0;  ///< 0: prompt_tokens + completion_tokens.
};

/// One scripted assistant answer.
struct Reply {
  std::string text;
  /// Sent as message.reasoning_content (delta.reasoning_content when streaming),
  /// only when the request sets chat_template_kwargs.enable_thinking to true.
  std::string reasoning;
  std::vector<ToolCall> tool_calls;
  /// Unset: prompt_tokens counts the words of every message, completion_tokens
  /// the words of the answer (at least 1 each).
  std::optional<Usage> usage;
  /// Empty: "tool_calls" when there are tool calls, else "stop".
  std::string finish_reason;
};

/// One message of a request's conversation, in a form every API dialect maps to.
struct Turn {
  std::string role;  ///< "system", "user", "assistant" or "tool".
  std::string text;  ///< The message's text parts joined.
  /// An assistant turn: the names of the tools it called. A tool turn: the name of the tool
  /// whose result it carries, when the dialect says (Chat Completions' `name`, or the call it
  /// answers); else empty.
  std::vector<std::string> tool_names;
};

/// What a script sees of one generation request, whatever its dialect.
struct Conversation {
  std::optional<std::string> model;  ///< As the request named it.
  std::vector<Turn> turns;           ///< In request order; system instructions first.

  /// The text of the last user turn; empty when there is none.
  std::string LastUserText() const;
};

/// A reply chosen by the last user message containing `contains`.
struct Rule {
  std::string contains;
  Reply reply;
};

/// How chat requests are answered. For each request: the first rule whose
/// `contains` occurs in the last user message wins; else the next reply of
/// `sequence` (from the start again when `loop`); else the last user message is
/// echoed back as the text.
struct Script {
  std::vector<Reply> sequence;
  std::vector<Rule> rules;
  bool loop = false;
};

/// Streaming pace. Zero intervals stream as fast as the socket takes them.
struct StreamTiming {
  /// Characters (code points) of text, reasoning or tool arguments per stream event; at least 1.
  std::size_t chunk_chars = 8;
  /// Wait before the first stream event; also delays a non-streaming chat answer.
  std::chrono::microseconds first_chunk_delay{0};
  /// Wait between two stream events.
  std::chrono::microseconds chunk_interval{0};
};

/// Reads {"text","reasoning","tool_calls":[{"id","name","arguments"}],"usage","finish_reason"};
/// `arguments` may be a JSON object (serialised) or a string (kept as is).
/// Throws ConfigError naming the offending key on a wrong type or unknown key.
Reply ReplyFromJson(const nlohmann::json& value);
/// Reads {"sequence":[Reply...],"rules":[{"contains","reply"}...],"loop":bool}.
Script ScriptFromJson(const nlohmann::json& value);
/// Reads {"chunk_chars","first_chunk_delay_ms","chunk_interval_ms"}; milliseconds may be
/// fractional.
StreamTiming TimingFromJson(const nlohmann::json& value);

nlohmann::json ToJson(const Reply& reply);
nlohmann::json ToJson(const Script& script);
nlohmann::json ToJson(const StreamTiming& timing);

}  // namespace provkit::mock
