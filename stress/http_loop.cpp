// HttpLoop: one thread, epoll, many non-blocking loopback HTTP/1.1 client connections at once.
#include "http_loop.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <system_error>

namespace provkit::stress {
namespace {

constexpr std::size_t kReadBlock = 64 * 1024;
constexpr std::size_t kMaxSseLine = 1024 * 1024;

std::string Lower(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool ContainsToken(std::string_view value, std::string_view lower_token) {
  return Lower(value).find(lower_token) != std::string::npos;
}

std::string ErrnoText(int error) { return std::strerror(error); }

}  // namespace

std::string_view FailureName(HttpFailure failure) {
  switch (failure) {
    case HttpFailure::kConnect:
      return "connect";
    case HttpFailure::kTimeout:
      return "timeout";
    case HttpFailure::kClosed:
      return "closed";
    case HttpFailure::kProtocol:
      return "protocol";
  }
  return "unknown";
}

const std::string* HttpResponse::Header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return &value;
  }
  return nullptr;
}

struct HttpLoop::Connection {
  enum class Body { kNone, kLength, kChunkSize, kChunkData, kChunkDataEnd, kTrailer, kUntilClose };

  int fd = -1;
  bool connected = false;
  bool awaiting = false;
  bool in_head = true;  // While awaiting: the status line and headers are not whole yet.
  bool sse = false;
  std::uint64_t request_serial = 0;  // Tells a request's timeout timer whether it is still due.
  std::string out;
  std::size_t out_sent = 0;
  std::string in;
  Body body = Body::kNone;
  std::size_t remaining = 0;
  std::string sse_line;
  HttpResponse response;
};

HttpLoop::HttpLoop(HttpHandler& handler, std::string host, int port)
    : handler_(handler), host_(std::move(host)), port_(port) {
  epoll_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_ < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
}

HttpLoop::~HttpLoop() {
  for (Connection& connection : connections_) {
    if (connection.fd >= 0) ::close(connection.fd);
  }
  ::close(epoll_);
}

int HttpLoop::Connect() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "socket");
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port_));
  if (::inet_pton(AF_INET, host_.c_str(), &address.sin_addr) != 1) {
    ::close(fd);
    throw std::invalid_argument("not an IPv4 address: " + host_);
  }
  const int id = static_cast<int>(connections_.size());
  connections_.emplace_back();
  Connection& connection = connections_.back();
  connection.fd = fd;
  ++open_;
  epoll_event event{};
  event.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  event.data.u64 = static_cast<std::uint64_t>(id);
  if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &event) != 0) {
    const int error = errno;
    Close(id);
    throw std::system_error(error, std::generic_category(), "epoll_ctl");
  }
  const int result = ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address);
  if (result == 0) {
    connection.connected = true;
    // Reported from the loop, so that the handler never sees a call inside Connect().
    At(Clock::now(), [this, id] {
      if (open(id)) handler_.OnConnected(id, Clock::now());
    });
  } else if (errno != EINPROGRESS) {
    const std::string why = "connect: " + ErrnoText(errno);
    At(Clock::now(), [this, id, why] {
      if (open(id)) Fail(id, HttpFailure::kConnect, why, Clock::now());
    });
  }
  return id;
}

void HttpLoop::Request(int id, std::string bytes, std::chrono::milliseconds timeout) {
  Connection& connection = connections_.at(static_cast<std::size_t>(id));
  if (connection.awaiting) throw std::logic_error("HttpLoop::Request while an answer is awaited");
  if (connection.fd < 0) {
    const std::string why = "the connection is closed";
    At(Clock::now(),
       [this, id, why] { handler_.OnFailure(id, HttpFailure::kClosed, why, Clock::now()); });
    return;
  }
  connection.awaiting = true;
  connection.in_head = true;
  connection.sse = false;
  connection.sse_line.clear();
  connection.body = Connection::Body::kNone;
  connection.response = HttpResponse{};
  const std::uint64_t serial = ++connection.request_serial;
  At(Clock::now() + timeout, [this, id, serial, timeout] {
    const Connection& due = connections_[static_cast<std::size_t>(id)];
    if (due.fd < 0 || !due.awaiting || due.request_serial != serial) return;
    Fail(id, HttpFailure::kTimeout,
         "no whole answer within " + std::to_string(timeout.count()) + " ms" +
             (due.connected ? "" : " (not even connected)"),
         Clock::now());
  });
  if (!bytes.empty()) {
    connection.out.append(bytes);
    if (connection.connected) Flush(id);
  }
  // Bytes that came before the request (an answer the server sent by itself) are read now.
  if (open(id) && !connections_[static_cast<std::size_t>(id)].in.empty()) Parse(id, Clock::now());
}

