// The Anthropic Messages wire format (POST /v1/messages): request bodies, `message` objects and
// their named SSE events. Every server value is checked before use.
#include <array>
#include <utility>

#include "json_body.hpp"
#include "wire_dialect.hpp"

namespace provkit::wire {
namespace {

using json_body::AsInteger;
using json_body::Member;
using json_body::StringMember;
using nlohmann::json;

constexpr std::array<std::string_view, 3> kManaged = {"model", "messages", "stream"};

/// Anthropic requires max_tokens; this is sent when Requirements::max_tokens is unset.
constexpr int kDefaultMaxTokens = 4096;

constexpr const char* kMalformedHint =
    "The server's answer is not an Anthropic `message`: check that the base URL is the API root "
    "(e.g. https://api.anthropic.com/v1) and that the server speaks the Messages API.";

// Tool arguments as an object for a tool_use block: parsed, or {} when they are not an object.
json InputOf(const ToolCall& call) {
  if (call.arguments.is_object()) return call.arguments;
  json parsed;
  if (json_body::Parse(call.arguments_text, parsed) && parsed.is_object()) return parsed;
  return json::object();
}

// Tool arguments as text, the same for a message and a stream: compact JSON when they parse.
std::string CanonicalArguments(std::string text) {
  json parsed;
  if (json_body::Parse(text, parsed)) return Dump(parsed);
  return text;
}

// The finish reason in Chat Completions' words.
std::string FinishOf(const std::string& stop_reason) {
  if (stop_reason == "end_turn" || stop_reason == "stop_sequence") return "stop";
  if (stop_reason == "tool_use") return "tool_calls";
  if (stop_reason == "max_tokens") return "length";
  return stop_reason;
}

// Appends `block` to the conversation as role `role`, joining consecutive turns of one role
// (Anthropic requires user and assistant to alternate; tool results are user content).
void AddBlock(json& messages, const std::string& role, json block) {
  if (messages.empty() || messages.back()["role"] != role) {
    messages.push_back({{"role", role}, {"content", json::array()}});
  }
  messages.back()["content"].push_back(std::move(block));
}

json BuildBody(const Environment& environment, const Input& input, const Requirements& requirements,
               const std::optional<std::string>& model, bool stream) {
  json body = json::object();
  if (model) body["model"] = *model;
  body["max_tokens"] = requirements.max_tokens.value_or(kDefaultMaxTokens);
  if (!environment.instructions.empty()) body["system"] = environment.instructions;
  json messages = json::array();
  auto text_block = [](const std::string& text) { return json{{"type", "text"}, {"text", text}}; };
  auto result_block = [](const std::string& call_id, const std::string& content) {
    return json{{"type", "tool_result"}, {"tool_use_id", call_id}, {"content", content}};
  };
  for (const Message& message : input.history) {
    if (message.role == "tool") {
      AddBlock(messages, "user", result_block(message.tool_call_id, message.content));
      continue;
    }
    if (!message.content.empty()) AddBlock(messages, message.role, text_block(message.content));
    for (const ToolCall& call : message.tool_calls) {
      AddBlock(
          messages, "assistant",
          {{"type", "tool_use"}, {"id", call.id}, {"name", call.name}, {"input", InputOf(call)}});
    }
  }
  for (const ToolResult& result : input.tool_results) {
    AddBlock(messages, "user", result_block(result.call_id, result.content));
  }
  if (!input.text.empty()) AddBlock(messages, "user", text_block(input.text));
  body["messages"] = std::move(messages);
  if (!environment.tools.empty()) {
    json tools = json::array();
    for (const Tool& tool : environment.tools) {
      json entry = {{"name", tool.name}, {"input_schema", tool.parameters}};
      if (!tool.description.empty()) entry["description"] = tool.description;
      tools.push_back(std::move(entry));
    }
    body["tools"] = std::move(tools);
  }
  if (requirements.temperature) body["temperature"] = *requirements.temperature;
  if (requirements.top_p) body["top_p"] = *requirements.top_p;
  if (requirements.tool_choice) {
    // Chat's words: "auto", "none", "required" (Anthropic's "any") or {"function":{"name":N}}.
    const json& choice = *requirements.tool_choice;
    if (const std::string* word = choice.get_ptr<const std::string*>()) {
      body["tool_choice"] = {{"type", *word == "required" ? "any" : *word}};
    } else if (const json* function = Member(choice, "function");
               function != nullptr && StringMember(*function, "name") != nullptr) {
      body["tool_choice"] = {{"type", "tool"}, {"name", *StringMember(*function, "name")}};
    } else {
      body["tool_choice"] = choice;
    }
  }
  if (const json* options = ScopedOptions(requirements.provider_options, "anthropic", kManaged)) {
    MergeInto(body, *options);
  }
  if (stream) body["stream"] = true;
  return body;
}

// Anthropic reports input and output tokens, in message_start and message_delta.
Usage UsageOf(const json& usage, Usage base = {}) {
  auto count = [&](std::string_view key, long long fallback) {
    const json* value = Member(usage, key);
    return value == nullptr ? fallback : AsInteger(*value).value_or(fallback);
  };
  base.prompt_tokens = count("input_tokens", base.prompt_tokens);
  base.completion_tokens = count("output_tokens", base.completion_tokens);
  base.total_tokens = base.prompt_tokens + base.completion_tokens;
  return base;
}

std::string ErrorText(const json& body) {
  if (const json* error = Member(body, "error"); error != nullptr && error->is_object()) {
    const std::string type = StringOr(*error, "type");
    const std::string message = StringOr(*error, "message");
    if (!type.empty() && !message.empty()) return type + ": " + message;
  }
  return json_body::ErrorMessage(body).value_or("(no message)");
}

Output DecodeMessageJson(const json& body, const std::string& provider, Phase phase) {
  auto malformed = [&](const std::string& message) {
    return APIError(ErrorKind::kMalformedResponse, provider, phase, message, kMalformedHint);
  };
  if (!body.is_object()) throw malformed("The server's answer is not a JSON object");
  if (StringOr(body, "type") == "error") {
    throw malformed("The server answered with an error: " + ErrorText(body));
  }
  const json* content = Member(body, "content");
  if (content == nullptr || !content->is_array()) {
    throw malformed("The server's answer has no `content` list: not a message object");
  }
  Output out;
  out.response_id = StringOr(body, "id");
  if (const json* usage = Member(body, "usage"); usage != nullptr && usage->is_object()) {
    out.usage = UsageOf(*usage);
  }
  for (const json& block : *content) {
    const std::string type = StringOr(block, "type");
    if (type == "text") {
      out.text += StringOr(block, "text");
    } else if (type == "thinking") {
      out.reasoning += StringOr(block, "thinking");
    } else if (type == "tool_use") {
      const json* input = Member(block, "input");
      out.tool_calls.push_back(MakeToolCall(StringOr(block, "id"), StringOr(block, "name"),
                                            input != nullptr ? Dump(*input) : "{}"));
    }
  }
  out.finish_reason = FinishOf(StringOr(body, "stop_reason"));
  return out;
}

Output DecodeMessage(std::string_view body, const std::string& provider, Phase phase) {
  return DecodeMessageJson(ParseAnswer(body, provider, phase, kMalformedHint), provider, phase);
}

// message_start, content_block_start/delta/stop, message_delta, message_stop, ping, error.
class MessagesDecoder final : public NamedEventDecoder {
 public:
  using NamedEventDecoder::NamedEventDecoder;

