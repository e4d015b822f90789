// The OpenAI Responses dialect: POST <base>/responses, plain or streamed with named events.
#include "responses_dialect.hpp"

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

/// The text of an item's content: a string, or its input_text / output_text / text parts.
std::string PartsText(const json& content) {
  if (content.is_string()) return content.get<std::string>();
  std::string text;
  if (!content.is_array()) return text;
  for (const json& part : content) {
    if (!part.is_object()) continue;
    const std::string type = StringField(part, "type");
    if (type != "input_text" && type != "output_text" && type != "text") continue;
    if (!text.empty()) text += ' ';
    text += StringField(part, "text");
  }
  return text;
}

}  // namespace

ParsedChatRequest ReadResponsesRequest(const json& document) {
  ParsedChatRequest parsed;
  ChatRequest& request = parsed.request;
  request.enable_thinking = true;  // a reply's reasoning is a reasoning output item
  if (!document.is_object()) {
    parsed.error = "the request body must be a JSON object";
    return parsed;
  }
  if (const auto model = document.find("model"); model != document.end()) {
    if (!model->is_string()) {
      parsed.error = "'model' must be a string";
      return parsed;
    }
    request.model = model->get<std::string>();
  }
  request.conversation.model = request.model;
  if (const auto instructions = document.find("instructions");
      instructions != document.end() && !instructions->is_null()) {
    if (!instructions->is_string()) {
      parsed.error = "'instructions' must be a string";
      return parsed;
    }
    AddTurn(request, {"system", instructions->get<std::string>(), {}});
  }
  const auto input = document.find("input");
  if (input == document.end() || !(input->is_string() || input->is_array())) {
    parsed.error = "'input' is required: a string or an array of input items";
    return parsed;
  }
  if (input->is_string()) {
    AddTurn(request, {"user", input->get<std::string>(), {}});
  } else {
    std::map<std::string, std::string> called;  // call_id -> tool name
    for (const json& item : *input) {
      if (!item.is_object()) {
        parsed.error = "each item of 'input' must be an object";
        return parsed;
      }
      const std::string type = StringField(item, "type");
      if (type == "function_call") {
        const std::string name = StringField(item, "name");
        called[StringField(item, "call_id")] = name;
        AddTurn(request, {"assistant", "", {name}});
      } else if (type == "function_call_output") {
        Turn turn{"tool", PartsText(item.contains("output") ? item["output"] : json()), {}};
        if (const auto name = called.find(StringField(item, "call_id")); name != called.end())
          turn.tool_names.push_back(name->second);
        AddTurn(request, std::move(turn));
      } else if (type.empty() || type == "message") {
        std::string role = StringField(item, "role");
        if (role.empty()) {
          parsed.error = "an input message needs a 'role'";
          return parsed;
        }
        if (role == "developer") role = "system";
        AddTurn(
            request,
            {std::move(role), PartsText(item.contains("content") ? item["content"] : json()), {}});
      }  // other item types (reasoning, references) carry nothing a script looks at
    }
  }
  if (const auto stream = document.find("stream"); stream != document.end() && !stream->is_null()) {
    if (!stream->is_boolean()) {
      parsed.error = "'stream' must be true or false";
      return parsed;
    }
    request.stream = stream->get<bool>();
  }
  if (const auto tools = document.find("tools");
      tools != document.end() && !tools->is_null() && !tools->is_array()) {
    parsed.error = "'tools' must be an array";
    return parsed;
  }
  return parsed;
}

