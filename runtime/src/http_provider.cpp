// HttpProvider: one wire dialect and the readiness probe over a pool of keep-alive cpp-httplib
// clients; the engine of LocalProvider, OpenAIProvider and AnthropicProvider.
#include "http_provider.hpp"

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <exception>
#include <mutex>
#include <utility>
#include <vector>

#include "json_body.hpp"
#include "provkit/runtime/error.hpp"
#include "provkit/runtime/sse.hpp"
#include "readiness_probe.hpp"
#include "watchdog.hpp"
#include "worker_pool.hpp"

namespace provkit::wire {
namespace {

using Clock = std::chrono::steady_clock;
using readiness_probe::Answer;

constexpr std::size_t kMaxIdleClients = 16;
constexpr std::size_t kMaxCompletionBytes = std::size_t{64} << 20;
constexpr std::size_t kMaxErrorBodyBytes = std::size_t{1} << 20;
constexpr std::size_t kMaxStreamEventBytes = std::size_t{16} << 20;
// Added to cpp-httplib's per-read timeouts so that the watchdog's deadline trips first.
constexpr std::chrono::milliseconds kTimeoutMargin{100};
// How long the body may keep going after [DONE] before the connection is dropped.
constexpr std::chrono::milliseconds kDrainAfterDone{1000};

std::chrono::microseconds Since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
}

// A client-only process has no httplib::Server to ignore SIGPIPE for it; a
// server closing a connection while we write must not kill the process.
void IgnoreSigpipeOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction current {};
    if (sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) {
      std::signal(SIGPIPE, SIG_IGN);
    }
  });
}

// What one request produced: a status and body, or a transport error.
struct Fetched {
  bool answered = false;  // A status line and the whole (or cut) body arrived.
  httplib::Error error = httplib::Error::Success;
  int status = 0;
  std::string body;
  bool truncated = false;
};

// Sends one request. `body` is lent to the request and handed back, so that a
// retry can send it again.
Fetched Send(httplib::Client& client, const char* method, const std::string& path,
             std::string& body, std::size_t max_body, const char* accept) {
  httplib::Request request;
  request.method = method;
  request.path = path;
  request.headers.emplace("Accept", accept);
  if (!body.empty()) {
    request.headers.emplace("Content-Type", "application/json");
    request.body = std::move(body);
  }
  Fetched out;
  request.content_receiver = [&out, max_body](const char* data, std::size_t size, std::uint64_t,
                                              std::uint64_t) {
    if (out.body.size() + size > max_body) {
      out.body.append(data, max_body - out.body.size());
      out.truncated = true;
      return false;
    }
    out.body.append(data, size);
    return true;
  };
  httplib::Response response;
  const bool sent = client.send(request, response, out.error);
  body = std::move(request.body);
  out.status = response.status;
  out.answered = sent || (out.truncated && response.status > 0);
  return out;
}

// A pooled keep-alive connection the server had already closed: nothing came back.
bool StaleConnection(httplib::Error error, int status) {
  return status <= 0 && (error == httplib::Error::Read || error == httplib::Error::Write);
}

// The provider's state, shared with stream producers that may outlive the provider.
struct Core {
  Config config;
  const Dialect* dialect = nullptr;
  Url url;
  std::string generation_path;
  std::string models_path;
  std::string health_path;
  readiness_probe::Target target;

  std::mutex mutex;
  bool closed = false;
  std::vector<std::unique_ptr<httplib::Client>> idle;

  // Chat Completions to an OpenAI-compatible local server, as opposed to a cloud API.
  bool IsLocal() const { return dialect->scope == "local"; }

