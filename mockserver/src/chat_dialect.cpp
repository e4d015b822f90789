// The Chat Completions dialect: POST <base>/chat/completions, plain or streamed.
#include "chat_dialect.hpp"

#include <nlohmann/json.hpp>

#include "chat.hpp"
#include "models.hpp"

namespace provkit::mock {
namespace {

Plan Refused(Body body) { return Plan::Of(std::move(body), true); }

/// The completion object with its content padded to `bytes` (the huge fault).
HugeBody PaddedCompletion(const ChatAnswer& answer, std::size_t bytes) {
  const std::string prefix =
      R"({"id":")" + answer.id + R"(","object":"chat.completion","created":)" +
      std::to_string(answer.created) + R"(,"model":)" + nlohmann::json(answer.model).dump() +
      R"(,"choices":[{"index":0,"message":{"role":"assistant","content":")";
  const std::string suffix =
      R"("},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}})";
  return HugeBody::Padded(prefix, bytes, suffix);
}

}  // namespace

Plan ChatCompletions::Answer(Exchange& exchange, const Checkpoint& checkpoint) const {
  const Profile profile = exchange.profile();
  const ProfileTraits& traits = exchange.traits();
  const nlohmann::json* document = exchange.Json();
  if (document == nullptr) {
    if (traits.bad_json_is_server_error)
      return Refused(ErrorAnswer(profile, 500, exchange.JsonError(), "server_error"));
    return Refused(ErrorAnswer(profile, 400,
                               "the request body is not valid JSON: " + exchange.JsonError(),
                               "invalid_request_error"));
  }
  const ParsedChatRequest parsed = ReadChatRequest(
      *document, traits.empty_messages_ok,
      traits.empty_messages_ok ? "'messages' is required"
                               : "'messages' is required and must be a non-empty array");
  if (!parsed.error.empty())
    return Refused(ErrorAnswer(profile, 400, parsed.error, "invalid_request_error"));
  if (auto plan = checkpoint(Stage::kValidated)) return std::move(*plan);

  const ChatRequest& chat = parsed.request;
  Resolution resolution = ResolveModel(exchange, chat.model);
  if (resolution.error) return Refused(std::move(*resolution.error));
  exchange.set_resolved_model(resolution.model);
  if (auto plan = checkpoint(Stage::kResolved)) return std::move(*plan);

  const ChatAnswer answer = MakeAnswer(chat, exchange.state().PickReply(chat.conversation),
                                       resolution.model, exchange.options().created);
  const StreamTiming& timing = exchange.snapshot().timing;
  Plan plan;
  if (chat.stream) {
    plan.kind = Plan::Kind::kStream;
    plan.stream = std::make_shared<ChatEventSource>(
        answer, profile, timing.chunk_chars, chat.include_usage, traits.role_chunk_content_null);
    plan.timing = timing;
    return plan;
  }
  plan.body = {200, std::string(traits.json_type), CompletionJson(answer)};
  plan.delay = timing.first_chunk_delay;
  plan.pad_body = [answer](std::size_t bytes) { return PaddedCompletion(answer, bytes); };
  return plan;
}

}  // namespace provkit::mock
