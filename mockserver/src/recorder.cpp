// RecordingProxy: forwards requests to a real server, relays its answers as they arrive, and
// keeps each complete exchange for a cassette.
#include "provkit/mockserver/recorder.hpp"

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <system_error>
#include <thread>

#include "capture.hpp"
#include "provkit/mockserver/config.hpp"
#include "provkit/support/redact.hpp"

namespace provkit::mock {
namespace {

using Clock = std::chrono::steady_clock;

std::string Lower(std::string_view text) {
  std::string lower;
  for (char c : text) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

// Not forwarded in either direction: the proxy's own connections carry them.
bool HopByHop(std::string_view name) {
  const std::string lower = Lower(name);
  return lower == "host" || lower == "connection" || lower == "keep-alive" ||
         lower == "transfer-encoding" || lower == "content-length" || lower == "accept-encoding" ||
         lower == "remote_addr" || lower == "remote_port" || lower == "local_addr" ||
         lower == "local_port" || lower == "upgrade" || lower == "te";
}

bool KeptRequestHeader(std::string_view name) {
  static const std::set<std::string> kKept = {"content-type",
                                              "authorization",
                                              "x-api-key",
                                              "origin",
                                              "access-control-request-method",
                                              "access-control-request-headers",
                                              "accept"};
  return kKept.contains(Lower(name));
}

/// The secret of a key header: the token after "Bearer ", else the whole value.
std::string SecretOf(const std::string& value) {
  if (value.size() > 7 && Lower(value.substr(0, 7)) == "bearer ") return value.substr(7);
  return value;
}

/// One request in flight: the upstream answer as it arrives, shared by the worker thread that
/// reads it and the server thread that relays it.
struct Relay {
  std::mutex mutex;
  std::condition_variable changed;
  bool headers_ready = false;
  bool done = false;
  bool failed = false;
  std::string error;
  int status = 0;
  std::string reason;
  httplib::Headers headers;
  std::deque<std::string> pending;
  std::string recorded;
  bool recorded_cut = false;
  std::vector<std::pair<std::size_t, double>> piece_ends;  ///< End offset in recorded, t_ms.
  Clock::time_point answered;
  std::atomic<bool> cancel{false};
  std::atomic<bool> kept{false};      ///< The exchange is in the cassette.
  httplib::Client* client = nullptr;  ///< The upstream request in flight, guarded by mutex.
  std::thread worker;
  std::once_flag joined;

  /// Ends the upstream request at once (its socket is shut down) and wakes the relay.
  void Cancel() {
    std::lock_guard lock(mutex);
    cancel = true;
    if (client != nullptr) client->stop();
    changed.notify_all();
  }
  void Join() {
    std::call_once(joined, [this] {
      if (worker.joinable()) worker.join();
    });
  }
};

/// What the proxy keeps of an incoming request (cpp-httplib's own object does not outlive it).
struct Incoming {
  std::string method;
  std::string path;
  std::string target;  ///< Path and query.
  httplib::Headers headers;
  std::string body;
};

}  // namespace

class RecordingProxy::Impl {
 public:
  explicit Impl(RecorderOptions options);
  ~Impl() { Stop(); }

  std::string url() const { return "http://" + options_.host + ":" + std::to_string(port_); }
  int port() const { return port_; }
  Cassette cassette() const;
  std::size_t recorded() const {
    std::lock_guard lock(mutex_);
    return exchanges_.size();
  }
  void Stop();

 private:
  void Handle(const httplib::Request& request, httplib::Response& response);
  void Forward(const std::shared_ptr<Relay>& relay, const Incoming& request);
  void Keep(const Incoming& request, Relay& relay, bool complete);

  RecorderOptions options_;
  std::string upstream_host_;
  int upstream_port_ = 80;
  httplib::Server http_;
  int port_ = 0;
  std::thread listener_;
  std::atomic<bool> stopping_{false};