  std::unique_ptr<httplib::Client> NewClient() const {
    std::unique_ptr<httplib::Client> client;
    if (url.scheme == "https") {
      const bool ipv6 = url.host.find(':') != std::string::npos;
      client = std::make_unique<httplib::Client>(
          "https://" + (ipv6 ? "[" + url.host + "]" : url.host) + ":" + std::to_string(url.port));
    } else {
      client = std::make_unique<httplib::Client>(url.host, url.port);
    }
    client->set_keep_alive(true);
    client->set_tcp_nodelay(true);
    client->set_connection_timeout(config.connect_timeout);
    if (!config.api_key.empty()) {
      if (dialect->auth == Auth::kAnthropic) {
        client->set_default_headers(
            {{"x-api-key", config.api_key}, {"anthropic-version", kAnthropicVersion}});
      } else {
        client->set_bearer_token_auth(config.api_key);
      }
    } else if (dialect->auth == Auth::kAnthropic) {
      client->set_default_headers({{"anthropic-version", kAnthropicVersion}});
    }
    return client;
  }

  APIError TransportError(Phase phase, httplib::Error error, StopReason reason,
                          const std::string& path) const {
    const std::string url_text = ServerRoot(config.base_url) + path;
    const std::string unreachable_hint =
        IsLocal() ? "Cannot reach local server at " + config.base_url +
                        ". Is it running? Check PROVKIT_LOCAL_BASE_URL."
                  : "Cannot reach " + config.base_url + ". Check Config.base_url and the network.";
    if (reason == StopReason::kAborted) {
      return APIError(ErrorKind::kCancelled, config.provider, phase,
                      "The provider was closed while the request to " + url_text + " was in flight",
                      "Close the Session only after its calls have returned.");
    }
    if (reason == StopReason::kDeadline) {
      return APIError(ErrorKind::kTimeout, config.provider, phase,
                      "No complete answer from " + url_text + " within " +
                          std::to_string(config.request_timeout.count()) + " ms",
                      "Raise Config.request_timeout, or check the server's load.", std::nullopt,
                      true);
    }
    switch (error) {
      case httplib::Error::ConnectionTimeout:
        return APIError(ErrorKind::kTimeout, config.provider, phase,
                        "Connecting to " + url_text + " timed out after " +
                            std::to_string(config.connect_timeout.count()) + " ms",
                        unreachable_hint, std::nullopt, true);
      case httplib::Error::Connection:
        return APIError(ErrorKind::kConnection, config.provider, phase,
                        "Cannot connect to " + url_text + " (connection refused or host unknown)",
                        unreachable_hint, std::nullopt, true);
      default:
        return APIError(ErrorKind::kConnection, config.provider, phase,
                        "The connection to " + url_text +
                            " failed before the answer was complete (" + httplib::to_string(error) +
                            ")",
                        "The server dropped the connection or went silent for longer than "
                        "Config.request_timeout; retry, and check the server's log.",
                        std::nullopt, true);
    }
  }

  APIError HttpError(Phase phase, int status, std::string_view body) const {
    const std::string server = json_body::ErrorMessageOfBody(body).value_or("(no message)");
    const bool local = IsLocal();
    std::string hint;
    if (status == 404) {
      hint = local ? "Model not found on the local server: check that Config.model names one of "
                     "the ids listed at " +
                         target.models_url + ", and that the base URL is the API root."
                   : "Not found: check that Config.model names a model the server offers, and "
                     "that the base URL is the API root (" +
                         config.base_url + std::string(dialect->path) + " was asked).";
    } else if (status == 401 || status == 403) {
      hint = dialect->auth == Auth::kAnthropic
                 ? "The server rejected the credentials: check Config.api_key (sent as x-api-key)."
                 : "The server rejected the credentials: check Config.api_key (sent as "
                   "Authorization: Bearer).";
    } else if (status == 429 || status == 529) {
      hint = "The server is busy: retry later or lower the concurrency.";
    } else if (status >= 500) {
      hint = local ? "The local server failed; its log says why. Retrying may help."
                   : "The server failed; retrying may help.";
    } else {
      hint = "The server rejected the request; its message says why.";
    }
    return APIError(ErrorKind::kHttpStatus, config.provider, phase,
                    std::string(dialect->server_noun) + " answered HTTP " + std::to_string(status) +
                        ": " + server,
                    std::move(hint), status, status >= 500 || status == 429);
  }
};

