// provkit::mock::Server: routing, scenarios and faults, admin endpoints and the lifecycle.
#include "provkit/mockserver/server.hpp"

#include <httplib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <nlohmann/json.hpp>
#include <system_error>
#include <thread>

#include "chat.hpp"
#include "connection_pool.hpp"
#include "journal.hpp"
#include "readers.hpp"
#include "responses.hpp"
#include "sockets.hpp"

namespace provkit::mock {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

constexpr std::string_view kAdminPrefix = "/__provkit/";
constexpr std::size_t kStreamBatchBytes = 32 * 1024;
constexpr std::size_t kKeepAliveRequests = 1000000000;

/// cpp-httplib's server with access to its listening socket.
class HttpServer final : public httplib::Server {
 public:
  int listening_socket() const { return svr_sock_; }
  /// Closes the listening socket when listen_after_bind never ran.
  void CloseListener() {
    const int socket = svr_sock_.exchange(INVALID_SOCKET);
    if (socket != INVALID_SOCKET) ::close(socket);
  }
};

/// What the handler answered, for the journal.
struct Outcome {
  int status = 0;
  std::string_view fault;  ///< A ScenarioName (static storage) or empty.
};

/// The server state one request is answered from.
struct Snapshot {
  std::shared_ptr<const Scenario> scenario;
  Profile profile = Profile::kOpenAi;
  StreamTiming timing;
  std::shared_ptr<const std::vector<Model>> models;
  bool loading = false;
  std::shared_ptr<const std::string> listing;  ///< The healthy listing, when already rendered.
};

std::string ParentPath(const std::string& base_path) {
  const std::size_t slash = base_path.rfind('/');
  return slash == std::string::npos ? std::string() : base_path.substr(0, slash);
}

void SetBody(httplib::Response& response, const Body& body) {
  response.status = body.status;
  if (body.content_type.empty()) {
    response.body = body.text;
  } else {
    response.set_content(body.text, body.content_type);
  }
}

bool Authorized(const httplib::Request& request, const std::string& token) {
  return request.get_header_value("Authorization") == "Bearer " + token;
}

/// Whether a scenario changes what `endpoint` answers (auth aside: it marks the requests it
/// refuses).
bool Affects(ScenarioKind kind, Endpoint endpoint) {
  switch (kind) {
    case ScenarioKind::kHealthy:
    case ScenarioKind::kAuth:
      return false;
    case ScenarioKind::kLoading:
      return endpoint == Endpoint::kHealth || endpoint == Endpoint::kChat;
    case ScenarioKind::kNoHealth:
      return endpoint == Endpoint::kHealth;
    case ScenarioKind::kMissingModel:
      return endpoint == Endpoint::kModels || endpoint == Endpoint::kChat;
    case ScenarioKind::kModelsError:
      return endpoint == Endpoint::kModels;
    case ScenarioKind::kStreamDrop:
    case ScenarioKind::kStreamError:
      return endpoint == Endpoint::kChat;
    case ScenarioKind::kHang:
    case ScenarioKind::kTrickle:
    case ScenarioKind::kMalformed:
    case ScenarioKind::kHuge:
      return true;
  }
  return false;
}

void SetAdminJson(httplib::Response& response, int status, const json& value) {
  response.status = status;
  // The journal holds request bytes as received; invalid UTF-8 is written as U+FFFD.
  response.set_content(value.dump(-1, ' ', false, json::error_handler_t::replace),
                       "application/json");
}

}  // namespace

class Server::Impl {
 public:
  explicit Impl(ServerOptions options);
  ~Impl() { Stop(); }

  void Stop();
  /// Waits `duration` unless the server stops first; true when the whole time passed.
  bool WaitFor(std::chrono::microseconds duration) const;
  bool Stopping() const;
  bool WaitUntilListening(std::chrono::milliseconds timeout) const;
  bool listening() const;

  std::string url() const;
  const std::string& host() const { return options_.host; }
  int port() const { return port_; }
  const std::string& base_path() const { return options_.base_path; }

  void SetScenario(Scenario scenario);
  Scenario scenario();
  void SetProfile(Profile profile);
  Profile profile() const;
  void SetScript(Script script);
  Script script() const;
  void SetTiming(StreamTiming timing);
  StreamTiming timing() const;
  void SetModels(std::vector<Model> models);
  std::vector<Model> models() const;

