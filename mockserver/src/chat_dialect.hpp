// The Chat Completions dialect: POST <base>/chat/completions, plain or streamed.
#pragma once

#include "routes.hpp"

namespace provkit::mock {

/// OpenAI Chat Completions as each profile speaks it.
class ChatCompletions final : public Dialect {
 public:
  std::string_view name() const override { return "chat-completions"; }
  std::string_view path() const override { return "/chat/completions"; }
  Plan Answer(Exchange& exchange, const Checkpoint& checkpoint) const override;
};

}  // namespace provkit::mock