// One pooled client, watched by the watchdog from acquisition to release.
class Lease {
 public:
  // Throws ConfigurationError when the provider is closed.
  Lease(std::shared_ptr<Core> core, Watchdog::Entry& entry, Clock::time_point deadline)
      : core_(std::move(core)), entry_(&entry) {
    std::lock_guard lock(core_->mutex);
    if (core_->closed) {
      throw ConfigurationError(core_->config.provider + " provider is closed",
                               "Create a new provider (or Session) for additional interactions.");
    }
    if (core_->idle.empty()) {
      client_ = core_->NewClient();
    } else {
      client_ = std::move(core_->idle.back());
      core_->idle.pop_back();
      pooled_ = true;
    }
    Watchdog::Instance().Arm(entry, client_.get(), core_.get(), deadline);
  }
  Lease(Lease&& other) noexcept
      : core_(std::move(other.core_)),
        entry_(other.entry_),
        client_(std::move(other.client_)),
        pooled_(other.pooled_),
        reusable_(other.reusable_),
        released_(std::exchange(other.released_, true)) {}
  Lease& operator=(Lease&&) = delete;
  ~Lease() { Release(); }

  httplib::Client& client() { return *client_; }
  void set_reusable(bool reusable) { reusable_ = reusable; }

  // True once for a client that came from the pool and failed as a stale
  // connection before any answer: cpp-httplib reconnects on the next send.
  bool RetryStale(httplib::Error error, int status) {
    if (!pooled_ || !StaleConnection(error, status) ||
        Watchdog::Instance().reason(*entry_) != StopReason::kNone) {
      return false;
    }
    pooled_ = false;
    return true;
  }

  // Disarms the watchdog and pools the client when the request ended cleanly.
  StopReason Release() {
    if (released_) return reason_;
    released_ = true;
    reason_ = Watchdog::Instance().Disarm(*entry_);
    std::unique_ptr<httplib::Client> discarded;
    {
      std::lock_guard lock(core_->mutex);
      if (reusable_ && reason_ == StopReason::kNone && !core_->closed &&
          core_->idle.size() < kMaxIdleClients) {
        core_->idle.push_back(std::move(client_));
      } else {
        discarded = std::move(client_);
      }
    }
    return reason_;
  }

 private:
  std::shared_ptr<Core> core_;
  Watchdog::Entry* entry_;
  std::unique_ptr<httplib::Client> client_;
  bool pooled_ = false;
  bool reusable_ = false;
  bool released_ = false;
  StopReason reason_ = StopReason::kNone;
};

// Shared by a stream's producer thread and its consumer.
struct StreamState {
  enum class Stage { kPending, kStreaming, kFailed };

  StreamState() : queue([this] { Watchdog::Instance().Abort(entry); }) {}

  Watchdog::Entry entry;
  QueueEventSource queue;

  std::mutex mutex;
  std::condition_variable changed;
  Stage stage = Stage::kPending;
  std::exception_ptr early_error;
  bool producer_done = false;

  void MarkStreaming() {
    {
      std::lock_guard lock(mutex);
      if (stage != Stage::kPending) return;
      stage = Stage::kStreaming;
    }
    changed.notify_all();
  }

  // Hands the producer's error to the consumer: to Stream() before the stream began, to the queue
  // after. Exactly one reference leaves the producer and the consumer takes it, so the exception
  // dies on the consumer's thread (a reference kept here would let it die on whichever thread
  // drops the state last, ordered only by libstdc++'s uninstrumented reference count).
  void Fail(std::exception_ptr error) {
    bool before_stream = false;
    {
      std::lock_guard lock(mutex);
      if (stage == Stage::kPending) {
        stage = Stage::kFailed;
        early_error = std::move(error);
        before_stream = true;
      }
    }
    if (before_stream) {
      changed.notify_all();
    } else {
      queue.Fail(std::move(error));
    }
  }

