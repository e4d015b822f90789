// Scenarios: the name table, the factories and the JSON form read by configs and admin.
#include "provkit/mockserver/scenario.hpp"

#include <nlohmann/json.hpp>

#include "json_util.hpp"
#include "provkit/mockserver/config.hpp"
#include "readers.hpp"

namespace provkit::mock {
namespace {

using std::chrono::milliseconds;

constexpr ScenarioInfo kScenarios[] = {
    {ScenarioKind::kHealthy, "healthy", "everything answers normally (default)"},
    {ScenarioKind::kLoading, "loading",
     "health 503 'Loading model' (chat 503 too) for `requests` health requests or `seconds`, then "
     "healthy"},
    {ScenarioKind::kNoHealth, "no-health",
     "GET /health answers 404 (or status 405, 501), as on Ollama"},
    {ScenarioKind::kMissingModel, "missing-model",
     "the listing lacks `models` (default: all); chat answers model-not-found for them"},
    {ScenarioKind::kModelsError, "models-error",
     "the models listing answers `status` (default 500) with an error envelope"},
    {ScenarioKind::kAuth, "auth",
     "401 (or `status`) without 'Authorization: Bearer <token>'; /health stays open"},
    {ScenarioKind::kHang, "hang",
     "accept, never answer; close the connection after `hold_ms` or at stop"},
    {ScenarioKind::kTrickle, "trickle",
     "the normal answer, one byte every `interval_ms`, cut after `hold_ms`"},
    {ScenarioKind::kMalformed, "malformed",
     "bodies that are not JSON or have the wrong shape (`variant`); streams get a bad chunk"},
    {ScenarioKind::kStreamDrop, "stream-drop",
     "close the connection after `after_chunks` stream events"},
    {ScenarioKind::kStreamError, "stream-error",
     "an error envelope as a data: event after `after_chunks` events; [DONE] after it as the "
     "profile does"},
    {ScenarioKind::kHuge, "huge", "a listing or body of `bytes` bytes (default 32 MiB)"},
    {ScenarioKind::kRateLimit, "rate-limit",
     "`requests` per `window_ms` (or a token bucket: `rate`/s, `burst`), then 429 (or `status`) "
     "with Retry-After"},
    {ScenarioKind::kSlow, "slow", "every answer waits `delay_ms` before its first byte"},
    {ScenarioKind::kChaos, "chaos",
     "each generation request draws at most one fault (`drop`, `error`, `hang`, `malformed`, "
     "`slow`, `status` probabilities) from `seed`"},
};

/// The statuses a rate-limit (or chaos's status fault) may answer.
constexpr int kLimitStatuses[] = {429, 500, 502, 503};

bool LimitStatus(long long status) {
  for (const int allowed : kLimitStatuses) {
    if (allowed == status) return true;
  }
  return false;
}

int LimitStatusAt(const nlohmann::json& value, const std::string& pointer) {
  if (!value.is_number_integer() || !LimitStatus(value.get<long long>()))
    throw ConfigError("expected one of 429, 500, 502, 503", pointer);
  return value.get<int>();
}

void ReadRateLimit(ObjectReader& reader, Scenario& scenario) {
  const bool window = reader.Find("requests") != nullptr || reader.Find("window_ms") != nullptr;
  const bool bucket = reader.Find("rate") != nullptr || reader.Find("burst") != nullptr;
  if (window && bucket) {
    throw ConfigError(
        "give `requests`/`window_ms` (a fixed window) or `rate`/`burst` (a token bucket), not "
        "both",
        reader.PointerOf(reader.Find("rate") != nullptr ? "rate" : "burst"));
  }
  scenario.limit_requests = static_cast<int>(reader.Integer("requests", 0, 0, 1000000000));
  scenario.limit_window =
      std::chrono::duration_cast<milliseconds>(reader.Millis("window_ms", scenario.limit_window));
  if (scenario.limit_window.count() < 1)
    throw ConfigError("expected at least 1 ms", reader.PointerOf("window_ms"));
  if (bucket) {
    scenario.limit_rate = reader.Number("rate", 0.0, 0.0, 1000000.0);
    if (scenario.limit_rate <= 0.0)
      throw ConfigError("a token bucket needs a `rate` above 0 (per second)",
                        reader.PointerOf("rate"));
    scenario.limit_burst = reader.Number("burst", 1.0, 1.0, 1000000000.0);
  }
  scenario.limit_model = reader.String("model", "");
  if (const nlohmann::json* status = reader.Find("status")) {
    scenario.status = LimitStatusAt(*status, reader.PointerOf("status"));
  }
}

void ReadChaos(ObjectReader& reader, Scenario& scenario) {
  if (const nlohmann::json* seed = reader.Find("seed")) {
    const bool non_negative =
        seed->is_number_unsigned() || (seed->is_number_integer() && seed->get<long long>() >= 0);
    if (!non_negative)
      throw ConfigError("expected an integer from 0 to 2^64-1", reader.PointerOf("seed"));
    scenario.seed = seed->get<std::uint64_t>();
  }
  ChaosOdds& odds = scenario.chaos;
  double total = 0;
  const auto probability = [&](std::string_view key, double& out) {
    out = reader.Number(key, 0.0, 0.0, 1.0);
    total += out;
    if (total > 1.0 + 1e-9) {
      throw ConfigError(
          "the fault probabilities add up to more than 1 here (a request draws at "
          "most one fault)",
          reader.PointerOf(key));
    }
  };
  probability("drop", odds.drop);
  probability("error", odds.error);
  probability("hang", odds.hang);
  probability("malformed", odds.malformed);
  probability("slow", odds.slow);
  probability("status", odds.status);
  if (const nlohmann::json* statuses = reader.Find("statuses")) {
    const std::string pointer = reader.PointerOf("statuses");
    if (!statuses->is_array() || statuses->empty())
      throw ConfigError("expected a non-empty array of statuses", pointer);
    scenario.chaos_statuses.clear();
    for (std::size_t i = 0; i < statuses->size(); ++i) {
      scenario.chaos_statuses.push_back(
          LimitStatusAt((*statuses)[i], PointerJoin(pointer, std::to_string(i))));
    }
  }
  scenario.after_chunks = static_cast<int>(reader.Integer("after_chunks", 2, 0, 1000000));
  scenario.hold = std::chrono::duration_cast<milliseconds>(reader.Millis("hold_ms", scenario.hold));
  scenario.delay =
      std::chrono::duration_cast<milliseconds>(reader.Millis("delay_ms", scenario.delay));
}

constexpr std::pair<Endpoint, std::string_view> kEndpoints[] = {
    {Endpoint::kAll, "all"},   {Endpoint::kHealth, "health"}, {Endpoint::kModels, "models"},
    {Endpoint::kChat, "chat"}, {Endpoint::kRoot, "root"},
};

constexpr std::pair<MalformedVariant, std::string_view> kVariants[] = {
    {MalformedVariant::kNotJson, "not-json"},
    {MalformedVariant::kWrongShape, "wrong-shape"},
    {MalformedVariant::kEmpty, "empty"},
    {MalformedVariant::kTruncated, "truncated"},
    {MalformedVariant::kNullData, "null-data"},
    {MalformedVariant::kDataNotList, "data-not-list"},
    {MalformedVariant::kIdNotString, "id-not-string"},
};

template <typename Table, typename Key>
std::string_view NameIn(const Table& table, Key key) {
  for (const auto& [value, name] : table) {
    if (value == key) return name;
  }
  return {};
}

template <typename Value, typename Table>
std::optional<Value> ValueIn(const Table& table, std::string_view name) {
  for (const auto& [value, entry_name] : table) {
    if (entry_name == name) return value;
  }
  return std::nullopt;
}

template <typename Table>
std::string NamesOf(const Table& table) {
  std::string names;
  for (const auto& entry : table) {
    if (!names.empty()) names += ", ";
    names += entry.second;
  }
  return names;
}

std::string ScenarioNames() {
  std::string names;
  for (const ScenarioInfo& info : kScenarios) {
    if (!names.empty()) names += ", ";
    names += info.name;
  }
  return names;
}

MalformedVariant ReadVariant(ObjectReader& reader) {
  const std::string variant = reader.String("variant", "not-json");
  const auto parsed = ParseMalformedVariant(variant);
  if (!parsed) {
    throw ConfigError("unknown variant '" + variant + "' (known: " + NamesOf(kVariants) + ")",
                      reader.PointerOf("variant"));
  }
  return *parsed;
}

}  // namespace

Scenario Scenario::Healthy(int health_status) {
  Scenario scenario;
  scenario.status = health_status;
  return scenario;
}

Scenario Scenario::Loading(int requests, milliseconds time) {
  Scenario scenario;
  scenario.kind = ScenarioKind::kLoading;
  scenario.loading_requests = requests;
  scenario.loading_time = time;
  return scenario;
}

Scenario Scenario::NoHealth(int status) {
  Scenario scenario;
  scenario.kind = ScenarioKind::kNoHealth;
  scenario.status = status;
  return scenario;
}

Scenario Scenario::MissingModel(std::vector<std::string> hidden) {
  Scenario scenario;
  scenario.kind = ScenarioKind::kMissingModel;
  scenario.hidden_models = std::move(hidden);
  return scenario;
}

Scenario Scenario::ModelsError(int status) {
  Scenario scenario;
  scenario.kind = ScenarioKind::kModelsError;
  scenario.status = status;
  return scenario;
}

Scenario Scenario::Auth(std::string token, int status) {
  Scenario scenario;
  scenario.kind = ScenarioKind::kAuth;
  scenario.token = std::move(token);
  scenario.status = status;
  return scenario;
}

Scenario Scenario::Hang(milliseconds hold) {
  Scenario scenario;
  scenario.kind = ScenarioKind::kHang;
  scenario.hold = hold;
  return scenario;
}

Scenario Scenario::Trickle(milliseconds interval) {
  Scenario scenario;
  scenario.kind = ScenarioKind::kTrickle;
  scenario.trickle_interval = interval;
  return scenario;
}

Scenario Scenario::Malformed(MalformedVariant variant) {
  Scenario scenario;
  scenario.kind = ScenarioKind::kMalformed;
  scenario.malformed = variant;
  return scenario;
}

Scenario Scenario::StreamDrop(int after_chunks) {
  Scenario scenario;
  scenario.kind = ScenarioKind::kStreamDrop;
  scenario.after_chunks = after_chunks;
  return scenario;
}

Scenario Scenario::StreamError(int after_chunks) {
  Scenario scenario;
  scenario.kind = ScenarioKind::kStreamError;
  scenario.after_chunks = after_chunks;
  return scenario;
}

Scenario Scenario::Huge(std::size_t bytes) {
  Scenario scenario;
  scenario.kind = ScenarioKind::kHuge;
  scenario.huge_bytes = bytes;
  return scenario;
}

Scenario Scenario::RateLimit(int requests, milliseconds window, std::string model) {
  Scenario scenario;
  scenario.kind = ScenarioKind::kRateLimit;
  scenario.limit_requests = requests;
  scenario.limit_window = window;
  scenario.limit_model = std::move(model);
  return scenario;
}

Scenario Scenario::TokenBucket(double rate, double burst, std::string model) {
  Scenario scenario;
  scenario.kind = ScenarioKind::kRateLimit;
  scenario.limit_rate = rate;
  scenario.limit_burst = burst;
  scenario.limit_model = std::move(model);
  return scenario;
}

Scenario Scenario::Slow(milliseconds delay) {
  Scenario scenario;
  scenario.kind = ScenarioKind::kSlow;
  scenario.delay = delay;
  return scenario;
}

Scenario Scenario::Chaos(std::uint64_t seed, ChaosOdds odds) {
  Scenario scenario;
  scenario.kind = ScenarioKind::kChaos;
  scenario.seed = seed;
  scenario.chaos = odds;
  return scenario;
}

Scenario Scenario::On(Endpoint only) const {
  Scenario copy = *this;
  copy.endpoint = only;
  return copy;
}

std::span<const ScenarioInfo> Scenarios() noexcept { return kScenarios; }

std::string_view ScenarioName(ScenarioKind kind) noexcept {
  for (const ScenarioInfo& info : kScenarios) {
    if (info.kind == kind) return info.name;
  }
  return "healthy";
}

std::optional<ScenarioKind> ParseScenarioKind(std::string_view name) noexcept {
  for (const ScenarioInfo& info : kScenarios) {
    if (info.name == name) return info.kind;
  }
  return std::nullopt;
}

std::string_view EndpointName(Endpoint endpoint) noexcept { return NameIn(kEndpoints, endpoint); }

std::optional<Endpoint> ParseEndpoint(std::string_view name) noexcept {
  return ValueIn<Endpoint>(kEndpoints, name);
}

std::string_view MalformedVariantName(MalformedVariant variant) noexcept {
  return NameIn(kVariants, variant);
}

std::optional<MalformedVariant> ParseMalformedVariant(std::string_view name) noexcept {
  return ValueIn<MalformedVariant>(kVariants, name);
}

Scenario ReadScenario(const nlohmann::json& value, const std::string& pointer) {
  if (value.is_string()) return ReadScenario(nlohmann::json{{"name", value}}, pointer);
  ObjectReader reader(value, pointer);
  Scenario scenario;
  const std::string name = reader.String("name", "");
  const auto kind = ParseScenarioKind(name);
  if (!kind) {
    throw ConfigError("unknown scenario '" + name + "' (known: " + ScenarioNames() + ")",
                      reader.PointerOf("name"));
  }
  scenario.kind = *kind;
  const std::string endpoint = reader.String("endpoint", "all");
  const auto parsed_endpoint = ParseEndpoint(endpoint);
  if (!parsed_endpoint) {
    throw ConfigError("unknown endpoint '" + endpoint + "' (known: " + NamesOf(kEndpoints) + ")",
                      reader.PointerOf("endpoint"));
  }
  scenario.endpoint = *parsed_endpoint;

  switch (scenario.kind) {
    case ScenarioKind::kHealthy:
      if (reader.Find("status") != nullptr) {
        scenario.status = static_cast<int>(reader.Integer("status", 200, 200, 399));
      }
      break;
    case ScenarioKind::kNoHealth:
      scenario.status = static_cast<int>(reader.Integer("status", 404, 400, 599));
      break;
    case ScenarioKind::kLoading:
      scenario.loading_requests = static_cast<int>(reader.Integer("requests", 0, 0, 1000000));
      scenario.loading_time = std::chrono::duration_cast<milliseconds>(
          std::chrono::duration<double>(reader.Number("seconds", 0.0, 0.0, 86400.0)));
      break;
    case ScenarioKind::kMissingModel:
      if (const nlohmann::json* models = reader.Find("models")) {
        if (!models->is_array())
          throw ConfigError("expected an array of ids", reader.PointerOf("models"));
        for (std::size_t i = 0; i < models->size(); ++i) {
          if (!(*models)[i].is_string()) {
            throw ConfigError("expected a string",
                              PointerJoin(reader.PointerOf("models"), std::to_string(i)));
          }
          scenario.hidden_models.push_back((*models)[i].get<std::string>());
        }
      }
      break;
    case ScenarioKind::kModelsError:
      scenario.status = static_cast<int>(reader.Integer("status", 500, 400, 599));
      break;
    case ScenarioKind::kAuth:
      scenario.token = reader.String("token", scenario.token);
      scenario.status = static_cast<int>(reader.Integer("status", 401, 400, 499));
      break;
    case ScenarioKind::kHang:
      scenario.hold =
          std::chrono::duration_cast<milliseconds>(reader.Millis("hold_ms", scenario.hold));
      break;
    case ScenarioKind::kTrickle:
      scenario.trickle_interval = std::chrono::duration_cast<milliseconds>(
          reader.Millis("interval_ms", scenario.trickle_interval));
      scenario.hold =
          std::chrono::duration_cast<milliseconds>(reader.Millis("hold_ms", scenario.hold));
      break;
    case ScenarioKind::kMalformed:
      scenario.malformed = ReadVariant(reader);
      scenario.after_chunks = static_cast<int>(reader.Integer("after_chunks", 2, 0, 1000000));
      break;
    case ScenarioKind::kStreamDrop:
      scenario.after_chunks = static_cast<int>(reader.Integer("after_chunks", 2, 0, 1000000));
      break;
    case ScenarioKind::kStreamError:
      scenario.after_chunks = static_cast<int>(reader.Integer("after_chunks", 2, 0, 1000000));
      if (reader.Find("done") != nullptr) scenario.done_after_error = reader.Bool("done", false);
      scenario.error_message = reader.String("message", scenario.error_message);
      break;
    case ScenarioKind::kHuge:
      scenario.huge_bytes = static_cast<std::size_t>(
          reader.Integer("bytes", static_cast<long long>(scenario.huge_bytes), 1, 1LL << 34));
      break;
    case ScenarioKind::kRateLimit:
      ReadRateLimit(reader, scenario);
      break;
    case ScenarioKind::kSlow:
      scenario.delay =
          std::chrono::duration_cast<milliseconds>(reader.Millis("delay_ms", scenario.delay));
      break;
    case ScenarioKind::kChaos:
      ReadChaos(reader, scenario);
      scenario.malformed = ReadVariant(reader);
      break;
  }
  reader.RejectUnknownKeys();
  return scenario;
}

Scenario ScenarioFromJson(const nlohmann::json& value) { return ReadScenario(value, ""); }

nlohmann::json ToJson(const Scenario& scenario) {
  nlohmann::json out = {{"name", ScenarioName(scenario.kind)},
                        {"endpoint", EndpointName(scenario.endpoint)}};
  switch (scenario.kind) {
    case ScenarioKind::kHealthy:
      if (scenario.status != 0) out["status"] = scenario.status;
      break;
    case ScenarioKind::kNoHealth:
      out["status"] = scenario.status == 0 ? 404 : scenario.status;
      break;
    case ScenarioKind::kLoading:
      out["requests"] = scenario.loading_requests;
      out["seconds"] = static_cast<double>(scenario.loading_time.count()) / 1000.0;
      break;
    case ScenarioKind::kMissingModel:
      out["models"] = scenario.hidden_models;
      break;
    case ScenarioKind::kModelsError:
      out["status"] = scenario.status == 0 ? 500 : scenario.status;
      break;
    case ScenarioKind::kAuth:
      out["token"] = scenario.token;
      out["status"] = scenario.status == 0 ? 401 : scenario.status;
      break;
    case ScenarioKind::kHang:
      out["hold_ms"] = scenario.hold.count();
      break;
    case ScenarioKind::kTrickle:
      out["interval_ms"] = scenario.trickle_interval.count();
      out["hold_ms"] = scenario.hold.count();
      break;
    case ScenarioKind::kMalformed:
      out["variant"] = MalformedVariantName(scenario.malformed);
      out["after_chunks"] = scenario.after_chunks;
      break;
    case ScenarioKind::kStreamDrop:
      out["after_chunks"] = scenario.after_chunks;
      break;
    case ScenarioKind::kStreamError:
      out["after_chunks"] = scenario.after_chunks;
      if (scenario.done_after_error) out["done"] = *scenario.done_after_error;
      out["message"] = scenario.error_message;
      break;
    case ScenarioKind::kHuge:
      out["bytes"] = scenario.huge_bytes;
      break;
    case ScenarioKind::kRateLimit:
      if (scenario.limit_rate > 0) {
        out["rate"] = scenario.limit_rate;
        out["burst"] = scenario.limit_burst;
      } else {
        out["requests"] = scenario.limit_requests;
        out["window_ms"] = scenario.limit_window.count();
      }
      if (!scenario.limit_model.empty()) out["model"] = scenario.limit_model;
      out["status"] = scenario.status == 0 ? 429 : scenario.status;
      break;
    case ScenarioKind::kSlow:
      out["delay_ms"] = scenario.delay.count();
      break;
    case ScenarioKind::kChaos:
      out["seed"] = scenario.seed;
      out["drop"] = scenario.chaos.drop;
      out["error"] = scenario.chaos.error;
      out["hang"] = scenario.chaos.hang;
      out["malformed"] = scenario.chaos.malformed;
      out["slow"] = scenario.chaos.slow;
      out["status"] = scenario.chaos.status;
      out["statuses"] = scenario.chaos_statuses;
      out["after_chunks"] = scenario.after_chunks;
      out["hold_ms"] = scenario.hold.count();
      out["delay_ms"] = scenario.delay.count();
      out["variant"] = MalformedVariantName(scenario.malformed);
      break;
  }
  return out;
}

}  // namespace provkit::mock
