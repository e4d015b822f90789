// Session: one provider instance for many turns, closed exactly once; and the one-shot calls.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "provkit/runtime/config.hpp"
#include "provkit/runtime/interaction.hpp"
#include "provkit/runtime/provider.hpp"
#include "provkit/runtime/readiness.hpp"
#include "provkit/runtime/stream.hpp"

namespace provkit {
namespace internal {
struct SessionState;
}  // namespace internal

/// Owns one provider instance across many turns (S1), reuses its transport
/// (S5), and closes it exactly once on Close() or destruction (S2).
///
/// Every method is thread-safe (S10). After Close(), every call throws
/// ConfigurationError "Session is closed" and reaches no provider (S3).
class Session {
 public:
  /// Validates `config` and builds its provider from ProviderRegistry::Default().
  /// Throws ConfigurationError for a bad config or an unknown provider.
  explicit Session(Config config);
  /// Builds the provider with `factory` instead of the registry.
  Session(Config config, const ProviderFactory& factory);
  /// Closes the session; an error from the provider's Close is swallowed.
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  /// One non-streaming turn.
  Output Interact(const Environment& environment, const Input& input,
                  const Requirements& requirements = {});
  /// One streamed turn. Closing the session ends the stream with an error (S11).
  EventStream Stream(const Environment& environment, const Input& input,
                     const Requirements& requirements = {});
  /// One turn per input, at most `concurrency` at once; outputs in input order
  /// (S9). When a turn fails, the others still finish, then the first failure
  /// in input order is rethrown.
  std::vector<Output> RunMany(const Environment& environment, const std::vector<Input>& inputs,
                              const Requirements& requirements = {}, std::size_t concurrency = 4);
  /// Probes readiness of the configured model (R1-R16), or gives the R13
  /// answer for a provider without a probe.
  ProviderReadiness CheckReady(std::stop_token stop = {});
  /// Probes readiness of `model` instead of the configured one.
  ProviderReadiness CheckReady(const std::optional<std::string>& model, std::stop_token stop = {});

  /// Closes the provider exactly once and cancels open streams. Idempotent;
  /// rethrows an error from the provider's Close on the first call only.
  void Close();
  bool closed() const noexcept;
  const Config& config() const noexcept;

 private:
  std::shared_ptr<internal::SessionState> state_;
};

/// One-shot calls: each runs a single-use Session and closes it on every path,
/// failures included (S4).
Output Interact(const Config& config, const Environment& environment, const Input& input,
                const Requirements& requirements = {});
/// The returned stream owns its Session and closes it when the stream ends,
/// fails or is destroyed.
EventStream Stream(const Config& config, const Environment& environment, const Input& input,
                   const Requirements& requirements = {});
std::vector<Output> RunMany(const Config& config, const Environment& environment,
                            const std::vector<Input>& inputs, const Requirements& requirements = {},
                            std::size_t concurrency = 4);
ProviderReadiness CheckReady(const Config& config, std::stop_token stop = {});

}  // namespace provkit