  std::vector<JournalEntry> journal() const { return journal_.Snapshot(); }
  void ResetJournal();
  ServerStats stats() const;
  const ConnectionRegistry& connections() const { return connections_; }
  const Journal& requests_journal() const { return journal_; }

 private:
  void ConfigureHttp();
  void Bind(int port);
  void Listen();
  void DelayedListen(std::chrono::milliseconds delay);

  void Handle(const httplib::Request& request, httplib::Response& response);
  void HandleAdmin(const httplib::Request& request, httplib::Response& response);
  Outcome Answer(const httplib::Request& request, httplib::Response& response,
                 Connection* connection);
  Outcome AnswerChat(const httplib::Request& request, httplib::Response& response,
                     Connection* connection, const Snapshot& snapshot, bool applies);
  Body ModelsBody(const Snapshot& snapshot, bool applies);
  Snapshot TakeSnapshot(Endpoint endpoint);
  /// Switches a loading scenario whose time or health requests are used up to healthy. Needs
  /// state_mutex_.
  void EndLoadingWhenDue();
  Reply PickReply(const std::string& last_user_text);

  Outcome Hang(httplib::Response& response, const Scenario& scenario, Connection* connection);
  void Deliver(httplib::Response& response, const Body& body, const Snapshot& snapshot,
               bool applies, Endpoint endpoint);
  void DeliverTrickle(httplib::Response& response, int status, std::string content_type,
                      std::string text, const Scenario& scenario, bool chunked);
  void DeliverHuge(httplib::Response& response, std::shared_ptr<HugeBody> body,
                   std::string content_type);
  void DeliverStream(httplib::Response& response, std::shared_ptr<ChatEventSource> source,
                     StreamTiming timing);

  ServerOptions options_;
  std::string health_path_;
  std::string models_path_;
  std::string chat_path_;
  std::string root_path_;
  int port_ = 0;

  mutable std::mutex state_mutex_;
  std::shared_ptr<const Scenario> scenario_;
  Clock::time_point scenario_since_;
  int loading_health_requests_ = 0;
  Profile profile_;
  StreamTiming timing_;
  std::shared_ptr<const std::vector<Model>> models_;
  std::shared_ptr<const std::string> listing_cache_;
  Script script_;
  std::size_t script_next_ = 0;

  ConnectionRegistry connections_;
  Journal journal_;

  std::mutex stop_call_mutex_;
  mutable std::mutex stop_mutex_;
  mutable std::condition_variable stop_changed_;
  bool stopping_ = false;
  bool stopped_ = false;
  bool listening_ = false;
  bool listen_returned_ = false;

  std::unique_ptr<PortReservation> reservation_;
  HttpServer http_;
  std::thread thread_;
};