  void MarkProducerDone() {
    {
      std::lock_guard lock(mutex);
      producer_done = true;
    }
    changed.notify_all();
  }

  void WaitProducerDone() {
    std::unique_lock lock(mutex);
    changed.wait(lock, [this] { return producer_done; });
  }
};

// What a stream's producer task owns.
struct StreamJob {
  std::shared_ptr<Core> core;
  std::shared_ptr<StreamState> state;
  Lease lease;
  std::string body;
  Clock::time_point start;
  bool assemble_text = true;
};

// The consumer's side of a stream: reads the queue; on destruction cancels an
// unfinished stream and waits for its producer to let go of the connection.
class LocalStreamSource final : public EventSource {
 public:
  explicit LocalStreamSource(std::shared_ptr<StreamState> state) : state_(std::move(state)) {}
  ~LocalStreamSource() override {
    if (!ended_) state_->queue.Cancel();
    state_->WaitProducerDone();
  }

  bool Next(StreamEvent& event) override {
    try {
      const bool more = state_->queue.Next(event);
      if (!more || event.type == EventType::kDone) ended_ = true;
      return more;
    } catch (...) {
      ended_ = true;
      throw;
    }
  }
  void Cancel() noexcept override { state_->queue.Cancel(); }

 private:
  std::shared_ptr<StreamState> state_;
  bool ended_ = false;
};