namespace {

/// The output items of an answer, with the ids both shapes use.
struct Output {
  std::string digest;
  bool message = false;  ///< A message item (the answer has text, or no tool calls).
};

Output OutputOf(const ChatAnswer& answer) {
  return {AnswerDigest(answer), !answer.text.empty() || answer.tool_calls.empty()};
}

ordered TextPart(const std::string& text) {
  return {{"type", "output_text"}, {"text", text}, {"annotations", ordered::array()}};
}

ordered ReasoningItem(const Output& output, const std::string& summary, bool done) {
  ordered parts = ordered::array();
  if (done) parts.push_back({{"type", "summary_text"}, {"text", summary}});
  return {{"id", "rs_" + output.digest}, {"type", "reasoning"}, {"summary", std::move(parts)}};
}

ordered MessageItem(const Output& output, const std::string& text, bool done) {
  ordered content = ordered::array();
  if (done) content.push_back(TextPart(text));
  return {{"id", "msg_" + output.digest},
          {"type", "message"},
          {"status", done ? "completed" : "in_progress"},
          {"role", "assistant"},
          {"content", std::move(content)}};
}

std::string CallItemId(const Output& output, std::size_t index) {
  return "fc_" + output.digest + "_" + std::to_string(index);
}

ordered CallItem(const Output& output, std::size_t index, const ToolCall& call, bool done) {
  return {{"id", CallItemId(output, index)},
          {"type", "function_call"},
          {"status", done ? "completed" : "in_progress"},
          {"call_id", call.id},
          {"name", call.name},
          {"arguments", done ? call.arguments : std::string()}};
}

/// The response object; `text` stands for the message text (kPadMarker under the huge fault).
ordered ResponseJson(const ChatAnswer& answer, const std::string& text, bool done,
                     bool message = false) {
  Output output = OutputOf(answer);
  output.message = output.message || message;
  ordered items = ordered::array();
  if (done) {
    if (!answer.reasoning.empty()) items.push_back(ReasoningItem(output, answer.reasoning, true));
    if (output.message) items.push_back(MessageItem(output, text, true));
    for (std::size_t i = 0; i < answer.tool_calls.size(); ++i)
      items.push_back(CallItem(output, i, answer.tool_calls[i], true));
  }
  ordered usage = nullptr;
  if (done) {
    usage = {{"input_tokens", answer.usage.prompt_tokens},
             {"input_tokens_details", {{"cached_tokens", 0}}},
             {"output_tokens", answer.usage.completion_tokens},
             {"output_tokens_details", {{"reasoning_tokens", CountWords(answer.reasoning)}}},
             {"total_tokens", answer.usage.total_tokens}};
  }
  return {{"id", "resp_" + output.digest},
          {"object", "response"},
          {"created_at", answer.created},
          {"status", done ? "completed" : "in_progress"},
          {"error", nullptr},
          {"incomplete_details", nullptr},
          {"model", answer.model},
          {"output", std::move(items)},
          {"parallel_tool_calls", true},
          {"tool_choice", "auto"},
          {"tools", ordered::array()},
          {"usage", std::move(usage)}};
}

/// The named events of one streamed response, in the order the API sends them.
class ResponsesEventSource final : public NamedEventSource {
 public:
  ResponsesEventSource(ChatAnswer answer, std::size_t chunk_chars)
      : answer_(std::move(answer)),
        output_(OutputOf(answer_)),
        chunk_chars_(chunk_chars == 0 ? 1 : chunk_chars) {
    if (!answer_.reasoning.empty()) items_.push_back({Item::kReasoning, 0});
    if (output_.message) items_.push_back({Item::kMessage, 0});
    for (std::size_t i = 0; i < answer_.tool_calls.size(); ++i) items_.push_back({Item::kCall, i});
  }

  /// The terminator is response.completed: an error fault comes before it.
  bool AtTerminator() const override {
    return Idle() && (phase_ == Phase::kCompleted || phase_ == Phase::kEnd ||
                      (phase_ == Phase::kItems && item_ >= items_.size()));
  }
  bool PadContent(std::size_t bytes) override {
    NamedEventSource::PadContent(bytes);
    if (!output_.message) {  // the padding is a message's text, after any reasoning
      output_.message = true;
      items_.insert(items_.begin() + (answer_.reasoning.empty() ? 0 : 1), {Item::kMessage, 0});
    }
    return true;
  }
  std::string TruncatedPayload() const override {
    return R"({"type":"response.output_text.delta","delta":"trunc)";
  }
  std::string WrongShapePayload() const override {
    return R"({"type":"response.output_text.delta","sequence_number":"none","delta":42})";
  }
  void AppendError(std::string& out, std::string_view /*payload*/,
                   std::string_view message) override {
    AppendEvent(out, "error",
                {{"type", "error"},
                 {"code", "server_error"},
                 {"message", message},
                 {"param", nullptr},
                 {"sequence_number", sequence_++}});
  }

 private:
  std::string_view DataEventName() const override { return "response.output_text.delta"; }

