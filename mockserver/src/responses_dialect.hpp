// The OpenAI Responses dialect: POST <base>/responses, plain or streamed with named events.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include "chat.hpp"
#include "routes.hpp"

namespace provkit::mock {

/// OpenAI Responses: `input` (a string or items), `instructions`, `stream`; answers a
/// `response` object, or its named SSE events ending with response.completed. Errors keep the
/// profile's (OpenAI) envelope.
class Responses final : public Dialect {
 public:
  std::string_view name() const override { return "responses"; }
  std::string_view path() const override { return "/responses"; }
  Plan Answer(Exchange& exchange, const Checkpoint& checkpoint) const override;
};

/// Reads a Responses request into the conversation scripts see: `instructions` first as a
/// system turn, messages by role (`developer` as system), a function_call as an assistant turn
/// naming its tool, a function_call_output as a "tool" turn naming the tool of the call it
/// answers. On failure `error` says why (answered with 400).
ParsedChatRequest ReadResponsesRequest(const nlohmann::json& document);

}  // namespace provkit::mock