// The producer of one stream, on a pool thread: sends the request, decodes the
// SSE body into the queue, returns the connection to the pool, then pushes kDone or fails.
void RunStream(StreamJob& job) {
  const std::shared_ptr<Core>& core = job.core;
  const std::shared_ptr<StreamState>& state = job.state;
  Lease& lease = job.lease;
  const Clock::time_point start = job.start;
  QueueEventSource& queue = state->queue;
  std::exception_ptr unexpected;
  try {
    const std::unique_ptr<StreamDecoder> owned_decoder =
        core->dialect->new_decoder(core->config.provider, job.assemble_text);
    StreamDecoder& decoder = *owned_decoder;
    std::vector<StreamEvent> events;
    SseParser parser(
        [&](const SseEvent& event) { decoder.Decode(event.data, events, event.event); },
        kMaxStreamEventBytes);
    std::exception_ptr failure;
    std::optional<std::chrono::microseconds> first_token;
    bool streaming = false;
    bool cancelled = false;
    bool draining = false;
    int status = 0;
    std::string content_type;
    std::string error_body;
    bool error_truncated = false;

    httplib::Request request;
    request.method = "POST";
    request.path = core->generation_path;
    request.headers.emplace("Accept", "text/event-stream");
    request.headers.emplace("Content-Type", "application/json");
    request.body = std::move(job.body);
    request.response_handler = [&](const httplib::Response& response) {
      status = response.status;
      if (status >= 200 && status < 300) {
        streaming = true;
        content_type = response.get_header_value("Content-Type");
        queue.Push(StreamEvent{.type = EventType::kStart});
        state->MarkStreaming();
      }
      return true;
    };
    request.content_receiver = [&](const char* data, std::size_t size, std::uint64_t,
                                   std::uint64_t) {
      if (!streaming) {
        if (error_body.size() + size > kMaxErrorBodyBytes) {
          error_truncated = true;
          return false;
        }
        error_body.append(data, size);
        return true;
      }
      if (decoder.done()) return true;  // Drain what follows [DONE] so the connection stays usable.
      try {
        if (!parser.Feed(std::string_view(data, size))) {
          failure = std::make_exception_ptr(
              APIError(ErrorKind::kStreamFailure, core->config.provider, Phase::kStream,
                       "A stream event is larger than " +
                           std::to_string(kMaxStreamEventBytes >> 20) + " MiB",
                       "The server sent an oversized event; check the server."));
        }
      } catch (...) {
        failure = std::current_exception();
      }
      if (!first_token && decoder.produced()) first_token = Since(start);
      for (StreamEvent& event : events) {
        if (!queue.Push(std::move(event))) cancelled = true;
      }
      events.clear();
      if (failure || cancelled) return false;
      if (decoder.done() && !draining) {
        draining = true;
        Watchdog::Instance().SetDeadline(state->entry, Clock::now() + kDrainAfterDone);
      }
      return true;
    };

    httplib::Response response;
    httplib::Error error = httplib::Error::Success;
    bool sent = lease.client().send(request, response, error);
    if (!sent && !streaming && lease.RetryStale(error, response.status)) {
      response = httplib::Response();
      sent = lease.client().send(request, response, error);
    }

    if (!streaming) {  // Failed before the stream began: Stream() throws.
      lease.set_reusable(sent && !error_truncated);
      StopReason reason = lease.Release();
      // No headers within the read timeout (Config.request_timeout) is a timeout, not a drop.
      if (reason == StopReason::kNone && !sent && error == httplib::Error::Read &&
          Since(start) >= core->config.request_timeout) {
        reason = StopReason::kDeadline;
      }
      if (sent || (error_truncated && status > 0)) {
        state->Fail(std::make_exception_ptr(core->HttpError(Phase::kStream, status, error_body)));
      } else {
        state->Fail(std::make_exception_ptr(
            core->TransportError(Phase::kStream, error, reason, core->generation_path)));
      }
      return;
    }

    const bool complete = decoder.done() || (sent && !failure && !cancelled && decoder.finished());
    lease.set_reusable(sent && complete);
    const StopReason reason = lease.Release();
    if (cancelled || queue.cancelled()) return;
    if (!complete) {
      if (!failure) {
        if (reason == StopReason::kAborted) {
          failure = std::make_exception_ptr(
              APIError(ErrorKind::kCancelled, core->config.provider, Phase::kStream,
                       "The provider was closed while the stream was in flight",
                       "Close the Session only after its streams have ended."));
        } else {
          std::string what = sent ? std::string(core->dialect->name == "chat"
                                                    ? "the body ended before [DONE]"
                                                    : "the body ended before the stream's last "
                                                      "event")
                                  : "the connection was dropped or went silent for longer than "
                                    "Config.request_timeout (" +
                                        httplib::to_string(error) + ")";
          if (content_type.find("text/event-stream") == std::string::npos) {
            what += "; Content-Type was '" + json_body::Printable(content_type, 100) +
                    "', not text/event-stream";
          }
          failure = std::make_exception_ptr(APIError(
              ErrorKind::kStreamFailure, core->config.provider, Phase::kStream,
              "The stream from " + core->target.base_url + std::string(core->dialect->path) +
                  " failed: " + what,
              "The server stopped mid-stream; check its log. The session stays usable: retry the "
              "turn.",
              std::nullopt, true));
        }
      }
      queue.Fail(std::move(failure));
      return;
    }
    decoder.Finish(events);
    for (StreamEvent& event : events) queue.Push(std::move(event));
    auto output = std::make_shared<Output>(decoder.TakeOutput());
    output->timing.total = Since(start);
    output->timing.time_to_first_token = first_token;
    queue.Push(StreamEvent{.type = EventType::kDone, .output = std::move(output)});
    queue.Finish();
  } catch (...) {
    unexpected = std::current_exception();
  }
  // Outside the handler, so that `unexpected` holds the only reference to the exception.
  if (unexpected) state->Fail(std::move(unexpected));
}

}  // namespace

struct HttpProvider::Impl {
  std::shared_ptr<Core> core = std::make_shared<Core>();
};