  enum class Phase { kCreated, kInProgress, kItems, kCompleted, kEnd };
  enum class Step { kAdded, kPartAdded, kDelta, kTextDone, kPartDone, kItemDone };
  struct Item {
    enum Kind { kReasoning, kMessage, kCall } kind;
    std::size_t call;  ///< kCall: the tool call's index.
  };

  void Send(std::string_view type, ordered data) {
    ordered event = {{"type", type}, {"sequence_number", sequence_++}};
    event.update(data);
    Emit(type, event);
  }

  /// The item's text as sent whole (the marker for a padded message).
  std::string WholeText(const Item& item) const {
    switch (item.kind) {
      case Item::kReasoning:
        return answer_.reasoning;
      case Item::kMessage:
        return huge() ? std::string(kPadMarker) : answer_.text;
      case Item::kCall:
        return answer_.tool_calls[item.call].arguments;
    }
    return {};
  }

  ordered ItemJson(const Item& item, bool done) const {
    switch (item.kind) {
      case Item::kReasoning:
        return ReasoningItem(output_, answer_.reasoning, done);
      case Item::kMessage:
        return MessageItem(output_, WholeText(item), done);
      case Item::kCall:
        return CallItem(output_, item.call, answer_.tool_calls[item.call], done);
    }
    return {};
  }

  std::string ItemId(const Item& item) const {
    switch (item.kind) {
      case Item::kReasoning:
        return "rs_" + output_.digest;
      case Item::kMessage:
        return "msg_" + output_.digest;
      case Item::kCall:
        return CallItemId(output_, item.call);
    }
    return {};
  }

  /// The next delta of the item's text, or false when all of it was sent.
  bool NextDelta(const Item& item, std::string& delta) {
    if (item.kind == Item::kMessage && huge()) {
      if (offset_ >= pad_bytes()) return false;
      const std::size_t count = std::min(kPadPieceBytes, pad_bytes() - offset_);
      delta.assign(count, 'x');
      offset_ += count;
      return true;
    }
    const std::string text = WholeText(item);
    if (offset_ >= text.size()) return false;
    const std::string_view rest = std::string_view(text).substr(offset_);
    const std::size_t length = Utf8PrefixBytes(rest, chunk_chars_);
    delta.assign(rest.substr(0, length));
    offset_ += length;
    return true;
  }

  /// Emits the item step's event; false when the step sends none (moves on).
  bool ItemEvent(const Item& item, std::size_t index) {
    const std::string id = ItemId(item);
    const ordered where = {{"item_id", id}, {"output_index", index}};
    ordered located = where;
    if (item.kind != Item::kCall) located["content_index"] = 0;
    const ordered part = item.kind == Item::kReasoning
                             ? ordered{{"type", "summary_text"}, {"text", WholeText(item)}}
                             : TextPart(WholeText(item));
    const ordered empty_part = item.kind == Item::kReasoning
                                   ? ordered{{"type", "summary_text"}, {"text", ""}}
                                   : TextPart("");
    const std::string_view prefix = item.kind == Item::kReasoning ? "response.reasoning_summary_"
                                    : item.kind == Item::kMessage ? "response.output_"
                                                                  : "response.function_call_";
    switch (step_) {
      case Step::kAdded:
        Send("response.output_item.added",
             {{"output_index", index}, {"item", ItemJson(item, false)}});
        step_ = item.kind == Item::kCall ? Step::kDelta : Step::kPartAdded;
        offset_ = 0;
        return true;
      case Step::kPartAdded: {
        ordered data = item.kind == Item::kReasoning ? where : located;
        if (item.kind == Item::kReasoning) data["summary_index"] = 0;
        data["part"] = empty_part;
        Send(item.kind == Item::kReasoning ? "response.reasoning_summary_part.added"
                                           : "response.content_part.added",
             std::move(data));
        step_ = Step::kDelta;
        return true;
      }
      case Step::kDelta: {
        std::string delta;
        if (!NextDelta(item, delta)) {
          step_ = Step::kTextDone;
          return false;
        }
        ordered data = item.kind == Item::kReasoning ? where : located;
        if (item.kind == Item::kReasoning) data["summary_index"] = 0;
        data["delta"] = std::move(delta);
        Send(std::string(prefix) + (item.kind == Item::kCall ? "arguments.delta" : "text.delta"),
             std::move(data));
        return true;
      }
      case Step::kTextDone: {
        ordered data = item.kind == Item::kReasoning ? where : located;
        if (item.kind == Item::kReasoning) data["summary_index"] = 0;
        data[item.kind == Item::kCall ? "arguments" : "text"] = WholeText(item);
        Send(std::string(prefix) + (item.kind == Item::kCall ? "arguments.done" : "text.done"),
             std::move(data));
        step_ = item.kind == Item::kCall ? Step::kItemDone : Step::kPartDone;
        return true;
      }
      case Step::kPartDone: {
        ordered data = item.kind == Item::kReasoning ? where : located;
        if (item.kind == Item::kReasoning) data["summary_index"] = 0;
        data["part"] = part;
        Send(item.kind == Item::kReasoning ? "response.reasoning_summary_part.done"
                                           : "response.content_part.done",
             std::move(data));
        step_ = Step::kItemDone;
        return true;
      }
      case Step::kItemDone:
        Send("response.output_item.done",
             {{"output_index", index}, {"item", ItemJson(item, true)}});
        step_ = Step::kAdded;
        ++item_;
        return true;
    }
    return false;
  }

