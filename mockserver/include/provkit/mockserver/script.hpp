// Scripts: what the mock's chat endpoint answers, and how fast it streams the answer.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
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

/// How much of a message a Pattern sees, in bytes.
inline constexpr std::size_t kPatternWindow = 4096;
/// The longest source a Pattern accepts, in bytes.
inline constexpr std::size_t kMaxPatternBytes = 1024;

/// A regular expression (std::regex, ECMAScript grammar), compiled once when made; copies share
/// the compiled form. Immutable, so safe to search from several threads at once.
class Pattern {
 public:
  /// Throws std::regex_error when `source` is not a valid ECMAScript regular expression, or
  /// (error_complexity) when it is longer than kMaxPatternBytes: compiling recurses per nesting
  /// level, and a pattern may come from the admin API.
  explicit Pattern(std::string source);

  const std::string& source() const noexcept { return source_; }
  /// True when the expression matches somewhere in the first kPatternWindow bytes of `text`
  /// (cut at a UTF-8 boundary): std::regex backtracks recursively, so a longer text could take
  /// quadratic time or overflow the stack of the thread answering the request.
  bool Search(std::string_view text) const;

  bool operator==(const Pattern& other) const { return source_ == other.source_; }

 private:
  std::string source_;
  std::shared_ptr<const std::regex> regex_;
};

/// A scripted reply and when it applies: every condition that is set must hold (AND); a rule
/// with no condition matches every request. "The last user message" is the text of the last
/// turn whose role is "user" (empty when there is none), wherever it stands in the conversation.
struct Rule {
  /// A substring of the last user message; empty: any.
  std::string contains;
  Reply reply;
  /// The role of the conversation's last turn: "user", "assistant", "tool" or "system".
  std::optional<std::string> last_role;
  /// The last turn is a tool result, of the tool with this name (Turn::tool_names).
  std::optional<std::string> tool;
  /// Some assistant turn of the conversation called the tool with this name.
  std::optional<std::string> called;
  /// The request named exactly this model.
  std::optional<std::string> model;
  /// A substring of some system turn.
  std::optional<std::string> system_contains;
  /// The conversation holds exactly this many user turns: 1 for the first question and every
  /// tool round that follows it, 2 after the next user message, and so on.
  std::optional<long long> turn;
  /// Matches (Pattern::Search) the last user message.
  std::optional<Pattern> matches;
  /// A substring of some turn, of any role.
  std::optional<std::string> any_contains;
  /// Matches (Pattern::Search) some turn, of any role.
  std::optional<Pattern> any_matches;

  /// True when every condition that is set holds for `conversation`.
  bool Matches(const Conversation& conversation) const;
};

/// How chat requests are answered. For each request: the first rule (in order) that
/// Matches wins; else the next reply of `sequence` (from the start again when `loop`);
/// else the last user message is echoed back as the text.
struct Script {
  std::vector<Reply> sequence;
  std::vector<Rule> rules;
  bool loop = false;
};

/// The shape of a latency around its mean: how each wait is drawn.
enum class Distribution {
  kFixed,      ///< Always the mean.
  kUniform,    ///< Uniform on [mean - spread, mean + spread] (spread: the half-width).
  kNormal,     ///< Normal with standard deviation `spread`.
  kLognormal,  ///< Log-normal whose own mean and standard deviation are `mean` and `spread`.
};

/// A latency distribution without its mean (StreamTiming keeps the means in its old fields).
struct Spread {
  Distribution distribution = Distribution::kFixed;
  std::chrono::microseconds spread{0};  ///< Ignored by kFixed.
};

/// Streaming pace. Zero intervals stream as fast as the socket takes them. Every draw is clamped
/// at 0; a stream's draws depend only on `seed` and the request's journal sequence number.
struct StreamTiming {
  /// Characters (code points) of text, reasoning or tool arguments per stream event; at least 1.
  std::size_t chunk_chars = 8;
  /// The mean wait before the first stream event (time to first token); also delays a
  /// non-streaming chat answer.
  std::chrono::microseconds first_chunk_delay{0};
  /// The mean wait between two stream events (inter-token latency).
  std::chrono::microseconds chunk_interval{0};
  /// How the time to first token varies around first_chunk_delay.
  Spread first_token;
  /// How each inter-token wait varies around chunk_interval.
  Spread inter_token;
  /// Seeds every stream's generator (mixed with the request's journal sequence number).
  std::uint64_t seed = 0;
  /// At most this many generations (chat answers, streamed or not) run at once; further requests
  /// wait for a slot, like llama.cpp's -np. 0: no limit.
  std::size_t slots = 0;
};

/// "fixed", "uniform", "normal" or "lognormal".
std::string_view DistributionName(Distribution distribution);

/// Reads {"text","reasoning","tool_calls":[{"id","name","arguments"}],"usage","finish_reason"};
/// `arguments` may be a JSON object (serialised) or a string (kept as is).
/// Throws ConfigError naming the offending key on a wrong type or unknown key.
Reply ReplyFromJson(const nlohmann::json& value);
/// Reads {"sequence":[Reply...],"rules":[Rule...],"loop":bool}; a rule is {"reply", and any of
/// "contains","last_role","tool","called","model","system_contains","turn","matches",
/// "any_contains","any_matches"}. Throws ConfigError naming the rule's key (its JSON pointer,
/// e.g. /rules/2/matches) on a wrong type, an unknown key or role, or a bad regular expression.
Script ScriptFromJson(const nlohmann::json& value);
/// Reads {"chunk_chars","first_chunk_delay_ms","chunk_interval_ms","first_token","inter_token",
/// "seed","slots"}; first_token and inter_token are {"distribution","mean_ms","spread_ms"}, and
/// inter_token may give "tokens_per_second" instead of mean_ms. Milliseconds may be fractional.
/// Throws ConfigError naming the offending key (e.g. /inter_token/distribution) on a wrong type,
/// value or unknown key, or when the old and new key give different means.
StreamTiming TimingFromJson(const nlohmann::json& value);

nlohmann::json ToJson(const Reply& reply);
nlohmann::json ToJson(const Script& script);
nlohmann::json ToJson(const StreamTiming& timing);

}  // namespace provkit::mock
