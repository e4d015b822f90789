// The Anthropic Messages dialect: POST <base>/messages, plain or streamed with named events.
#include "messages_dialect.hpp"

#include <map>
#include <nlohmann/json.hpp>

#include "chat.hpp"
#include "json_util.hpp"
#include "models.hpp"
#include "named_events.hpp"

namespace provkit::mock {
namespace {

using nlohmann::json;
using ordered = nlohmann::ordered_json;

Plan Refused(Body body) { return Plan::Of(std::move(body), true); }

std::string Dump(const ordered& value) {
  return value.dump(-1, ' ', false, ordered::error_handler_t::replace);
}

std::string_view ErrorType(int status) {
  switch (status) {
    case 400:
      return "invalid_request_error";
    case 401:
      return "authentication_error";
    case 403:
      return "permission_error";
    case 404:
      return "not_found_error";
    case 413:
      return "request_too_large";
    case 429:
      return "rate_limit_error";
    case 503:
    case 529:
      return "overloaded_error";
    default:
      return status >= 500 ? "api_error" : "invalid_request_error";
  }
}

/// The message of a profile's error envelope (nested, flat or a string error), else its text.
std::string ErrorMessage(const Body& body) {
  const json parsed = json::parse(body.text, nullptr, false);
  if (parsed.is_object()) {
    if (const auto error = parsed.find("error"); error != parsed.end()) {
      if (error->is_string()) return error->get<std::string>();
      if (error->is_object() && error->contains("message") && (*error)["message"].is_string())
        return (*error)["message"].get<std::string>();
    }
    for (const char* key : {"message", "detail"}) {
      if (std::string text = StringField(parsed, key); !text.empty()) return text;
    }
  }
  return body.text.empty() ? std::string(ErrorType(body.status)) : body.text;
}

/// The text of blocks (or a string), for `system` and tool results.
std::string BlocksText(const json& content) {
  if (content.is_string()) return content.get<std::string>();
  std::string text;
  if (!content.is_array()) return text;
  for (const json& block : content) {
    if (!block.is_object() || StringField(block, "type") != "text") continue;
    if (!text.empty()) text += ' ';
    text += StringField(block, "text");
  }
  return text;
}

/// One message: its text blocks make a turn of its role; each tool_use block names a tool the
/// assistant called; each tool_result block is a "tool" turn naming the tool it answers.
std::string ReadMessage(const json& message, std::map<std::string, std::string>& called,
                        ChatRequest& request) {
  if (!message.is_object()) return "messages: each message must be an object";
  const std::string role = StringField(message, "role");
  if (role != "user" && role != "assistant")
    return "messages: role must be \"user\" or \"assistant\"";
  const auto content = message.find("content");
  if (content == message.end() || !(content->is_string() || content->is_array()))
    return "messages: content must be a string or an array of content blocks";
  Turn turn{role, content->is_string() ? content->get<std::string>() : std::string(), {}};
  std::vector<Turn> results;
  if (content->is_array()) {
    for (const json& block : *content) {
      if (!block.is_object()) return "messages: each content block must be an object";
      const std::string type = StringField(block, "type");
      if (type == "text") {
        if (!turn.text.empty()) turn.text += ' ';
        turn.text += StringField(block, "text");
      } else if (type == "tool_use") {
        const std::string name = StringField(block, "name");
        called[StringField(block, "id")] = name;
        turn.tool_names.push_back(name);
      } else if (type == "tool_result") {
        Turn result{"tool", block.contains("content") ? BlocksText(block["content"]) : "", {}};
        if (const auto name = called.find(StringField(block, "tool_use_id")); name != called.end())
          result.tool_names.push_back(name->second);
        results.push_back(std::move(result));
      }
    }
  }
  for (Turn& result : results) AddTurn(request, std::move(result));
  if (results.empty() || !turn.text.empty() || !turn.tool_names.empty())
    AddTurn(request, std::move(turn));
  return {};
}

}  // namespace

ParsedChatRequest ReadMessagesRequest(const json& document) {
  ParsedChatRequest parsed;
  ChatRequest& request = parsed.request;
  if (!document.is_object()) {
    parsed.error = "the request body must be a JSON object";
    return parsed;
  }
  const auto model = document.find("model");
  if (model == document.end() || !model->is_string()) {
    parsed.error =
        model == document.end() ? "model: Field required" : "model: Input should be a valid string";
    return parsed;
  }
  request.model = model->get<std::string>();
  request.conversation.model = request.model;
  const auto max_tokens = document.find("max_tokens");
  if (max_tokens == document.end() || !max_tokens->is_number_integer()) {
    parsed.error = max_tokens == document.end() ? "max_tokens: Field required"
                                                : "max_tokens: Input should be a valid integer";
    return parsed;
  }
  if (const auto system = document.find("system"); system != document.end()) {
    if (!system->is_string() && !system->is_array()) {
      parsed.error = "system: Input should be a valid string or a list of text blocks";
      return parsed;
    }
    AddTurn(request, {"system", BlocksText(*system), {}});
  }
  const auto messages = document.find("messages");
  if (messages == document.end() || !messages->is_array()) {
    parsed.error = messages == document.end() ? "messages: Field required"
                                              : "messages: Input should be a valid list";
    return parsed;
  }
  std::map<std::string, std::string> called;  // tool_use id -> tool name
  for (const json& message : *messages) {
    if (std::string error = ReadMessage(message, called, request); !error.empty()) {
      parsed.error = std::move(error);
      return parsed;
    }
  }
  if (const auto stream = document.find("stream"); stream != document.end() && !stream->is_null()) {
    if (!stream->is_boolean()) {
      parsed.error = "stream: Input should be a valid boolean";
      return parsed;
    }
    request.stream = stream->get<bool>();
  }
  if (const auto thinking = document.find("thinking");
      thinking != document.end() && thinking->is_object()) {
    request.enable_thinking = StringField(*thinking, "type") == "enabled";
  }
  if (const auto tools = document.find("tools");
      tools != document.end() && !tools->is_null() && !tools->is_array()) {
    parsed.error = "tools: Input should be a valid list";
    return parsed;
  }
  return parsed;
}

namespace {

/// The blocks of an answer in order: thinking, text, tool_use per call.
struct Block {
  enum Kind { kThinking, kText, kToolUse } kind;
  std::size_t call = 0;  ///< kToolUse: the tool call's index.
};

std::vector<Block> BlocksOf(const ChatAnswer& answer, bool force_text) {
  std::vector<Block> blocks;
  if (!answer.reasoning.empty()) blocks.push_back({Block::kThinking});
  if (force_text || !answer.text.empty() || answer.tool_calls.empty())
    blocks.push_back({Block::kText});
  for (std::size_t i = 0; i < answer.tool_calls.size(); ++i) blocks.push_back({Block::kToolUse, i});
  return blocks;
}

struct AnthropicAnswer {
  ChatAnswer chat;
  std::string digest;
  std::vector<std::string> tool_ids;  ///< toolu_... unless the script named the call.
};

AnthropicAnswer Anthropic(ChatAnswer chat, const Reply& reply) {
  AnthropicAnswer answer{std::move(chat), {}, {}};
  answer.digest = AnswerDigest(answer.chat);
  for (std::size_t i = 0; i < answer.chat.tool_calls.size(); ++i) {
    const bool named = i < reply.tool_calls.size() && !reply.tool_calls[i].id.empty();
    answer.tool_ids.push_back(named ? answer.chat.tool_calls[i].id
                                    : "toolu_" + answer.digest + "_" + std::to_string(i));
  }
  return answer;
}

std::string StopReason(const ChatAnswer& answer) {
  if (answer.finish_reason == "length") return "max_tokens";
  if (answer.finish_reason == "tool_calls" || !answer.tool_calls.empty()) return "tool_use";
  return "end_turn";
}

std::string Signature(const AnthropicAnswer& answer) { return "sig" + answer.digest + "=="; }

/// A tool call's arguments as the `input` object; arguments that are not an object give {}.
ordered InputOf(const ToolCall& call) {
  ordered input = ordered::parse(call.arguments, nullptr, false);
  return input.is_object() ? input : ordered::object();
}

ordered BlockJson(const AnthropicAnswer& answer, const Block& block, const std::string& text,
                  bool done) {
  switch (block.kind) {
    case Block::kThinking:
      return {{"type", "thinking"},
              {"thinking", done ? answer.chat.reasoning : ""},
              {"signature", done ? Signature(answer) : ""}};
    case Block::kText:
      return {{"type", "text"}, {"text", done ? text : ""}};
    case Block::kToolUse: {
      const ToolCall& call = answer.chat.tool_calls[block.call];
      return {{"type", "tool_use"},
              {"id", answer.tool_ids[block.call]},
              {"name", call.name},
              {"input", done ? InputOf(call) : ordered::object()}};
    }
  }
  return {};
}

ordered MessageJson(const AnthropicAnswer& answer, const std::string& text, bool done,
                    bool force_text = false) {
  ordered content = ordered::array();
  if (done) {
    for (const Block& block : BlocksOf(answer.chat, force_text))
      content.push_back(BlockJson(answer, block, text, true));
  }
  return {{"id", "msg_" + answer.digest},
          {"type", "message"},
          {"role", "assistant"},
          {"model", answer.chat.model},
          {"content", std::move(content)},
          {"stop_reason", done ? ordered(StopReason(answer.chat)) : ordered(nullptr)},
          {"stop_sequence", nullptr},
          {"usage",
           {{"input_tokens", answer.chat.usage.prompt_tokens},
            {"output_tokens", done ? answer.chat.usage.completion_tokens : 1}}}};
}

/// The named events of one streamed message, in the order the API sends them.
class MessagesEventSource final : public NamedEventSource {
 public:
  MessagesEventSource(AnthropicAnswer answer, std::size_t chunk_chars)
      : answer_(std::move(answer)),
        blocks_(BlocksOf(answer_.chat, false)),
        chunk_chars_(chunk_chars == 0 ? 1 : chunk_chars) {}