Server::Impl::Impl(ServerOptions options)
    : options_(std::move(options)),
      scenario_(std::make_shared<const Scenario>(options_.scenario)),
      scenario_since_(Clock::now()),
      profile_(options_.profile),
      timing_(options_.timing),
      models_(std::make_shared<const std::vector<Model>>(options_.models)),
      script_(options_.script),
      journal_(options_.journal_size) {
  ValidateOptions(options_);
  const std::string parent = ParentPath(options_.base_path);
  health_path_ = parent + "/health";
  models_path_ = options_.base_path + "/models";
  chat_path_ = options_.base_path + "/chat/completions";
  root_path_ = parent + "/";
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
  http_.new_task_queue = [this] { return new ConnectionPool(connections_, options_.threads); };
  http_.set_tcp_nodelay(true);
  http_.set_keep_alive_max_count(kKeepAliveRequests);
  http_.set_keep_alive_timeout(static_cast<time_t>(options_.keep_alive_timeout.count()));
  http_.set_payload_max_length(options_.max_request_bytes);
  http_.set_socket_options([](socket_t socket) { SetReuseAddress(socket); });
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

void Server::Impl::Bind(int port) {
  errno = 0;
  if (port == 0) {
    port_ = http_.bind_to_any_port(options_.host);
  } else {
    port_ = http_.bind_to_port(options_.host, port) ? port : -1;
  }
  if (port_ <= 0) {
    const int error = errno != 0 ? errno : EADDRNOTAVAIL;
    throw std::system_error(error, std::generic_category(),
                            "cannot listen on " + options_.host + ":" + std::to_string(port));
  }
  EnlargeBacklog(http_.listening_socket());
}

void Server::Impl::Listen() {
  bool listen = false;
  {
    std::lock_guard lock(stop_mutex_);
    listen = !stopping_;
    listening_ = listen;
  }
  stop_changed_.notify_all();
  if (listen) http_.listen_after_bind();
  {
    std::lock_guard lock(stop_mutex_);
    listening_ = false;
    listen_returned_ = true;
  }
  stop_changed_.notify_all();
}

void Server::Impl::DelayedListen(std::chrono::milliseconds delay) {
  bool bound = false;
  if (WaitFor(delay)) {
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
  {
    std::lock_guard lock(stop_mutex_);
    listen_returned_ = true;
  }
  stop_changed_.notify_all();
}

void Server::Impl::Stop() {
  std::lock_guard serial(stop_call_mutex_);
  {
    std::lock_guard lock(stop_mutex_);
    if (stopped_) return;
    stopping_ = true;
  }
  stop_changed_.notify_all();
  // cpp-httplib's stop() only takes effect once listen_after_bind has marked the
  // server running, which follows listening_ within microseconds.
  for (;;) {
    {
      std::lock_guard lock(stop_mutex_);
      if (!listening_ || listen_returned_) break;
    }
    if (http_.is_running()) break;
    std::this_thread::yield();
  }
  http_.stop();
  connections_.ShutdownAll();
  if (thread_.joinable()) thread_.join();
  http_.CloseListener();
  std::lock_guard lock(stop_mutex_);
  stopped_ = true;
}

bool Server::Impl::WaitFor(std::chrono::microseconds duration) const {
  std::unique_lock lock(stop_mutex_);
  if (duration.count() <= 0) return !stopping_;
  return !stop_changed_.wait_for(lock, duration, [&] { return stopping_; });
}

bool Server::Impl::Stopping() const {
  std::lock_guard lock(stop_mutex_);
  return stopping_;
}

bool Server::Impl::WaitUntilListening(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(stop_mutex_);
  return stop_changed_.wait_for(lock, timeout, [&] {
    return listening_ || listen_returned_ || stopping_;
  }) && listening_;
}

bool Server::Impl::listening() const {
  std::lock_guard lock(stop_mutex_);
  return listening_;
}

std::string Server::Impl::url() const {
  const bool ipv6 = options_.host.find(':') != std::string::npos;
  return "http://" + (ipv6 ? "[" + options_.host + "]" : options_.host) + ":" +
         std::to_string(port_);
}

void Server::Impl::SetScenario(Scenario scenario) {
  std::lock_guard lock(state_mutex_);
  scenario_ = std::make_shared<const Scenario>(std::move(scenario));
  scenario_since_ = Clock::now();
  loading_health_requests_ = 0;
}

Scenario Server::Impl::scenario() {
  std::lock_guard lock(state_mutex_);
  EndLoadingWhenDue();
  return *scenario_;
}

void Server::Impl::SetProfile(Profile profile) {
  std::lock_guard lock(state_mutex_);
  profile_ = profile;
  listing_cache_.reset();
}

Profile Server::Impl::profile() const {
  std::lock_guard lock(state_mutex_);
  return profile_;
}

void Server::Impl::SetScript(Script script) {
  std::lock_guard lock(state_mutex_);
  script_ = std::move(script);
  script_next_ = 0;
}

Script Server::Impl::script() const {
  std::lock_guard lock(state_mutex_);
  return script_;
}

void Server::Impl::SetTiming(StreamTiming timing) {
  if (timing.chunk_chars == 0)
    throw ConfigError("chunk_chars must be at least 1", "/timing/chunk_chars");
  std::lock_guard lock(state_mutex_);
  timing_ = timing;
}

StreamTiming Server::Impl::timing() const {
  std::lock_guard lock(state_mutex_);
  return timing_;
}

void Server::Impl::SetModels(std::vector<Model> models) {
  for (std::size_t i = 0; i < models.size(); ++i) {
    if (models[i].id.empty())
      throw ConfigError("a model id is empty", "/models/" + std::to_string(i));
  }
  std::lock_guard lock(state_mutex_);
  models_ = std::make_shared<const std::vector<Model>>(std::move(models));
  listing_cache_.reset();
}

std::vector<Model> Server::Impl::models() const {
  std::lock_guard lock(state_mutex_);
  return *models_;
}

void Server::Impl::ResetJournal() {
  journal_.Reset();
  connections_.ResetOpened();
}

ServerStats Server::Impl::stats() const {
  return {connections_.opened(), connections_.open(), journal_.requests(), journal_.dropped()};
}

void Server::Impl::EndLoadingWhenDue() {
  if (scenario_->kind != ScenarioKind::kLoading) return;
  const Scenario& loading = *scenario_;
  const bool timed_out =
      loading.loading_time.count() > 0 && Clock::now() - scenario_since_ >= loading.loading_time;
  const bool counted_out =
      loading.loading_requests > 0 && loading_health_requests_ >= loading.loading_requests;
  if (timed_out || counted_out) {
    scenario_ = std::make_shared<const Scenario>();
    scenario_since_ = Clock::now();
  }
}

Snapshot Server::Impl::TakeSnapshot(Endpoint endpoint) {
  std::lock_guard lock(state_mutex_);
  EndLoadingWhenDue();
  if (scenario_->kind == ScenarioKind::kLoading) {
    const Scenario& loading = *scenario_;
    if (endpoint == Endpoint::kHealth &&
        (loading.endpoint == Endpoint::kAll || loading.endpoint == Endpoint::kHealth)) {
      ++loading_health_requests_;
    }
  }
  Snapshot snapshot{
      scenario_, profile_, timing_, models_, scenario_->kind == ScenarioKind::kLoading, nullptr};
  if (endpoint == Endpoint::kModels) snapshot.listing = listing_cache_;
  return snapshot;
}

Reply Server::Impl::PickReply(const std::string& last_user_text) {
  std::lock_guard lock(state_mutex_);
  for (const Rule& rule : script_.rules) {
    if (last_user_text.find(rule.contains) != std::string::npos) return rule.reply;
  }
  if (script_next_ < script_.sequence.size()) {
    Reply reply = script_.sequence[script_next_++];
    if (script_.loop && script_next_ == script_.sequence.size()) script_next_ = 0;
    return reply;
  }
  Reply echo;
  echo.text = last_user_text;
  return echo;
}

void Server::Impl::Handle(const httplib::Request& request, httplib::Response& response) {
  if (std::string_view(request.path).substr(0, kAdminPrefix.size()) == kAdminPrefix) {
    HandleAdmin(request, response);
    return;
  }
  Connection* connection = ConnectionRegistry::Current();
  if (connection != nullptr && !connection->socket_looked_up) {
    connection->socket_looked_up = true;
    const int local_port = request.local_port > 0 ? request.local_port : port_;
    const int socket = DupConnectionSocket(request.remote_addr, request.remote_port, local_port);
    if (socket >= 0) connections_.Attach(*connection, socket);
  }

  JournalEntry entry;
  entry.connection_id = connection != nullptr ? connection->id : 0;
  entry.method = request.method;
  entry.path = request.path;
  entry.headers.reserve(request.headers.size());
  for (const auto& [name, value] : request.headers) {
    // cpp-httplib adds the peer's address as a header of its own.
    if (name == "REMOTE_ADDR" || name == "REMOTE_PORT" || name == "LOCAL_ADDR" ||
        name == "LOCAL_PORT")
      continue;
    entry.headers.emplace_back(name, value);
  }
  entry.body_truncated = request.body.size() > options_.journal_body_limit;
  entry.body = request.body.substr(0, options_.journal_body_limit);
  entry.time = std::chrono::system_clock::now();
  const std::shared_ptr<JournalRecord> record = journal_.Begin(std::move(entry));

  const Outcome outcome = Answer(request, response, connection);
  record->Finish(outcome.status, outcome.fault);
  if (options_.on_request) options_.on_request(record->Entry());
}

Outcome Server::Impl::Answer(const httplib::Request& request, httplib::Response& response,
                             Connection* connection) {
  std::size_t header_bytes = 0;
  for (const auto& [name, value] : request.headers) header_bytes += name.size() + value.size();

  Endpoint endpoint = Endpoint::kRoot;
  bool method_allowed = true;
  if (request.path == health_path_) {
    endpoint = Endpoint::kHealth;
    method_allowed = request.method == "GET" || request.method == "HEAD";
  } else if (request.path == models_path_) {
    endpoint = Endpoint::kModels;
    method_allowed = request.method == "GET" || request.method == "HEAD";
  } else if (request.path == chat_path_) {
    endpoint = Endpoint::kChat;
    method_allowed = request.method == "POST";
  }

  Snapshot snapshot = TakeSnapshot(endpoint);
  const Scenario& scenario = *snapshot.scenario;
  const Profile profile = snapshot.profile;

  if (header_bytes > options_.max_header_bytes) {
    SetBody(response,
            ErrorAnswer(profile, 431, "request headers too large", "invalid_request_error"));
    return {431, {}};
  }
  if (!method_allowed) {
    SetBody(response, ErrorAnswer(profile, 405, "method not allowed", "invalid_request_error"));
    return {405, {}};
  }

  const bool applies = scenario.kind != ScenarioKind::kHealthy &&
                       (scenario.endpoint == Endpoint::kAll || scenario.endpoint == endpoint);
  const std::string_view fault = applies && Affects(scenario.kind, endpoint)
                                     ? ScenarioName(scenario.kind)
                                     : std::string_view();

  if (applies && scenario.kind == ScenarioKind::kHang) return Hang(response, scenario, connection);
  if (applies && scenario.kind == ScenarioKind::kAuth &&
      (endpoint != Endpoint::kHealth || scenario.endpoint == Endpoint::kHealth) &&
      !Authorized(request, scenario.token)) {
    const int status = scenario.status == 0 ? 401 : scenario.status;
    SetBody(response, ErrorAnswer(profile, status, "Invalid API key", "authentication_error",
                                  "invalid_api_key"));
    return {status, ScenarioName(ScenarioKind::kAuth)};
  }

  Body body;
  switch (endpoint) {
    case Endpoint::kHealth:
      if (applies && scenario.kind == ScenarioKind::kNoHealth) {
        body = NotFound(profile, request.method, request.path);
      } else if (applies && snapshot.loading) {
        body = HealthLoading(profile);
      } else {
        body = HealthOk(profile);
      }
      break;
    case Endpoint::kModels:
      body = ModelsBody(snapshot, applies);
      if (applies && scenario.kind == ScenarioKind::kHuge) {
        DeliverHuge(response,
                    std::make_shared<HugeBody>(
                        HugeBody::Listing(*snapshot.models, options_.created, scenario.huge_bytes)),
                    "application/json");
        return {200, fault};
      }
      break;
    case Endpoint::kChat:
      return AnswerChat(request, response, connection, snapshot, applies);
    case Endpoint::kRoot:
    case Endpoint::kAll:
      body = request.path == root_path_ && request.method == "GET"
                 ? Root(profile)
                 : NotFound(profile, request.method, request.path);
      break;
  }
  Deliver(response, body, snapshot, applies, endpoint);
  return {response.status, fault};
}

Body Server::Impl::ModelsBody(const Snapshot& snapshot, bool applies) {
  const Scenario& scenario = *snapshot.scenario;
  if (applies && scenario.kind == ScenarioKind::kModelsError) {
    const int status = scenario.status == 0 ? 500 : scenario.status;
    return ErrorAnswer(snapshot.profile, status, "simulated failure of the models listing",
                       "server_error");
  }
  if (applies && scenario.kind == ScenarioKind::kMissingModel) {
    std::vector<Model> listed;
    for (const Model& model : *snapshot.models) {
      const auto& hidden = scenario.hidden_models;
      if (!hidden.empty() && std::find(hidden.begin(), hidden.end(), model.id) == hidden.end()) {
        listed.push_back(model);
      }
    }
    return {200, "application/json",
            Listing(snapshot.profile, listed, snapshot.loading, options_.created)};
  }
  if (snapshot.loading) {
    return {200, "application/json",
            Listing(snapshot.profile, *snapshot.models, true, options_.created)};
  }
  if (snapshot.listing != nullptr) return {200, "application/json", *snapshot.listing};
  auto listing = std::make_shared<const std::string>(
      Listing(snapshot.profile, *snapshot.models, false, options_.created));
  {
    std::lock_guard lock(state_mutex_);
    if (models_ == snapshot.models && profile_ == snapshot.profile) listing_cache_ = listing;
  }
  return {200, "application/json", *listing};
}

Outcome Server::Impl::AnswerChat(const httplib::Request& request, httplib::Response& response,
                                 Connection* connection, const Snapshot& snapshot, bool applies) {
  const Scenario& scenario = *snapshot.scenario;
  const Profile profile = snapshot.profile;
  const std::string_view fault = applies && Affects(scenario.kind, Endpoint::kChat)
                                     ? ScenarioName(scenario.kind)
                                     : std::string_view();
  const auto answer_with = [&](const Body& body) {
    SetBody(response, body);
    return Outcome{body.status, fault};
  };

  ParsedChatRequest parsed = ParseChatRequest(request.body);
  if (!parsed.error.empty())
    return answer_with(ErrorAnswer(profile, 400, parsed.error, "invalid_request_error"));
  const ChatRequest& chat = parsed.request;
  if (applies && snapshot.loading) return answer_with(ChatLoading(profile));

  const std::vector<Model>& models = *snapshot.models;
  std::string model_id;
  if (chat.model) {
    model_id = *chat.model;
  } else if (profile == Profile::kLlamaCpp || profile == Profile::kTgi ||
             profile == Profile::kLmStudio) {
    model_id = models.empty() ? std::string(ProfileName(profile)) : models.front().id;
  } else {
    return answer_with(ErrorAnswer(profile, 400, "'model' is required", "invalid_request_error"));
  }
  if (profile == Profile::kLmStudio && models.empty())
    return answer_with(NoModelLoaded(profile, model_id));
  if (profile != Profile::kTgi) {
    const auto found = std::find_if(models.begin(), models.end(),
                                    [&](const Model& m) { return m.id == model_id; });
    const bool hidden = applies && scenario.kind == ScenarioKind::kMissingModel &&
                        (scenario.hidden_models.empty() ||
                         std::find(scenario.hidden_models.begin(), scenario.hidden_models.end(),
                                   model_id) != scenario.hidden_models.end());
    if (found == models.end() || hidden) return answer_with(ModelNotFound(profile, model_id));
    if (!found->status.empty() && found->status != "loaded") {
      return answer_with(ModelNotLoaded(profile, model_id, found->status));
    }
  }
  if (applies && scenario.kind == ScenarioKind::kStreamError && !chat.stream) {
    return answer_with(ErrorAnswer(profile, 500, scenario.error_message, "server_error"));
  }

  const ChatAnswer answer =
      MakeAnswer(chat, PickReply(chat.last_user_text), model_id, options_.created);
  const StreamTiming& timing = snapshot.timing;

  if (chat.stream) {
    StreamFault stream_fault;
    if (applies) {
      stream_fault.kind = scenario.kind;
      stream_fault.after_chunks = scenario.after_chunks;
      stream_fault.error_payload = StreamErrorPayload(profile, scenario.error_message);
      stream_fault.done_after_error =
          scenario.done_after_error.value_or(DoneAfterStreamError(profile));
      stream_fault.malformed = scenario.malformed;
      stream_fault.huge_bytes = scenario.huge_bytes;
    }
    auto source = std::make_shared<ChatEventSource>(answer, profile, timing.chunk_chars,
                                                    chat.include_usage, std::move(stream_fault));
    if (applies && scenario.kind == ScenarioKind::kTrickle) {
      std::string text;
      while (source->Next(text) != ChatEventSource::Step::kEnd) {
      }
      DeliverTrickle(response, 200, "text/event-stream", std::move(text), scenario, true);
    } else {
      DeliverStream(response, std::move(source), timing);
    }
    return {200, fault};
  }

  if (!WaitFor(timing.first_chunk_delay)) {
    if (connection != nullptr) ShutdownSocket(connection->socket);
    return {0, fault};
  }
  const Body body{200, "application/json", CompletionJson(answer)};
  if (applies && scenario.kind == ScenarioKind::kStreamDrop) {
    auto text = std::make_shared<const std::string>(body.text);
    response.status = 200;
    response.set_content_provider(text->size(), "application/json",
                                  [text](std::size_t offset, std::size_t, httplib::DataSink& sink) {
                                    const std::size_t half = text->size() / 2;
                                    if (offset < half)
                                      sink.write(text->data() + offset, half - offset);
                                    return false;
                                  });
    return {200, fault};
  }
  if (applies && scenario.kind == ScenarioKind::kHuge) {
    const std::string prefix =
        R"({"id":")" + answer.id + R"(","object":"chat.completion","created":)" +
        std::to_string(answer.created) + R"(,"model":)" + json(answer.model).dump() +
        R"(,"choices":[{"index":0,"message":{"role":"assistant","content":")";
    const std::string suffix =
        R"("},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}})";
    DeliverHuge(response,
                std::make_shared<HugeBody>(HugeBody::Padded(prefix, scenario.huge_bytes, suffix)),
                "application/json");
    return {200, fault};
  }
  Deliver(response, body, snapshot, applies, Endpoint::kChat);
  return {response.status, fault};
}

