// Interaction helpers: reasoning options, continuation, output comparison and JSON.
#include "provkit/runtime/interaction.hpp"

#include <utility>

namespace provkit {

nlohmann::json LocalReasoning(bool enabled) {
  return {{"local", {{"chat_template_kwargs", {{"enable_thinking", enabled}}}}}};
}

bool Output::SameAnswer(const Output& other) const {
  return text == other.text && reasoning == other.reasoning && tool_calls == other.tool_calls &&
         usage == other.usage && finish_reason == other.finish_reason &&
         response_id == other.response_id;
}

Input Continue(const Input& previous_input, const Output& previous_output,
               std::vector<ToolResult> tool_results, std::string text) {
  Input next;
  next.history = previous_input.history;
  for (const ToolResult& result : previous_input.tool_results) {
    next.history.push_back(
        {.role = "tool", .content = result.content, .tool_call_id = result.call_id});
  }
  if (!previous_input.text.empty()) {
    next.history.push_back({.role = "user", .content = previous_input.text});
  }
  next.history.push_back({.role = "assistant",
                          .content = previous_output.text,
                          .tool_calls = previous_output.tool_calls});
  next.tool_results = std::move(tool_results);
  next.text = std::move(text);
  return next;
}

void to_json(nlohmann::json& out, const ToolCall& call) {
  out = {{"id", call.id},
         {"name", call.name},
         {"arguments", call.arguments},
         {"arguments_text", call.arguments_text}};
}

void to_json(nlohmann::json& out, const Usage& usage) {
  out = {{"prompt_tokens", usage.prompt_tokens},
         {"completion_tokens", usage.completion_tokens},
         {"total_tokens", usage.total_tokens}};
}

void to_json(nlohmann::json& out, const Output& output) {
  out = {
      {"text", output.text},
      {"reasoning", output.reasoning},
      {"tool_calls", output.tool_calls},
      {"usage", output.usage ? nlohmann::json(*output.usage) : nlohmann::json(nullptr)},
      {"finish_reason", output.finish_reason},
      {"response_id", output.response_id},
      {"timing",
       {{"total_us", output.timing.total.count()},
        {"time_to_first_token_us", output.timing.time_to_first_token
                                       ? nlohmann::json(output.timing.time_to_first_token->count())
                                       : nlohmann::json(nullptr)}}}};
}

}  // namespace provkit
