// provkit::mock::Server: the core. Lifecycle (bind, listen, stop) and the path of one request:
// journal, route, faults, handler, delivery.
#include "provkit/mockserver/server.hpp"

#include <httplib.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>
#include <thread>

#include "admin.hpp"
#include "capture.hpp"
#include "connections.hpp"
#include "delivery.hpp"
#include "faults.hpp"
#include "front_door.hpp"
#include "journal.hpp"
#include "latency.hpp"
#include "metrics.hpp"
#include "readers.hpp"
#include "redaction.hpp"
#include "replay.hpp"
#include "responses.hpp"
#include "routes.hpp"
#include "sockets.hpp"
#include "state.hpp"
#include "stop_signal.hpp"

namespace provkit::mock {
namespace {

constexpr std::size_t kKeepAliveRequests = 1000000000;

/// cpp-httplib's server without its accept loop: the front door owns the connections and calls
/// it for one request at a time.
class HttpServer final : public httplib::Server {
 public:
  /// Reads, routes and answers one request from `stream`.
  bool ServeOne(httplib::Stream& stream, bool& connection_closed) {
    return process_request(stream, /*close_connection=*/false, connection_closed, nullptr);
  }
  /// cpp-httplib's response writers stop a streamed body once the server has no listening
  /// socket. The front door's listener stands for it from listening until Stop.
  void MarkListening(int listener) { svr_sock_ = listener; }
  void MarkStopped() { svr_sock_ = INVALID_SOCKET; }
};

/// The HTTP reason phrase of the statuses the front door answers itself.
std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 408:
      return "Request Timeout";
    case 431:
      return "Request Header Fields Too Large";
    default:
      return "Service Unavailable";
  }
}

ServerOptions Validated(ServerOptions options) {
  ValidateOptions(options);
  return options;
}

/// The status journalled and the fault that shaped the answer.
struct Outcome {
  int status = 0;
  std::string_view fault;  ///< A ScenarioName (static storage) or empty.
};

}  // namespace

class Server::Impl final : private AdminControls {
 public:
  explicit Impl(ServerOptions options);
  ~Impl() override { Stop(); }

  void Stop();
  bool WaitUntilListening(std::chrono::milliseconds timeout) const;
  bool listening() const;

  std::string url() const;
  const std::string& host() const { return options_.host; }
  int port() const { return port_; }
  const std::string& base_path() const { return options_.base_path; }

  ServerState& state() { return state_; }
  void SetScenario(Scenario scenario) override;
  std::string Redact(std::string_view text) const { return secrets_.Snapshot().ApplyKnown(text); }
  std::vector<JournalEntry> journal() const { return journal_.Snapshot(); }
  void ResetJournal() override;
  ServerStats stats() const;
  const ConnectionRegistry& connections() const { return connections_; }
  const Journal& requests_journal() const { return journal_; }

 private:
  // AdminControls
  std::vector<JournalEntry> JournalSnapshot() const override { return journal(); }
  ServerStats Stats() const override { return stats(); }
  std::string Url() const override { return url(); }
  ServerState& State() override { return state_; }
  AdminPolicy Access() const override { return {options_.host, port_, options_.admin_token}; }
  support::Redactor Secrets() const override { return secrets_.Snapshot(); }
  std::string MetricsText() const override {
    return metrics_.Render({.open = connections_.open(),
                            .opened = connections_.accepted_total(),
                            .refused_at_limit = connections_.refused(Refusal::kConnectionLimit),
                            .header_timeouts = connections_.refused(Refusal::kHeaderTimeout),
                            .headers_too_large = connections_.refused(Refusal::kHeaderTooLarge)});
  }

  void ConfigureHttp();
  /// The whole answer the front door sends when it refuses a connection itself.
  std::string RefusalText(Refusal why) const;
  void Bind(int port);
  void Listen();
  void DelayedListen(std::chrono::milliseconds delay);

