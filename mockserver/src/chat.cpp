// Chat completions: reading the request, building the answer, and the SSE event source for streams.
#include "chat.hpp"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "json_util.hpp"

namespace provkit::mock {
namespace {

using nlohmann::json;
using ordered = nlohmann::ordered_json;

constexpr std::size_t kHugePieceBytes = 64 * 1024;
constexpr int kEventsPerKeepAlive = 8;

/// The text of a message's content: a string, or the text parts of an array.
std::string ContentText(const json& content) {
  if (content.is_string()) return content.get<std::string>();
  std::string text;
  if (content.is_array()) {
    for (const json& part : content) {
      if (part.is_object() && part.value("type", "") == "text" && part.contains("text") &&
          part["text"].is_string()) {
        if (!text.empty()) text += ' ';
        text += part["text"].get<std::string>();
      }
    }
  }
  return text;
}

std::string AnswerId(const ChatAnswer& answer) {
  std::uint64_t hash = 1469598103934665603ULL;
  const auto mix = [&hash](std::string_view text) {
    for (char c : text) {
      hash ^= static_cast<unsigned char>(c);
      hash *= 1099511628211ULL;
    }
    hash ^= 0xFF;
    hash *= 1099511628211ULL;
  };
  mix(answer.model);
  mix(answer.text);
  mix(answer.reasoning);
  mix(answer.finish_reason);
  for (const ToolCall& call : answer.tool_calls) {
    mix(call.id);
    mix(call.name);
    mix(call.arguments);
  }
  char text[32];
  std::snprintf(text, sizeof text, "chatcmpl-%016llx", static_cast<unsigned long long>(hash));
  return text;
}

ordered UsageJson(const Usage& usage) {
  return {{"prompt_tokens", usage.prompt_tokens},
          {"completion_tokens", usage.completion_tokens},
          {"total_tokens", usage.total_tokens}};
}

/// The name of the tool that the latest assistant turn before `messages[before]` called with id
/// `call_id`, as a list of at most one name. Searching backwards matters: a server that numbers
/// its calls per reply ("call_0") gives every round of an agent loop the same ids.
std::vector<std::string> CalledTool(const json& messages, std::size_t before,
                                    const std::string& call_id) {
  if (call_id.empty()) return {};
  for (std::size_t i = std::min(before, messages.size()); i-- > 0;) {
    const json& message = messages[i];
    const auto calls = message.is_object() ? message.find("tool_calls") : message.end();
    if (calls == message.end() || !calls->is_array()) continue;
    for (const json& call : *calls) {
      if (!call.is_object() || StringField(call, "id") != call_id) continue;
      const auto function = call.find("function");
      if (function != call.end() && function->is_object()) return {StringField(*function, "name")};
    }
  }
  return {};
}

}  // namespace

ParsedChatRequest ReadChatRequest(const json& document, bool empty_messages_ok,
                                  std::string_view missing_messages) {
  ParsedChatRequest parsed;
  if (!document.is_object()) {
    parsed.error = "the request body must be a JSON object";
    return parsed;
  }
  ChatRequest& request = parsed.request;
  if (const auto model = document.find("model"); model != document.end()) {
    if (!model->is_string()) {
      parsed.error = "'model' must be a string";
      return parsed;
    }
    request.model = model->get<std::string>();
  }
  const auto messages = document.find("messages");
  if (messages == document.end() || !messages->is_array() ||
      (messages->empty() && !empty_messages_ok)) {
    parsed.error = std::string(missing_messages);
    return parsed;
  }
  for (std::size_t index = 0; index < messages->size(); ++index) {
    const json& message = (*messages)[index];
    if (!message.is_object()) {
      parsed.error = "each message must be an object";
      return parsed;
    }
    Turn turn;
    turn.role = StringField(message, "role");
    turn.text = message.contains("content") ? ContentText(message["content"]) : std::string();
    if (const auto calls = message.find("tool_calls");
        calls != message.end() && calls->is_array()) {
      for (const json& call : *calls) {
        const auto function = call.is_object() ? call.find("function") : call.end();
        if (function != call.end() && function->is_object()) {
          turn.tool_names.push_back(StringField(*function, "name"));
        }
      }
    }
    if (turn.role == "tool") {
      if (std::string name = StringField(message, "name"); !name.empty()) {
        turn.tool_names.push_back(std::move(name));
      } else {
        turn.tool_names = CalledTool(*messages, index, StringField(message, "tool_call_id"));
      }
    }
    AddTurn(request, std::move(turn));
  }
  request.conversation.model = request.model;
  if (const auto stream = document.find("stream"); stream != document.end() && !stream->is_null()) {
    if (!stream->is_boolean()) {
      parsed.error = "'stream' must be true or false";
      return parsed;
    }
    request.stream = stream->get<bool>();
  }
  if (const auto options = document.find("stream_options");
      options != document.end() && options->is_object()) {
    const auto include = options->find("include_usage");
    request.include_usage =
        include != options->end() && include->is_boolean() && include->get<bool>();
  }
  if (const auto kwargs = document.find("chat_template_kwargs");
      kwargs != document.end() && kwargs->is_object()) {
    const auto thinking = kwargs->find("enable_thinking");
    request.enable_thinking =
        thinking != kwargs->end() && thinking->is_boolean() && thinking->get<bool>();
  }
  return parsed;
}

void AddTurn(ChatRequest& request, Turn turn) {
  request.prompt_words += CountWords(turn.text);
  request.conversation.turns.push_back(std::move(turn));
}

ChatAnswer MakeAnswer(const ChatRequest& request, const Reply& reply, std::string model,
                      std::int64_t created) {
  ChatAnswer answer;
  answer.model = std::move(model);
  answer.created = created;
  answer.text = reply.text;
  if (request.enable_thinking) answer.reasoning = reply.reasoning;
  answer.tool_calls = reply.tool_calls;
  long long answer_words = CountWords(answer.text) + CountWords(answer.reasoning);
  for (std::size_t i = 0; i < answer.tool_calls.size(); ++i) {
    if (answer.tool_calls[i].id.empty()) answer.tool_calls[i].id = "call_" + std::to_string(i);
    answer_words += CountWords(answer.tool_calls[i].arguments);
  }
  answer.finish_reason = !reply.finish_reason.empty() ? reply.finish_reason
                         : answer.tool_calls.empty()  ? "stop"
                                                      : "tool_calls";
  if (reply.usage) {
    answer.usage = *reply.usage;
    if (answer.usage.total_tokens == 0) {
      answer.usage.total_tokens = answer.usage.prompt_tokens + answer.usage.completion_tokens;
    }
  } else {
    answer.usage.prompt_tokens = std::max(1LL, request.prompt_words);
    answer.usage.completion_tokens = std::max(1LL, answer_words);
    answer.usage.total_tokens = answer.usage.prompt_tokens + answer.usage.completion_tokens;
  }
  answer.id = AnswerId(answer);
  return answer;
}

std::string CompletionJson(const ChatAnswer& answer) {
  ordered message = {{"role", "assistant"}};
  message["content"] =
      answer.text.empty() && !answer.tool_calls.empty() ? ordered(nullptr) : ordered(answer.text);
  if (!answer.reasoning.empty()) message["reasoning_content"] = answer.reasoning;
  if (!answer.tool_calls.empty()) {
    ordered calls = ordered::array();
    for (const ToolCall& call : answer.tool_calls) {
      calls.push_back({{"id", call.id},
                       {"type", "function"},
                       {"function", {{"name", call.name}, {"arguments", call.arguments}}}});
    }
    message["tool_calls"] = std::move(calls);
  }
  const ordered completion = {
      {"id", answer.id},
      {"object", "chat.completion"},
      {"created", answer.created},
      {"model", answer.model},
      {"choices",
       {{{"index", 0}, {"message", std::move(message)}, {"finish_reason", answer.finish_reason}}}},
      {"usage", UsageJson(answer.usage)}};
  return completion.dump(-1, ' ', false, ordered::error_handler_t::replace);
}

ChatEventSource::ChatEventSource(ChatAnswer answer, Profile profile, std::size_t chunk_chars,
                                 bool include_usage, bool role_content_null)
    : answer_(std::move(answer)),
      profile_(profile),
      chunk_chars_(chunk_chars == 0 ? 1 : chunk_chars),
      include_usage_(include_usage),
      role_content_null_(role_content_null),
      data_prefix_(profile == Profile::kTgi ? "data:" : "data: "),
      since_comment_(profile == Profile::kTgi ? kEventsPerKeepAlive : 0) {
  chunk_prefix_ = R"({"id":")" + answer_.id + R"(","object":"chat.completion.chunk","created":)" +
                  std::to_string(answer_.created) + R"(,"model":)";
  AppendJsonString(chunk_prefix_, answer_.model);
  chunk_prefix_ += R"(,"choices":[{"index":0,"delta":)";
}

void ChatEventSource::BeginEvent(std::string& out) const {
  out += data_prefix_;
  out += chunk_prefix_;
}

void ChatEventSource::AppendChunk(std::string& out, std::string_view delta,
                                  std::string_view finish_reason) const {
  BeginEvent(out);
  out += delta;
  if (finish_reason.empty()) {
    out += R"(,"finish_reason":null}]})";
  } else {
    out += R"(,"finish_reason":)";
    AppendJsonString(out, finish_reason);
    out += "}]}";
  }
  out += "\n\n";
}

bool ChatEventSource::AppendPiece(std::string& out, const std::string& text, std::size_t& offset,
                                  std::string_view key) {
  if (offset >= text.size()) return false;
  const std::string_view rest = std::string_view(text).substr(offset);
  const std::size_t length = Utf8PrefixBytes(rest, chunk_chars_);
  BeginEvent(out);
  if (key == "arguments") {
    out += R"({"tool_calls":[{"index":)";
    out += std::to_string(tool_);
    out += R"(,"function":{"arguments":)";
    AppendJsonString(out, rest.substr(0, length));
    out += "}}]}";
  } else {
    out += "{\"";
    out += key;
    out += "\":";
    AppendJsonString(out, rest.substr(0, length));
    out += '}';
  }
  out += ",\"finish_reason\":null}]}\n\n";
  offset += length;
  return true;
}

bool ChatEventSource::AtTerminator() const {
  return phase_ == Phase::kDone || phase_ == Phase::kEnd;
}

void ChatEventSource::AppendData(std::string& out, std::string_view payload) const {
  out += data_prefix_;
  out += payload;
  out += "\n\n";
}

std::string ChatEventSource::TruncatedPayload() const {
  return chunk_prefix_ + R"({"content":"trunc)";
}

