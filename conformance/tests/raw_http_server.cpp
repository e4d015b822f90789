// RawHttpServer: accept loop, one thread per connection, bounded request reading, normal answers.
#include "raw_http_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace provkit::conformance::testing {
namespace {

constexpr std::size_t kMaxRequestHead = 64 * 1024;
constexpr std::size_t kMaxRequestBody = 8 * 1024 * 1024;

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

/// Waits for readable data on `fd` in 100 ms steps; false once stopping or on error.
bool WaitReadable(int fd, const std::atomic<bool>& stopping) {
  while (!stopping.load()) {
    pollfd descriptor{.fd = fd, .events = POLLIN, .revents = 0};
    const int ready = ::poll(&descriptor, 1, 100);
    if (ready > 0) return true;
    if (ready < 0 && errno != EINTR) return false;
  }
  return false;
}

/// Reads one request from `fd` into `request`, keeping extra bytes in `buffer`.
bool ReadRequest(int fd, std::string& buffer, const std::atomic<bool>& stopping,
                 RawRequest& request) {
  char chunk[16384];
  std::size_t head_end;
  while ((head_end = buffer.find("\r\n\r\n")) == std::string::npos) {
    if (buffer.size() > kMaxRequestHead || !WaitReadable(fd, stopping)) return false;
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer.append(chunk, static_cast<std::size_t>(n));
  }
  const std::string head = buffer.substr(0, head_end);
  buffer.erase(0, head_end + 4);
  const std::size_t line_end = head.find("\r\n");
  const std::string line = head.substr(0, line_end);
  const std::size_t space = line.find(' ');
  const std::size_t second = line.find(' ', space + 1);
  if (space == std::string::npos || second == std::string::npos) return false;
  request = RawRequest{};
  request.method = line.substr(0, space);
  request.path = line.substr(space + 1, second - space - 1);
  std::size_t length = 0;
  std::size_t start = line_end == std::string::npos ? head.size() : line_end + 2;
  while (start < head.size()) {
    std::size_t end = head.find("\r\n", start);
    if (end == std::string::npos) end = head.size();
    const std::string field = head.substr(start, end - start);
    start = end + 2;
    const std::size_t colon = field.find(':');
    if (colon == std::string::npos) continue;
    std::string value = field.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    request.headers.emplace_back(Lower(field.substr(0, colon)), value);
    if (request.headers.back().first == "content-length") {
      length = static_cast<std::size_t>(std::strtoull(value.c_str(), nullptr, 10));
    }
  }
  if (length > kMaxRequestBody) return false;
  while (buffer.size() < length) {
    if (!WaitReadable(fd, stopping)) return false;
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer.append(chunk, static_cast<std::size_t>(n));
  }
  request.body = buffer.substr(0, length);
  buffer.erase(0, length);
  return true;
}

}  // namespace

bool RawConnection::Send(std::string_view bytes) {
  while (!bytes.empty()) {
    if (stopping_.load()) return false;
    pollfd descriptor{.fd = fd_, .events = POLLOUT, .revents = 0};
    const int ready = ::poll(&descriptor, 1, 100);
    if (ready < 0 && errno != EINTR) return false;
    if (ready <= 0) continue;
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
    sent_ += static_cast<std::size_t>(n);
  }
  return true;
}

bool RawConnection::Pause(std::chrono::milliseconds time) {
  std::unique_lock lock(mutex_);
  return !wake_.wait_for(lock, time, [&] { return stopping_.load(); });
}

RawHttpServer::RawHttpServer(RawHandler handler) : handler_(std::move(handler)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw std::runtime_error("socket failed");
  const int on = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listen_fd_, 64) != 0) {
    ::close(listen_fd_);
    throw std::runtime_error("bind or listen failed");
  }
  socklen_t size = sizeof address;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &size);
  port_ = ntohs(address.sin_port);
  acceptor_ = std::thread([this] { Accept(); });
}

RawHttpServer::~RawHttpServer() { Stop(); }

std::string RawHttpServer::base_url() const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/v1";
}

void RawHttpServer::Stop() {
  if (stopping_.exchange(true)) return;
  {
    std::lock_guard lock(mutex_);
    wake_.notify_all();
  }
  if (acceptor_.joinable()) acceptor_.join();
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mutex_);
    for (const int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
    threads.swap(threads_);
  }
  for (std::thread& thread : threads) thread.join();
  ::close(listen_fd_);
}

void RawHttpServer::Accept() {
  while (WaitReadable(listen_fd_, stopping_)) {
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    const int on = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    ++connections_;
    std::lock_guard lock(mutex_);
    open_fds_.push_back(fd);
    threads_.emplace_back([this, fd] { Serve(fd); });
  }
}

void RawHttpServer::Serve(int fd) {
  RawConnection connection(fd, stopping_, mutex_, wake_);
  std::string buffer;
  RawRequest request;
  while (ReadRequest(fd, buffer, stopping_, request)) {
    if (!handler_(connection, request)) break;
  }
  std::lock_guard lock(mutex_);
  open_fds_.erase(std::remove(open_fds_.begin(), open_fds_.end(), fd), open_fds_.end());
  ::close(fd);
}

std::string Answer(std::string_view status, std::string_view content_type, std::string_view body) {
  return "HTTP/1.1 " + std::string(status) + "\r\nContent-Type: " + std::string(content_type) +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

bool AnswerNormally(RawConnection& connection, const RawRequest& request) {
  using nlohmann::json;
  const auto error = [](std::string_view status, const std::string& message) {
    return Answer(
        status, "application/json",
        json{{"error", {{"message", message}, {"type", "invalid_request_error"}}}}.dump());
  };
  if (request.path == "/health") {
    return connection.Send(Answer("200 OK", "application/json", R"({"status":"ok"})"));
  }
  if (request.path == "/v1/models") {
    return connection.Send(Answer(
        "200 OK", "application/json",
        R"({"object":"list","data":[{"id":"m1","object":"model","created":1,"owned_by":"t"}]})"));
  }
  if (request.path != "/v1/chat/completions" || request.method != "POST") {
    return connection.Send(error("404 Not Found", "no route for " + request.path));
  }
  const json body = json::parse(request.body, nullptr, false);
  if (!body.is_object()) return connection.Send(error("400 Bad Request", "the body is not JSON"));
  if (!body.contains("messages")) {
    return connection.Send(error("400 Bad Request", "'messages' is required"));
  }
  const std::string model = body.value("model", "");
  if (model != "m1") {
    return connection.Send(error("404 Not Found", "model '" + model + "' not found"));
  }
  if (!body.value("stream", false)) {
    return connection.Send(Answer(
        "200 OK", "application/json",
        R"({"id":"c1","object":"chat.completion","created":1,"model":"m1","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}})"));
  }
  const std::string chunk =
      R"({"id":"c1","object":"chat.completion.chunk","created":1,"model":"m1","choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}]})";
  const std::string usage =
      R"({"id":"c1","object":"chat.completion.chunk","created":1,"model":"m1","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}})";
  const std::string events = "data: " + chunk + "\n\ndata: " + usage + "\n\ndata: [DONE]\n\n";
  return connection.Send("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: " +
                         std::to_string(events.size()) + "\r\n\r\n" + events);
}

}  // namespace provkit::conformance::testing