void HttpLoop::Write(int id, std::string_view bytes) {
  Connection& connection = connections_.at(static_cast<std::size_t>(id));
  if (connection.fd < 0) return;
  connection.out.append(bytes);
  if (connection.connected) Flush(id);
}

void HttpLoop::Close(int id) {
  Connection& connection = connections_.at(static_cast<std::size_t>(id));
  if (connection.fd < 0) return;
  ::epoll_ctl(epoll_, EPOLL_CTL_DEL, connection.fd, nullptr);
  ::close(connection.fd);
  connection.fd = -1;
  connection.awaiting = false;
  connection.out.clear();
  connection.in.clear();
  --open_;
}

bool HttpLoop::open(int id) const { return connections_.at(static_cast<std::size_t>(id)).fd >= 0; }

bool HttpLoop::awaiting(int id) const {
  return connections_.at(static_cast<std::size_t>(id)).awaiting;
}

void HttpLoop::At(Clock::time_point when, std::function<void()> action) {
  timers_.push(Timer{when, timer_order_++, std::move(action)});
}

bool HttpLoop::Run(Clock::time_point deadline, const std::function<bool()>& done) {
  std::array<epoll_event, 512> events{};
  for (;;) {
    Clock::time_point now = Clock::now();
    RunTimers(now);
    if (done()) return true;
    now = Clock::now();
    if (now >= deadline) return false;
    Clock::time_point wake = deadline;
    if (!timers_.empty()) wake = std::min(wake, timers_.top().when);
    const auto wait = std::chrono::ceil<std::chrono::milliseconds>(wake - now);
    const int timeout_ms =
        static_cast<int>(std::clamp<std::chrono::milliseconds::rep>(wait.count(), 0, 50));
    const int count =
        ::epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), timeout_ms);
    if (count < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "epoll_wait");
    }
    for (int i = 0; i < count; ++i)
      OnReady(static_cast<int>(events[static_cast<std::size_t>(i)].data.u64),
              events[static_cast<std::size_t>(i)].events);
  }
}

void HttpLoop::RunTimers(Clock::time_point now) {
  while (!timers_.empty() && timers_.top().when <= now) {
    std::function<void()> action = std::move(const_cast<Timer&>(timers_.top()).action);
    timers_.pop();
    action();
  }
}

void HttpLoop::OnReady(int id, std::uint32_t events) {
  Connection& connection = connections_[static_cast<std::size_t>(id)];
  if (connection.fd < 0) return;
  if (!connection.connected) {
    if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) == 0) return;
    int error = 0;
    socklen_t size = sizeof error;
    ::getsockopt(connection.fd, SOL_SOCKET, SO_ERROR, &error, &size);
    if (error != 0 || (events & EPOLLERR) != 0) {
      Fail(id, HttpFailure::kConnect, "connect: " + ErrnoText(error != 0 ? error : ECONNREFUSED),
           Clock::now());
      return;
    }
    connection.connected = true;
    handler_.OnConnected(id, Clock::now());
    if (!open(id)) return;
  }
  if ((events & EPOLLOUT) != 0) Flush(id);
  if (!open(id)) return;
  if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) ReadAll(id);
}

void HttpLoop::Flush(int id) {
  Connection& connection = connections_[static_cast<std::size_t>(id)];
  while (connection.out_sent < connection.out.size()) {
    const ssize_t sent = ::send(connection.fd, connection.out.data() + connection.out_sent,
                                connection.out.size() - connection.out_sent, MSG_NOSIGNAL);
    if (sent > 0) {
      connection.out_sent += static_cast<std::size_t>(sent);
      continue;
    }
    if (sent < 0 && errno == EINTR) continue;
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;  // EPOLLOUT comes later.
    const int error = errno;
    // The server may have answered and closed: read what it sent before judging.
    ReadAll(id);
    if (open(id)) PeerClosed(id, "write: " + ErrnoText(error), Clock::now());
    return;
  }
  connection.out.clear();
  connection.out_sent = 0;
}

void HttpLoop::ReadAll(int id) {
  std::array<char, kReadBlock> block;
  for (;;) {
    Connection& connection = connections_[static_cast<std::size_t>(id)];
    const ssize_t got = ::recv(connection.fd, block.data(), block.size(), 0);
    const Clock::time_point at = Clock::now();
    if (got > 0) {
      if (connection.in.size() + static_cast<std::size_t>(got) > kMaxHeadBytes + kMaxBodyBytes) {
        Fail(id, HttpFailure::kProtocol, "more than the client's bounds buffered", at);
        return;
      }
      connection.in.append(block.data(), static_cast<std::size_t>(got));
      if (connection.awaiting && !Parse(id, at)) return;
      continue;
    }
    if (got < 0 && errno == EINTR) continue;
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    PeerClosed(id, got == 0 ? std::string("end of stream") : "read: " + ErrnoText(errno), at);
    return;
  }
}

