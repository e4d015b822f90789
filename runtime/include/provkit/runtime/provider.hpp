// Provider: the interface a Session drives, the optional readiness probe, and the registry.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "provkit/runtime/config.hpp"
#include "provkit/runtime/interaction.hpp"
#include "provkit/runtime/readiness.hpp"
#include "provkit/runtime/stream.hpp"

namespace provkit {

/// One provider instance: talks to one model server. A Session owns exactly one.
///
/// Thread safety: Generate and Stream may be called concurrently from several
/// threads (Session::RunMany does); Close may be called while they run and
/// must make them end promptly with an error.
class Provider {
 public:
  virtual ~Provider() = default;
  /// One non-streaming turn. Throws APIError on provider failure.
  virtual Output Generate(const Environment& environment, const Input& input,
                          const Requirements& requirements) = 0;
  /// One streamed turn. Errors before the first event throw here; later ones
  /// throw from the stream.
  virtual EventStream Stream(const Environment& environment, const Input& input,
                             const Requirements& requirements) = 0;
  /// Releases the transport. A Session calls it exactly once.
  virtual void Close() = 0;
};

/// Optional second interface of a provider that can probe readiness.
class ReadinessProvider {
 public:
  virtual ~ReadinessProvider() = default;
  /// Probes the server (R1-R16). Not-ready states are returned, never thrown;
  /// a stop requested through `stop` throws APIError of kind kCancelled (R14).
  virtual ProviderReadiness CheckReady(const std::optional<std::string>& model,
                                       std::stop_token stop = {}) = 0;
};

/// Builds a provider instance from a validated Config.
using ProviderFactory = std::function<std::unique_ptr<Provider>(const Config&)>;

/// Provider factories by name. Thread-safe.
class ProviderRegistry {
 public:
  /// The process-wide registry; "local" (LocalProvider), "openai" (OpenAIProvider, Responses)
  /// and "anthropic" (AnthropicProvider, Messages) are registered.
  static ProviderRegistry& Default();

  /// Adds or replaces the factory for `name`.
  void Register(const std::string& name, ProviderFactory factory);
  /// Removes `name`; returns whether it was registered.
  bool Unregister(const std::string& name);
  /// The factory for `name`; throws ConfigurationError listing the known names.
  ProviderFactory Find(const std::string& name) const;
  std::vector<std::string> Names() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, ProviderFactory> factories_;
};

}  // namespace provkit
