// What the wire dialects share: scoped provider options, tool calls, and turn assembly.
#include "wire_dialect.hpp"

#include <utility>

#include "json_body.hpp"

namespace provkit::wire {

using nlohmann::json;

const json* ScopedOptions(const json& provider_options, std::string_view scope,
                          std::span<const std::string_view> managed) {
  if (provider_options.is_null()) return nullptr;
  const std::string example = "{\"" + std::string(scope) + "\": {\"top_k\": 20}}";
  if (!provider_options.is_object()) {
    throw ConfigurationError("provider_options must be an object of scopes by provider name",
                             "Pass e.g. " + example + ".", "provider_options");
  }
  const json* options = json_body::Member(provider_options, scope);
  if (options == nullptr || options->is_null()) return nullptr;
  const std::string field = "provider_options." + std::string(scope);
  if (!options->is_object()) {
    throw ConfigurationError(field + " must be an object of request body fields",
                             "Pass e.g. " + example + ".", field);
  }
  for (const std::string_view name : managed) {
    if (!options->contains(name)) continue;
    std::string list;
    for (const std::string_view each : managed) {
      list += list.empty() ? "" : ", ";
      list += each;
    }
    throw ConfigurationError(
        field + "." + std::string(name) + " would replace a field the provider manages",
        "Remove it: the provider sets " + list + " itself.", field + "." + std::string(name));
  }
  return options;
}

void MergeInto(json& target, const json& patch) {
  for (const auto& [key, value] : patch.items()) {
    json& slot = target[key];
    if (slot.is_object() && value.is_object()) {
      MergeInto(slot, value);
    } else {
      slot = value;
    }
  }
}

std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string StringOr(const json& object, std::string_view key) {
  const std::string* value = json_body::StringMember(object, key);
  return value != nullptr ? *value : std::string();
}

ToolCall MakeToolCall(std::string id, std::string name, std::string arguments_text) {
  ToolCall call{
      .id = std::move(id), .name = std::move(name), .arguments_text = std::move(arguments_text)};
  if (!json_body::Parse(call.arguments_text, call.arguments)) call.arguments = nullptr;
  return call;
}

void TurnAssembler::Text(std::string delta, std::vector<StreamEvent>& out) {
  if (delta.empty()) return;
  produced_ = true;
  if (accumulate_text_) text_.Append(delta);
  out.push_back(StreamEvent{.type = EventType::kTextDelta, .delta = std::move(delta)});
}

void TurnAssembler::Reasoning(std::string delta, std::vector<StreamEvent>& out) {
  if (delta.empty()) return;
  produced_ = true;
  if (accumulate_text_) reasoning_.Append(delta);
  out.push_back(StreamEvent{.type = EventType::kReasoningDelta, .delta = std::move(delta)});
}

bool TurnAssembler::ToolDelta(std::size_t index, const std::string& id, const std::string& name,
                              std::string fragment, std::vector<StreamEvent>& out) {
  if (index > kMaxToolIndex) return false;
  if (calls_.size() <= index) calls_.resize(index + 1);
  PendingCall& call = calls_[index];
  if (call.emitted) return true;
  call.used = true;
  if (call.id.empty()) call.id = id;
  if (call.name.empty()) call.name = name;
  call.arguments.append(fragment);
  produced_ = true;
  out.push_back(StreamEvent{.type = EventType::kToolCallDelta,
                            .delta = std::move(fragment),
                            .tool_index = static_cast<int>(index),
                            .tool_call = ToolCall{.id = call.id, .name = call.name}});
  return true;
}

void TurnAssembler::CompleteCall(std::size_t index, std::vector<StreamEvent>& out,
                                 const std::optional<std::string>& arguments) {
  if (index >= calls_.size()) return;
  PendingCall& call = calls_[index];
  if (!call.used || call.emitted) return;
  call.emitted = true;
  if (arguments) call.arguments = *arguments;
  ToolCall complete =
      MakeToolCall(std::move(call.id), std::move(call.name), std::move(call.arguments));
  output_.tool_calls.push_back(complete);
  out.push_back(StreamEvent{.type = EventType::kToolCall,
                            .tool_index = static_cast<int>(index),
                            .tool_call = std::move(complete)});
}

void TurnAssembler::CompleteCalls(std::vector<StreamEvent>& out) {
  for (std::size_t index = 0; index < calls_.size(); ++index) CompleteCall(index, out);
}

void TurnAssembler::Finish(std::string reason, std::vector<StreamEvent>& out) {
  if (reason.empty()) return;
  CompleteCalls(out);
  output_.finish_reason = reason;
  out.push_back(StreamEvent{.type = EventType::kFinish, .finish_reason = std::move(reason)});
}

void TurnAssembler::SetUsage(Usage usage, std::vector<StreamEvent>& out) {
  output_.usage = usage;
  out.push_back(StreamEvent{.type = EventType::kUsage, .usage = usage});
}

void TurnAssembler::SetResponseId(std::string id) {
  if (output_.response_id.empty()) output_.response_id = std::move(id);
}

Output TurnAssembler::Take() {
  output_.text = text_.Take();
  output_.reasoning = reasoning_.Take();
  return std::move(output_);
}

json ParseAnswer(std::string_view body, const std::string& provider, Phase phase,
                 const char* hint) {
  json parsed;
  if (!json_body::Parse(body, parsed)) {
    throw APIError(
        ErrorKind::kMalformedResponse, provider, phase,
        "The server's answer is not JSON: " + json_body::Printable(json_body::Trim(body), 200),
        hint);
  }
  return parsed;
}

void NamedEventDecoder::Decode(std::string_view data, std::vector<StreamEvent>& out,
                               std::string_view event) {
  if (done_) return;
  const std::string_view trimmed = json_body::Trim(data);
  if (trimmed.empty()) return;
  json parsed;
  if (!json_body::Parse(trimmed, parsed) || !parsed.is_object()) {
    Fail("The server sent a stream event that is not a JSON object: " +
         json_body::Printable(trimmed, 200));
  }
  const std::string* type = json_body::StringMember(parsed, "type");
  OnEvent(type != nullptr ? *type : std::string(event), parsed, out);
}

void NamedEventDecoder::Fail(const std::string& message) const {
  throw APIError(ErrorKind::kStreamFailure, provider_, Phase::kStream, message,
                 "The server failed while streaming; the session stays usable: retry the turn.");
}

std::size_t NamedEventDecoder::IndexOf(const json& event, std::string_view key) const {
  const json* index = json_body::Member(event, key);
  const std::optional<long long> value =
      index != nullptr ? json_body::AsInteger(*index) : std::nullopt;
  if (!value || *value < 0 || *value > static_cast<long long>(TurnAssembler::kMaxToolIndex)) {
    const std::string* type = json_body::StringMember(event, "type");
    Fail("The server sent a " + json_body::Printable(type != nullptr ? *type : "stream", 100) +
         " event without a valid " + std::string(key));
  }
  return static_cast<std::size_t>(*value);
}

}  // namespace provkit::wire
