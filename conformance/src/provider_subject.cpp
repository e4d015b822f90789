// ProviderSubject: drives a C++ provider through provkit::Session, counting instances and closes at
// the factory.
#include "provkit/conformance/provider_subject.hpp"

#include <atomic>
#include <mutex>
#include <typeinfo>
#include <utility>

#include "provkit/runtime/error.hpp"
#include "provkit/runtime/session.hpp"
#include "stream_reader.hpp"

namespace provkit::conformance {

std::map<std::string, bool> Capabilities::ToMap() const {
  return {{"readiness", readiness},
          {"streaming", streaming},
          {"tools", tools},
          {"run_many", run_many},
          {"one_shot", one_shot},
          {"concurrent", concurrent},
          {"probe_optional", probe_optional},
          {"cancellation", cancellation}};
}

SubjectError CurrentExceptionAsSubjectError() {
  try {
    throw;
  } catch (const SubjectError& error) {
    return error;
  } catch (const APIError& error) {
    return SubjectError(std::string(ErrorKindId(error.kind())), error.what(), error.hint(),
                        error.status_code());
  } catch (const Error& error) {
    return SubjectError(std::string(ErrorKindId(error.kind())), error.what(), error.hint());
  } catch (const std::exception& error) {
    return SubjectError("exception", std::string(typeid(error).name()) + ": " + error.what());
  } catch (...) {
    return SubjectError("exception", "an exception that is not a std::exception");
  }
}

namespace {

struct Counts {
  std::atomic<std::int64_t> created{0};
  std::atomic<std::int64_t> closed{0};
  std::atomic<std::int64_t> after_close{0};
};

// Forwards to the subject's provider and counts what the suite judges.
class CountingProvider : public Provider {
 public:
  CountingProvider(std::unique_ptr<Provider> inner, std::shared_ptr<Counts> counts)
      : inner_(std::move(inner)), counts_(std::move(counts)) {}

  Output Generate(const Environment& environment, const Input& input,
                  const Requirements& requirements) override {
    Touch();
    return inner_->Generate(environment, input, requirements);
  }
  EventStream Stream(const Environment& environment, const Input& input,
                     const Requirements& requirements) override {
    Touch();
    return inner_->Stream(environment, input, requirements);
  }
  void Close() override {
    ++counts_->closed;
    closed_ = true;
    inner_->Close();
  }

 protected:
  void Touch() {
    if (closed_) ++counts_->after_close;
  }
  Provider& inner() { return *inner_; }

 private:
  std::unique_ptr<Provider> inner_;
  std::shared_ptr<Counts> counts_;
  std::atomic<bool> closed_{false};
};

class CountingReadinessProvider final : public CountingProvider, public ReadinessProvider {
 public:
  CountingReadinessProvider(std::unique_ptr<Provider> inner, std::shared_ptr<Counts> counts)
      : CountingProvider(std::move(inner), std::move(counts)) {}

  ProviderReadiness CheckReady(const std::optional<std::string>& model,
                               std::stop_token stop) override {
    Touch();
    return dynamic_cast<ReadinessProvider&>(inner()).CheckReady(model, std::move(stop));
  }
};

ProviderFactory Counting(ProviderFactory factory, std::shared_ptr<Counts> counts,
                         bool readiness_probe) {
  return [factory = std::move(factory), counts = std::move(counts),
          readiness_probe](const Config& config) -> std::unique_ptr<Provider> {
    std::unique_ptr<Provider> provider = factory(config);
    if (!provider) return nullptr;
    ++counts->created;
    if (readiness_probe && dynamic_cast<ReadinessProvider*>(provider.get()) != nullptr) {
      return std::make_unique<CountingReadinessProvider>(std::move(provider), counts);
    }
    return std::make_unique<CountingProvider>(std::move(provider), counts);
  };
}

class ProviderSession final : public SubjectSession {
 public:
  explicit ProviderSession(std::unique_ptr<Session> session) : session_(std::move(session)) {}