std::string ChatEventSource::WrongShapePayload() const {
  return R"({"object":"chat.completion.chunk","choices":"none"})";
}

bool ChatEventSource::PadContent(std::size_t bytes) {
  huge_ = true;
  huge_bytes_ = bytes;
  return true;
}

ChatEventSource::Step ChatEventSource::Next(std::string& out) {
  if (phase_ == Phase::kEnd) return Step::kEnd;
  if (profile_ == Profile::kTgi && since_comment_ >= kEventsPerKeepAlive &&
      phase_ != Phase::kHugeContent) {
    since_comment_ = 0;
    out += ": keep-alive\n\n";
    return Step::kPartial;
  }
  for (;;) {
    switch (phase_) {
      case Phase::kRole:
        AppendChunk(out,
                    role_content_null_ ? R"({"role":"assistant","content":null})"
                                       : R"({"role":"assistant","content":""})",
                    {});
        phase_ = Phase::kReasoning;
        break;
      case Phase::kReasoning:
        if (AppendPiece(out, answer_.reasoning, offset_, "reasoning_content")) break;
        offset_ = 0;
        phase_ = huge_ ? Phase::kHugeContent : Phase::kContent;
        continue;
      case Phase::kContent:
        if (AppendPiece(out, answer_.text, offset_, "content")) break;
        offset_ = 0;
        tool_ = 0;
        phase_ = Phase::kToolHeader;
        continue;
      case Phase::kHugeContent: {
        const bool first = offset_ == 0;
        if (first) {
          BeginEvent(out);
          out += R"({"content":")";
          huge_remaining_ = huge_bytes_;
          offset_ = 1;
        }
        const std::size_t count = std::min(huge_remaining_, kHugePieceBytes);
        out.append(count, 'x');
        huge_remaining_ -= count;
        if (huge_remaining_ == 0) {
          out += "\"},\"finish_reason\":null}]}\n\n";
          offset_ = 0;
          tool_ = 0;
          phase_ = Phase::kToolHeader;
        }
        if (!first) return Step::kPartial;
        break;
      }
      case Phase::kToolHeader: {
        if (tool_ >= answer_.tool_calls.size()) {
          phase_ = Phase::kFinal;
          continue;
        }
        const ToolCall& call = answer_.tool_calls[tool_];
        BeginEvent(out);
        out += R"({"tool_calls":[{"index":)" + std::to_string(tool_) + R"(,"id":)";
        AppendJsonString(out, call.id);
        out += R"(,"type":"function","function":{"name":)";
        AppendJsonString(out, call.name);
        out += R"(,"arguments":""}}]},"finish_reason":null}]})";
        out += "\n\n";
        offset_ = 0;
        phase_ = Phase::kToolArguments;
        break;
      }
      case Phase::kToolArguments:
        if (AppendPiece(out, answer_.tool_calls[tool_].arguments, offset_, "arguments")) break;
        ++tool_;
        phase_ = Phase::kToolHeader;
        continue;
      case Phase::kFinal:
        AppendChunk(out, "{}", answer_.finish_reason);
        phase_ = include_usage_ ? Phase::kUsage : Phase::kDone;
        break;
      case Phase::kUsage:
        out += data_prefix_;
        out += R"({"id":")" + answer_.id + R"(","object":"chat.completion.chunk","created":)" +
               std::to_string(answer_.created) + R"(,"model":)";
        AppendJsonString(out, answer_.model);
        out += R"(,"choices":[],"usage":)" + UsageJson(answer_.usage).dump() + "}\n\n";
        phase_ = Phase::kDone;
        break;
      case Phase::kDone:
        AppendData(out, "[DONE]");
        phase_ = Phase::kEnd;
        break;
      case Phase::kEnd:
        return Step::kEnd;
    }
    ++since_comment_;
    return Step::kEvent;
  }
}

}  // namespace provkit::mock
