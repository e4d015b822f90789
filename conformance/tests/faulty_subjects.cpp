// The faulty subjects of faulty_subjects.hpp: each wraps or imitates the local provider and breaks
// one rule.
#include "faulty_subjects.hpp"

#include <algorithm>
#include <map>

#include "stream_reader.hpp"

namespace provkit::conformance::testing {
namespace {

// A GET the faulty probes send on their own, with a throwing JSON parse where asked.
std::pair<int, std::string> DirectGet(const Config& config, const std::string& path) {
  const auto url = ParseUrl(config.base_url);
  httplib::Client client(url->host, url->port);
  client.set_connection_timeout(1, 0);
  client.set_read_timeout(1, 0);
  auto response = client.Get(path);
  if (!response) return {0, ""};
  return {response->status, response->body};
}

/// Whether a TCP connection to the configured server is refused (or its name does not resolve:
/// the only unresolvable names the checks use are refused by the resolver without a query).
bool ConnectionRefused(const Config& config) {
  const auto url = ParseUrl(config.base_url);
  if (!url) return false;
  httplib::Client client(url->host, url->port);
  client.set_connection_timeout(1, 0);
  client.set_read_timeout(0, 200000);
  const auto response = client.Get("/health");
  return !response && response.error() == httplib::Error::Connection;
}

class WrappingSource final : public EventSource {
 public:
  WrappingSource(EventStream inner, ProviderFault fault, std::shared_ptr<Provider> provider)
      : inner_(std::move(inner)), fault_(fault), provider_(std::move(provider)) {}
  ~WrappingSource() override {
    if (fault_ == ProviderFault::kAbandonKillsSession && !finished_) provider_->Close();
  }

  bool Next(StreamEvent& event) override {
    if (finished_) return false;
    try {
      std::optional<StreamEvent> next = inner_.Next();
      if (!next) {
        finished_ = true;
        return false;
      }
      event = std::move(*next);
      if (event.type == EventType::kTextDelta) partial_.text += event.delta;
      if (event.type == EventType::kDone && fault_ == ProviderFault::kDoneDiffers && event.output) {
        Output changed = *event.output;
        changed.usage.reset();
        changed.reasoning.clear();
        event.output = std::make_shared<const Output>(std::move(changed));
      }
      if (fault_ == ProviderFault::kLastArgumentFragment) KeepLastFragment(event);
      return true;
    } catch (...) {
      if (fault_ != ProviderFault::kSwallowsStreamErrors) throw;
      finished_ = true;
      event = StreamEvent{};
      event.type = EventType::kDone;
      event.output = std::make_shared<const Output>(partial_);
      return true;
    }
  }
  void Cancel() noexcept override { inner_.Cancel(); }

 private:
  // A decoder that overwrites a tool call's arguments with each fragment instead of appending it:
  // the complete call (and the done output) carries only the last fragment.
  void KeepLastFragment(StreamEvent& event) {
    if (event.type == EventType::kToolCallDelta) {
      if (!event.delta.empty()) last_fragment_[event.tool_index] = event.delta;
      return;
    }
    if (event.type == EventType::kToolCall) {
      const auto last = last_fragment_.find(event.tool_index);
      if (last != last_fragment_.end()) {
        event.tool_call.arguments_text = last->second;
        event.tool_call.arguments = nlohmann::json::parse(last->second, nullptr, false);
        if (event.tool_call.arguments.is_discarded()) event.tool_call.arguments = nullptr;
      }
      cut_calls_.push_back(event.tool_call);  // the done output lists calls in this order
    }
    if (event.type == EventType::kDone && event.output &&
        event.output->tool_calls.size() == cut_calls_.size()) {
      Output changed = *event.output;
      changed.tool_calls = cut_calls_;
      event.output = std::make_shared<const Output>(std::move(changed));
    }
  }

  EventStream inner_;
  ProviderFault fault_;
  std::shared_ptr<Provider> provider_;
  std::map<int, std::string> last_fragment_;
  std::vector<ToolCall> cut_calls_;
  Output partial_;
  bool finished_ = false;
};

class FaultyProviderImpl final : public Provider, public ReadinessProvider {
 public:
  FaultyProviderImpl(Config config, ProviderFault fault)
      : config_(std::move(config)), fault_(fault) {
    if (fault_ == ProviderFault::kNoAuthHeader) config_.api_key.clear();
    inner_ = std::make_shared<LocalProvider>(config_);
  }

  Output Generate(const Environment& environment, const Input& input,
                  const Requirements& given) override {
    InFlight guard(*this);
    const Requirements requirements = Options(given);
    if (fault_ == ProviderFault::kNewConnectionEveryTurn)
      return Fresh()->Generate(environment, input, requirements);
    return inner_->Generate(environment, input, requirements);
  }