HttpProvider::HttpProvider(Config config, const Dialect& dialect)
    : impl_(std::make_unique<Impl>()) {
  config.Validate();
  IgnoreSigpipeOnce();
  Core& core = *impl_->core;
  core.dialect = &dialect;
  core.url = *ParseUrl(config.base_url);
  core.generation_path = core.url.path + std::string(dialect.path);
  core.models_path = core.url.path + "/models";
  core.health_path = ParseUrl(ServerRoot(config.base_url))->path + "/health";
  core.target = readiness_probe::MakeTarget(config.provider, config.base_url, config.probe_budget);
  core.config = std::move(config);
}

HttpProvider::~HttpProvider() {
  try {
    Close();
  } catch (...) {
    // A destructor never throws.
  }
}

nlohmann::json HttpProvider::BuildRequestBody(const Environment& environment, const Input& input,
                                              const Requirements& requirements, bool stream) const {
  const Core& core = *impl_->core;
  return core.dialect->build_body(environment, input, requirements, core.config.model, stream);
}

Output HttpProvider::Generate(const Environment& environment, const Input& input,
                              const Requirements& requirements) {
  const Core& core = *impl_->core;
  const Clock::time_point start = Clock::now();
  std::string body = Dump(BuildRequestBody(environment, input, requirements, false));
  Watchdog::Entry entry;
  Lease lease(impl_->core, entry, start + core.config.request_timeout);
  lease.client().set_connection_timeout(core.config.connect_timeout);
  lease.client().set_read_timeout(core.config.request_timeout + kTimeoutMargin);
  lease.client().set_write_timeout(core.config.request_timeout + kTimeoutMargin);
  Fetched answer;
  do {
    answer = Send(lease.client(), "POST", core.generation_path, body, kMaxCompletionBytes,
                  "application/json");
  } while (!answer.answered && lease.RetryStale(answer.error, answer.status));
  lease.set_reusable(answer.answered && !answer.truncated);
  StopReason reason = lease.Release();
  // The per-read timeout may trip a moment before the watchdog does.
  if (reason == StopReason::kNone && Clock::now() >= start + core.config.request_timeout) {
    reason = StopReason::kDeadline;
  }
  if (!answer.answered) {
    throw core.TransportError(Phase::kGenerate, answer.error, reason, core.generation_path);
  }
  if (answer.status >= 400) throw core.HttpError(Phase::kGenerate, answer.status, answer.body);
  if (answer.truncated) {
    throw APIError(
        ErrorKind::kMalformedResponse, core.config.provider, Phase::kGenerate,
        "The server's answer is larger than " + std::to_string(kMaxCompletionBytes >> 20) + " MiB",
        "Lower max_tokens, or check the server.");
  }
  Output output = core.dialect->decode(answer.body, core.config.provider, Phase::kGenerate);
  output.timing.total = Since(start);
  return output;
}

EventStream HttpProvider::Stream(const Environment& environment, const Input& input,
                                 const Requirements& requirements) {
  const Core& core = *impl_->core;
  const Clock::time_point start = Clock::now();
  std::string body = Dump(BuildRequestBody(environment, input, requirements, true));
  auto state = std::make_shared<StreamState>();
  Lease lease(impl_->core, state->entry, Clock::time_point::max());
  lease.client().set_connection_timeout(core.config.connect_timeout);
  lease.client().set_read_timeout(core.config.request_timeout);
  lease.client().set_write_timeout(core.config.request_timeout);
  auto job = std::make_shared<StreamJob>(StreamJob{
      impl_->core, state, std::move(lease), std::move(body), start, requirements.assemble_text});
  WorkerPool::Instance().Run([job] {
    RunStream(*job);
    job->lease.Release();
    job->state->MarkProducerDone();
  });
  {
    std::unique_lock lock(state->mutex);
    state->changed.wait(lock, [&] { return state->stage != StreamState::Stage::kPending; });
  }
  if (state->stage == StreamState::Stage::kFailed) {
    state->WaitProducerDone();
    // Taken, not shared: the exception must die on this thread, not with the producer's last
    // reference to the state (see QueueEventSource::Next).
    std::rethrow_exception(std::exchange(state->early_error, nullptr));
  }
  return EventStream(std::make_unique<LocalStreamSource>(std::move(state)));
}