  void Handle(const httplib::Request& request, httplib::Response& response);
  httplib::Server::HandlerResponse AnswerFrontError(const httplib::Request& request,
                                                    httplib::Response& response);
  Outcome Answer(const httplib::Request& request, httplib::Response& response,
                 std::uint64_t sequence, Connection* connection,
                 Metrics::Clock::time_point arrival);
  /// Whether `request` is a scrape of /metrics at the server root that no route of the active
  /// profile serves (llama.cpp's answers 501, as llama-server without --metrics) and no responder
  /// may answer (a cassette may hold the recorded server's /metrics).
  bool IsRootMetrics(const httplib::Request& request) const;

  ServerOptions options_;
  SecretRegistry secrets_;
  Router router_;
  /// Asked, in order, before the route's handler.
  std::vector<std::shared_ptr<const Responder>> responders_;
  int port_ = 0;

  StopSignal stop_;
  SlotGate slots_{stop_};
  ServerState state_;
  ConnectionRegistry connections_;
  Journal journal_;
  Metrics metrics_;
  std::string root_metrics_path_;

  std::mutex stop_call_mutex_;
  // Guarded by stop_'s lock.
  bool stopped_ = false;
  bool listening_ = false;
  bool listen_returned_ = false;

  std::unique_ptr<PortReservation> reservation_;
  HttpServer http_;
  int listener_ = -1;
  FrontDoor front_door_;
  std::thread thread_;
};

Server::Impl::Impl(ServerOptions options)
    : options_(Validated(std::move(options))),
      router_(DefaultRouter(options_.base_path)),
      state_(options_, stop_),
      journal_(options_.journal_size),
      metrics_(router_.Paths()),
      root_metrics_path_(router_.parent() + "/metrics"),
      front_door_(
          connections_,
          {.threads = options_.threads,
           .max_connections = options_.max_connections,
           .header_timeout = options_.header_timeout,
           .keep_alive_timeout = options_.keep_alive_timeout,
           .max_header_bytes = options_.max_header_bytes},
          [this](httplib::Stream& stream, bool& connection_closed) {
            return http_.ServeOne(stream, connection_closed);
          },
          [this](Refusal why) { return RefusalText(why); }) {
  secrets_.Add(options_.admin_token);
  if (options_.scenario.kind == ScenarioKind::kAuth) secrets_.Add(options_.scenario.token);
  if (options_.replay) responders_.push_back(std::make_shared<ReplayResponder>(*options_.replay));
  ConfigureHttp();
  std::chrono::milliseconds delay = options_.listen_delay;
  const bool vllm = options_.profile == Profile::kVllm || options_.profile == Profile::kVllmLegacy;
  if (vllm && options_.scenario.kind == ScenarioKind::kLoading) {
    delay = std::max(delay, options_.scenario.loading_time);
  }
  if (delay.count() > 0) {
    reservation_ = std::make_unique<PortReservation>(options_.host, options_.port);
    port_ = reservation_->port();
    thread_ = std::thread([this, delay] { DelayedListen(delay); });
  } else {
    Bind(options_.port);
    listening_ = true;
    thread_ = std::thread([this] { Listen(); });
  }
}

void Server::Impl::ConfigureHttp() {
  // The front door accepts (TCP_NODELAY on each connection) and times out idle ones; these two
  // only shape the Keep-Alive header cpp-httplib writes, so it tells the truth.
  http_.set_keep_alive_max_count(kKeepAliveRequests);
  http_.set_keep_alive_timeout(static_cast<time_t>(options_.keep_alive_timeout.count()));
  http_.set_payload_max_length(options_.max_request_bytes);
  ReadEveryBody(http_);
  http_.set_error_handler(httplib::Server::HandlerWithResponse(
      [this](const httplib::Request& request, httplib::Response& response) {
        return AnswerFrontError(request, response);
      }));
  const auto handler = [this](const httplib::Request& request, httplib::Response& response) {
    Handle(request, response);
  };
  http_.Get(".*", handler);
  http_.Post(".*", handler);
  http_.Put(".*", handler);
  http_.Patch(".*", handler);
  http_.Delete(".*", handler);
  http_.Options(".*", handler);
}

