// Chat Completions encoding and decoding; every server value is checked before use.
#include "chat_codec.hpp"

#include <utility>

#include "json_body.hpp"
#include "json_reader.hpp"

namespace provkit::chat {
namespace {

using json_body::AsInteger;
using json_body::Member;
using json_body::StringMember;
using nlohmann::json;

// Highest tool-call index accepted in a stream; bounds the assembly table.
constexpr long long kMaxToolCallIndex = wire::TurnAssembler::kMaxToolIndex;

constexpr const char* kMalformedHint =
    "The server's answer is not a Chat Completions response: check that the base URL points at an "
    "OpenAI-compatible API root (e.g. http://127.0.0.1:8080/v1).";
constexpr const char* kStreamErrorHint =
    "The server failed while streaming; its log says why. The session stays usable: retry the "
    "turn.";

json ToolCallJson(const ToolCall& call) {
  std::string arguments = call.arguments_text;
  if (arguments.empty()) {
    arguments = call.arguments.is_null()
                    ? "{}"
                    : call.arguments.dump(-1, ' ', false, json::error_handler_t::replace);
  }
  return {{"id", call.id},
          {"type", "function"},
          {"function", {{"name", call.name}, {"arguments", std::move(arguments)}}}};
}

json MessageJson(const Message& message) {
  json out = {{"role", message.role}, {"content", message.content}};
  if (!message.tool_calls.empty()) {
    json calls = json::array();
    for (const ToolCall& call : message.tool_calls) calls.push_back(ToolCallJson(call));
    out["tool_calls"] = std::move(calls);
  }
  if (!message.tool_call_id.empty()) out["tool_call_id"] = message.tool_call_id;
  return out;
}

// Appends the text of a message content (a string, or an array of text parts).
void AppendContent(const json& content, std::string& out) {
  if (const auto* text = content.get_ptr<const std::string*>()) {
    out.append(*text);
    return;
  }
  if (!content.is_array()) return;
  for (const json& part : content) {
    if (const std::string* text = StringMember(part, "text")) out.append(*text);
  }
}

// The reasoning of a message or delta: `reasoning_content` (llama.cpp, vLLM) or `reasoning`.
const json* ReasoningOf(const json& message) {
  const json* reasoning = Member(message, "reasoning_content");
  if (reasoning == nullptr || reasoning->is_null()) reasoning = Member(message, "reasoning");
  return reasoning;
}

std::optional<Usage> DecodeUsage(const json* usage) {
  if (usage == nullptr || !usage->is_object()) return std::nullopt;
  auto count = [&](std::string_view key) -> std::optional<long long> {
    const json* value = Member(*usage, key);
    return value == nullptr ? std::nullopt : AsInteger(*value);
  };
  Usage out;
  out.prompt_tokens = count("prompt_tokens").value_or(0);
  out.completion_tokens = count("completion_tokens").value_or(0);
  out.total_tokens = count("total_tokens").value_or(out.prompt_tokens + out.completion_tokens);
  return out;
}

// The choice with index 0, else the first object in `choices`; nullptr when there is none.
const json* FirstChoice(const json& choices) {
  const json* first = nullptr;
  for (const json& choice : choices) {
    if (!choice.is_object()) continue;
    const json* index = Member(choice, "index");
    if (index == nullptr || AsInteger(*index) == 0) return &choice;
    if (first == nullptr) first = &choice;
  }
  return first;
}

bool IsErrorEnvelope(const json& body) {
  const json* error = Member(body, "error");
  if (error != nullptr && !error->is_null()) return true;
  const std::string* object = StringMember(body, "object");
  return object != nullptr && *object == "error";
}

std::string ServerErrorText(const json& body) {
  return json_body::ErrorMessage(body).value_or("(no message)");
}

}  // namespace

json BuildRequestBody(const Environment& environment, const Input& input,
                      const Requirements& requirements, const std::optional<std::string>& model,
                      bool stream) {
  json body = json::object();
  if (model) body["model"] = *model;

  json messages = json::array();
  if (!environment.instructions.empty()) {
    messages.push_back({{"role", "system"}, {"content", environment.instructions}});
  }
  for (const Message& message : input.history) messages.push_back(MessageJson(message));
  for (const ToolResult& result : input.tool_results) {
    messages.push_back(
        {{"role", "tool"}, {"tool_call_id", result.call_id}, {"content", result.content}});
  }
  if (!input.text.empty()) messages.push_back({{"role", "user"}, {"content", input.text}});
  body["messages"] = std::move(messages);

  if (!environment.tools.empty()) {
    json tools = json::array();
    for (const Tool& tool : environment.tools) {
      json function = {{"name", tool.name}, {"parameters", tool.parameters}};
      if (!tool.description.empty()) function["description"] = tool.description;
      tools.push_back({{"type", "function"}, {"function", std::move(function)}});
    }
    body["tools"] = std::move(tools);
  }
  if (requirements.temperature) body["temperature"] = *requirements.temperature;
  if (requirements.top_p) body["top_p"] = *requirements.top_p;
  if (requirements.max_tokens) body["max_tokens"] = *requirements.max_tokens;
  if (requirements.seed) body["seed"] = *requirements.seed;
  if (requirements.tool_choice) body["tool_choice"] = *requirements.tool_choice;

  if (const json* local =
          wire::ScopedOptions(requirements.provider_options, kLocalScope, kManagedFields)) {
    wire::MergeInto(body, *local);
  }
  if (stream) {
    body["stream"] = true;
    json& options = body["stream_options"];
    if (!options.is_object()) options = json::object();
    options["include_usage"] = true;
  }
  return body;
}

Output DecodeCompletion(std::string_view body, const std::string& provider, Phase phase) {
  json parsed;
  if (!json_body::Parse(body, parsed)) {
    throw APIError(
        ErrorKind::kMalformedResponse, provider, phase,
        "The server's answer is not JSON: " + json_body::Printable(json_body::Trim(body), 200),
        kMalformedHint);
  }
  return DecodeCompletionJson(parsed, provider, phase);
}

Output DecodeCompletionJson(const json& body, const std::string& provider, Phase phase) {
  auto malformed = [&](const std::string& message) {
    return APIError(ErrorKind::kMalformedResponse, provider, phase, message, kMalformedHint);
  };
  try {
    if (!body.is_object()) throw malformed("The server's answer is not a JSON object");
    const json* choices = Member(body, "choices");
    if (IsErrorEnvelope(body) && (choices == nullptr || choices->is_null())) {
      throw malformed("The server answered with an error: " + ServerErrorText(body));
    }
    if (choices == nullptr || !choices->is_array()) {
      throw malformed("The server's answer has no `choices` list: not a chat.completion");
    }
    Output output;
    if (const std::string* id = StringMember(body, "id")) output.response_id = *id;
    output.usage = DecodeUsage(Member(body, "usage"));
    const json* choice = FirstChoice(*choices);
    if (choice == nullptr) return output;
    if (const std::string* finish = StringMember(*choice, "finish_reason")) {
      output.finish_reason = *finish;
    }
    const json* message = Member(*choice, "message");
    if (message == nullptr || !message->is_object()) return output;
    if (const json* content = Member(*message, "content")) AppendContent(*content, output.text);
    if (const json* reasoning = ReasoningOf(*message)) AppendContent(*reasoning, output.reasoning);
    if (const json* calls = Member(*message, "tool_calls"); calls != nullptr && calls->is_array()) {
      for (const json& call : *calls) {
        const json* function = Member(call, "function");
        if (function == nullptr || !function->is_object()) continue;
        const std::string* id = StringMember(call, "id");
        const std::string* name = StringMember(*function, "name");
        std::string arguments;
        if (const json* raw = Member(*function, "arguments"); raw != nullptr && !raw->is_null()) {
          arguments = raw->is_string() ? raw->get<std::string>()
                                       : raw->dump(-1, ' ', false, json::error_handler_t::replace);
        }
        output.tool_calls.push_back(wire::MakeToolCall(id != nullptr ? *id : std::string(),
                                                       name != nullptr ? *name : std::string(),
                                                       std::move(arguments)));
      }
    }
    return output;
  } catch (const APIError&) {
    throw;
  } catch (const std::exception& error) {
    throw malformed(std::string("The server's answer could not be decoded: ") + error.what());
  }
}

ChunkDecoder::ChunkDecoder(std::string provider, bool accumulate_text, bool fast_path)
    : provider_(std::move(provider)), fast_path_(fast_path), turn_(accumulate_text) {}

void ChunkDecoder::Fail(const std::string& message) const {
  throw APIError(ErrorKind::kStreamFailure, provider_, Phase::kStream, message, kStreamErrorHint);
}

void ChunkDecoder::Decode(std::string_view data, std::vector<StreamEvent>& out,
                          std::string_view event) {
  if (done_) return;
  const std::string_view trimmed = json_body::Trim(data);
  if (event == "error") {
    Fail("The server reported an error mid-stream: " +
         json_body::ErrorMessageOfBody(trimmed).value_or("(no message)"));
  }
  if (!event.empty() && event != "message") return;
  if (trimmed.empty()) return;
  if (trimmed == "[DONE]") {
    done_ = true;
    return;
  }
  fields_.id.clear();
  fields_.choices.clear();
  fields_.usage.reset();
  if (!fast_path_ || !ReadFast(trimmed)) {
    fields_.id.clear();
    fields_.choices.clear();
    fields_.usage.reset();
    ReadGeneral(trimmed);
  }
  Apply(out);
}

bool ChunkDecoder::ReadFast(std::string_view data) {
  JsonReader reader(data);
  using Kind = JsonReader::Kind;
  // The keys of one object read so far. A key seen twice sends the chunk to the general path,
  // where (as in nlohmann::json) the last value wins; this reader would merge the two.
  struct Keys {
    unsigned seen = 0;
    bool First(unsigned key) {
      const bool first = (seen & key) == 0;
      seen |= key;
      return first;
    }
  };
  // Reads a string or null into `out`; false for anything else.
  auto string_or_null = [&reader](std::string& out) {
    return reader.Peek() == Kind::kNull ? reader.ReadNull() : reader.ReadString(out);
  };
  auto read_tool_calls = [&](std::vector<ToolFragment>& fragments) {
    if (reader.Peek() == Kind::kNull) return reader.ReadNull();
    if (!reader.EnterArray()) return false;
    std::size_t position = 0;
    std::string_view key;
    while (reader.NextElement()) {
      if (!reader.EnterObject()) return false;
      ToolFragment& fragment = fragments.emplace_back();
      fragment.position = position++;
      Keys keys;
      while (reader.NextKey(key)) {
        if ((key == "index" && !keys.First(1)) || (key == "id" && !keys.First(2)) ||
            (key == "function" && !keys.First(4))) {
          return false;
        }
        if (key == "index") {
          long long index = 0;
          if (!reader.ReadInteger(index)) return false;
          fragment.index = index;
        } else if (key == "id") {
          if (!string_or_null(fragment.id)) return false;
        } else if (key == "function") {
          if (reader.Peek() == Kind::kNull) {
            reader.ReadNull();
            continue;
          }
          if (!reader.EnterObject()) return false;
          Keys function_keys;
          while (reader.NextKey(key)) {
            if ((key == "name" && !function_keys.First(1)) ||
                (key == "arguments" && !function_keys.First(2))) {
              return false;
            }
            if (key == "name") {
              if (!string_or_null(fragment.name)) return false;
            } else if (key == "arguments") {
              if (!string_or_null(fragment.arguments)) return false;
            } else if (!reader.Skip()) {
              return false;
            }
          }
        } else if (!reader.Skip()) {
          return false;
        }
      }
    }
    return reader.ok();
  };
  auto read_delta = [&](ChoiceFields& choice) {
    if (reader.Peek() == Kind::kNull) return reader.ReadNull();
    if (!reader.EnterObject()) return false;
    std::string_view key;
    bool has_reasoning_content = false;
    Keys keys;
    while (reader.NextKey(key)) {
      if ((key == "content" && !keys.First(1)) || (key == "reasoning_content" && !keys.First(2)) ||
          (key == "reasoning" && !keys.First(4)) || (key == "tool_calls" && !keys.First(8))) {
        return false;
      }
      if (key == "content") {
        if (!string_or_null(choice.content)) return false;
      } else if (key == "reasoning_content") {
        if (reader.Peek() == Kind::kNull) {
          reader.ReadNull();
          continue;
        }
        if (!reader.ReadString(choice.reasoning)) return false;
        has_reasoning_content = true;
      } else if (key == "reasoning") {
        if (reader.Peek() == Kind::kNull) {
          reader.ReadNull();
          continue;
        }
        if (!reader.ReadString(scratch_)) return false;
        if (!has_reasoning_content) choice.reasoning = scratch_;
      } else if (key == "tool_calls") {
        if (!read_tool_calls(choice.tool_calls)) return false;
      } else if (!reader.Skip()) {
        return false;
      }
    }
    return reader.ok();
  };
  auto read_choices = [&] {
    if (reader.Peek() == Kind::kNull) return reader.ReadNull();
    if (!reader.EnterArray()) return false;
    std::string_view key;
    while (reader.NextElement()) {
      if (!reader.EnterObject()) return false;
      ChoiceFields& choice = fields_.choices.emplace_back();
      long long index = 0;
      Keys keys;
      while (reader.NextKey(key)) {
        if ((key == "index" && !keys.First(1)) || (key == "delta" && !keys.First(2)) ||
            (key == "finish_reason" && !keys.First(4))) {
          return false;
        }
        if (key == "index") {
          if (!reader.ReadInteger(index)) return false;
        } else if (key == "delta") {
          if (!read_delta(choice)) return false;
        } else if (key == "finish_reason") {
          if (!string_or_null(choice.finish_reason)) return false;
        } else if (!reader.Skip()) {
          return false;
        }
      }
      if (index != 0) fields_.choices.pop_back();  // n > 1 unsupported
    }
    return reader.ok();
  };
  auto read_usage = [&] {
    if (reader.Peek() == Kind::kNull) return reader.ReadNull();
    if (!reader.EnterObject()) return false;
    std::string_view key;
    Usage usage;
    bool has_total = false;
    Keys keys;
    while (reader.NextKey(key)) {
      if ((key == "prompt_tokens" && !keys.First(1)) ||
          (key == "completion_tokens" && !keys.First(2)) ||
          (key == "total_tokens" && !keys.First(4))) {
        return false;
      }
      long long* slot = key == "prompt_tokens"       ? &usage.prompt_tokens
                        : key == "completion_tokens" ? &usage.completion_tokens
                        : key == "total_tokens"      ? &usage.total_tokens
                                                     : nullptr;
      if (slot == nullptr) {
        if (!reader.Skip()) return false;
        continue;
      }
      if (!reader.ReadInteger(*slot)) return false;
      has_total = has_total || slot == &usage.total_tokens;
    }
    if (!has_total) usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
    fields_.usage = usage;
    return reader.ok();
  };

  if (!reader.EnterObject()) return false;
  std::string_view key;
  Keys keys;
  while (reader.NextKey(key)) {
    if ((key == "choices" && !keys.First(1)) || (key == "usage" && !keys.First(2)) ||
        (key == "id" && !keys.First(4)) || (key == "object" && !keys.First(8))) {
      return false;
    }
    bool read = false;
    if (key == "choices") {
      read = read_choices();
    } else if (key == "usage") {
      read = read_usage();
    } else if (key == "id") {
      read = reader.Peek() == Kind::kString ? reader.ReadString(fields_.id) : reader.Skip();
    } else if (key == "error") {
      return false;  // The general path reports error envelopes.
    } else if (key == "object") {
      read = reader.Peek() == Kind::kString ? reader.ReadString(scratch_) && scratch_ != "error"
                                            : reader.Skip();
    } else {
      read = reader.Skip();
    }
    if (!read) return false;
  }
  return reader.AtEnd();
}

void ChunkDecoder::ReadGeneral(std::string_view data) {
  json chunk;
  if (!json_body::Parse(data, chunk) || !chunk.is_object()) {
    Fail("The server sent a malformed stream chunk: " + json_body::Printable(data, 200));
  }
  try {
    if (IsErrorEnvelope(chunk)) {
      Fail("The server reported an error mid-stream: " + ServerErrorText(chunk));
    }
    if (const std::string* id = StringMember(chunk, "id")) fields_.id = *id;
    if (const json* choices = Member(chunk, "choices"); choices != nullptr && !choices->is_null()) {
      if (!choices->is_array())
        Fail("The server sent a stream chunk whose `choices` is not a list");
      for (const json& choice : *choices) {
        if (!choice.is_object()) continue;
        const json* index = Member(choice, "index");
        if (index != nullptr && AsInteger(*index).value_or(0) != 0) continue;  // n > 1 unsupported
        ChoiceFields& fields = fields_.choices.emplace_back();
        if (const json* delta = Member(choice, "delta"); delta != nullptr && delta->is_object()) {
          if (const json* reasoning = ReasoningOf(*delta))
            AppendContent(*reasoning, fields.reasoning);
          if (const json* content = Member(*delta, "content"))
            AppendContent(*content, fields.content);
          if (const json* calls = Member(*delta, "tool_calls");
              calls != nullptr && calls->is_array()) {
            std::size_t position = 0;
            for (const json& call : *calls) {
              const std::size_t call_position = position++;
              if (!call.is_object()) continue;
              ToolFragment& fragment = fields.tool_calls.emplace_back();
              fragment.position = call_position;
              if (const json* raw_index = Member(call, "index"))
                fragment.index = AsInteger(*raw_index);
              if (const std::string* id = StringMember(call, "id")) fragment.id = *id;
              const json* function = Member(call, "function");
              if (function == nullptr || !function->is_object()) continue;
              if (const std::string* name = StringMember(*function, "name")) fragment.name = *name;
              if (const json* raw = Member(*function, "arguments");
                  raw != nullptr && !raw->is_null()) {
                fragment.arguments =
                    raw->is_string() ? raw->get<std::string>()
                                     : raw->dump(-1, ' ', false, json::error_handler_t::replace);
              }
            }
          }
        }
        if (const std::string* finish = StringMember(choice, "finish_reason"))
          fields.finish_reason = *finish;
      }
    }
    fields_.usage = DecodeUsage(Member(chunk, "usage"));
  } catch (const APIError&) {
    throw;
  } catch (const std::exception& error) {
    Fail(std::string("The server sent a stream chunk that could not be decoded: ") + error.what());
  }
}

void ChunkDecoder::Apply(std::vector<StreamEvent>& out) {
  if (!fields_.id.empty()) turn_.SetResponseId(std::move(fields_.id));
  for (ChoiceFields& choice : fields_.choices) {
    turn_.Reasoning(std::move(choice.reasoning), out);
    turn_.Text(std::move(choice.content), out);
    ApplyToolFragments(choice.tool_calls, out);
    turn_.Finish(std::move(choice.finish_reason), out);
  }
  if (fields_.usage) turn_.SetUsage(*fields_.usage, out);
}

void ChunkDecoder::ApplyToolFragments(std::vector<ToolFragment>& fragments,
                                      std::vector<StreamEvent>& out) {
  for (ToolFragment& fragment : fragments) {
    std::size_t index = fragment.position;
    if (fragment.index) {
      if (*fragment.index < 0 || *fragment.index > kMaxToolCallIndex) {
        Fail("The server sent a tool call index out of range: " + std::to_string(*fragment.index));
      }
      index = static_cast<std::size_t>(*fragment.index);
    }
    if (!turn_.ToolDelta(index, fragment.id, fragment.name, std::move(fragment.arguments), out)) {
      Fail("The server sent more tool calls in one chunk than supported");
    }
  }
}

void ChunkDecoder::Finish(std::vector<StreamEvent>& out) { turn_.CompleteCalls(out); }

Output ChunkDecoder::TakeOutput() { return turn_.Take(); }

}  // namespace provkit::chat

namespace provkit::wire {

const Dialect& ChatCompletions() {
  static const Dialect dialect{
      .name = "chat",
      .title = "Chat Completions",
      .path = "/chat/completions",
      .scope = chat::kLocalScope,
      .managed_fields = chat::kManagedFields,
      .auth = Auth::kBearer,
      .server_noun = "Local server",
      .build_body = chat::BuildRequestBody,
      .decode = chat::DecodeCompletion,
      .new_decoder = NewDecoder<chat::ChunkDecoder>};
  return dialect;
}

}  // namespace provkit::wire