  /// The terminator is message_delta + message_stop: an error fault comes before them.
  bool AtTerminator() const override {
    return Idle() && (phase_ >= Phase::kMessageDelta ||
                      (phase_ == Phase::kBlocks && block_ >= blocks_.size()));
  }
  bool PadContent(std::size_t bytes) override {
    NamedEventSource::PadContent(bytes);
    blocks_ = BlocksOf(answer_.chat, true);
    return true;
  }
  std::string TruncatedPayload() const override {
    return R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"trunc)";
  }
  std::string WrongShapePayload() const override {
    return R"({"type":"content_block_delta","index":"none","delta":42})";
  }
  void AppendError(std::string& out, std::string_view /*payload*/,
                   std::string_view message) override {
    AppendEvent(
        out, "error",
        {{"type", "error"}, {"error", {{"type", "overloaded_error"}, {"message", message}}}});
  }

 private:
  std::string_view DataEventName() const override { return "content_block_delta"; }

  enum class Phase { kStart, kBlocks, kMessageDelta, kMessageStop, kEnd };
  enum class Step { kStart, kDelta, kSignature, kStop };

  void Send(std::string_view type, ordered data) {
    ordered event = {{"type", type}};
    event.update(data);
    Emit(type, event);
  }

  const std::string& WholeText(const Block& block) const {
    switch (block.kind) {
      case Block::kThinking:
        return answer_.chat.reasoning;
      case Block::kText:
        return answer_.chat.text;
      case Block::kToolUse:
        return answer_.chat.tool_calls[block.call].arguments;
    }
    return answer_.chat.text;
  }