  ProviderReadiness CheckReady(std::stop_token stop) override {
    return Guard([&] { return live().CheckReady(std::move(stop)); });
  }
  ProviderReadiness CheckReadyOf(const std::optional<std::string>& model) override {
    return Guard([&] { return live().CheckReady(model); });
  }
  Output Interact(const Environment& environment, const Input& input,
                  const Requirements& requirements) override {
    return Guard([&] { return live().Interact(environment, input, requirements); });
  }
  StreamOutcome Stream(const Environment& environment, const Input& input,
                       const Requirements& requirements, std::optional<int> stop_after,
                       const EventCallback& on_event) override {
    return ReadStream([&] { return live().Stream(environment, input, requirements); }, stop_after,
                      on_event);
  }
  std::vector<Output> RunMany(const Environment& environment, const std::vector<Input>& inputs,
                              const Requirements& requirements, int concurrency) override {
    return Guard([&] {
      return live().RunMany(environment, inputs, requirements,
                            static_cast<std::size_t>(concurrency));
    });
  }
  void Close() override {
    Guard([&] {
      live().Close();
      return 0;
    });
  }
  void Drop() override {
    std::unique_ptr<Session> dropped;
    {
      std::lock_guard lock(mutex_);
      dropped = std::move(session_);
    }
    Guard([&] {
      dropped.reset();  // the destructor is the implicit close; nothing may escape it (S2)
      return 0;
    });
  }

 private:
  Session& live() {
    std::lock_guard lock(mutex_);
    if (!session_) throw SubjectError("harness", "the session was dropped");
    return *session_;
  }

  template <typename Fn>
  static auto Guard(Fn&& fn) -> decltype(fn()) {
    try {
      return fn();
    } catch (...) {
      throw CurrentExceptionAsSubjectError();
    }
  }

  std::mutex mutex_;
  std::unique_ptr<Session> session_;
};

}  // namespace

struct ProviderSubject::State {
  std::string name;
  ProviderFactory factory;
  Capabilities capabilities;
  std::shared_ptr<Counts> counts = std::make_shared<Counts>();
};

ProviderSubject::ProviderSubject(std::string name, ProviderFactory factory,
                                 Capabilities capabilities)
    : state_(std::make_shared<State>()) {
  state_->name = std::move(name);
  state_->factory = std::move(factory);
  state_->capabilities = capabilities;
}

ProviderSubject::~ProviderSubject() = default;

std::string ProviderSubject::Name() const { return state_->name; }
Capabilities ProviderSubject::GetCapabilities() const { return state_->capabilities; }

std::unique_ptr<SubjectSession> ProviderSubject::Open(const Config& config, bool readiness_probe) {
  try {
    return std::make_unique<ProviderSession>(std::make_unique<Session>(
        config, Counting(state_->factory, state_->counts, readiness_probe)));
  } catch (...) {
    throw CurrentExceptionAsSubjectError();
  }
}

OneShotResult ProviderSubject::OneShot(OneShotCall call, const Config& config,
                                       const OneShotArgs& args) {
  static std::atomic<int> next_id{0};
  // The one-shot calls find providers by name: register ours for this call only.
  const std::string registered = "provkit-conformance-subject-" + std::to_string(++next_id);
  ProviderRegistry::Default().Register(registered, Counting(state_->factory, state_->counts, true));
  struct Unregister {
    std::string name;
    ~Unregister() { ProviderRegistry::Default().Unregister(name); }
  } unregister{registered};
  Config named = config;
  named.provider = registered;
  OneShotResult result;
  if (call == OneShotCall::kStream) {
    result.stream = ReadStream(
        [&] { return provkit::Stream(named, args.environment, args.input, args.requirements); },
        args.stop_after, {});
    return result;
  }
  try {
    switch (call) {
      case OneShotCall::kInteract:
        result.output = provkit::Interact(named, args.environment, args.input, args.requirements);
        break;
      case OneShotCall::kRunMany:
        result.outputs = provkit::RunMany(named, args.environment, args.inputs, args.requirements,
                                          static_cast<std::size_t>(args.concurrency));
        break;
      case OneShotCall::kCheckReady:
        result.readiness = provkit::CheckReady(named);
        break;
      case OneShotCall::kStream:
        break;
    }
  } catch (...) {
    throw CurrentExceptionAsSubjectError();
  }
  return result;
}

SubjectCounters ProviderSubject::Counters() {
  return {.instances_created = state_->counts->created.load(),
          .instances_closed = state_->counts->closed.load(),
          .calls_after_close = state_->counts->after_close.load()};
}

}  // namespace provkit::conformance