  // A body that ended after message_delta but before message_stop still counts as incomplete.
  void Finish(std::vector<StreamEvent>& out) override { CompleteCalls(out); }

 private:
  void OnEvent(const std::string& type, const json& parsed,
               std::vector<StreamEvent>& out) override {
    if (type == "error") Fail("The server reported an error mid-stream: " + ErrorText(parsed));
    if (type == "message_start") {
      const json* message = Member(parsed, "message");
      if (message == nullptr || !message->is_object()) Fail("message_start has no message");
      turn_.SetResponseId(StringOr(*message, "id"));
      if (const json* usage = Member(*message, "usage"); usage != nullptr && usage->is_object()) {
        usage_ = UsageOf(*usage);
      }
    } else if (type == "content_block_start") {
      const json* block = Member(parsed, "content_block");
      if (block == nullptr || !block->is_object()) Fail("content_block_start has no content_block");
      const std::string kind = StringOr(*block, "type");
      if (kind == "tool_use") {
        Tool(IndexOf(parsed), StringOr(*block, "id"), StringOr(*block, "name"), "", out);
      } else if (kind == "text") {
        turn_.Text(StringOr(*block, "text"), out);
      } else if (kind == "thinking") {
        turn_.Reasoning(StringOr(*block, "thinking"), out);
      }
    } else if (type == "content_block_delta") {
      const json* delta = Member(parsed, "delta");
      if (delta == nullptr || !delta->is_object()) Fail("content_block_delta has no delta");
      const std::string kind = StringOr(*delta, "type");
      if (kind == "text_delta") {
        turn_.Text(StringOr(*delta, "text"), out);
      } else if (kind == "thinking_delta") {
        turn_.Reasoning(StringOr(*delta, "thinking"), out);
      } else if (kind == "input_json_delta") {
        const std::size_t index = IndexOf(parsed);
        Tool(index, {}, {}, StringOr(*delta, "partial_json"), out);
      }
    } else if (type == "content_block_stop") {
      const std::size_t index = IndexOf(parsed);
      if (index < arguments_.size() && arguments_[index]) {
        turn_.CompleteCall(index, out, CanonicalArguments(std::move(*arguments_[index])));
        arguments_[index].reset();
      }
    } else if (type == "message_delta") {
      if (const json* usage = Member(parsed, "usage"); usage != nullptr && usage->is_object()) {
        usage_ = UsageOf(*usage, usage_.value_or(Usage{}));
      }
      const json* delta = Member(parsed, "delta");
      if (delta != nullptr) stop_reason_ = StringOr(*delta, "stop_reason");
    } else if (type == "message_stop") {
      FinishTurn(out);
      done_ = true;
    }
  }

