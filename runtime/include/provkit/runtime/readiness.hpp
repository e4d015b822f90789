// ProviderReadiness: the value a readiness probe returns (contract clauses R1-R16).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace provkit {

/// The verdict of a readiness probe. Ordinary not-ready states are values of
/// this type, never exceptions. Fields that the contract says may be null are
/// optionals and serialise as JSON null.
struct ProviderReadiness {
  bool ready = false;
  std::string provider;                ///< Registry name of the provider.
  std::optional<int> status_code;      ///< HTTP status that decided, if any.
  std::optional<std::string> message;  ///< The server's or the probe's words.
  std::optional<std::string> model;    ///< The model checked; null when unset.
  std::optional<bool> model_verified;  ///< Null when no model was set.

  bool operator==(const ProviderReadiness&) const = default;
};

/// R13: the message a Session reports for a provider with no readiness probe.
inline constexpr std::string_view kNoProbeMessage = "Provider has no explicit readiness probe.";

void to_json(nlohmann::json& out, const ProviderReadiness& readiness);
/// Throws nlohmann::json::exception when `in` lacks `ready`, has wrong types, or has a
/// `status_code` that is not an integer fitting an int (never cut to fit).
void from_json(const nlohmann::json& in, ProviderReadiness& readiness);

}  // namespace provkit
