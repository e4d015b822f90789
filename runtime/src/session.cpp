// Session: one provider instance, many turns, closed exactly once; and the one-shot calls.
#include "provkit/runtime/session.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>
#include <thread>
#include <utility>

#include "provkit/runtime/error.hpp"

namespace provkit {
namespace {

constexpr const char* kClosedMessage = "Session is closed";
constexpr const char* kClosedHint = "Create a new Session for additional interactions.";

[[noreturn]] void ThrowClosed() {
  throw ConfigurationError(kClosedMessage, kClosedHint, {}, ErrorKind::kSessionClosed);
}

class SessionStreamSource;

}  // namespace

struct internal::SessionState {
  Config config;
  std::unique_ptr<Provider> provider;
  ReadinessProvider* readiness = nullptr;

  std::mutex mutex;
  bool closed = false;
  std::set<SessionStreamSource*> open_streams;

  Provider& OpenProvider() {
    std::lock_guard lock(mutex);
    if (closed) ThrowClosed();
    return *provider;
  }
};

namespace {

// Wraps a provider's stream so that closing the Session ends it (S11).
class SessionStreamSource final : public EventSource {
 public:
  SessionStreamSource(std::shared_ptr<internal::SessionState> state, EventStream inner)
      : state_(std::move(state)), inner_(std::move(inner)) {}

  ~SessionStreamSource() override { Unregister(); }

  // Returns false when the session was closed before registration.
  bool Register() {
    std::lock_guard lock(state_->mutex);
    if (state_->closed) return false;
    state_->open_streams.insert(this);
    registered_ = true;
    return true;
  }

  bool Next(StreamEvent& event) override {
    try {
      std::optional<StreamEvent> next = inner_.Next();
      if (!next) {
        Unregister();
        return false;
      }
      event = std::move(*next);
      if (event.type == EventType::kDone) Unregister();
      return true;
    } catch (const Error&) {
      Unregister();
      if (closed_by_session_) {
        throw APIError(ErrorKind::kCancelled, state_->config.provider, Phase::kStream,
                       "Session closed while the stream was in flight",
                       "Read streams to the end before closing the Session.");
      }
      throw;
    }
  }

  void Cancel() noexcept override { inner_.Cancel(); }

  // Called by Session::Close with the session mutex held.
  void CloseFromSession() noexcept {
    closed_by_session_ = true;
    registered_ = false;
    inner_.Cancel();
  }

 private:
  void Unregister() {
    std::lock_guard lock(state_->mutex);
    if (registered_) state_->open_streams.erase(this);
    registered_ = false;
  }

  std::shared_ptr<internal::SessionState> state_;
  EventStream inner_;
  bool registered_ = false;  // Guarded by state_->mutex.
  std::atomic<bool> closed_by_session_{false};
};

// Owns a single-use Session for the one-shot Stream and closes it when the stream ends.
class OneShotStreamSource final : public EventSource {
 public:
  OneShotStreamSource(std::unique_ptr<Session> session, EventStream inner)
      : session_(std::move(session)), inner_(std::move(inner)) {}

  bool Next(StreamEvent& event) override {
    std::optional<StreamEvent> next;
    try {
      next = inner_.Next();
    } catch (...) {
      session_.reset();
      throw;
    }
    if (!next) {
      session_.reset();
      return false;
    }
    event = std::move(*next);
    if (event.type == EventType::kDone) session_.reset();
    return true;
  }

  void Cancel() noexcept override { inner_.Cancel(); }

