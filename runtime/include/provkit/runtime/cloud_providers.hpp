// OpenAIProvider and AnthropicProvider: reference providers for the cloud dialects.
#pragma once

#include <memory>

#include "provkit/runtime/config.hpp"
#include "provkit/runtime/provider.hpp"

namespace provkit {

/// What the built-in cloud providers share: LocalProvider's transport (pooled keep-alive
/// connections, watchdog-bounded requests, Close aborting what is in flight) speaking one cloud
/// API. No readiness probe: a cloud API has no /health (contract R13). Thread-safe.
class CloudProvider : public Provider {
 public:
  ~CloudProvider() override;

  Output Generate(const Environment& environment, const Input& input,
                  const Requirements& requirements) final;
  EventStream Stream(const Environment& environment, const Input& input,
                     const Requirements& requirements) final;
  /// Aborts requests and streams in flight, closes every connection. Idempotent.
  void Close() final;

  /// The request body a turn would send (for tests and debugging).
  nlohmann::json BuildRequestBody(const Environment& environment, const Input& input,
                                  const Requirements& requirements, bool stream) const;

 protected:
  struct Impl;
  explicit CloudProvider(std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

/// Talks the OpenAI Responses API (`POST <base_url>/responses`, `Authorization: Bearer`).
/// Provider options scope "openai" (managed: model, input, stream); Requirements::max_tokens is
/// sent as `max_output_tokens`. Registered as "openai".
class OpenAIProvider final : public CloudProvider {
 public:
  /// Throws ConfigurationError when `config` is invalid.
  explicit OpenAIProvider(Config config);
};

/// Talks the Anthropic Messages API (`POST <base_url>/messages`, `x-api-key` and
/// `anthropic-version: 2023-06-01`). Provider options scope "anthropic" (managed: model,
/// messages, stream); `max_tokens`, which the API requires, defaults to 4096. Tool results go
/// as `tool_result` blocks of a user turn; finish reasons are reported in Chat Completions'
/// words (`end_turn` -> "stop", `tool_use` -> "tool_calls", `max_tokens` -> "length").
/// Registered as "anthropic".
class AnthropicProvider final : public CloudProvider {
 public:
  /// Throws ConfigurationError when `config` is invalid.
  explicit AnthropicProvider(Config config);
};

}  // namespace provkit