  bool NextDelta(const Block& block, std::string& delta) {
    if (block.kind == Block::kText && huge()) {
      if (offset_ >= pad_bytes()) return false;
      const std::size_t count = std::min(kPadPieceBytes, pad_bytes() - offset_);
      delta.assign(count, 'x');
      offset_ += count;
      return true;
    }
    const std::string& text = WholeText(block);
    if (offset_ >= text.size()) return false;
    const std::string_view rest = std::string_view(text).substr(offset_);
    const std::size_t length = Utf8PrefixBytes(rest, chunk_chars_);
    delta.assign(rest.substr(0, length));
    offset_ += length;
    return true;
  }

  /// Emits the block step's event; false when the step sends none (moves on).
  bool BlockEvent(const Block& block, std::size_t index) {
    switch (step_) {
      case Step::kStart:
        Send("content_block_start",
             {{"index", index}, {"content_block", BlockJson(answer_, block, "", false)}});
        if (index == 0) Send("ping", ordered::object());
        offset_ = 0;
        step_ = Step::kDelta;
        return true;
      case Step::kDelta: {
        std::string piece;
        if (!NextDelta(block, piece)) {
          step_ = block.kind == Block::kThinking ? Step::kSignature : Step::kStop;
          return false;
        }
        ordered delta;
        if (block.kind == Block::kThinking) {
          delta = {{"type", "thinking_delta"}, {"thinking", std::move(piece)}};
        } else if (block.kind == Block::kText) {
          delta = {{"type", "text_delta"}, {"text", std::move(piece)}};
        } else {
          delta = {{"type", "input_json_delta"}, {"partial_json", std::move(piece)}};
        }
        Send("content_block_delta", {{"index", index}, {"delta", std::move(delta)}});
        return true;
      }
      case Step::kSignature:
        Send("content_block_delta",
             {{"index", index},
              {"delta", {{"type", "signature_delta"}, {"signature", Signature(answer_)}}}});
        step_ = Step::kStop;
        return true;
      case Step::kStop:
        Send("content_block_stop", {{"index", index}});
        step_ = Step::kStart;
        ++block_;
        return true;
    }
    return false;
  }

