// The OpenAI Responses dialect: POST <base>/responses, plain or streamed with named events.
#pragma once

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

}  // namespace provkit::mock