void HttpProvider::Close() {
  std::vector<std::unique_ptr<httplib::Client>> idle;
  {
    Core& core = *impl_->core;
    std::lock_guard lock(core.mutex);
    if (core.closed) return;
    core.closed = true;
    idle.swap(core.idle);
    Watchdog::Instance().AbortOwner(&core);
  }
}

ProviderReadiness HttpProvider::CheckReady(const std::optional<std::string>& model,
                                           std::stop_token stop) {
  const Core& core = *impl_->core;
  const Config& config = core.config;
  auto cancelled = [&] {
    return APIError(ErrorKind::kCancelled, config.provider, Phase::kProbe,
                    "Readiness probe cancelled",
                    "The caller stopped the probe; run it again to get a verdict.");
  };
  if (stop.stop_requested()) throw cancelled();
  const Clock::time_point deadline = Clock::now() + config.probe_budget;
  Watchdog::Entry entry;
  Lease lease(impl_->core, entry, deadline);
  std::stop_callback on_stop(stop, [&entry] { Watchdog::Instance().Abort(entry); });

  httplib::Client& client = lease.client();
  bool reusable = true;
  auto get = [&](const std::string& path, std::size_t max_body) {
    Answer answer;
    const auto remaining =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (remaining.count() <= 0) {
      answer.outcome = Answer::Outcome::kTimedOut;
      return answer;
    }
    // The watchdog enforces the budget; cpp-httplib's own timeouts only back it up.
    client.set_connection_timeout(std::min(config.connect_timeout, remaining));
    client.set_read_timeout(remaining + kTimeoutMargin);
    client.set_write_timeout(remaining + kTimeoutMargin);
    std::string no_body;
    Fetched fetched;
    do {
      fetched = Send(client, "GET", path, no_body, max_body, "application/json");
    } while (!fetched.answered && lease.RetryStale(fetched.error, fetched.status));
    reusable = reusable && fetched.answered && !fetched.truncated;
    if (fetched.answered) {
      answer.status = fetched.status;
      answer.body = std::move(fetched.body);
      answer.truncated = fetched.truncated;
      return answer;
    }
    const StopReason reason = Watchdog::Instance().reason(entry);
    // The per-read timeout (the remaining budget) may trip a moment before the watchdog does.
    const bool over_budget = reason == StopReason::kDeadline || Clock::now() >= deadline;
    if (over_budget || fetched.error == httplib::Error::ConnectionTimeout) {
      answer.outcome = Answer::Outcome::kTimedOut;
      answer.detail = over_budget ? "no complete answer within the budget" : "connecting timed out";
    } else {
      answer.outcome = Answer::Outcome::kUnreachable;
      answer.detail = fetched.error == httplib::Error::Connection
                          ? "connection refused or host unknown"
                          : "connection failed: " + httplib::to_string(fetched.error);
    }
    return answer;
  };

  const Answer health = get(core.health_path, readiness_probe::kMaxHealthBodyBytes);
  std::optional<Answer> models;
  if (readiness_probe::NeedsListing(model, health) && !stop.stop_requested()) {
    models = get(core.models_path, readiness_probe::kMaxModelsBodyBytes);
  }
  lease.set_reusable(reusable);
  const StopReason reason = lease.Release();
  if (stop.stop_requested()) throw cancelled();
  if (reason == StopReason::kAborted) {
    throw APIError(ErrorKind::kCancelled, config.provider, Phase::kProbe,
                   "The provider was closed during the readiness probe",
                   "Close the Session only after its calls have returned.");
  }
  return readiness_probe::Decide(core.target, model, health, models ? &*models : nullptr);
}

}  // namespace provkit::wire