 private:
  std::unique_ptr<Session> session_;  // Destroying it closes the provider once.
  EventStream inner_;
};

}  // namespace

Session::Session(Config config)
    : Session(std::move(config), [](const Config& validated) {
        return ProviderRegistry::Default().Find(validated.provider)(validated);
      }) {}

Session::Session(Config config, const ProviderFactory& factory)
    : state_(std::make_shared<internal::SessionState>()) {
  config.Validate();
  state_->config = std::move(config);
  if (!factory) throw ConfigurationError("Session needs a provider factory");
  state_->provider = factory(state_->config);
  if (!state_->provider) {
    throw ConfigurationError(
        "The factory for provider '" + state_->config.provider + "' returned no instance",
        "A ProviderFactory must return a non-null provider.", "provider");
  }
  state_->readiness = dynamic_cast<ReadinessProvider*>(state_->provider.get());
}

Session::~Session() {
  try {
    Close();
  } catch (...) {
    // S2: an error from closing never escapes a destructor.
  }
}

Output Session::Interact(const Environment& environment, const Input& input,
                         const Requirements& requirements) {
  return state_->OpenProvider().Generate(environment, input, requirements);
}

EventStream Session::Stream(const Environment& environment, const Input& input,
                            const Requirements& requirements) {
  EventStream inner = state_->OpenProvider().Stream(environment, input, requirements);
  auto source = std::make_unique<SessionStreamSource>(state_, std::move(inner));
  if (!source->Register()) ThrowClosed();  // Closed while the stream was starting.
  return EventStream(std::move(source));
}

std::vector<Output> Session::RunMany(const Environment& environment,
                                     const std::vector<Input>& inputs,
                                     const Requirements& requirements, std::size_t concurrency) {
  if (concurrency == 0) {
    throw ConfigurationError("RunMany concurrency must be at least 1",
                             "Pass 1 to run turns one by one.", "concurrency");
  }
  state_->OpenProvider();  // S3: a closed session rejects the call even with no inputs.
  std::vector<Output> outputs(inputs.size());
  std::vector<std::exception_ptr> errors(inputs.size());
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i = next++; i < inputs.size(); i = next++) {
      try {
        outputs[i] = Interact(environment, inputs[i], requirements);
      } catch (...) {
        errors[i] = std::current_exception();
      }
    }
  };
  {
    const std::size_t helpers = std::min(concurrency, inputs.size());
    std::vector<std::jthread> threads;
    for (std::size_t i = 1; i < helpers; ++i) threads.emplace_back(work);
    work();
  }
  for (const std::exception_ptr& error : errors) {
    if (error) std::rethrow_exception(error);
  }
  return outputs;
}

ProviderReadiness Session::CheckReady(std::stop_token stop) {
  return CheckReady(state_->config.model, std::move(stop));
}

ProviderReadiness Session::CheckReady(const std::optional<std::string>& model,
                                      std::stop_token stop) {
  state_->OpenProvider();
  if (state_->readiness != nullptr) return state_->readiness->CheckReady(model, std::move(stop));
  return ProviderReadiness{.ready = true,
                           .provider = state_->config.provider,
                           .status_code = std::nullopt,
                           .message = std::string(kNoProbeMessage),
                           .model = model,
                           .model_verified = false};
}

void Session::Close() {
  {
    std::lock_guard lock(state_->mutex);
    if (state_->closed) return;
    state_->closed = true;
    for (SessionStreamSource* stream : state_->open_streams) stream->CloseFromSession();
    state_->open_streams.clear();
  }
  state_->provider->Close();
}

bool Session::closed() const noexcept {
  std::lock_guard lock(state_->mutex);
  return state_->closed;
}

const Config& Session::config() const noexcept { return state_->config; }

Output Interact(const Config& config, const Environment& environment, const Input& input,
                const Requirements& requirements) {
  Session session(config);
  Output output = session.Interact(environment, input, requirements);
  session.Close();
  return output;
}

EventStream Stream(const Config& config, const Environment& environment, const Input& input,
                   const Requirements& requirements) {
  auto session = std::make_unique<Session>(config);
  EventStream inner = session->Stream(environment, input, requirements);
  return EventStream(std::make_unique<OneShotStreamSource>(std::move(session), std::move(inner)));
}

std::vector<Output> RunMany(const Config& config, const Environment& environment,
                            const std::vector<Input>& inputs, const Requirements& requirements,
                            std::size_t concurrency) {
  Session session(config);
  std::vector<Output> outputs = session.RunMany(environment, inputs, requirements, concurrency);
  session.Close();
  return outputs;
}

ProviderReadiness CheckReady(const Config& config, std::stop_token stop) {
  Session session(config);
  ProviderReadiness readiness = session.CheckReady(std::move(stop));
  session.Close();
  return readiness;
}

}  // namespace provkit
