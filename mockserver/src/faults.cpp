// Faults: what each scenario does to an exchange, one table entry per scenario.
#include "faults.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "models.hpp"
#include "responses.hpp"

namespace provkit::mock {
namespace {

using std::chrono::steady_clock;

bool Health(Endpoint endpoint) { return endpoint == Endpoint::kHealth; }
bool Models(Endpoint endpoint) { return endpoint == Endpoint::kModels; }
bool Chat(Endpoint endpoint) { return endpoint == Endpoint::kChat; }
bool ModelsOrChat(Endpoint endpoint) { return Models(endpoint) || Chat(endpoint); }
bool HealthOrChat(Endpoint endpoint) { return Health(endpoint) || Chat(endpoint); }
bool Every(Endpoint /*endpoint*/) { return true; }

std::string_view Name(ScenarioKind kind) { return ScenarioName(kind); }

Plan Answered(Body body, ScenarioKind kind) {
  Plan plan = Plan::Of(std::move(body), true);
  plan.fault = Name(kind);
  return plan;
}

/// A stream that ends in a fault after `after` events (or just before its terminator).
class FaultyStream final : public EventSource {
 public:
  enum class Ending { kDrop, kErrorEvent, kBadEvent };

  FaultyStream(std::shared_ptr<EventSource> inner, Ending ending, int after, std::string payload,
               bool done_after, std::string message = {})
      : inner_(std::move(inner)),
        ending_(ending),
        after_(after),
        payload_(std::move(payload)),
        message_(std::move(message)),
        done_after_(done_after && inner_->SendsDone()) {}

  Step Next(std::string& out) override {
    if (phase_ == Phase::kEnd) return Step::kEnd;
    if (phase_ == Phase::kDone) {
      inner_->AppendData(out, "[DONE]");
      phase_ = Phase::kEnd;
      return Step::kEvent;
    }
    if (events_ >= after_ || inner_->AtTerminator()) {
      switch (ending_) {
        case Ending::kDrop:
          phase_ = Phase::kEnd;
          return Step::kDrop;
        case Ending::kErrorEvent:
          inner_->AppendError(out, payload_, message_);
          phase_ = done_after_ ? Phase::kDone : Phase::kEnd;
          return Step::kEvent;
        case Ending::kBadEvent:
          inner_->AppendData(out, payload_);
          phase_ = inner_->SendsDone() ? Phase::kDone : Phase::kEnd;
          return Step::kEvent;
      }
    }
    const Step step = inner_->Next(out);
    if (step == Step::kEvent) ++events_;
    return step;
  }
  bool AtTerminator() const override { return phase_ != Phase::kInner; }
  void AppendData(std::string& out, std::string_view payload) const override {
    inner_->AppendData(out, payload);
  }
  std::string TruncatedPayload() const override { return inner_->TruncatedPayload(); }
  std::string WrongShapePayload() const override { return inner_->WrongShapePayload(); }
  void AppendError(std::string& out, std::string_view payload, std::string_view message) override {
    inner_->AppendError(out, payload, message);
  }
  bool SendsDone() const override { return inner_->SendsDone(); }
  std::optional<std::chrono::microseconds> NextDelay() const override {
    return inner_->NextDelay();
  }