  EventStream Stream(const Environment& environment, const Input& input,
                     const Requirements& given) override {
    const Requirements requirements = Options(given);
    if (fault_ == ProviderFault::kNewConnectionEveryTurn)
      return Fresh()->Stream(environment, input, requirements);
    EventStream stream = inner_->Stream(environment, input, requirements);
    if (fault_ == ProviderFault::kDoneDiffers || fault_ == ProviderFault::kAbandonKillsSession ||
        fault_ == ProviderFault::kSwallowsStreamErrors ||
        fault_ == ProviderFault::kLastArgumentFragment) {
      return EventStream(std::make_unique<WrappingSource>(std::move(stream), fault_, inner_));
    }
    return stream;
  }

  /// The provider options as the faulty provider (mis)reads them (S12).
  Requirements Options(Requirements requirements) const {
    nlohmann::json& options = requirements.provider_options;
    if (!options.is_object()) return requirements;
    switch (fault_) {
      case ProviderFault::kIgnoresProviderOptions:
        options = nlohmann::json::object();
        break;
      case ProviderFault::kMergesEveryScope: {
        nlohmann::json merged = nlohmann::json::object();
        for (const auto& [scope, fields] : options.items()) {
          if (fields.is_object()) merged.update(fields);
        }
        options = {{"local", merged}};
        break;
      }
      case ProviderFault::kThinkingOnlyWhenTrue:
        if (options.contains("local") &&
            options["local"]
                    .value("chat_template_kwargs", nlohmann::json::object())
                    .value("enable_thinking", true) == false) {
          options["local"].erase("chat_template_kwargs");
        }
        break;
      case ProviderFault::kDropsManagedFields:
        if (options.contains("local") && options["local"].is_object()) {
          for (const char* managed : {"model", "messages", "stream", "stream_options"})
            options["local"].erase(managed);
        }
        break;
      default:
        break;
    }
    return requirements;
  }

  void Close() override {
    if (fault_ == ProviderFault::kNeverCloses) return;
    inner_->Close();
    std::lock_guard lock(mutex_);
    for (auto& fresh : fresh_) fresh->Close();
  }

  ProviderReadiness CheckReady(const std::optional<std::string>& model,
                               std::stop_token stop) override {
    switch (fault_) {
      case ProviderFault::kNoProbeTimeout: {
        Config patient = config_;
        patient.probe_budget = std::chrono::hours(1);
        return LocalProvider(patient).CheckReady(model, stop);
      }
      case ProviderFault::kIgnoresCancellation:
        return inner_->CheckReady(model, {});
      case ProviderFault::kModelUnsetListsModels:
        if (!model) DirectGet(config_, "/v1/models");
        break;
      case ProviderFault::kHealthMustAnswer: {
        const auto [status, body] = DirectGet(config_, "/health");
        if (status >= 400) {
          return {.ready = false,
                  .provider = config_.provider,
                  .status_code = status,
                  .message = "health check failed",
                  .model = model,
                  .model_verified = model ? std::optional(false) : std::nullopt};
        }
        break;
      }
      case ProviderFault::kThrowsOnOddBodies: {
        const auto [status, body] = DirectGet(config_, "/v1/models");
        const nlohmann::json listing = nlohmann::json::parse(body);  // throws on what is not JSON
        (void)listing.at("data").at(0).at("id").get<std::string>();  // throws on the wrong shape
        break;
      }
      case ProviderFault::kBudgetPerRequest: {
        // Health first, with the whole budget; then the listing, with the whole budget again.
        ProviderReadiness health = inner_->CheckReady(std::nullopt, stop);
        if (!model || health.status_code == std::nullopt) return health;
        break;
      }
      case ProviderFault::kProbeSendsPrompt:
        try {
          inner_->Generate({}, {.text = "ping"}, {});
        } catch (const std::exception&) {
        }
        break;
      default:
        break;
    }
    ProviderReadiness r = inner_->CheckReady(model, stop);
    switch (fault_) {
      case ProviderFault::kThrowsWhenServerDown:
        if (!r.ready && !r.status_code) throw std::runtime_error("connect: Connection refused");
        break;
      case ProviderFault::kTrustsListing:
        if (r.model_verified == true) r.ready = true;
        break;
      case ProviderFault::kVerifiedWithoutListing:
        if (model && !r.ready) r.model_verified = true;
        break;
      case ProviderFault::kForgetsModel:
        r.model.reset();
        break;
      case ProviderFault::kNoSuggestion:
        if (model && r.message && r.message->find("not listed") != std::string::npos) {
          r.message = "Model '" + *model + "' is not listed";
        }
        break;
      case ProviderFault::kVagueNotListed:
        if (!r.ready) r.message = "not ready";
        break;
      case ProviderFault::kDropsStatus:
        if (!r.ready) r.status_code.reset();
        break;
      case ProviderFault::kRawBodyMessage:
        if (!r.ready && r.status_code && *r.status_code >= 400) {
          r.message = DirectGet(config_, "/v1/models").second;
        }
        break;
      case ProviderFault::kUrlOnlyWhenRefused:
        if (!r.ready && !r.status_code && !ConnectionRefused(config_)) {
          r.message = "The server hung up before answering. Check that it is running.";
        }
        break;
      case ProviderFault::kGenericErrorMessage:
        if (!r.ready && r.status_code && *r.status_code >= 400)
          r.message = "HTTP error " + std::to_string(*r.status_code);
        break;
      default:
        break;
    }
    return r;
  }