Outcome Server::Impl::Hang(httplib::Response& response, const Scenario& scenario,
                           Connection* connection) {
  WaitFor(scenario.hold);
  if (connection != nullptr && connection->socket >= 0) {
    ShutdownSocket(connection->socket);
  } else {
    // The socket is unknown: end the connection right after the status line instead.
    response.status = 503;
    response.set_chunked_content_provider("application/json",
                                          [](std::size_t, httplib::DataSink&) { return false; });
  }
  return {0, ScenarioName(ScenarioKind::kHang)};
}

void Server::Impl::Deliver(httplib::Response& response, const Body& body, const Snapshot& snapshot,
                           bool applies, Endpoint endpoint) {
  const Scenario& scenario = *snapshot.scenario;
  if (!applies) {
    SetBody(response, body);
    return;
  }
  switch (scenario.kind) {
    case ScenarioKind::kMalformed:
      SetBody(response, MalformedAnswer(scenario.malformed, endpoint, body));
      return;
    case ScenarioKind::kHuge:
      if (endpoint == Endpoint::kHealth) {
        DeliverHuge(response,
                    std::make_shared<HugeBody>(HugeBody::Padded(R"({"status":"ok","padding":")",
                                                                scenario.huge_bytes, "\"}")),
                    "application/json");
      } else {
        DeliverHuge(response,
                    std::make_shared<HugeBody>(HugeBody::Padded("", scenario.huge_bytes, "")),
                    "text/plain");
      }
      response.status = 200;
      return;
    case ScenarioKind::kTrickle:
      DeliverTrickle(response, body.status, body.content_type, body.text, scenario, false);
      return;
    default:
      SetBody(response, body);
      return;
  }
}