 private:
  enum class Phase { kInner, kDone, kEnd };
  std::shared_ptr<EventSource> inner_;
  Ending ending_;
  int after_;
  std::string payload_;
  std::string message_;
  bool done_after_;
  Phase phase_ = Phase::kInner;
  int events_ = 0;
};

// loading: the server is not ready yet; it turns healthy after its time or its health requests.
bool LoadingCounts(const Scenario& scenario, Endpoint endpoint) {
  return Health(endpoint) && (scenario.endpoint == Endpoint::kAll || Health(scenario.endpoint));
}
bool LoadingOver(const Scenario& scenario, steady_clock::duration elapsed, int counted) {
  return (scenario.loading_time.count() > 0 && elapsed >= scenario.loading_time) ||
         (scenario.loading_requests > 0 && counted >= scenario.loading_requests);
}
std::optional<Plan> LoadingAnswer(const Exchange& exchange, Stage stage) {
  if (exchange.traits().loading_blocks_everything) {
    if (stage != Stage::kArrival || !exchange.served()) return std::nullopt;
    return Answered(ChatLoading(exchange.profile()), ScenarioKind::kLoading);
  }
  if (stage != Stage::kValidated) return std::nullopt;
  if (Health(exchange.endpoint()))
    return Answered(HealthLoading(exchange.profile()), ScenarioKind::kLoading);
  if (Chat(exchange.endpoint()))
    return Answered(ChatLoading(exchange.profile()), ScenarioKind::kLoading);
  return std::nullopt;
}

// no-health: /health answers the profile's 404, as on Ollama, or 405 / 501 as servers without
// the route (or without GET on it) answer.
std::optional<Plan> NoHealthAnswer(const Exchange& exchange, Stage stage) {
  if (stage != Stage::kValidated || !Health(exchange.endpoint())) return std::nullopt;
  const auto& request = exchange.request();
  const int status = exchange.scenario().status;
  if (status == 0 || status == 404) {
    return Answered(NotFound(exchange.profile(), request.method, request.path),
                    ScenarioKind::kNoHealth);
  }
  const std::string_view message = status == 405   ? "Method Not Allowed"
                                   : status == 501 ? "Not Implemented"
                                   : status >= 500 ? "Internal Server Error"
                                                   : "No health endpoint";
  return Answered(ErrorAnswer(exchange.profile(), status, message, "invalid_request_error"),
                  ScenarioKind::kNoHealth);
}

// missing-model: the listing leaves models out; chat answers model-not-found for them.
bool Hidden(const Scenario& scenario, const std::string& id) {
  const auto& hidden = scenario.hidden_models;
  return hidden.empty() || std::find(hidden.begin(), hidden.end(), id) != hidden.end();
}
std::optional<Plan> MissingModelAnswer(const Exchange& exchange, Stage stage) {
  const Scenario& scenario = exchange.scenario();
  if (stage == Stage::kValidated && Models(exchange.endpoint())) {
    std::vector<Model> listed;
    for (const Model& model : *exchange.snapshot().models) {
      if (!Hidden(scenario, model.id)) listed.push_back(model);
    }
    Body body{200, std::string(exchange.traits().json_type),
              Listing(exchange.profile(), listed, exchange.options().created)};
    return Answered(std::move(body), ScenarioKind::kMissingModel);
  }
  if (stage == Stage::kResolved && Chat(exchange.endpoint()) && !AcceptsAnyModel(exchange) &&
      Hidden(scenario, exchange.resolved_model())) {
    return Answered(ModelNotFound(exchange.profile(), exchange.resolved_model()),
                    ScenarioKind::kMissingModel);
  }
  return std::nullopt;
}

// models-error: the listing answers an error status.
std::optional<Plan> ModelsErrorAnswer(const Exchange& exchange, Stage stage) {
  if (stage != Stage::kValidated || !Models(exchange.endpoint())) return std::nullopt;
  const int status = exchange.scenario().status == 0 ? 500 : exchange.scenario().status;
  return Answered(ErrorAnswer(exchange.profile(), status, "simulated failure of the models listing",
                              "server_error"),
                  ScenarioKind::kModelsError);
}

// auth: requests without the API key are refused; /health stays open unless confined to it.
// llama.cpp takes the key as "Authorization: Bearer K", as a bare "Authorization: K" and as
// "X-Api-Key: K" (recorded); the others as a bearer token only, except that a dialect may name a
// header of its own (Anthropic Messages: x-api-key).
bool Authorized(const Exchange& exchange, const std::string& token) {
  const std::string authorization = exchange.request().get_header_value("Authorization");
  // The scheme name is case-insensitive (RFC 9110 11.1), the credentials are not.
  if (authorization.size() == 7 + token.size() && authorization[6] == ' ' &&
      authorization.compare(7, std::string::npos, token) == 0) {
    std::string scheme = authorization.substr(0, 6);
    for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (scheme == "bearer") return true;
  }
  const std::string_view own_header = exchange.api_key_header();
  if (!own_header.empty() && exchange.request().has_header(std::string(own_header)) &&
      exchange.request().get_header_value(std::string(own_header)) == token)
    return true;
  if (!exchange.traits().lenient_api_key) return false;
  return authorization == token || exchange.request().get_header_value("X-Api-Key") == token;
}
std::optional<Plan> AuthAnswer(const Exchange& exchange, Stage stage) {
  const Scenario& scenario = exchange.scenario();
  if (stage != Stage::kArrival) return std::nullopt;
  if (Health(exchange.endpoint()) && !Health(scenario.endpoint)) return std::nullopt;
  if (Authorized(exchange, scenario.token)) return std::nullopt;
  const int status = scenario.status == 0 ? 401 : scenario.status;
  return Answered(AuthError(exchange.profile(), status), ScenarioKind::kAuth);
}

// hang: the request is read and never answered; the connection is closed after `hold`.
std::optional<Plan> HangAnswer(const Exchange& exchange, Stage stage) {
  if (stage != Stage::kArrival) return std::nullopt;
  Plan plan;
  plan.kind = Plan::Kind::kHang;
  plan.hold = exchange.scenario().hold;
  plan.fault = Name(ScenarioKind::kHang);
  return plan;
}

// trickle: the normal answer, one body byte every `trickle_interval`, cut after `hold`.
void TrickleShape(const Exchange& exchange, Plan& plan) {
  if (plan.kind != Plan::Kind::kBody && plan.kind != Plan::Kind::kStream) return;
  plan.trickle = Plan::Trickle{exchange.scenario().trickle_interval, exchange.scenario().hold};
}

// malformed: bodies that are not JSON or have the wrong shape; streams get one bad event.
void MalformedShape(const Exchange& exchange, Plan& plan) {
  const Scenario& scenario = exchange.scenario();
  if (plan.kind == Plan::Kind::kBody) {
    plan.body = MalformedAnswer(scenario.malformed, exchange.endpoint(), plan.body);
    return;
  }
  if (plan.kind != Plan::Kind::kStream) return;
  std::string payload;
  switch (scenario.malformed) {
    case MalformedVariant::kNotJson:
      payload = "this is not JSON";
      break;
    case MalformedVariant::kEmpty:
      break;
    case MalformedVariant::kTruncated:
      payload = plan.stream->TruncatedPayload();
      break;
    default:
      payload = plan.stream->WrongShapePayload();
      break;
  }
  plan.stream = std::make_shared<FaultyStream>(plan.stream, FaultyStream::Ending::kBadEvent,
                                               scenario.after_chunks, std::move(payload), true);
}

// stream-drop: a stream is cut after `after_chunks` events, a plain chat answer after half.
void StreamDropShape(const Exchange& exchange, Plan& plan) {
  if (!Chat(exchange.endpoint())) return;
  if (plan.kind == Plan::Kind::kStream) {
    plan.stream = std::make_shared<FaultyStream>(plan.stream, FaultyStream::Ending::kDrop,
                                                 exchange.scenario().after_chunks, "", false);
  } else if (plan.kind == Plan::Kind::kBody) {
    plan.cut_half = true;
  }
}

// stream-error: an error envelope as a stream event; a plain chat request answers 500.
bool Streaming(const Exchange& exchange) {
  const nlohmann::json* body = exchange.Json();
  if (body == nullptr || !body->is_object()) return false;
  const auto stream = body->find("stream");
  return stream != body->end() && stream->is_boolean() && stream->get<bool>();
}
std::optional<Plan> StreamErrorAnswer(const Exchange& exchange, Stage stage) {
  if (stage != Stage::kResolved || !Chat(exchange.endpoint()) || Streaming(exchange))
    return std::nullopt;
  return Answered(
      ErrorAnswer(exchange.profile(), 500, exchange.scenario().error_message, "server_error"),
      ScenarioKind::kStreamError);
}
void StreamErrorShape(const Exchange& exchange, Plan& plan) {
  if (!Chat(exchange.endpoint()) || plan.kind != Plan::Kind::kStream) return;
  const Scenario& scenario = exchange.scenario();
  const bool done = scenario.done_after_error.value_or(exchange.traits().done_after_stream_error);
  plan.stream = std::make_shared<FaultyStream>(
      plan.stream, FaultyStream::Ending::kErrorEvent, scenario.after_chunks,
      StreamErrorPayload(exchange.profile(), scenario.error_message), done, scenario.error_message);
}

// huge: every answer padded to about `huge_bytes`, generated piece by piece.
void HugeShape(const Exchange& exchange, Plan& plan) {
  const std::size_t bytes = exchange.scenario().huge_bytes;
  if (plan.kind == Plan::Kind::kStream) {
    plan.stream->PadContent(bytes);
    return;
  }
  Plan huge;
  huge.kind = Plan::Kind::kGenerated;
  huge.delay = plan.delay;
  if (plan.pad_body) {
    huge.generated = std::make_shared<HugeBody>(plan.pad_body(bytes));
  } else if (Models(exchange.endpoint())) {
    huge.generated = std::make_shared<HugeBody>(
        HugeBody::Listing(*exchange.snapshot().models, exchange.options().created, bytes));
  } else if (Health(exchange.endpoint())) {
    huge.generated =
        std::make_shared<HugeBody>(HugeBody::Padded(R"({"status":"ok","padding":")", bytes, "\"}"));
  } else {
    huge.generated = std::make_shared<HugeBody>(HugeBody::Padded("", bytes, ""));
    huge.generated_type = "text/plain";
  }
  plan = std::move(huge);
}

// rate-limit: generation requests (naming `model`, when set) over the limit answer 429 (or
// `status`) with Retry-After in whole seconds, rounded up.
bool LimitedModel(const Exchange& exchange, const std::string& model) {
  if (model.empty() || exchange.resolved_model() == model) return true;
  const nlohmann::json* body = exchange.Json();
  if (body == nullptr || !body->is_object()) return false;
  const auto named = body->find("model");
  return named != body->end() && named->is_string() && named->get<std::string>() == model;
}
Body Refusal(Profile profile, int status, long long retry_after_s) {
  Body body;
  switch (status) {
    case 500:
      body = ErrorAnswer(profile, 500, "Internal Server Error (simulated)", "server_error");
      break;
    case 502:
      body = ErrorAnswer(profile, 502, "Bad Gateway (simulated)", "server_error");
      break;
    case 503:
      body = ErrorAnswer(profile, 503, "Service Unavailable (simulated overload)", "server_error");
      break;
    default:
      body = ErrorAnswer(profile, 429,
                         "Rate limit reached for requests (simulated). Please try again in " +
                             std::to_string(retry_after_s) + "s.",
                         "requests", "rate_limit_exceeded");
      break;
  }
  body.headers.emplace_back("Retry-After", std::to_string(retry_after_s));
  return body;
}
std::optional<Plan> RateLimitAnswer(const Exchange& exchange, Stage stage) {
  const Scenario& scenario = exchange.scenario();
  if (stage != Stage::kResolved || !Chat(exchange.endpoint()) ||
      !LimitedModel(exchange, scenario.limit_model))
    return std::nullopt;
  std::optional<steady_clock::duration> wait;
  if (scenario.limit_rate <= 0 && scenario.limit_requests == 0) {
    wait = scenario.limit_window;  // Nothing is admitted: no counter to keep.
  } else if (exchange.snapshot().faults != nullptr) {
    wait = exchange.snapshot().faults->Admit(scenario, steady_clock::now());
  }
  if (!wait) return std::nullopt;
  const double seconds = std::chrono::duration<double>(*wait).count();
  const long long retry_after = std::max(1LL, static_cast<long long>(std::ceil(seconds)));
  const int status = scenario.status == 0 ? 429 : scenario.status;
  return Answered(Refusal(exchange.profile(), status, retry_after), ScenarioKind::kRateLimit);
}

// slow: every answer waits `delay` before its first byte, its headers included.
void SlowShape(const Exchange& exchange, Plan& plan) {
  if (plan.kind == Plan::Kind::kHang) return;
  plan.delay += exchange.scenario().delay;
}

constexpr Fault kFaults[] = {
    {.kind = ScenarioKind::kHealthy},
    {.kind = ScenarioKind::kLoading,
     .marks = HealthOrChat,
     .counts = LoadingCounts,
     .over = LoadingOver,
     .answer = LoadingAnswer},
    {.kind = ScenarioKind::kNoHealth, .marks = Health, .answer = NoHealthAnswer},
    {.kind = ScenarioKind::kMissingModel, .marks = ModelsOrChat, .answer = MissingModelAnswer},
    {.kind = ScenarioKind::kModelsError, .marks = Models, .answer = ModelsErrorAnswer},
    {.kind = ScenarioKind::kAuth, .answer = AuthAnswer},
    {.kind = ScenarioKind::kHang, .marks = Every, .answer = HangAnswer},
    {.kind = ScenarioKind::kTrickle, .marks = Every, .shape = TrickleShape},
    {.kind = ScenarioKind::kMalformed, .marks = Every, .shape = MalformedShape},
    {.kind = ScenarioKind::kStreamDrop, .marks = Chat, .shape = StreamDropShape},
    {.kind = ScenarioKind::kStreamError,
     .marks = Chat,
     .answer = StreamErrorAnswer,
     .shape = StreamErrorShape},
    {.kind = ScenarioKind::kHuge, .marks = Every, .shape = HugeShape},
    {.kind = ScenarioKind::kRateLimit, .answer = RateLimitAnswer},
    {.kind = ScenarioKind::kSlow, .marks = Every, .shape = SlowShape},
    // chaos: no hooks of its own; DrawChaos picks the scenario each request is answered under.
    {.kind = ScenarioKind::kChaos},
};

// chaos: splitmix64 (Steele, Lea, Flood 2014) mixes the seed with the draw number, so the n-th
// draw depends on nothing else: not on the thread, not on what other requests did.
std::uint64_t SplitMix64(std::uint64_t x) noexcept {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

/// A uniform double in [0, 1) from the top 53 bits.
double Unit(std::uint64_t bits) noexcept { return static_cast<double>(bits >> 11) * 0x1.0p-53; }

/// One chaos fault: its probability, the journal's name, and the scenario that implements it.
struct ChaosKind {
  double ChaosOdds::*odds;
  std::string_view fault;
  Scenario (*make)(const Scenario& chaos, std::uint64_t bits);
};

Scenario ChaosDrop(const Scenario& chaos, std::uint64_t /*bits*/) {
  return Scenario::StreamDrop(chaos.after_chunks);
}
Scenario ChaosError(const Scenario& chaos, std::uint64_t /*bits*/) {
  return Scenario::StreamError(chaos.after_chunks);
}
Scenario ChaosHang(const Scenario& chaos, std::uint64_t /*bits*/) {
  return Scenario::Hang(chaos.hold);
}
Scenario ChaosMalformed(const Scenario& chaos, std::uint64_t /*bits*/) {
  Scenario scenario = Scenario::Malformed(chaos.malformed);
  scenario.after_chunks = chaos.after_chunks;
  return scenario;
}
Scenario ChaosSlow(const Scenario& chaos, std::uint64_t /*bits*/) {
  return Scenario::Slow(chaos.delay);
}
Scenario ChaosStatus(const Scenario& chaos, std::uint64_t bits) {
  Scenario scenario = Scenario::RateLimit(0);  // Admits nothing: Retry-After is the 1 s window.
  const auto& statuses = chaos.chaos_statuses;
  scenario.status = statuses.empty() ? 500 : statuses[SplitMix64(bits) % statuses.size()];
  return scenario;
}

constexpr ChaosKind kChaosKinds[] = {
    {&ChaosOdds::drop, "chaos:stream-drop", ChaosDrop},
    {&ChaosOdds::error, "chaos:stream-error", ChaosError},
    {&ChaosOdds::hang, "chaos:hang", ChaosHang},
    {&ChaosOdds::malformed, "chaos:malformed", ChaosMalformed},
    {&ChaosOdds::slow, "chaos:slow", ChaosSlow},
    {&ChaosOdds::status, "chaos:status", ChaosStatus},
};

}  // namespace

const Fault& FaultFor(ScenarioKind kind) noexcept {
  for (const Fault& fault : kFaults) {
    if (fault.kind == kind) return fault;
  }
  return kFaults[0];
}

std::optional<ChaosDraw> DrawChaos(const Scenario& chaos, std::uint64_t draw) {
  const std::uint64_t bits = SplitMix64(chaos.seed ^ SplitMix64(draw));
  const double roll = Unit(bits);
  double below = 0;
  for (const ChaosKind& kind : kChaosKinds) {
    below += chaos.chaos.*kind.odds;
    if (roll < below) {
      Scenario scenario = kind.make(chaos, bits);
      scenario.endpoint = Endpoint::kChat;
      return ChaosDraw{std::make_shared<const Scenario>(std::move(scenario)), kind.fault};
    }
  }
  return std::nullopt;
}

std::optional<ChaosDraw> DrawChaos(const Snapshot& snapshot, Endpoint endpoint) {
  const Scenario& scenario = *snapshot.scenario;
  if (scenario.kind != ScenarioKind::kChaos || !Chat(endpoint) || !Applies(scenario, endpoint) ||
      snapshot.faults == nullptr)
    return std::nullopt;
  return DrawChaos(scenario, snapshot.faults->NextDraw());
}

bool Applies(const Scenario& scenario, Endpoint endpoint) noexcept {
  return scenario.kind != ScenarioKind::kHealthy &&
         (scenario.endpoint == Endpoint::kAll || scenario.endpoint == endpoint);
}

}  // namespace provkit::mock
