// The Anthropic Messages dialect: POST <base>/messages, plain or streamed with named events.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "chat.hpp"
#include "provkit/mockserver/config.hpp"
#include "routes.hpp"

namespace provkit::mock {

/// Anthropic Messages: `model`, `max_tokens`, `system`, `messages` of text / tool_use /
/// tool_result blocks, `thinking`, `stream`. Answers a `message` object or its named SSE
/// events; every error answered on the route is in Anthropic's {"type":"error","error":{...}}
/// shape, and the auth fault accepts the key as `x-api-key`.
class Messages final : public Dialect {
 public:
  std::string_view name() const override { return "anthropic-messages"; }
  std::string_view path() const override { return "/messages"; }
  Plan Answer(Exchange& exchange, const Checkpoint& checkpoint) const override;
  void ShapeError(Body& body) const override;
  std::string_view ApiKeyHeader() const override { return "x-api-key"; }
};

/// Reads a Messages request into the conversation scripts see: `system` first, each message's
/// text blocks as a turn of its role naming the tools its tool_use blocks call, each
/// tool_result block as a "tool" turn (before the message's text) naming the tool of its
/// tool_use_id; `thinking.type` "enabled" turns reasoning on. On failure `error` is Anthropic's
/// message (answered with 400).
ParsedChatRequest ReadMessagesRequest(const nlohmann::json& document);

/// Anthropic's error envelope for `status` (the error type follows from it).
Body AnthropicError(int status, std::string_view message);

/// GET <base>/models in Anthropic's shape (asked for with an `anthropic-version` header).
std::string AnthropicListing(const std::vector<Model>& models, std::int64_t created);

}  // namespace provkit::mock
