// Scenarios: the named states and faults the mock server can be switched into at runtime.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace provkit::mock {

/// The state or fault a scenario puts the server in.
enum class ScenarioKind {
  kHealthy,   ///< Everything answers normally.
  kLoading,   ///< /health answers 503 "Loading model" (and chat 503) until N requests or T elapsed.
  kNoHealth,  ///< /health answers 404 (or `status`: 405, 501), as on Ollama.
  kMissingModel,  ///< The listing lacks some models; chat answers model-not-found for them.
  kModelsError,   ///< The listing answers an error status (500 unless `status` says otherwise).
  kAuth,          ///< Requests without `Authorization: Bearer <token>` answer 401 (or `status`).
  kHang,          ///< Accept the request, never answer; the connection is closed after `hold`.
  kTrickle,       ///< The normal answer, one body byte every `trickle_interval`.
  kMalformed,     ///< Bodies that are not JSON or have the wrong shape (`malformed`).
  kStreamDrop,    ///< Close the connection after `after_chunks` stream events.
  kStreamError,   ///< An error envelope as a stream event after `after_chunks` events.
  kHuge,          ///< A listing or body of `huge_bytes` bytes, far over any sane limit.
  kRateLimit,     ///< Generation requests over a limit answer 429 (or `status`) with Retry-After.
  kSlow,          ///< Every answer waits `delay` before its first byte (headers included).
  kChaos,         ///< Each generation request draws at most one fault, reproducibly from `seed`.
};

/// kChaos: the probability (0 to 1, together at most 1) of each fault a request may draw.
struct ChaosOdds {
  double drop = 0;       ///< stream-drop: the stream (or the body) is cut after `after_chunks`.
  double error = 0;      ///< stream-error: an error event after `after_chunks` (plain: 500).
  double hang = 0;       ///< hang: never answered; the connection is closed after `hold`.
  double malformed = 0;  ///< malformed: a bad chunk (or body) of the `malformed` variant.
  double slow = 0;       ///< slow: the first byte after `delay`.
  double status = 0;     ///< status: one of `chaos_statuses` with the profile's error envelope.
};

/// The endpoints a scenario can be confined to.
enum class Endpoint {
  kAll,     ///< Every endpoint the scenario makes sense for (never the admin endpoints).
  kHealth,  ///< GET /health (the server root's health endpoint).
  kModels,  ///< GET <base>/models.
  kChat,    ///< POST <base>/chat/completions.
  kRoot,    ///< GET / and any path the mock does not serve.
};

/// The flavours of the kMalformed scenario.
enum class MalformedVariant {
  kNotJson,      ///< Text that is not JSON, sent as application/json.
  kWrongShape,   ///< Valid JSON of the wrong shape (an array for health, no data/choices).
  kEmpty,        ///< An empty application/json body.
  kTruncated,    ///< The normal body cut in half.
  kNullData,     ///< Listing only: "data": null (other endpoints: kWrongShape).
  kDataNotList,  ///< Listing only: "data" is an object (other endpoints: kWrongShape).
  kIdNotString,  ///< Listing only: ids that are numbers, null or arrays (other endpoints:
                 ///< kWrongShape).
};

/// A scenario with its parameters. Plain data: build one with the factories
/// below (`Scenario::Hang(2s).On(Endpoint::kModels)`) or from JSON
/// (ScenarioFromJson), then hand it to Server::SetScenario. Parameters a
/// scenario does not use are ignored.
struct Scenario {
  ScenarioKind kind = ScenarioKind::kHealthy;
  /// Confines the scenario to one endpoint; the others answer as if healthy.
  Endpoint endpoint = Endpoint::kAll;