  std::size_t IndexOf(const json& event) const {
    return NamedEventDecoder::IndexOf(event, "index");
  }

  // A tool_use block's arguments arrive as fragments of JSON; they are kept whole too, so that
  // the complete call carries the same compact text as a non-streamed message (S8).
  void Tool(std::size_t index, const std::string& id, const std::string& name, std::string fragment,
            std::vector<StreamEvent>& out) {
    if (arguments_.size() <= index) arguments_.resize(index + 1);
    if (!arguments_[index]) arguments_[index].emplace();
    arguments_[index]->append(fragment);
    turn_.ToolDelta(index, id, name, std::move(fragment), out);
  }

  void CompleteCalls(std::vector<StreamEvent>& out) {
    for (std::size_t index = 0; index < arguments_.size(); ++index) {
      if (!arguments_[index]) continue;
      turn_.CompleteCall(index, out, CanonicalArguments(std::move(*arguments_[index])));
      arguments_[index].reset();
    }
  }

  void FinishTurn(std::vector<StreamEvent>& out) {
    CompleteCalls(out);
    if (usage_) turn_.SetUsage(*usage_, out);
    if (!turn_.finished())
      turn_.Finish(FinishOf(stop_reason_.empty() ? "end_turn" : stop_reason_), out);
  }

  std::vector<std::optional<std::string>> arguments_;  // By block index, until the block stops.
  std::optional<Usage> usage_;
  std::string stop_reason_;
};

}  // namespace

const Dialect& Messages() {
  static const Dialect dialect{.name = "anthropic",
                               .title = "Anthropic Messages",
                               .path = "/messages",
                               .scope = "anthropic",
                               .managed_fields = kManaged,
                               .auth = Auth::kAnthropic,
                               .server_noun = "The Anthropic server",
                               .build_body = BuildBody,
                               .decode = DecodeMessage,
                               .new_decoder = NewDecoder<MessagesDecoder>};
  return dialect;
}

}  // namespace provkit::wire
