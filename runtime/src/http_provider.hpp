// HttpProvider: the transport every built-in provider shares, speaking one wire dialect.
#pragma once

#include <memory>
#include <optional>
#include <stop_token>
#include <string>

#include "provkit/runtime/config.hpp"
#include "provkit/runtime/provider.hpp"
#include "wire_dialect.hpp"

namespace provkit::wire {

/// The value of the `anthropic-version` header the Messages dialect sends.
inline constexpr const char* kAnthropicVersion = "2023-06-01";

/// Keeps idle keep-alive connections (TCP_NODELAY) in a pool and reuses them: sequential turns
/// use one connection, N concurrent turns at most N. A watchdog bounds every request by
/// Config::request_timeout and aborts what is in flight on Close. `dialect` (a static table)
/// decides the path, the auth headers, the request body and the decoding. Thread-safe.
class HttpProvider {
 public:
  /// Throws ConfigurationError when `config` is invalid.
  HttpProvider(Config config, const Dialect& dialect);
  ~HttpProvider();
  HttpProvider(const HttpProvider&) = delete;
  HttpProvider& operator=(const HttpProvider&) = delete;

  Output Generate(const Environment& environment, const Input& input,
                  const Requirements& requirements);
  EventStream Stream(const Environment& environment, const Input& input,
                     const Requirements& requirements);
  /// Aborts requests and streams in flight, closes every connection. Idempotent.
  void Close();
  /// The reference readiness probe (GET /health, then <base>/models).
  ProviderReadiness CheckReady(const std::optional<std::string>& model, std::stop_token stop);
  nlohmann::json BuildRequestBody(const Environment& environment, const Input& input,
                                  const Requirements& requirements, bool stream) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace provkit::wire