  /// kLoading: health requests answering 503 before the server is ready; 0 = not counted.
  int loading_requests = 0;
  /// kLoading: time from SetScenario until ready; 0 = not timed. With both 0 the
  /// server stays loading until the scenario is changed.
  std::chrono::milliseconds loading_time{0};
  /// kMissingModel: ids left out of the listing; empty = every configured model.
  std::vector<std::string> hidden_models;
  /// The status to answer; 0 = the scenario's default. kRateLimit: the refusal's (429; 500, 502,
  /// 503 make it an overloaded server instead). kModelsError: the listing's (500);
  /// kAuth: the refusal's (401); kNoHealth: the absent /health's (404; 405 and 501 are how other
  /// servers say it); kHealthy: the /health status (200; another 2xx or 3xx answers an empty body).
  int status = 0;
  /// kAuth: the bearer token that is accepted.
  std::string token = "provkit-secret";
  /// kHang: how long a request is held before its connection is closed unanswered.
  /// kTrickle: the longest a trickled answer may take before the connection is closed.
  /// Both end at once when the server stops.
  std::chrono::milliseconds hold{10000};
  /// kTrickle: the pause after each body byte.
  std::chrono::milliseconds trickle_interval{100};
  /// kMalformed: which malformation.
  MalformedVariant malformed = MalformedVariant::kNotJson;
  /// kStreamDrop, kStreamError, kMalformed (streams): data events sent before the fault.
  int after_chunks = 2;
  /// kStreamError: whether `data: [DONE]` follows the error event; unset = the profile's habit.
  std::optional<bool> done_after_error;
  /// kStreamError: the message of the error envelope.
  std::string error_message = "simulated failure";
  /// kHuge: approximate size of the answer body in bytes.
  std::size_t huge_bytes = std::size_t{32} << 20;
  /// kRateLimit, fixed window: requests allowed per `limit_window` (the window opens at the first
  /// request after the last one closed); 0 refuses every request.
  int limit_requests = 0;
  std::chrono::milliseconds limit_window{1000};
  /// kRateLimit, token bucket (when `limit_rate` > 0, instead of the window): tokens added per
  /// second, up to `limit_burst`; the bucket starts full and each request takes one.
  double limit_rate = 0;
  double limit_burst = 1;
  /// kRateLimit: only requests naming this model are limited; empty: every generation request.
  std::string limit_model;
  /// kSlow (and chaos's slow): the wait before the first byte of the answer.
  std::chrono::milliseconds delay{1000};
  /// kChaos: the seed; the same seed draws the same fault for the n-th generation request.
  std::uint64_t seed = 0;
  /// kChaos: each fault's probability per generation request.
  ChaosOdds chaos;
  /// kChaos: the statuses the `status` fault picks from (uniformly, by the same draw).
  std::vector<int> chaos_statuses{500, 502, 503, 429};

  static Scenario Healthy(int health_status = 0);
  static Scenario Loading(int requests,
                          std::chrono::milliseconds time = std::chrono::milliseconds{0});
  static Scenario NoHealth(int status = 404);
  static Scenario MissingModel(std::vector<std::string> hidden = {});
  static Scenario ModelsError(int status = 500);
  static Scenario Auth(std::string token = "provkit-secret", int status = 401);
  static Scenario Hang(std::chrono::milliseconds hold = std::chrono::milliseconds{10000});
  static Scenario Trickle(std::chrono::milliseconds interval = std::chrono::milliseconds{100});
  static Scenario Malformed(MalformedVariant variant = MalformedVariant::kNotJson);
  static Scenario StreamDrop(int after_chunks = 2);
  static Scenario StreamError(int after_chunks = 2);
  static Scenario Huge(std::size_t bytes = std::size_t{32} << 20);
  /// `requests` generation requests per `window` (for `model` only, when not empty), then 429.
  static Scenario RateLimit(int requests,
                            std::chrono::milliseconds window = std::chrono::milliseconds{1000},
                            std::string model = {});
  /// A token bucket: `rate` requests per second on average, bursts of `burst`.
  static Scenario TokenBucket(double rate, double burst = 1, std::string model = {});
  static Scenario Slow(std::chrono::milliseconds delay = std::chrono::milliseconds{1000});
  static Scenario Chaos(std::uint64_t seed, ChaosOdds odds);

  /// A copy confined to `only`.
  Scenario On(Endpoint only) const;
};

/// One row of the scenario table.
struct ScenarioInfo {
  ScenarioKind kind;
  std::string_view name;     ///< Stable name, e.g. "stream-drop".
  std::string_view summary;  ///< One line for --help.
};

/// Every scenario, in enum order.
std::span<const ScenarioInfo> Scenarios() noexcept;
std::string_view ScenarioName(ScenarioKind kind) noexcept;
std::optional<ScenarioKind> ParseScenarioKind(std::string_view name) noexcept;

std::string_view EndpointName(Endpoint endpoint) noexcept;
std::optional<Endpoint> ParseEndpoint(std::string_view name) noexcept;

std::string_view MalformedVariantName(MalformedVariant variant) noexcept;
std::optional<MalformedVariant> ParseMalformedVariant(std::string_view name) noexcept;

/// Reads a scenario from a name ("hang") or an object
/// ({"name":"loading","requests":3,"endpoint":"health"}); docs/mockserver.md
/// lists the keys. Throws ConfigError naming the offending key (as a JSON
/// pointer) on an unknown name or key, or a value of the wrong type or range.
Scenario ScenarioFromJson(const nlohmann::json& value);

/// The scenario as the object ScenarioFromJson reads.
nlohmann::json ToJson(const Scenario& scenario);

}  // namespace provkit::mock
