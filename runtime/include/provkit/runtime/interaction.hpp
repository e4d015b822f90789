// The data of one turn: environment, input, requirements in; output out.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace provkit {

/// A function the model may call.
struct Tool {
  std::string name;
  std::string description;
  nlohmann::json parameters = nlohmann::json::object();  ///< JSON Schema of the arguments.
};

/// What stays the same across the turns of a task: instructions and tools.
struct Environment {
  std::string instructions;  ///< Sent as the system message when non-empty.
  std::vector<Tool> tools;
};

/// A complete tool call requested by the model.
struct ToolCall {
  std::string id;
  std::string name;
  std::string arguments_text;  ///< Arguments exactly as the server sent them.
  nlohmann::json arguments;    ///< Parsed arguments; null when they are not valid JSON.

  bool operator==(const ToolCall&) const = default;
};

/// The answer to a tool call, sent back in the next turn.
struct ToolResult {
  std::string call_id;
  std::string content;
};

/// One earlier message of the conversation, for continuing a previous turn.
struct Message {
  std::string role;  ///< "user", "assistant" or "tool".
  std::string content;
  std::vector<ToolCall> tool_calls;  ///< Assistant messages only.
  std::string tool_call_id;          ///< Tool messages only.
};

/// What this turn says: earlier messages, the user's text and any tool results.
struct Input {
  std::vector<Message> history;
  std::string text;  ///< The user message; may be empty when only tool results are sent.
  std::vector<ToolResult> tool_results;
};

/// Sampling and provider settings for a turn. Unset optionals are not sent.
struct Requirements {
  std::optional<double> temperature;
  std::optional<double> top_p;
  std::optional<int> max_tokens;
  std::optional<long long> seed;
  std::optional<nlohmann::json> tool_choice;  ///< "auto", "none", "required" or an object.
  /// Options scoped by provider name, e.g. {"local": {...}}; a provider merges
  /// only its own scope into the request body.
  nlohmann::json provider_options = nlohmann::json::object();
  /// Streaming only. False is events-only mode: the kDone output carries no text or
  /// reasoning (tool calls, usage and finish reason stay), so an answer of any length
  /// costs no memory beyond the event in hand; the caller reads the deltas. S8's
  /// equality with Interact's output then holds for everything but those two fields.
  bool assemble_text = true;
};

/// {"local":{"chat_template_kwargs":{"enable_thinking":enabled}}}: turns reasoning
/// on or off on local servers (llama.cpp, vLLM, SGLang templates).
nlohmann::json LocalReasoning(bool enabled);

/// Token counts reported by the server.
struct Usage {
  long long prompt_tokens = 0;
  long long completion_tokens = 0;
  long long total_tokens = 0;

  bool operator==(const Usage&) const = default;
};

/// How long the turn took, as seen by the provider.
struct Timing {
  std::chrono::microseconds total{0};
  std::optional<std::chrono::microseconds> time_to_first_token;  ///< Streams only.
};

/// The result of one turn.
struct Output {
  std::string text;
  std::string reasoning;
  std::vector<ToolCall> tool_calls;
  std::optional<Usage> usage;
  std::string finish_reason;
  std::string response_id;
  Timing timing;

  /// True when everything but timing is equal: the S8 comparison.
  bool SameAnswer(const Output& other) const;
};

/// Input that continues `previous`: appends the user text and assistant answer
/// of the previous turn to the history, then the given tool results.
Input Continue(const Input& previous_input, const Output& previous_output,
               std::vector<ToolResult> tool_results = {}, std::string text = {});

void to_json(nlohmann::json& out, const ToolCall& call);
void to_json(nlohmann::json& out, const Usage& usage);
void to_json(nlohmann::json& out, const Output& output);

}  // namespace provkit
