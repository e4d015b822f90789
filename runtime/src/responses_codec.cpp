// The OpenAI Responses wire format (POST /v1/responses): request bodies, `response` objects and
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

constexpr std::array<std::string_view, 3> kManaged = {"model", "input", "stream"};

constexpr const char* kMalformedHint =
    "The server's answer is not an OpenAI Responses `response`: check that the base URL is the API "
    "root (e.g. https://api.openai.com/v1) and that the server speaks the Responses API.";

std::string ArgumentsOf(const ToolCall& call) {
  if (!call.arguments_text.empty()) return call.arguments_text;
  return call.arguments.is_null() ? "{}" : Dump(call.arguments);
}

json BuildBody(const Environment& environment, const Input& input, const Requirements& requirements,
               const std::optional<std::string>& model, bool stream) {
  json body = json::object();
  if (model) body["model"] = *model;
  if (!environment.instructions.empty()) body["instructions"] = environment.instructions;
  json items = json::array();
  auto add_call_output = [&items](const std::string& call_id, const std::string& output) {
    items.push_back({{"type", "function_call_output"}, {"call_id", call_id}, {"output", output}});
  };
  for (const Message& message : input.history) {
    if (message.role == "tool") {
      add_call_output(message.tool_call_id, message.content);
      continue;
    }
    if (!message.content.empty() || message.tool_calls.empty()) {
      items.push_back({{"role", message.role}, {"content", message.content}});
    }
    for (const ToolCall& call : message.tool_calls) {
      items.push_back({{"type", "function_call"},
                       {"call_id", call.id},
                       {"name", call.name},
                       {"arguments", ArgumentsOf(call)}});
    }
  }
  for (const ToolResult& result : input.tool_results)
    add_call_output(result.call_id, result.content);
  if (!input.text.empty()) items.push_back({{"role", "user"}, {"content", input.text}});
  body["input"] = std::move(items);
  if (!environment.tools.empty()) {
    json tools = json::array();
    for (const Tool& tool : environment.tools) {
      json function = {{"type", "function"}, {"name", tool.name}, {"parameters", tool.parameters}};
      if (!tool.description.empty()) function["description"] = tool.description;
      tools.push_back(std::move(function));
    }
    body["tools"] = std::move(tools);
  }
  if (requirements.temperature) body["temperature"] = *requirements.temperature;
  if (requirements.top_p) body["top_p"] = *requirements.top_p;
  if (requirements.max_tokens) body["max_output_tokens"] = *requirements.max_tokens;
  if (requirements.tool_choice) {
    // Chat's {"type":"function","function":{"name":N}} is {"type":"function","name":N} here.
    json choice = *requirements.tool_choice;
    if (const json* function = Member(choice, "function"); function != nullptr) {
      if (const std::string* name = StringMember(*function, "name")) {
        choice = {{"type", "function"}, {"name", *name}};
      }
    }
    body["tool_choice"] = std::move(choice);
  }
  if (const json* options = ScopedOptions(requirements.provider_options, "openai", kManaged)) {
    MergeInto(body, *options);
  }
  if (stream) body["stream"] = true;
  return body;
}

std::optional<Usage> UsageOf(const json* usage) {
  if (usage == nullptr || !usage->is_object()) return std::nullopt;
  auto count = [&](std::string_view key) {
    const json* value = Member(*usage, key);
    return value == nullptr ? 0 : AsInteger(*value).value_or(0);
  };
  Usage out;
  out.prompt_tokens = count("input_tokens");
  out.completion_tokens = count("output_tokens");
  out.total_tokens = count("total_tokens");
  if (out.total_tokens == 0) out.total_tokens = out.prompt_tokens + out.completion_tokens;
  return out;
}

// The finish reason in Chat Completions' words: "stop", "tool_calls", or "length" for an
// incomplete answer cut by max_output_tokens.
std::string FinishOf(const json& response, bool has_calls) {
  const std::string status = StringOr(response, "status");
  if (status == "incomplete") {
    const json* details = Member(response, "incomplete_details");
    const std::string reason = details != nullptr ? StringOr(*details, "reason") : std::string();
    return reason == "max_output_tokens" || reason.empty() ? "length" : reason;
  }
  return has_calls ? "tool_calls" : "stop";
}

// The text parts of a `message` item's content, or a `reasoning` item's summary and content.
void AppendParts(const json* parts, std::string& out) {
  if (parts == nullptr || !parts->is_array()) return;
  for (const json& part : *parts) {
    if (const std::string* text = StringMember(part, "text")) out.append(*text);
  }
}

// The error message of a failed response or an `error` event, whichever shape it has.
std::string ErrorText(const json& event) {
  if (const json* response = Member(event, "response")) {
    if (const json* error = Member(*response, "error"); error != nullptr && error->is_object()) {
      if (const std::string* message = StringMember(*error, "message")) return *message;
    }
  }
  if (const std::string* message = StringMember(event, "message")) return *message;
  return json_body::ErrorMessage(event).value_or("(no message)");
}