std::string Server::Impl::RefusalText(Refusal why) const {
  int status = 503;
  std::string message = "the server is at its connection limit (max_connections " +
                        std::to_string(options_.max_connections) + "); retry later";
  if (why == Refusal::kHeaderTimeout) {
    status = 408;
    message = "request headers not received within " +
              std::to_string(options_.header_timeout.count()) + " ms (header_timeout_ms)";
  } else if (why == Refusal::kHeaderTooLarge) {
    status = 431;
    message = "request headers too large";
  }
  const Profile profile = state_.profile();
  const Body body = ErrorAnswer(profile, status, message,
                                status == 503 ? "server_error" : "invalid_request_error");
  std::string text =
      "HTTP/1.1 " + std::to_string(status) + " " + std::string(ReasonPhrase(status)) + "\r\n";
  const std::string_view server = TraitsOf(profile).server_header;
  if (!server.empty()) text += "Server: " + std::string(server) + "\r\n";
  text += "Content-Type: " +
          std::string(body.content_type == "application/json" ? TraitsOf(profile).json_type
                                                              : body.content_type) +
          "\r\nContent-Length: " + std::to_string(body.text.size()) + "\r\n";
  if (status == 503) text += "Retry-After: 1\r\n";
  return text + "Connection: close\r\n\r\n" + body.text;
}

void Server::Impl::Bind(int port) {
  listener_ = ListenOn(options_.host, port);
  port_ = LocalPort(listener_);
}

void Server::Impl::Listen() {
  bool listen = false;
  stop_.Change([&](bool stopping) {
    listen = !stopping;
    listening_ = listen;
  });
  if (listen) {
    http_.MarkListening(listener_);
    front_door_.Run(listener_);
  }
  stop_.Change([&](bool) {
    listening_ = false;
    listen_returned_ = true;
  });
}

void Server::Impl::DelayedListen(std::chrono::milliseconds delay) {
  bool bound = false;
  if (stop_.WaitFor(delay)) {
    try {
      Bind(port_);
      bound = true;
    } catch (const std::system_error&) {
      // Someone took the port meanwhile; the server never listens and says so through listening().
    }
  }
  reservation_->Release();
  if (bound) {
    Listen();
    return;
  }
  stop_.Change([&](bool) { listen_returned_ = true; });
}

void Server::Impl::Stop() {
  std::lock_guard serial(stop_call_mutex_);
  bool stopped = false;
  stop_.Read([&](bool) { stopped = stopped_; });
  if (stopped) return;
  stop_.RequestStop();
  http_.MarkStopped();
  front_door_.Stop();
  connections_.ShutdownAll();
  if (thread_.joinable()) thread_.join();
  CloseSocket(listener_);
  listener_ = -1;
  stop_.Change([&](bool) { stopped_ = true; });
}

bool Server::Impl::WaitUntilListening(std::chrono::milliseconds timeout) const {
  stop_.WaitUntil(timeout, [&] { return listening_ || listen_returned_; });
  return listening();
}

bool Server::Impl::listening() const {
  bool listening = false;
  stop_.Read([&](bool) { listening = listening_; });
  return listening;
}

std::string Server::Impl::url() const {
  const bool ipv6 = options_.host.find(':') != std::string::npos;
  return "http://" + (ipv6 ? "[" + options_.host + "]" : options_.host) + ":" +
         std::to_string(port_);
}

void Server::Impl::ResetJournal() {
  journal_.Reset();
  connections_.ResetOpened();
}

ServerStats Server::Impl::stats() const {
  const std::uint64_t refused = connections_.refused(Refusal::kConnectionLimit) +
                                connections_.refused(Refusal::kHeaderTimeout) +
                                connections_.refused(Refusal::kHeaderTooLarge);
  return {connections_.opened(),
          connections_.open(),
          journal_.requests(),
          journal_.dropped(),
          slots_.running(),
          slots_.waiting(),
          refused};
}

