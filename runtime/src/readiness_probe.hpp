// The readiness verdict (R1-R16) as pure functions of the probe's answers: no I/O, unit-testable,
// fuzzable.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "provkit/runtime/readiness.hpp"

namespace provkit::readiness_probe {

/// Bodies longer than these are cut; a cut listing cannot be read (R10).
inline constexpr std::size_t kMaxHealthBodyBytes = std::size_t{1} << 20;
inline constexpr std::size_t kMaxModelsBodyBytes = std::size_t{4} << 20;

/// Load states of a listing entry (llama.cpp router `status.value`) that mean
/// listed but not ready (R16).
inline constexpr std::string_view kNotReadyLoadStates[] = {"unloaded", "loading", "sleeping",
                                                           "failed"};

/// What one GET of the probe produced.
struct Answer {
  enum class Outcome {
    kAnswered,     ///< An HTTP status was received.
    kUnreachable,  ///< Refused, reset, unknown host, dropped before the status (R8).
    kTimedOut,     ///< The probe budget ran out (R9).
  };
  Outcome outcome = Outcome::kAnswered;
  int status = 0;
  std::string body;
  bool truncated = false;  ///< The body went over its limit and was cut.
  std::string detail;      ///< For failures: what the transport said.
};

/// Where and for whom the probe runs.
struct Target {
  std::string provider;
  std::string base_url;    ///< Without a trailing slash.
  std::string health_url;  ///< <server root>/health.
  std::string models_url;  ///< <base URL>/models.
  std::chrono::milliseconds budget{2000};
};

/// The probe's URLs for `base_url` (contract "Words used").
Target MakeTarget(std::string provider, std::string_view base_url,
                  std::chrono::milliseconds budget);

/// R3: 404, 405 and 501, and a 200 whose body is an error envelope (LM Studio), mean the server
/// has no /health endpoint.
bool HealthAbsent(const Answer& health);

/// R1: the body's `status` string, else the error envelope's message (R15),
/// else the trimmed body text, else nullopt (an empty body, R10).
std::optional<std::string> HealthMessage(const Answer& health);

/// R5: the error envelope's message (R15), else a `status` string, else the
/// trimmed body text, else nullopt.
std::optional<std::string> ErrorAnswerMessage(const Answer& answer);

/// What a models listing says about one model.
struct Listing {
  bool readable = false;
  std::string problem;                     ///< Why it could not be read.
  bool listed = false;                     ///< An entry of data[] has exactly this id.
  std::optional<std::string> load_status;  ///< The entry's not-ready load state (R16).
  std::vector<std::string> ids;            ///< Every string id of data[], in order.
  std::optional<std::string> message;      ///< A `status` string or error message in the listing.
};

/// Reads a listing body (R2, R10, R16): `data[].id`; anything else tolerated.
Listing ReadListing(std::string_view body, bool truncated, std::string_view model);

/// R4 strict: listed ids that differ from `model` only by a `:tag` suffix, an
/// `org/` prefix or letter case (or a combination of them), in listing order.
std::vector<std::string> Suggestions(std::string_view model, const std::vector<std::string>& ids);

/// Whether the probe must GET the models listing after this health answer.
bool NeedsListing(const std::optional<std::string>& model, const Answer& health) noexcept;

/// The verdict. `models` is null when no listing was fetched (model unset, or
/// the health request failed at the transport level).
ProviderReadiness Decide(const Target& target, const std::optional<std::string>& model,
                         const Answer& health, const Answer* models);

}  // namespace provkit::readiness_probe