  bool Produce() override {
    for (;;) {
      switch (phase_) {
        case Phase::kStart:
          Send("message_start", {{"message", MessageJson(answer_, "", false)}});
          phase_ = Phase::kBlocks;
          return true;
        case Phase::kBlocks:
          if (block_ >= blocks_.size()) {
            phase_ = Phase::kMessageDelta;
            continue;
          }
          if (BlockEvent(blocks_[block_], block_)) return true;
          continue;
        case Phase::kMessageDelta:
          Send("message_delta",
               {{"delta", {{"stop_reason", StopReason(answer_.chat)}, {"stop_sequence", nullptr}}},
                {"usage", {{"output_tokens", answer_.chat.usage.completion_tokens}}}});
          phase_ = Phase::kMessageStop;
          return true;
        case Phase::kMessageStop:
          Send("message_stop", ordered::object());
          phase_ = Phase::kEnd;
          return true;
        case Phase::kEnd:
          return false;
      }
    }
  }

  AnthropicAnswer answer_;
  std::vector<Block> blocks_;
  std::size_t chunk_chars_;
  Phase phase_ = Phase::kStart;
  std::size_t block_ = 0;
  Step step_ = Step::kStart;
  std::size_t offset_ = 0;
};

}  // namespace

Body AnthropicError(int status, std::string_view message) {
  const ordered body = {{"type", "error"},
                        {"error", {{"type", ErrorType(status)}, {"message", message}}}};
  return {status, "application/json", Dump(body)};
}

std::string AnthropicListing(const std::vector<Model>& models, std::int64_t created) {
  const std::string created_at =
      FormatUtc(std::chrono::system_clock::time_point(std::chrono::seconds(created)));
  ordered data = ordered::array();
  for (const Model& model : models) {
    data.push_back({{"type", "model"},
                    {"id", model.id},
                    {"display_name", model.id},
                    {"created_at", created_at}});
  }
  const ordered listing = {
      {"data", std::move(data)},
      {"has_more", false},
      {"first_id", models.empty() ? ordered(nullptr) : ordered(models.front().id)},
      {"last_id", models.empty() ? ordered(nullptr) : ordered(models.back().id)}};
  return Dump(listing);
}

void Messages::ShapeError(Body& body) const {
  const json parsed = json::parse(body.text, nullptr, false);
  if (parsed.is_object() && StringField(parsed, "type") == "error") return;  // already Anthropic's
  std::vector<std::pair<std::string, std::string>> headers = std::move(body.headers);
  body = AnthropicError(body.status, ErrorMessage(body));
  body.headers = std::move(headers);
}

Plan Messages::Answer(Exchange& exchange, const Checkpoint& checkpoint) const {
  const nlohmann::json* document = exchange.Json();
  if (document == nullptr)
    return Refused(
        AnthropicError(400, "The request body is not valid JSON: " + exchange.JsonError()));
  const ParsedChatRequest parsed = ReadMessagesRequest(*document);
  if (!parsed.error.empty()) return Refused(AnthropicError(400, parsed.error));
  if (auto plan = checkpoint(Stage::kValidated)) return std::move(*plan);

  const ChatRequest& request = parsed.request;
  Resolution resolution = ResolveModel(exchange, request.model);
  if (resolution.error) return Refused(std::move(*resolution.error));
  exchange.set_resolved_model(resolution.model);
  if (auto plan = checkpoint(Stage::kResolved)) return std::move(*plan);

  const Reply reply = exchange.state().PickReply(request.conversation);
  AnthropicAnswer answer =
      Anthropic(MakeAnswer(request, reply, resolution.model, exchange.options().created), reply);
  const StreamTiming& timing = exchange.snapshot().timing;
  Plan plan;
  if (request.stream) {
    plan.kind = Plan::Kind::kStream;
    plan.stream = std::make_shared<MessagesEventSource>(std::move(answer), timing.chunk_chars);
    plan.timing = timing;
    return plan;
  }
  plan.body = {200, "application/json", Dump(MessageJson(answer, answer.chat.text, true))};
  plan.delay = timing.first_chunk_delay;
  plan.pad_body = [answer](std::size_t bytes) {
    return PadAt(Dump(MessageJson(answer, std::string(kPadMarker), true, true)), bytes);
  };
  return plan;
}

}  // namespace provkit::mock
