// The adapter protocol reader: one stdout line, and the JSON values in it, to provkit values.
#include "adapter_protocol.hpp"

#include <cstdint>
#include <limits>
#include <map>
#include <utility>

namespace provkit::conformance::adapter_protocol {

using nlohmann::json;

std::string Clip(std::string_view text, std::size_t limit) {
  if (text.size() <= limit) return std::string(text);
  return std::string(text.substr(0, limit)) + "...";
}

void Violation(const std::string& what, const json& value) {
  throw HarnessError("protocol violation: " + what + " in " +
                     Clip(value.dump(-1, ' ', false, json::error_handler_t::replace)));
}

namespace {

std::string StringField(const json& object, const char* key, bool required) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) {
    if (required) Violation(std::string("missing '") + key + "'", object);
    return {};
  }
  if (!it->is_string()) Violation(std::string("'") + key + "' is not a string", object);
  return it->get<std::string>();
}

// `value`'s integer `key` when present; absent, null or not an integer: nullopt. An integer that
// does not fit an int is a violation, never a truncated number.
std::optional<int> IntField(const json& value, const char* key) {
  const auto it = value.find(key);
  if (it == value.end() || !it->is_number_integer()) return std::nullopt;
  constexpr auto kMax = std::numeric_limits<int>::max();
  const bool fits = it->is_number_unsigned()
                        ? it->get<std::uint64_t>() <= static_cast<std::uint64_t>(kMax)
                        : it->get<std::int64_t>() >= std::numeric_limits<int>::min() &&
                              it->get<std::int64_t>() <= kMax;
  if (!fits) Violation(std::string("'") + key + "' is out of range", value);
  return static_cast<int>(it->get<std::int64_t>());
}

ToolCall ToolCallFromJson(const json& value) {
  if (!value.is_object()) Violation("a tool call that is not an object", value);
  ToolCall call;
  call.id = StringField(value, "id", false);
  call.name = StringField(value, "name", true);
  call.arguments_text = StringField(value, "arguments_text", false);
  call.arguments = value.value("arguments", json(nullptr));
  return call;
}

Usage UsageFromJson(const json& value) {
  if (!value.is_object()) Violation("usage that is not an object", value);
  Usage usage;
  auto number = [&](const char* key) -> long long {
    const auto it = value.find(key);
    if (it == value.end() || it->is_null()) return 0;
    if (!it->is_number_integer())
      Violation(std::string("usage '") + key + "' is not an integer", value);
    return it->get<long long>();
  };
  usage.prompt_tokens = number("prompt_tokens");
  usage.completion_tokens = number("completion_tokens");
  usage.total_tokens = number("total_tokens");
  return usage;
}

}  // namespace

Output OutputFromJson(const json& value) {
  if (!value.is_object()) Violation("an output that is not an object", value);
  Output output;
  output.text = StringField(value, "text", true);
  output.reasoning = StringField(value, "reasoning", false);
  if (const auto calls = value.find("tool_calls"); calls != value.end() && !calls->is_null()) {
    if (!calls->is_array()) Violation("'tool_calls' is not a list", value);
    for (const json& call : *calls) output.tool_calls.push_back(ToolCallFromJson(call));
  }
  if (const auto usage = value.find("usage"); usage != value.end() && !usage->is_null()) {
    output.usage = UsageFromJson(*usage);
  }
  output.finish_reason = StringField(value, "finish_reason", false);
  output.response_id = StringField(value, "response_id", false);
  return output;
}

ProviderReadiness ReadinessFromJson(const json& value) {
  if (!value.is_object()) Violation("a readiness record that is not an object", value);
  try {
    return value.get<ProviderReadiness>();
  } catch (const json::exception& error) {
    Violation(std::string("a malformed readiness record (") + error.what() + ")", value);
  }
}

StreamEvent EventFromJson(const json& value) {
  if (!value.is_object()) Violation("an event that is not an object", value);
  static const std::map<std::string, EventType> kTypes = {
      {"start", EventType::kStart},
      {"text_delta", EventType::kTextDelta},
      {"reasoning_delta", EventType::kReasoningDelta},
      {"tool_call_delta", EventType::kToolCallDelta},
      {"tool_call", EventType::kToolCall},
      {"usage", EventType::kUsage},
      {"finish", EventType::kFinish},
      {"done", EventType::kDone}};
  const auto type = kTypes.find(StringField(value, "type", true));
  if (type == kTypes.end()) Violation("an unknown event type", value);
  StreamEvent event;
  event.type = type->second;
  event.delta = StringField(value, "delta", false);
  event.finish_reason = StringField(value, "finish_reason", false);
  if (const auto index = IntField(value, "tool_index")) event.tool_index = *index;
  if (const auto call = value.find("tool_call"); call != value.end() && call->is_object()) {
    event.tool_call.id = StringField(*call, "id", false);
    event.tool_call.name = StringField(*call, "name", false);
    event.tool_call.arguments_text = StringField(*call, "arguments_text", false);
    event.tool_call.arguments = call->value("arguments", json(nullptr));
  }
  if (const auto usage = value.find("usage"); usage != value.end() && usage->is_object()) {
    event.usage = UsageFromJson(*usage);
  }
  return event;
}

SubjectError ErrorFromJson(const json& value) {
  if (!value.is_object()) Violation("an error that is not an object", value);
  return SubjectError(StringField(value, "kind", true), StringField(value, "message", false),
                      StringField(value, "hint", false), IntField(value, "status_code"));
}

Line ParseLine(std::string_view text) {
  Line line;
  if (text.empty() || text == "\r") return line;
  line.kind = Line::Kind::kViolation;
  const json message = json::parse(text, nullptr, false);
  if (message.is_discarded() || !message.is_object()) {
    line.violation = "protocol violation: a line that is not a JSON object: " + Clip(text);
    return line;
  }
  const auto id_field = message.find("id");
  if (id_field == message.end() || !id_field->is_number_integer()) {
    const bool reported_error = message.find("error") != message.end();
    line.violation = "protocol violation: a line without an integer id: " + Clip(text) +
                     (reported_error ? " (the adapter reported an error)" : "");
    return line;
  }
  line.id = id_field->get<std::int64_t>();
  if (const auto event = message.find("event"); event != message.end()) {
    line.kind = Line::Kind::kEvent;
    line.payload = *event;
  } else if (const auto result = message.find("result"); result != message.end()) {
    line.kind = Line::Kind::kResult;
    line.payload = *result;
  } else if (const auto error = message.find("error"); error != message.end()) {
    try {
      line.error = ErrorFromJson(*error);
      line.kind = Line::Kind::kError;
    } catch (const HarnessError& violation) {
      line.violation = violation.what();
    }
  } else {
    line.violation =
        "protocol violation: an answer with neither result, error nor event: " + Clip(text);
  }
  return line;
}

}  // namespace provkit::conformance::adapter_protocol