Output DecodeResponseJson(const json& body, const std::string& provider, Phase phase) {
  auto malformed = [&](const std::string& message) {
    return APIError(ErrorKind::kMalformedResponse, provider, phase, message, kMalformedHint);
  };
  if (!body.is_object()) throw malformed("The server's answer is not a JSON object");
  const json* output = Member(body, "output");
  if (output == nullptr || output->is_null()) {
    if (const std::optional<std::string> error = json_body::ErrorMessage(body)) {
      throw malformed("The server answered with an error: " + *error);
    }
  }
  if (output == nullptr || !output->is_array()) {
    throw malformed("The server's answer has no `output` list: not a response object");
  }
  if (StringOr(body, "status") == "failed") {
    throw malformed("The response failed: " + ErrorText(json{{"response", body}}));
  }
  Output out;
  out.response_id = StringOr(body, "id");
  out.usage = UsageOf(Member(body, "usage"));
  for (const json& item : *output) {
    const std::string type = StringOr(item, "type");
    if (type == "message") {
      AppendParts(Member(item, "content"), out.text);
    } else if (type == "reasoning") {
      AppendParts(Member(item, "summary"), out.reasoning);
      AppendParts(Member(item, "content"), out.reasoning);
    } else if (type == "function_call") {
      out.tool_calls.push_back(MakeToolCall(StringOr(item, "call_id"), StringOr(item, "name"),
                                            StringOr(item, "arguments")));
    }
  }
  out.finish_reason = FinishOf(body, !out.tool_calls.empty());
  return out;
}

Output DecodeResponse(std::string_view body, const std::string& provider, Phase phase) {
  return DecodeResponseJson(ParseAnswer(body, provider, phase, kMalformedHint), provider, phase);
}

// The named events of a streamed response, in the order the API sends them. Events this
// provider does not need (content_part.*, output_text.done, ...) are skipped.
class ResponsesDecoder final : public NamedEventDecoder {
 public:
  using NamedEventDecoder::NamedEventDecoder;

 private:
  void OnEvent(const std::string& type, const json& parsed,
               std::vector<StreamEvent>& out) override {
    if (type == "error" || type == "response.failed") {
      Fail("The server reported an error mid-stream: " + ErrorText(parsed));
    }
    if (type == "response.created" || type == "response.in_progress") {
      if (const json* response = Member(parsed, "response")) {
        turn_.SetResponseId(StringOr(*response, "id"));
      }
    } else if (type == "response.output_text.delta") {
      turn_.Text(StringOr(parsed, "delta"), out);
    } else if (type == "response.reasoning_summary_text.delta" ||
               type == "response.reasoning_text.delta") {
      turn_.Reasoning(StringOr(parsed, "delta"), out);
    } else if (type == "response.output_item.added") {
      const json* item = Member(parsed, "item");
      if (item != nullptr && StringOr(*item, "type") == "function_call") {
        // Registers the call with its id and name; its arguments follow as deltas.
        ToolDelta(parsed, StringOr(*item, "call_id"), StringOr(*item, "name"),
                  StringOr(*item, "arguments"), out);
      }
    } else if (type == "response.function_call_arguments.delta") {
      ToolDelta(parsed, {}, {}, StringOr(parsed, "delta"), out);
    } else if (type == "response.output_item.done") {
      const json* item = Member(parsed, "item");
      if (item != nullptr && StringOr(*item, "type") == "function_call") {
        const json* arguments = Member(*item, "arguments");
        std::optional<std::string> whole;
        if (arguments != nullptr && arguments->is_string()) whole = arguments->get<std::string>();
        turn_.CompleteCall(IndexOf(parsed), out, whole);
      }
    } else if (type == "response.completed" || type == "response.incomplete") {
      const json* response = Member(parsed, "response");
      if (response == nullptr || !response->is_object()) {
        Fail("The server's " + type + " event has no response object");
      }
      turn_.SetResponseId(StringOr(*response, "id"));
      turn_.CompleteCalls(out);
      if (std::optional<Usage> usage = UsageOf(Member(*response, "usage"))) {
        turn_.SetUsage(*usage, out);
      }
      turn_.Finish(FinishOf(*response, turn_.call_count() > 0), out);
      done_ = true;
    }
  }

  std::size_t IndexOf(const json& event) const {
    return NamedEventDecoder::IndexOf(event, "output_index");
  }

  void ToolDelta(const json& event, const std::string& id, const std::string& name,
                 std::string fragment, std::vector<StreamEvent>& out) {
    turn_.ToolDelta(IndexOf(event), id, name, std::move(fragment), out);
  }
};

}  // namespace

const Dialect& Responses() {
  static const Dialect dialect{.name = "responses",
                               .title = "OpenAI Responses",
                               .path = "/responses",
                               .scope = "openai",
                               .managed_fields = kManaged,
                               .auth = Auth::kBearer,
                               .server_noun = "The OpenAI server",
                               .build_body = BuildBody,
                               .decode = DecodeResponse,
                               .new_decoder = NewDecoder<ResponsesDecoder>};
  return dialect;
}

}  // namespace provkit::wire
