// LocalProvider: the reference provider for OpenAI-compatible local servers.
#pragma once

#include <memory>
#include <optional>
#include <stop_token>
#include <string>

#include "provkit/runtime/config.hpp"
#include "provkit/runtime/provider.hpp"

namespace provkit {

/// Talks Chat Completions to llama.cpp, vLLM, Ollama, LM Studio and friends.
/// Keeps idle keep-alive connections (TCP_NODELAY) in a pool and reuses them:
/// sequential turns use one connection, N concurrent turns at most N.
/// Registered in ProviderRegistry::Default() as "local". Thread-safe.
class LocalProvider final : public Provider, public ReadinessProvider {
 public:
  /// Throws ConfigurationError when `config` is invalid.
  explicit LocalProvider(Config config);
  ~LocalProvider() override;

  Output Generate(const Environment& environment, const Input& input,
                  const Requirements& requirements) override;
  EventStream Stream(const Environment& environment, const Input& input,
                     const Requirements& requirements) override;
  /// Aborts requests and streams in flight, closes every connection. Idempotent.
  void Close() override;
  ProviderReadiness CheckReady(const std::optional<std::string>& model,
                               std::stop_token stop = {}) override;

  /// The request body a turn would send (for tests and debugging).
  nlohmann::json BuildRequestBody(const Environment& environment, const Input& input,
                                  const Requirements& requirements, bool stream) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace provkit