 private:
  struct InFlight {
    explicit InFlight(FaultyProviderImpl& provider) : owner(provider) {
      if (owner.fault_ == ProviderFault::kNotThreadSafe && owner.in_flight_++ > 0) {
        --owner.in_flight_;
        throw std::runtime_error("FaultyProvider: concurrent call into a single-threaded client");
      }
    }
    ~InFlight() {
      if (owner.fault_ == ProviderFault::kNotThreadSafe) --owner.in_flight_;
    }
    FaultyProviderImpl& owner;
  };

  std::shared_ptr<LocalProvider> Fresh() {
    auto fresh = std::make_shared<LocalProvider>(config_);
    std::lock_guard lock(mutex_);
    fresh_.push_back(fresh);
    return fresh;
  }

  Config config_;
  ProviderFault fault_;
  std::shared_ptr<LocalProvider> inner_;
  std::mutex mutex_;
  std::vector<std::shared_ptr<LocalProvider>> fresh_;
  std::atomic<int> in_flight_{0};
};

// ---------------------------------------------------------------------------------------------

struct HandRolledState {
  SessionFaults faults;
  std::atomic<std::int64_t> created{0};
  std::atomic<std::int64_t> closed{0};
  std::atomic<std::int64_t> after_close{0};
};

class HandRolledSession final : public SubjectSession {
 public:
  HandRolledSession(std::shared_ptr<HandRolledState> state, Config config, bool probe)
      : state_(std::move(state)), config_(std::move(config)), probe_(probe) {
    provider_ = Make();
  }

  ProviderReadiness CheckReady(std::stop_token stop) override {
    auto provider = Use();
    if (!probe_) {
      return {.ready = !state_->faults.wrong_no_probe_answer,
              .provider = "local",
              .status_code = std::nullopt,
              .message = std::string(kNoProbeMessage),
              .model = config_.model,
              .model_verified = false};
    }
    return Guard([&] { return provider->CheckReady(config_.model, stop); });
  }
  ProviderReadiness CheckReadyOf(const std::optional<std::string>& model) override {
    auto provider = Use();
    return Guard([&] { return provider->CheckReady(model, {}); });
  }
  Output Interact(const Environment& environment, const Input& input,
                  const Requirements& requirements) override {
    auto provider = Use();
    return Guard([&] { return provider->Generate(environment, input, requirements); });
  }
  StreamOutcome Stream(const Environment& environment, const Input& input,
                       const Requirements& requirements, std::optional<int> stop_after,
                       const EventCallback& on_event) override {
    std::shared_ptr<LocalProvider> provider;
    try {
      provider = Use();
    } catch (const SubjectError& error) {
      StreamOutcome outcome;
      outcome.error = error;
      return outcome;
    }
    return ReadStream([&] { return provider->Stream(environment, input, requirements); },
                      stop_after, on_event);
  }
  std::vector<Output> RunMany(const Environment& environment, const std::vector<Input>& inputs,
                              const Requirements& requirements, int /*concurrency*/) override {
    std::vector<Output> outputs;
    for (const Input& input : inputs) outputs.push_back(Interact(environment, input, requirements));
    if (state_->faults.run_many_reversed) std::reverse(outputs.begin(), outputs.end());
    return outputs;
  }
  void Close() override {
    const SessionFaults& faults = state_->faults;
    {
      std::lock_guard lock(mutex_);
      if (close_called_ && !faults.close_twice) return;
      close_called_ = true;
    }
    ++state_->closed;
    if (faults.close_twice) ++state_->closed;  // the provider is told to close a second time
    if (faults.works_after_close || faults.close_keeps_streams) return;
    provider_->Close();
    std::lock_guard lock(mutex_);
    for (auto& extra : extra_) extra->Close();
  }
  void Drop() override {
    try {
      Close();
    } catch (const std::exception&) {
    }
  }