  bool Produce() override {
    for (;;) {
      switch (phase_) {
        case Phase::kCreated:
          Send("response.created", {{"response", ResponseJson(answer_, answer_.text, false)}});
          phase_ = Phase::kInProgress;
          return true;
        case Phase::kInProgress:
          Send("response.in_progress", {{"response", ResponseJson(answer_, answer_.text, false)}});
          phase_ = Phase::kItems;
          return true;
        case Phase::kItems:
          if (item_ >= items_.size()) {
            phase_ = Phase::kCompleted;
            continue;
          }
          if (ItemEvent(items_[item_], item_)) return true;
          continue;
        case Phase::kCompleted:
          Send("response.completed",
               {{"response", ResponseJson(answer_, huge() ? std::string(kPadMarker) : answer_.text,
                                          true, output_.message)}});
          phase_ = Phase::kEnd;
          return true;
        case Phase::kEnd:
          return false;
      }
    }
  }

  ChatAnswer answer_;
  Output output_;
  std::size_t chunk_chars_;
  std::vector<Item> items_;
  Phase phase_ = Phase::kCreated;
  std::size_t item_ = 0;
  Step step_ = Step::kAdded;
  std::size_t offset_ = 0;
  long long sequence_ = 0;
};

}  // namespace

Plan Responses::Answer(Exchange& exchange, const Checkpoint& checkpoint) const {
  const Profile profile = exchange.profile();
  const nlohmann::json* document = exchange.Json();
  if (document == nullptr) {
    return Refused(ErrorAnswer(profile, 400,
                               "the request body is not valid JSON: " + exchange.JsonError(),
                               "invalid_request_error"));
  }
  const ParsedChatRequest parsed = ReadResponsesRequest(*document);
  if (!parsed.error.empty())
    return Refused(ErrorAnswer(profile, 400, parsed.error, "invalid_request_error"));
  if (auto plan = checkpoint(Stage::kValidated)) return std::move(*plan);

  const ChatRequest& request = parsed.request;
  Resolution resolution = ResolveModel(exchange, request.model);
  if (resolution.error) return Refused(std::move(*resolution.error));
  exchange.set_resolved_model(resolution.model);
  if (auto plan = checkpoint(Stage::kResolved)) return std::move(*plan);

  const ChatAnswer answer = MakeAnswer(request, exchange.state().PickReply(request.conversation),
                                       resolution.model, exchange.options().created);
  const StreamTiming& timing = exchange.snapshot().timing;
  Plan plan;
  if (request.stream) {
    plan.kind = Plan::Kind::kStream;
    plan.stream = std::make_shared<ResponsesEventSource>(answer, timing.chunk_chars);
    plan.timing = timing;
    return plan;
  }
  plan.body = {200, std::string(exchange.traits().json_type),
               ResponseJson(answer, answer.text, true)
                   .dump(-1, ' ', false, ordered::error_handler_t::replace)};
  plan.delay = timing.first_chunk_delay;
  plan.pad_body = [answer](std::size_t bytes) {
    ChatAnswer padded = answer;
    padded.tool_calls.clear();
    return PadAt(ResponseJson(padded, std::string(kPadMarker), true).dump(), bytes);
  };
  return plan;
}

}  // namespace provkit::mock