void HttpLoop::PeerClosed(int id, std::string why, Clock::time_point at) {
  Connection& connection = connections_[static_cast<std::size_t>(id)];
  if (connection.awaiting && !connection.in_head &&
      connection.body == Connection::Body::kUntilClose) {
    Complete(id, at);
    if (!open(id)) return;
  }
  if (connection.awaiting) {
    const std::size_t got = connection.in.size() + connection.response.body.size();
    Fail(id, HttpFailure::kClosed,
         "the server closed the connection (" + why + ") " +
             (got == 0 && connection.in_head
                  ? std::string("before answering")
                  : "after " + std::to_string(got) + " bytes of the answer"),
         at);
    return;
  }
  Close(id);
  handler_.OnClosed(id, at);
}

bool HttpLoop::Parse(int id, Clock::time_point at) {
  for (;;) {
    Connection& connection = connections_[static_cast<std::size_t>(id)];
    if (connection.fd < 0) return false;
    if (!connection.awaiting) return true;
    if (connection.in_head) {
      if (connection.response.first_byte == Clock::time_point{} && !connection.in.empty())
        connection.response.first_byte = at;
      const std::size_t end = connection.in.find("\r\n\r\n");
      if (end == std::string::npos) {
        if (connection.in.size() > kMaxHeadBytes) {
          Fail(id, HttpFailure::kProtocol, "answer head over 64 KiB", at);
          return false;
        }
        return true;
      }
      const std::string_view head(connection.in.data(), end);
      std::size_t line_end = head.find("\r\n");
      const std::string_view status_line = head.substr(0, line_end);
      // "HTTP/1.1 200 OK"
      if (status_line.size() < 12 || status_line.substr(0, 7) != "HTTP/1." ||
          status_line[8] != ' ') {
        Fail(id, HttpFailure::kProtocol,
             "not an HTTP/1.x status line: '" + std::string(status_line.substr(0, 80)) + "'", at);
        return false;
      }
      int status = 0;
      const auto [ptr, error] =
          std::from_chars(status_line.data() + 9, status_line.data() + 12, status);
      if (error != std::errc() || ptr != status_line.data() + 12 || status < 100 || status > 599) {
        Fail(id, HttpFailure::kProtocol,
             "bad status code in '" + std::string(status_line.substr(0, 80)) + "'", at);
        return false;
      }
      connection.response.status = status;
      std::optional<std::size_t> length;
      bool chunked = false;
      while (line_end != std::string_view::npos) {
        const std::size_t start = line_end + 2;
        line_end = head.find("\r\n", start);
        const std::string_view line = head.substr(
            start, line_end == std::string_view::npos ? std::string_view::npos : line_end - start);
        const std::size_t colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0) {
          Fail(id, HttpFailure::kProtocol,
               "header line without a name: '" + std::string(line.substr(0, 80)) + "'", at);
          return false;
        }
        std::string name = Lower(line.substr(0, colon));
        const std::string_view value = Trim(line.substr(colon + 1));
        if (name == "content-length") {
          std::size_t parsed = 0;
          const auto [end_ptr, bad] =
              std::from_chars(value.data(), value.data() + value.size(), parsed);
          if (bad != std::errc() || end_ptr != value.data() + value.size() ||
              parsed > kMaxBodyBytes) {
            Fail(id, HttpFailure::kProtocol, "bad Content-Length '" + std::string(value) + "'", at);
            return false;
          }
          length = parsed;
        } else if (name == "transfer-encoding") {
          chunked = ContainsToken(value, "chunked");
        } else if (name == "content-type") {
          connection.sse = ContainsToken(value, "text/event-stream");
        }
        connection.response.headers.emplace_back(std::move(name), std::string(value));
      }
      connection.in.erase(0, end + 4);
      connection.in_head = false;
      if (chunked) {
        connection.body = Connection::Body::kChunkSize;
      } else if (length) {
        connection.body = *length == 0 ? Connection::Body::kNone : Connection::Body::kLength;
        connection.remaining = *length;
      } else if (status == 204 || status == 304 || status < 200) {
        connection.body = Connection::Body::kNone;
      } else {
        connection.body = Connection::Body::kUntilClose;
      }
      if (connection.body == Connection::Body::kNone) {
        Complete(id, at);
        continue;
      }
    }
    // The body.
    switch (connection.body) {
      case Connection::Body::kNone:
        Complete(id, at);
        continue;
      case Connection::Body::kUntilClose:
        FeedBody(connection, id, connection.in, at);
        connection.in.clear();
        if (connection.response.body.size() > kMaxBodyBytes) {
          Fail(id, HttpFailure::kProtocol, "answer body over 16 MiB", at);
          return false;
        }
        return true;
      case Connection::Body::kLength: {
        const std::size_t take = std::min(connection.remaining, connection.in.size());
        FeedBody(connection, id, std::string_view(connection.in).substr(0, take), at);
        connection.in.erase(0, take);
        connection.remaining -= take;
        if (connection.remaining > 0) return true;
        Complete(id, at);
        continue;
      }
      case Connection::Body::kChunkSize: {
        const std::size_t end = connection.in.find("\r\n");
        if (end == std::string::npos) {
          if (connection.in.size() > 1024) {
            Fail(id, HttpFailure::kProtocol, "chunk size line over 1 KiB", at);
            return false;
          }
          return true;
        }
        std::string_view line(connection.in.data(), end);
        line = line.substr(0, line.find(';'));
        line = Trim(line);
        std::size_t size = 0;
        const auto [end_ptr, bad] =
            std::from_chars(line.data(), line.data() + line.size(), size, 16);
        if (line.empty() || bad != std::errc() || end_ptr != line.data() + line.size() ||
            size > kMaxBodyBytes || connection.response.body.size() + size > kMaxBodyBytes) {
          Fail(id, HttpFailure::kProtocol,
               "bad chunk size line '" + std::string(line.substr(0, 40)) + "'", at);
          return false;
        }
        connection.in.erase(0, end + 2);
        connection.remaining = size;
        connection.body = size == 0 ? Connection::Body::kTrailer : Connection::Body::kChunkData;
        continue;
      }
      case Connection::Body::kChunkData: {
        const std::size_t take = std::min(connection.remaining, connection.in.size());
        FeedBody(connection, id, std::string_view(connection.in).substr(0, take), at);
        connection.in.erase(0, take);
        connection.remaining -= take;
        if (connection.remaining > 0) return true;
        connection.body = Connection::Body::kChunkDataEnd;
        continue;
      }
      case Connection::Body::kChunkDataEnd:
        if (connection.in.size() < 2) return true;
        if (connection.in.compare(0, 2, "\r\n") != 0) {
          Fail(id, HttpFailure::kProtocol, "chunk data not followed by CRLF", at);
          return false;
        }
        connection.in.erase(0, 2);
        connection.body = Connection::Body::kChunkSize;
        continue;
      case Connection::Body::kTrailer: {
        // Trailer lines, then an empty line.
        const std::size_t end = connection.in.find("\r\n");
        if (end == std::string::npos) {
          if (connection.in.size() > kMaxHeadBytes) {
            Fail(id, HttpFailure::kProtocol, "trailer over 64 KiB", at);
            return false;
          }
          return true;
        }
        connection.in.erase(0, end + 2);
        if (end == 0) {
          Complete(id, at);
        }
        continue;
      }
    }
  }
}