 private:
  std::shared_ptr<LocalProvider> Make() {
    ++state_->created;
    return std::make_shared<LocalProvider>(config_);
  }

  std::shared_ptr<LocalProvider> Use() {
    std::lock_guard lock(mutex_);
    if (close_called_) {
      if (!state_->faults.works_after_close) {
        throw SubjectError("session_closed",
                           state_->faults.closed_message_prefixed ? "MyLib Session is closed"
                                                                  : "Session is closed",
                           "Create a new Session for additional interactions.");
      }
      ++state_->after_close;
    }
    if (state_->faults.provider_per_call) {
      extra_.push_back(Make());
      return extra_.back();
    }
    return provider_;
  }

  template <typename Fn>
  static auto Guard(Fn&& fn) -> decltype(fn()) {
    try {
      return fn();
    } catch (...) {
      throw CurrentExceptionAsSubjectError();
    }
  }

  std::shared_ptr<HandRolledState> state_;
  Config config_;
  bool probe_;
  std::mutex mutex_;
  bool close_called_ = false;
  std::shared_ptr<LocalProvider> provider_;
  std::vector<std::shared_ptr<LocalProvider>> extra_;
};

class HandRolled final : public Subject {
 public:
  explicit HandRolled(SessionFaults faults) : state_(std::make_shared<HandRolledState>()) {
    state_->faults = faults;
  }

  std::string Name() const override { return "hand-rolled"; }
  Capabilities GetCapabilities() const override { return {}; }
  std::unique_ptr<SubjectSession> Open(const Config& config, bool readiness_probe) override {
    return std::make_unique<HandRolledSession>(state_, config, readiness_probe);
  }
  OneShotResult OneShot(OneShotCall call, const Config& config, const OneShotArgs& args) override {
    auto session = std::make_unique<HandRolledSession>(state_, config, true);
    SubjectSession& base = *session;
    OneShotResult result;
    struct Closer {
      HandRolledSession& session;
      bool leak;
      ~Closer() {
        if (!leak) session.Drop();
      }
    } closer{*session, state_->faults.one_shot_leaks};
    switch (call) {
      case OneShotCall::kInteract:
        result.output = session->Interact(args.environment, args.input, args.requirements);
        break;
      case OneShotCall::kStream:
        result.stream =
            base.Stream(args.environment, args.input, args.requirements, args.stop_after);
        if (result.stream->abandoned && state_->faults.abandoned_one_shot_leaks) closer.leak = true;
        break;
      case OneShotCall::kRunMany:
        result.outputs =
            session->RunMany(args.environment, args.inputs, args.requirements, args.concurrency);
        break;
      case OneShotCall::kCheckReady:
        result.readiness = base.CheckReady();
        break;
    }
    if (closer.leak) leaked_.push_back(std::move(session));
    return result;
  }
  SubjectCounters Counters() override {
    return {.instances_created = state_->created.load(),
            .instances_closed = state_->closed.load(),
            .calls_after_close = state_->after_close.load()};
  }

 private:
  std::shared_ptr<HandRolledState> state_;
  std::vector<std::unique_ptr<HandRolledSession>> leaked_;
};

// A cloud-dialect provider from the registry with a fault in how it hands its stream on.
class FaultyCloudProviderImpl final : public Provider {
 public:
  FaultyCloudProviderImpl(const Config& config, ProviderFault fault, const std::string& name)
      : inner_(ProviderRegistry::Default().Find(name)(config)), fault_(fault) {}

  Output Generate(const Environment& environment, const Input& input,
                  const Requirements& requirements) override {
    return inner_->Generate(environment, input, requirements);
  }
  EventStream Stream(const Environment& environment, const Input& input,
                     const Requirements& requirements) override {
    return EventStream(std::make_unique<WrappingSource>(
        inner_->Stream(environment, input, requirements), fault_, inner_));
  }
  void Close() override { inner_->Close(); }

 private:
  std::shared_ptr<Provider> inner_;
  ProviderFault fault_;
};

}  // namespace

ProviderFactory FaultyProvider(ProviderFault fault) {
  return
      [fault](const Config& config) { return std::make_unique<FaultyProviderImpl>(config, fault); };
}

ProviderFactory FaultyCloudProvider(ProviderFault fault, const std::string& name) {
  return [fault, name](const Config& config) {
    return std::make_unique<FaultyCloudProviderImpl>(config, fault, name);
  };
}

SubjectFactory HandRolledSubject(SessionFaults faults) {
  return [faults] { return std::make_unique<HandRolled>(faults); };
}

}  // namespace provkit::conformance::testing