void Server::Impl::DeliverTrickle(httplib::Response& response, int status, std::string content_type,
                                  std::string text, const Scenario& scenario, bool chunked) {
  struct Trickle {
    std::string text;
    Clock::time_point deadline;
    std::chrono::milliseconds interval;
    std::size_t sent = 0;
  };
  auto trickle = std::make_shared<Trickle>(
      Trickle{std::move(text), Clock::now() + scenario.hold, scenario.trickle_interval});
  response.status = status;
  if (content_type.empty()) content_type = "application/octet-stream";
  const auto step = [this, trickle](httplib::DataSink& sink) {
    if (trickle->sent > 0 && !WaitFor(trickle->interval)) return false;
    if (Clock::now() > trickle->deadline) return false;
    if (trickle->sent >= trickle->text.size()) {
      sink.done();
      return true;
    }
    return sink.write(trickle->text.data() + trickle->sent++, 1);
  };
  if (chunked) {
    response.set_chunked_content_provider(
        content_type, [step](std::size_t, httplib::DataSink& sink) { return step(sink); });
  } else {
    const std::size_t size = trickle->text.size();
    response.set_content_provider(
        size, content_type,
        [step](std::size_t, std::size_t, httplib::DataSink& sink) { return step(sink); });
  }
}

void Server::Impl::DeliverHuge(httplib::Response& response, std::shared_ptr<HugeBody> body,
                               std::string content_type) {
  response.status = 200;
  response.set_chunked_content_provider(content_type,
                                        [this, body](std::size_t, httplib::DataSink& sink) {
                                          if (Stopping()) return false;
                                          std::string piece;
                                          if (!body->Next(piece)) {
                                            sink.done();
                                            return true;
                                          }
                                          return sink.write(piece.data(), piece.size());
                                        });
}