void HttpLoop::FeedBody(Connection& connection, int id, std::string_view bytes,
                        Clock::time_point at) {
  connection.response.body.append(bytes);
  if (!connection.sse) return;
  while (!bytes.empty()) {
    const std::size_t end = bytes.find('\n');
    if (end == std::string_view::npos) {
      if (connection.sse_line.size() + bytes.size() <= kMaxSseLine)
        connection.sse_line.append(bytes);
      return;
    }
    connection.sse_line.append(bytes.substr(0, end));
    bytes.remove_prefix(end + 1);
    std::string_view line = connection.sse_line;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.substr(0, 5) == "data:") {
      line.remove_prefix(5);
      if (!line.empty() && line.front() == ' ') line.remove_prefix(1);
      handler_.OnEvent(id, line, at);
    }
    connection.sse_line.clear();
  }
}

void HttpLoop::Complete(int id, Clock::time_point at) {
  Connection& connection = connections_[static_cast<std::size_t>(id)];
  connection.awaiting = false;
  connection.body = Connection::Body::kNone;
  connection.response.done = at;
  HttpResponse response = std::move(connection.response);
  connection.response = HttpResponse{};
  // A server that said Connection: close then ends the stream; ReadAll reports it as OnClosed.
  handler_.OnResponse(id, std::move(response));
}

void HttpLoop::Fail(int id, HttpFailure failure, std::string why, Clock::time_point at) {
  Close(id);
  handler_.OnFailure(id, failure, std::move(why), at);
}

}  // namespace provkit::stress