void Server::Impl::SetScenario(Scenario scenario) {
  if (scenario.kind == ScenarioKind::kAuth) secrets_.Add(scenario.token);
  state_.SetScenario(std::move(scenario));
}

httplib::Server::HandlerResponse Server::Impl::AnswerFrontError(const httplib::Request& request,
                                                                httplib::Response& response) {
  // cpp-httplib calls this for every answer of 400 or more, the handler's own included.
  if (response.status != 413 || ReachedHandler())
    return httplib::Server::HandlerResponse::Unhandled;
  const std::string length = request.get_header_value("Content-Length");
  const Body body =
      ErrorAnswer(state_.profile(), 413,
                  "request body " + (length.empty() ? std::string() : "of " + length + " bytes ") +
                      "over the server's limit of " + std::to_string(options_.max_request_bytes) +
                      " bytes (max_request_bytes)",
                  "invalid_request_error");
  response.set_content(body.text, body.content_type);
  return httplib::Server::HandlerResponse::Handled;
}

bool Server::Impl::IsRootMetrics(const httplib::Request& request) const {
  if (request.path != root_metrics_path_) return false;
  if (request.method != "GET" && request.method != "HEAD") return false;
  if (!responders_.empty()) return false;
  return !router_.Find(request.method, request.path, state_.profile()).served;
}

void Server::Impl::Handle(const httplib::Request& request, httplib::Response& response) {
  const Metrics::Clock::time_point arrival = Metrics::Clock::now();
  RestoreRequest(request);
  if (IsAdminPath(request.path)) {
    HandleAdmin(*this, request, response);
    return;
  }
  if (IsRootMetrics(request)) {
    // Public, as a scraped server's /metrics is; neither journalled nor counted.
    response.status = 200;
    response.set_content(MetricsText(), std::string(kMetricsContentType));
    return;
  }
  Connection* connection = ConnectionRegistry::Current();
  const std::shared_ptr<JournalRecord> record = journal_.Begin(
      Capture(request, connection != nullptr ? connection->id : 0, options_.journal_body_limit));
  const Outcome outcome = Answer(request, response, record->Entry().sequence, connection, arrival);
  record->Finish(outcome.status, outcome.fault);
  metrics_.CountRequest(request.path, outcome.status, outcome.fault);
  if (options_.on_request) options_.on_request(record->Entry());
}