void Server::Impl::DeliverStream(httplib::Response& response,
                                 std::shared_ptr<ChatEventSource> source, StreamTiming timing) {
  struct StreamState {
    std::shared_ptr<ChatEventSource> source;
    StreamTiming timing;
    bool started = false;
    std::string buffer;
  };
  auto state = std::make_shared<StreamState>(StreamState{std::move(source), timing, false, {}});
  response.status = 200;
  response.set_header("Cache-Control", "no-cache");
  response.set_chunked_content_provider(
      "text/event-stream", [this, state](std::size_t, httplib::DataSink& sink) {
        if (!state->started) {
          state->started = true;
          if (!WaitFor(state->timing.first_chunk_delay)) return false;
        }
        const bool paced = state->timing.chunk_interval.count() > 0;
        std::string& buffer = state->buffer;
        buffer.clear();
        ChatEventSource::Step step;
        for (;;) {
          step = state->source->Next(buffer);
          if (step == ChatEventSource::Step::kEnd || step == ChatEventSource::Step::kDrop) break;
          if (paced && step == ChatEventSource::Step::kEvent) break;
          if (buffer.size() >= kStreamBatchBytes) break;
        }
        if (!buffer.empty() && !sink.write(buffer.data(), buffer.size())) return false;
        if (step == ChatEventSource::Step::kDrop) return false;
        if (step == ChatEventSource::Step::kEnd) {
          sink.done();
          return true;
        }
        if (paced) return WaitFor(state->timing.chunk_interval);
        return !Stopping();
      });
}