  mutable std::mutex mutex_;
  std::vector<RecordedExchange> exchanges_;  ///< Secrets as they came: placeholders on output.
  std::mutex relays_mutex_;
  std::vector<std::shared_ptr<Relay>> relays_;
  std::mutex stop_mutex_;
  bool stopped_ = false;
};

RecordingProxy::Impl::Impl(RecorderOptions options) : options_(std::move(options)) {
  std::string rest = options_.upstream;
  if (rest.rfind("http://", 0) != 0)
    throw ConfigError("the upstream must be an http:// URL, e.g. http://127.0.0.1:8080",
                      "/upstream");
  rest = rest.substr(7);
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  if (rest.empty() || rest.find('/') != std::string::npos)
    throw ConfigError("the upstream must be a server root without a path: " + options_.upstream,
                      "/upstream");
  const std::size_t colon = rest.rfind(':');
  upstream_host_ = rest.substr(0, colon);
  if (colon != std::string::npos) {
    const std::string port = rest.substr(colon + 1);
    if (port.empty() || port.size() > 5 ||
        port.find_first_not_of("0123456789") != std::string::npos || std::stoi(port) > 65535)
      throw ConfigError("the upstream port is not a number 0..65535: " + options_.upstream,
                        "/upstream");
    upstream_port_ = std::stoi(port);
  }
  http_.set_tcp_nodelay(true);
  http_.set_payload_max_length(options_.max_recorded_bytes);
  ReadEveryBody(http_);
  const auto handler = [this](const httplib::Request& request, httplib::Response& response) {
    Handle(request, response);
  };
  http_.Get(".*", handler);
  http_.Post(".*", handler);
  http_.Put(".*", handler);
  http_.Patch(".*", handler);
  http_.Delete(".*", handler);
  http_.Options(".*", handler);
  errno = 0;
  port_ = options_.port == 0
              ? http_.bind_to_any_port(options_.host)
              : (http_.bind_to_port(options_.host, options_.port) ? options_.port : -1);
  if (port_ <= 0) {
    throw std::system_error(
        errno != 0 ? errno : EADDRNOTAVAIL, std::generic_category(),
        "cannot listen on " + options_.host + ":" + std::to_string(options_.port));
  }
  listener_ = std::thread([this] { http_.listen_after_bind(); });
  while (!http_.is_running() && listener_.joinable()) std::this_thread::yield();
}

void RecordingProxy::Impl::Stop() {
  std::lock_guard serial(stop_mutex_);
  if (stopped_) return;
  stopping_ = true;
  {
    std::lock_guard lock(relays_mutex_);
    for (const auto& relay : relays_) relay->Cancel();
  }
  http_.stop();
  if (listener_.joinable()) listener_.join();
  std::lock_guard lock(relays_mutex_);
  for (const auto& relay : relays_) relay->Join();
  relays_.clear();
  stopped_ = true;
}

void RecordingProxy::Impl::Forward(const std::shared_ptr<Relay>& relay, const Incoming& request) {
  httplib::Client client(upstream_host_, upstream_port_);
  client.set_tcp_nodelay(true);
  client.set_keep_alive(false);
  client.set_connection_timeout(options_.connect_timeout);
  client.set_read_timeout(options_.read_timeout);
  httplib::Request upstream;
  upstream.method = request.method;
  upstream.path = request.target;
  for (const auto& [name, value] : request.headers) {
    if (!HopByHop(name)) upstream.headers.emplace(name, value);
  }
  upstream.body = request.body;
  upstream.response_handler = [relay](const httplib::Response& answer) {
    std::lock_guard lock(relay->mutex);
    relay->status = answer.status;
    relay->reason = answer.reason;
    relay->headers = answer.headers;
    relay->answered = Clock::now();
    relay->headers_ready = true;
    relay->changed.notify_all();
    return !relay->cancel;
  };
  const std::size_t cap = options_.max_recorded_bytes;
  upstream.content_receiver = [relay, cap](const char* data, std::size_t length, std::uint64_t,
                                           std::uint64_t) {
    std::lock_guard lock(relay->mutex);
    relay->pending.emplace_back(data, length);
    const std::size_t room = relay->recorded.size() < cap ? cap - relay->recorded.size() : 0;
    if (length > room) relay->recorded_cut = true;
    relay->recorded.append(data, std::min(length, room));
    const double t_ms =
        std::chrono::duration<double, std::milli>(Clock::now() - relay->answered).count();
    relay->piece_ends.emplace_back(relay->recorded.size(), t_ms);
    relay->changed.notify_all();
    return !relay->cancel;
  };
  {
    std::lock_guard lock(relay->mutex);
    if (relay->cancel) {
      relay->done = true;
      relay->failed = true;
      relay->changed.notify_all();
      return;
    }
    relay->client = &client;
  }
  httplib::Response answer;
  httplib::Error error = httplib::Error::Success;
  const bool ok = client.send(upstream, answer, error);
  std::lock_guard lock(relay->mutex);
  relay->client = nullptr;
  relay->done = true;
  if (!ok) {
    relay->failed = true;
    relay->error = httplib::to_string(error);
  }
  relay->changed.notify_all();
}

void RecordingProxy::Impl::Handle(const httplib::Request& original, httplib::Response& response) {
  RestoreRequest(original);
  const auto request = std::make_shared<const Incoming>(
      Incoming{original.method, original.path, original.target, original.headers, original.body});
  auto relay = std::make_shared<Relay>();
  {
    std::lock_guard lock(relays_mutex_);
    if (stopping_) return;
    relays_.push_back(relay);
  }
  relay->worker = std::thread([this, relay, request] { Forward(relay, *request); });
  std::unique_lock lock(relay->mutex);
  relay->changed.wait(lock, [&] { return relay->headers_ready || relay->done || relay->cancel; });
  if (!relay->headers_ready) {
    const std::string error = relay->error;
    lock.unlock();
    relay->Cancel();
    relay->Join();
    response.status = 502;
    const nlohmann::json body = {
        {"error",
         {{"message", "the recording proxy could not reach the upstream " + options_.upstream +
                          " (" + (error.empty() ? std::string("stopped") : error) + ")"},
          {"type", "upstream_unreachable"}}}};
    response.set_content(body.dump(), "application/json");
    return;
  }
  response.status = relay->status;
  std::string content_type;
  for (const auto& [name, value] : relay->headers) {
    if (Lower(name) == "content-type") {
      content_type = value;
    } else if (!HopByHop(name)) {
      response.headers.emplace(name, value);
    }
  }
  if (content_type.rfind("text/event-stream", 0) != 0) {
    // A plain answer: complete before it is relayed, so its Content-Length stays exact.
    relay->changed.wait(lock, [&] { return relay->done || relay->cancel; });
    std::string body;
    for (const std::string& piece : relay->pending) body += piece;
    relay->pending.clear();
    const bool complete = relay->done && !relay->failed;
    lock.unlock();
    relay->Join();
    response.body = std::move(body);
    if (!content_type.empty()) response.set_header("Content-Type", content_type);
    Keep(*request, *relay, complete);
    return;
  }
  lock.unlock();
  response.set_chunked_content_provider(
      content_type,
      [this, relay, request](std::size_t, httplib::DataSink& sink) {
        std::unique_lock wait(relay->mutex);
        relay->changed.wait(
            wait, [&] { return !relay->pending.empty() || relay->done || relay->cancel; });
        if (relay->cancel && !relay->done) return false;
        std::deque<std::string> pieces;
        pieces.swap(relay->pending);
        const bool finished = relay->done;
        const bool failed = relay->failed;
        wait.unlock();
        for (const std::string& piece : pieces) {
          if (!sink.write(piece.data(), piece.size())) return false;
        }
        if (finished) {
          // Kept before the client sees the end, so cassette() holds it once the client does.
          Keep(*request, *relay, !failed);
          if (failed) return false;
          sink.done();
        }
        return true;
      },
      [this, relay, request](bool success) {
        if (!success) relay->Cancel();
        relay->Join();
        Keep(*request, *relay, false);  // a no-op when the provider kept it already
      });
}

void RecordingProxy::Impl::Keep(const Incoming& request, Relay& relay, bool complete) {
  if (relay.kept.exchange(true)) return;
  RecordedExchange exchange;
  exchange.method = request.method;
  exchange.path = request.path;
  const std::size_t mark = request.target.find('?');
  if (mark != std::string::npos) exchange.query = request.target.substr(mark + 1);
  for (const auto& [name, value] : request.headers) {
    if (KeptRequestHeader(name)) exchange.request_headers.emplace_back(name, value);
  }
  if (!request.body.empty()) exchange.request_body = request.body;
  std::string content_type;
  for (const auto& [name, value] : relay.headers) {
    const std::string lower = Lower(name);
    if (lower == "content-type") content_type = value;
    if (lower != "content-length" && lower != "date")
      exchange.response_headers.emplace_back(name, value);
  }
  {
    std::lock_guard lock(relay.mutex);
    exchange.status = relay.status;
    exchange.reason = relay.reason;
    if (relay.recorded_cut)
      exchange.note = "the answer was longer than " + std::to_string(options_.max_recorded_bytes) +
                      " bytes; the rest was relayed, not recorded";
    if (content_type.rfind("text/event-stream", 0) == 0) {
      exchange.stream = true;
      const std::string& text = relay.recorded;
      std::size_t start = 0;
      std::size_t piece = 0;
      while (start < text.size()) {
        std::size_t end = text.find("\n\n", start);
        end = end == std::string::npos ? text.size() : end + 2;
        while (piece + 1 < relay.piece_ends.size() && relay.piece_ends[piece].first < end) ++piece;
        RecordedChunk chunk;
        if (!relay.piece_ends.empty()) chunk.t_ms = relay.piece_ends[piece].second;
        chunk.text = text.substr(start, end - start);
        exchange.chunks.push_back(std::move(chunk));
        start = end;
      }
    } else {
      exchange.response_body = relay.recorded;
    }
  }
  exchange.complete = complete;
  std::lock_guard lock(mutex_);
  char id[16];
  std::snprintf(id, sizeof id, "%04zu", exchanges_.size() + 1);
  std::string name = std::string(id) + "_" + Lower(exchange.method);
  for (char c : exchange.path) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  exchange.id = std::move(name);
  exchanges_.push_back(std::move(exchange));
}

Cassette RecordingProxy::Impl::cassette() const {
  Cassette cassette;
  cassette.server = options_.server;
  cassette.situation = options_.situation;
  cassette.description = options_.description;
  cassette.source = "recorded by provkit::mock::RecordingProxy";
  {
    std::lock_guard lock(mutex_);
    cassette.exchanges = exchanges_;
  }
  // Placeholders: a key some request was accepted with is <api-key>; the others are numbered.
  std::set<std::string> accepted;
  std::vector<std::string> rejected;
  for (const RecordedExchange& exchange : cassette.exchanges) {
    for (const auto& [name, value] : exchange.request_headers) {
      if (!support::IsSecretHeader(name)) continue;
      const std::string secret = SecretOf(value);
      const bool health = exchange.path.size() >= 7 &&
                          exchange.path.compare(exchange.path.size() - 7, 7, "/health") == 0;
      if (exchange.status < 400 && !health) accepted.insert(secret);
    }
  }
  const auto placeholder = [&](const std::string& secret) {
    if (accepted.contains(secret)) return std::string("<api-key>");
    auto found = std::find(rejected.begin(), rejected.end(), secret);
    if (found == rejected.end()) found = rejected.insert(rejected.end(), secret);
    return "<rejected-key-" + std::to_string(found - rejected.begin() + 1) + ">";
  };
  for (RecordedExchange& exchange : cassette.exchanges) {
    for (auto& [name, value] : exchange.request_headers) {
      if (!support::IsSecretHeader(name)) continue;
      const std::string secret = SecretOf(value);
      if (!secret.empty())
        value = value.substr(0, value.size() - secret.size()) + placeholder(secret);
    }
    if (exchange.request_body)
      exchange.request_body = support::RedactTokens(*exchange.request_body);
    exchange.response_body = support::RedactTokens(exchange.response_body);
    for (RecordedChunk& chunk : exchange.chunks) chunk.text = support::RedactTokens(chunk.text);
  }
  return cassette;
}

RecordingProxy::RecordingProxy(RecorderOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}
RecordingProxy::~RecordingProxy() = default;
std::string RecordingProxy::url() const { return impl_->url(); }
int RecordingProxy::port() const { return impl_->port(); }
Cassette RecordingProxy::cassette() const { return impl_->cassette(); }
std::size_t RecordingProxy::recorded() const { return impl_->recorded(); }
void RecordingProxy::Stop() { impl_->Stop(); }

void RecordingProxy::Save(const std::filesystem::path& path) const {
  const std::string text = ToJsonLines(cassette());
  std::filesystem::path temporary = path;
  temporary += ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) throw ConfigError("cannot write the cassette", {}, temporary.string());
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) throw ConfigError("cannot write the cassette: " + error.message(), {}, path.string());
}

}  // namespace provkit::mock