Outcome Server::Impl::Answer(const httplib::Request& request, httplib::Response& response,
                             std::uint64_t sequence, Connection* connection,
                             Metrics::Clock::time_point arrival) {
  Snapshot snapshot = state_.Take();
  const Route route = router_.Find(request.method, request.path, snapshot.profile);
  state_.Count(snapshot, route.endpoint);
  // Chaos answers each generation request under the scenario of the fault it drew.
  const std::optional<ChaosDraw> drawn = DrawChaos(snapshot, route.endpoint);
  if (drawn) snapshot.scenario = drawn->scenario;
  Exchange exchange(request, route.endpoint, route.served, std::move(snapshot), state_, options_,
                    stop_);
  exchange.set_api_key_header(route.handler->ApiKeyHeader());
  const Profile profile = exchange.profile();

  const Scenario& scenario = exchange.scenario();
  const bool applies = Applies(scenario, route.endpoint);
  const Fault& fault = FaultFor(scenario.kind);
  const auto checkpoint = [&](Stage stage) -> std::optional<Plan> {
    if (!applies || fault.answer == nullptr) return std::nullopt;
    return fault.answer(exchange, stage);
  };
  const auto wrong_method = [&] {
    return Plan::Of(exchange.traits().wrong_method_is_not_found
                        ? NotFound(profile, request.method, request.path)
                        : ErrorAnswer(profile, 405, "method not allowed", "invalid_request_error"),
                    true);
  };
  // 431 and 405 are answered as they are: no scenario shapes or marks them. A responder
  // (replay) may still answer a method no route serves, as the recorded server did.
  std::optional<Plan> answered;
  bool plain = false;
  if (HeaderBytes(request) > options_.max_header_bytes) {
    answered = Plan::Of(
        ErrorAnswer(profile, 431, "request headers too large", "invalid_request_error"), true);
    plain = true;
  } else if (!route.method_allowed && responders_.empty()) {
    answered = wrong_method();
    plain = true;
  } else {
    answered = checkpoint(Stage::kArrival);
  }
  for (const auto& responder : responders_) {
    if (answered) break;
    answered = responder->Answer(exchange, checkpoint);
  }
  if (!answered && !route.method_allowed) {
    answered = wrong_method();
    plain = true;
  }
  Plan plan = answered ? std::move(*answered) : route.handler->Answer(exchange, checkpoint);
  if (!plain && applies && fault.shape != nullptr && !plan.final && plan.fault.empty())
    fault.shape(exchange, plan);
  if (!plain && plan.fault.empty() && applies && fault.marks != nullptr &&
      fault.marks(route.endpoint))
    plan.fault = ScenarioName(scenario.kind);
  if (plan.kind == Plan::Kind::kBody && plan.body.status >= 400)
    route.handler->ShapeError(plan.body);
  if (drawn && !plan.fault.empty()) plan.fault = drawn->fault;
  const ProfileTraits& traits = exchange.traits();
  if (plan.kind == Plan::Kind::kBody && plan.body.content_type == "application/json")
    plan.body.content_type = traits.json_type;
  const auto& headers = plan.body.headers;
  const bool own_server = std::any_of(headers.begin(), headers.end(),
                                      [](const auto& header) { return header.first == "Server"; });
  if (!traits.server_header.empty() && !own_server)
    response.set_header("Server", std::string(traits.server_header));
  const std::string_view fault_name = plan.fault;
  const Generation generation{sequence, &exchange.snapshot().timing, &slots_, &metrics_, arrival};
  return {Deliver(std::move(plan), response, connection, stop_, generation), fault_name};
}

Server::Server(ServerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Server::~Server() = default;

std::string Server::url() const { return impl_->url(); }
std::string Server::base_url() const { return impl_->url() + impl_->base_path(); }
const std::string& Server::host() const { return impl_->host(); }
int Server::port() const { return impl_->port(); }
bool Server::listening() const { return impl_->listening(); }
bool Server::WaitUntilListening(std::chrono::milliseconds timeout) const {
  return impl_->WaitUntilListening(timeout);
}
void Server::Stop() { impl_->Stop(); }
void Server::SetScenario(Scenario scenario) { impl_->SetScenario(std::move(scenario)); }
Scenario Server::scenario() const { return impl_->state().scenario(); }
void Server::SetProfile(Profile profile) { impl_->state().SetProfile(profile); }
Profile Server::profile() const { return impl_->state().profile(); }
void Server::SetScript(Script script) { impl_->state().SetScript(std::move(script)); }
void Server::SetTiming(StreamTiming timing) { impl_->state().SetTiming(timing); }
StreamTiming Server::timing() const { return impl_->state().timing(); }
void Server::SetModels(std::vector<Model> models) { impl_->state().SetModels(std::move(models)); }
std::vector<Model> Server::models() const { return impl_->state().models(); }
std::vector<JournalEntry> Server::journal() const { return impl_->journal(); }
std::string Server::Redact(std::string_view text) const { return impl_->Redact(text); }
void Server::ResetJournal() { impl_->ResetJournal(); }
std::uint64_t Server::connections_opened() const { return impl_->connections().opened(); }
std::uint64_t Server::connections_open() const { return impl_->connections().open(); }
std::uint64_t Server::requests() const { return impl_->requests_journal().requests(); }
ServerStats Server::stats() const { return impl_->stats(); }
bool Server::WaitForRequests(std::uint64_t count, std::chrono::milliseconds timeout) const {
  return impl_->requests_journal().WaitForRequests(count, timeout);
}
bool Server::WaitForOpenConnectionsAtMost(std::uint64_t count,
                                          std::chrono::milliseconds timeout) const {
  return impl_->connections().WaitForOpenAtMost(count, timeout);
}

}  // namespace provkit::mock