void Server::Impl::HandleAdmin(const httplib::Request& request, httplib::Response& response) {
  const std::string_view what = std::string_view(request.path).substr(kAdminPrefix.size());
  const bool get = request.method == "GET";
  const bool post = request.method == "POST";
  try {
    if (what == "journal" && get) {
      json entries = json::array();
      for (const JournalEntry& entry : journal_.Snapshot()) entries.push_back(ToJson(entry));
      SetAdminJson(response, 200, {{"entries", std::move(entries)}, {"stats", ToJson(stats())}});
    } else if (what == "journal" && request.method == "DELETE") {
      ResetJournal();
      SetAdminJson(response, 200, {{"reset", true}});
    } else if (what == "stats" && get) {
      json models = json::array();
      for (const Model& model : this->models()) models.push_back(model.id);
      SetAdminJson(response, 200,
                   {{"stats", ToJson(stats())},
                    {"scenario", ToJson(scenario())},
                    {"profile", ProfileName(profile())},
                    {"timing", ToJson(timing())},
                    {"models", std::move(models)},
                    {"url", url()}});
    } else if (what == "scenario" && (get || post)) {
      if (post) SetScenario(ReadScenario(json::parse(request.body), ""));
      SetAdminJson(response, 200, ToJson(scenario()));
    } else if (what == "profile" && (get || post)) {
      if (post) {
        const json body = json::parse(request.body);
        SetProfile(
            ReadProfile(body.is_object() && body.contains("name") ? body["name"] : body, "/name"));
      }
      SetAdminJson(response, 200, {{"name", ProfileName(profile())}});
    } else if (what == "script" && (get || post)) {
      if (post) SetScript(ReadScript(json::parse(request.body), ""));
      SetAdminJson(response, 200, ToJson(script()));
    } else if (what == "timing" && (get || post)) {
      if (post) SetTiming(ReadTiming(json::parse(request.body), ""));
      SetAdminJson(response, 200, ToJson(timing()));
    } else if (what == "models" && (get || post)) {
      if (post) SetModels(ReadModels(json::parse(request.body), ""));
      json models = json::array();
      for (const Model& model : this->models()) {
        models.push_back(
            {{"id", model.id}, {"status", model.status}, {"owned_by", model.owned_by}});
      }
      SetAdminJson(response, 200, models);
    } else {
      SetAdminJson(response, 404,
                   {{"error",
                     {{"message", "unknown admin endpoint " + request.method + " " + request.path},
                      {"type", "invalid_request_error"}}}});
    }
  } catch (const json::parse_error& error) {
    SetAdminJson(response, 400,
                 {{"error", {{"message", error.what()}, {"type", "invalid_request_error"}}}});
  } catch (const ConfigError& error) {
    SetAdminJson(response, 400,
                 {{"error", {{"message", error.what()}, {"type", "invalid_request_error"}}}});
  }
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
Scenario Server::scenario() const { return impl_->scenario(); }
void Server::SetProfile(Profile profile) { impl_->SetProfile(profile); }
Profile Server::profile() const { return impl_->profile(); }
void Server::SetScript(Script script) { impl_->SetScript(std::move(script)); }
void Server::SetTiming(StreamTiming timing) { impl_->SetTiming(timing); }
StreamTiming Server::timing() const { return impl_->timing(); }
void Server::SetModels(std::vector<Model> models) { impl_->SetModels(std::move(models)); }
std::vector<Model> Server::models() const { return impl_->models(); }
std::vector<JournalEntry> Server::journal() const { return impl_->journal(); }
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
