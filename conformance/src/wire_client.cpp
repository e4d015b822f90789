// WireClient: raw HTTP/1.1 over one socket with a deadline per exchange, size caps and strict
// framing.
#include "wire_client.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>

#include "provkit/support/utf8.hpp"

namespace provkit::conformance::wire {
namespace {

constexpr std::size_t kReadChunk = 16 * 1024;
constexpr std::size_t kStreamExcerptBytes = 64 * 1024;
constexpr int kMaxInterimAnswers = 8;

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view TrimSpace(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsTokenChar(unsigned char c) {
  if (std::isalnum(c) != 0) return true;
  return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != 0;
}

unsigned DecodeUtf8(std::string_view text, std::size_t length) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  if (length == 2) return ((byte(0) & 0x1Fu) << 6) | (byte(1) & 0x3Fu);
  if (length == 3) return ((byte(0) & 0x0Fu) << 12) | ((byte(1) & 0x3Fu) << 6) | (byte(2) & 0x3Fu);
  return ((byte(0) & 0x07u) << 18) | ((byte(1) & 0x3Fu) << 12) | ((byte(2) & 0x3Fu) << 6) |
         (byte(3) & 0x3Fu);
}

bool IsHiddenFormatting(unsigned code_point) {
  return (code_point >= 0x80 && code_point <= 0x9F) ||      // C1 controls (CSI, OSC, ST...)
         (code_point >= 0x202A && code_point <= 0x202E) ||  // bidirectional embeddings
         (code_point >= 0x2066 && code_point <= 0x2069) ||  // bidirectional isolates
         code_point == 0x2028 || code_point == 0x2029;      // line and paragraph separators
}

std::string Hex(unsigned char c) {
  char text[8];
  std::snprintf(text, sizeof text, "\\x%02x", c);
  return text;
}

/// Parses a decimal Content-Length value: digits only, no sign, no overflow.
std::optional<std::uint64_t> ParseLength(std::string_view text) {
  text = TrimSpace(text);
  if (text.empty() || text.size() > 18) return std::nullopt;
  std::uint64_t value = 0;
  for (const char c : text) {
    if (!IsDigit(c)) return std::nullopt;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return value;
}

std::string Quoted(std::string_view text, std::size_t limit = 80) {
  return "\"" + Printable(text, limit) + "\"";
}

}  // namespace

std::string_view WireProblemName(WireProblem problem) noexcept {
  switch (problem) {
    case WireProblem::kNone:
      return "none";
    case WireProblem::kResolve:
      return "resolve";
    case WireProblem::kConnect:
      return "connect";
    case WireProblem::kSend:
      return "send";
    case WireProblem::kTimeout:
      return "timeout";
    case WireProblem::kClosed:
      return "closed";
    case WireProblem::kNotHttp:
      return "not-http";
    case WireProblem::kHeadersTooLarge:
      return "headers-too-large";
    case WireProblem::kMalformedHeader:
      return "malformed-header";
    case WireProblem::kBadContentLength:
      return "bad-content-length";
    case WireProblem::kBadChunk:
      return "bad-chunk";
    case WireProblem::kBadTransferEncoding:
      return "bad-transfer-encoding";
    case WireProblem::kBodyTooLarge:
      return "body-too-large";
    case WireProblem::kStreamTooLong:
      return "stream-too-long";
    case WireProblem::kRedirect:
      return "redirect";
    case WireProblem::kUnrequestedEncoding:
      return "unrequested-encoding";
  }
  return "unknown";
}

std::string Printable(std::string_view text, std::size_t limit) {
  std::string out;
  out.reserve(std::min(text.size(), limit) + 16);
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t length = 1;
    std::string piece;
    if (c < 0x80) {
      if (c == '\n') {
        piece = "\\n";
      } else if (c == '\r') {
        piece = "\\r";
      } else if (c == '\t') {
        piece = "\\t";
      } else if (c < 0x20 || c == 0x7F) {
        piece = Hex(c);
      } else {
        piece.assign(1, static_cast<char>(c));
      }
    } else {
      length = support::Utf8SequenceLength(text.substr(i));
      if (length == 0) {
        piece = Hex(c);
        length = 1;
      } else if (const unsigned code_point = DecodeUtf8(text.substr(i), length);
                 IsHiddenFormatting(code_point)) {
        char escaped[16];
        std::snprintf(escaped, sizeof escaped, "\\u{%04x}", code_point);
        piece = escaped;
      } else {
        piece.assign(text.substr(i, length));
      }
    }
    if (out.size() + piece.size() > limit) {
      out += "... (" + std::to_string(text.size()) + " bytes)";
      return out;
    }
    out += piece;
    i += length;
  }
  return out;
}

std::string FormatDuration(double milliseconds) {
  char text[32];
  if (milliseconds >= 995) {
    const long long tenths = std::llround(milliseconds / 100);
    if (tenths % 10 == 0) {
      std::snprintf(text, sizeof text, "%lld s", tenths / 10);
    } else {
      std::snprintf(text, sizeof text, "%lld.%lld s", tenths / 10, tenths % 10);
    }
  } else {
    std::snprintf(text, sizeof text, "%.1f ms", milliseconds);
  }
  return text;
}

std::string FormatBytes(std::size_t bytes) {
  constexpr std::size_t kMiB = 1024 * 1024;
  if (bytes >= kMiB && bytes % kMiB == 0) return std::to_string(bytes / kMiB) + " MiB";
  if (bytes >= 1024 && bytes % 1024 == 0) return std::to_string(bytes / 1024) + " KiB";
  return std::to_string(bytes) + " bytes";
}

const std::string* WireAnswer::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return &value;
  }
  return nullptr;
}

std::string WireAnswer::MediaType() const {
  const std::string* value = Header("content-type");
  if (value == nullptr) return {};
  return Lower(TrimSpace(std::string_view(*value).substr(0, value->find(';'))));
}

/// Reads from the socket into the client's pending buffer within a deadline.
/// Every byte is scanned once: lines are searched from where the last search
/// stopped, and consumed bytes are dropped in bulk.
class WireClient::Reader {
 public:
  enum class Status { kOk, kEof, kTimeout, kError, kTooLong };

  Reader(int fd, std::string& buffer, Clock::time_point deadline)
      : fd_(fd), buffer_(buffer), deadline_(deadline) {}

  std::size_t received() const { return received_; }
  int last_errno() const { return errno_; }
  Clock::time_point deadline() const { return deadline_; }

  /// One line without its "\n" or "\r\n". kTooLong once `max` bytes hold no newline.
  Status ReadLine(std::size_t max, std::string& line) {
    std::size_t scanned = 0;  // bytes after pos_ known to hold no newline
    while (true) {
      const std::size_t newline = buffer_.find('\n', pos_ + scanned);
      if (newline != std::string::npos) {
        if (newline - pos_ + 1 > max) return Status::kTooLong;
        line.assign(buffer_, pos_, newline - pos_);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        pos_ = newline + 1;
        return Status::kOk;
      }
      scanned = buffer_.size() - pos_;
      if (scanned > max) return Status::kTooLong;
      if (const Status status = Fill(); status != Status::kOk) return status;
    }
  }

  /// Hands exactly `count` bytes to `sink` (fewer when it returns false).
  Status ReadExactly(std::uint64_t count, const std::function<bool(std::string_view)>& sink) {
    while (count > 0) {
      if (pos_ == buffer_.size()) {
        if (const Status status = Fill(); status != Status::kOk) return status;
      }
      const std::size_t take =
          static_cast<std::size_t>(std::min<std::uint64_t>(count, buffer_.size() - pos_));
      const std::string_view piece(buffer_.data() + pos_, take);
      pos_ += take;
      count -= take;
      if (!sink(piece)) return Status::kOk;
    }
    return Status::kOk;
  }

  /// Hands every byte to `sink` until the peer closes (kEof is success here).
  Status ReadToEnd(const std::function<bool(std::string_view)>& sink) {
    while (true) {
      if (pos_ < buffer_.size()) {
        const std::string_view piece(buffer_.data() + pos_, buffer_.size() - pos_);
        pos_ = buffer_.size();
        if (!sink(piece)) return Status::kOk;
      }
      const Status status = Fill();
      if (status == Status::kEof) return Status::kOk;
      if (status != Status::kOk) return status;
    }
  }

  /// Drops the consumed bytes, keeping what belongs to the next answer.
  void Finish() {
    buffer_.erase(0, pos_);
    pos_ = 0;
  }

 private:
  Status Fill() {
    if (pos_ > 0 && (pos_ == buffer_.size() || pos_ >= kReadChunk * 4)) {
      buffer_.erase(0, pos_);
      pos_ = 0;
    }
    while (true) {
      const auto left = std::chrono::duration_cast<Millis>(deadline_ - Clock::now()).count();
      if (left <= 0) return Status::kTimeout;
      pollfd descriptor{.fd = fd_, .events = POLLIN, .revents = 0};
      const int ready = ::poll(&descriptor, 1, static_cast<int>(std::min<long long>(left, 1000)));
      if (ready < 0) {
        if (errno == EINTR) continue;
        errno_ = errno;
        return Status::kError;
      }
      if (ready == 0) continue;
      std::array<char, kReadChunk> chunk{};
      const ssize_t n = ::recv(fd_, chunk.data(), chunk.size(), 0);
      if (n > 0) {
        buffer_.append(chunk.data(), static_cast<std::size_t>(n));
        received_ += static_cast<std::size_t>(n);
        return Status::kOk;
      }
      if (n == 0) return Status::kEof;
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
      errno_ = errno;
      return Status::kError;
    }
  }

  int fd_;
  std::string& buffer_;
  std::size_t pos_ = 0;
  Clock::time_point deadline_;
  std::size_t received_ = 0;
  int errno_ = 0;
};

namespace {

/// Splits an event stream into the data of its events (WHATWG rules for the
/// parts that matter: data fields joined by newlines, comments skipped).
class EventStreamParser {
 public:
  explicit EventStreamParser(std::vector<std::string>& events) : events_(events) {}

  void Feed(std::string_view bytes) {
    while (!bytes.empty()) {
      const std::size_t newline = bytes.find('\n');
      if (newline == std::string_view::npos) {
        line_.append(bytes);
        return;
      }
      line_.append(bytes.substr(0, newline));
      bytes.remove_prefix(newline + 1);
      Line();
    }
  }

  void End() {
    if (!line_.empty()) Line();
    Dispatch();
  }

 private:
  void Line() {
    if (!line_.empty() && line_.back() == '\r') line_.pop_back();
    if (line_.empty()) {
      Dispatch();
    } else if (line_.front() != ':') {
      const std::size_t colon = line_.find(':');
      const std::string_view field = std::string_view(line_).substr(0, colon);
      std::string_view value;
      if (colon != std::string::npos) value = std::string_view(line_).substr(colon + 1);
      if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      if (field == "data") {
        if (has_data_) data_ += '\n';
        data_.append(value);
        has_data_ = true;
      }
    }
    line_.clear();
  }

  void Dispatch() {
    if (has_data_) events_.push_back(std::move(data_));
    data_.clear();
    has_data_ = false;
  }

  std::vector<std::string>& events_;
  std::string line_;
  std::string data_;
  bool has_data_ = false;
};

std::string Describe(int error) { return std::strerror(error); }

}  // namespace

WireClient::WireClient(std::string host, int port, std::string api_key, WireLimits limits,
                       std::optional<Clock::time_point> deadline_cap, int* connection_counter)
    : host_(std::move(host)),
      port_(port),
      api_key_(std::move(api_key)),
      limits_(limits),
      deadline_cap_(deadline_cap),
      connection_counter_(connection_counter) {}

WireClient::~WireClient() { Close(); }

void WireClient::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  pending_.clear();
}

std::optional<std::string> WireClient::Connect(Clock::time_point deadline, WireProblem& problem) {
  const std::string where = host_ + ":" + std::to_string(port_);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(port_);
  if (const int code = ::getaddrinfo(host_.c_str(), port.c_str(), &hints, &found); code != 0) {
    problem = WireProblem::kResolve;
    return "cannot resolve host " + Quoted(host_) + " (" + ::gai_strerror(code) + ")";
  }
  std::string failure = "cannot connect to " + Printable(where);
  for (addrinfo* address = found; address != nullptr; address = address->ai_next) {
    const int fd = ::socket(address->ai_family, address->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                            address->ai_protocol);
    if (fd < 0) continue;
    int error = 0;
    if (::connect(fd, address->ai_addr, address->ai_addrlen) != 0) {
      error = errno;
      if (error == EINPROGRESS) {
        error = ETIMEDOUT;
        while (true) {
          const auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now()).count();
          if (left <= 0) break;
          pollfd descriptor{.fd = fd, .events = POLLOUT, .revents = 0};
          const int ready =
              ::poll(&descriptor, 1, static_cast<int>(std::min<long long>(left, 1000)));
          if (ready < 0 && errno == EINTR) continue;
          if (ready < 0) {
            error = errno;
            break;
          }
          if (ready == 0) continue;
          socklen_t size = sizeof error;
          if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size) != 0) error = errno;
          break;
        }
      }
    }
    if (error == 0) {
      const int on = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
      fd_ = fd;
      ++connections_opened_;
      connection_ = connection_counter_ != nullptr ? ++*connection_counter_ : connections_opened_;
      pending_.clear();
      ::freeaddrinfo(found);
      return std::nullopt;
    }
    ::close(fd);
    if (error == ETIMEDOUT) {
      problem = WireProblem::kTimeout;
      failure = "no connection to " + Printable(where) + " within the deadline";
    } else {
      problem = WireProblem::kConnect;
      failure = "cannot connect to " + Printable(where) + " (" + Describe(error) + ")";
    }
  }
  ::freeaddrinfo(found);
  if (problem == WireProblem::kNone) problem = WireProblem::kConnect;
  return failure;
}

WireAnswer WireClient::Exchange(const WireRequest& request) {
  const Clock::time_point start = Clock::now();
  Clock::time_point deadline = start + limits_.exchange_timeout;
  if (deadline_cap_ && *deadline_cap_ < deadline) deadline = *deadline_cap_;
  const bool reused = fd_ >= 0;
  WireAnswer answer = Attempt(request, start, deadline);
  // A kept-alive connection the server closed while idle fails before any
  // byte of an answer: that is what every HTTP client retries once, on a new
  // connection. The new connection number shows the check what happened.
  if (reused && answer.status == 0 &&
      (answer.problem == WireProblem::kSend || answer.problem == WireProblem::kClosed)) {
    Close();
    answer = Attempt(request, start, deadline);
  }
  answer.elapsed_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  if (!answer.ok() || !answer.keep_alive) Close();
  return answer;
}

WireAnswer WireClient::Attempt(const WireRequest& request, Clock::time_point start,
                               Clock::time_point deadline) {
  WireAnswer answer;
  const auto total_ms = [&] {
    return FormatDuration(
        static_cast<double>(std::chrono::duration_cast<Millis>(deadline - start).count()));
  };
  auto fail = [&](WireProblem problem, std::string text) -> WireAnswer& {
    answer.problem = problem;
    answer.problem_text = std::move(text);
    answer.keep_alive = false;
    return answer;
  };
  if (Clock::now() >= deadline)
    return fail(WireProblem::kTimeout, "the time budget was spent before the request");
  if (fd_ < 0) {
    WireProblem problem = WireProblem::kNone;
    if (auto failure = Connect(deadline, problem)) return fail(problem, std::move(*failure));
  }
  answer.connection = connection_;

  std::string head = request.method + " " + request.path + " HTTP/1.1\r\nHost: " + host_ + ":" +
                     std::to_string(port_) + "\r\nUser-Agent: provkit-wire-check\r\nAccept: " +
                     (request.stream ? "text/event-stream" : "application/json") +
                     "\r\nAccept-Encoding: identity\r\nConnection: keep-alive\r\n";
  if (!api_key_.empty()) head += "Authorization: Bearer " + api_key_ + "\r\n";
  if (request.body) {
    head += "Content-Type: application/json\r\nContent-Length: " +
            std::to_string(request.body->size()) + "\r\n";
  }
  head += "\r\n";
  if (request.body) head += *request.body;
  std::size_t sent = 0;
  while (sent < head.size()) {
    const auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now()).count();
    if (left <= 0)
      return fail(WireProblem::kTimeout, "timed out after " + total_ms() + " sending the request");
    pollfd descriptor{.fd = fd_, .events = POLLOUT, .revents = 0};
    const int ready = ::poll(&descriptor, 1, static_cast<int>(std::min<long long>(left, 1000)));
    if (ready < 0 && errno != EINTR)
      return fail(WireProblem::kSend, "cannot send the request (" + Describe(errno) + ")");
    if (ready <= 0) continue;
    const ssize_t n = ::send(fd_, head.data() + sent, head.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
    if (n <= 0)
      return fail(WireProblem::kSend, "cannot send the request (" + Describe(errno) + ")");
    sent += static_cast<std::size_t>(n);
  }

  Reader reader(fd_, pending_, deadline);
  const auto read_failure = [&](Reader::Status status, std::string_view phase) -> WireAnswer& {
    const std::string got = " (" + std::to_string(reader.received()) + " bytes received)";
    switch (status) {
      case Reader::Status::kTimeout:
        return fail(WireProblem::kTimeout,
                    "timed out after " + total_ms() + " while reading " + std::string(phase) + got);
      case Reader::Status::kEof:
        return fail(WireProblem::kClosed,
                    reader.received() == 0 && answer.status == 0
                        ? "the connection closed before any answer"
                        : "the connection closed while reading " + std::string(phase) + got);
      case Reader::Status::kError:
        return fail(WireProblem::kClosed, "the connection failed while reading " +
                                              std::string(phase) + " (" +
                                              Describe(reader.last_errno()) + ")" + got);
      default:
        return fail(WireProblem::kHeadersTooLarge, "the answer's " + std::string(phase) +
                                                       " exceed " +
                                                       FormatBytes(limits_.max_header_bytes));
    }
  };

  // Status line and header block; interim 1xx answers are skipped.
  std::string line;
  for (int interim = 0;; ++interim) {
    answer.headers.clear();
    std::size_t used = 0;
    Reader::Status status = reader.ReadLine(limits_.max_header_bytes, line);
    if (status != Reader::Status::kOk) return read_failure(status, "the status line and headers");
    used += line.size() + 2;
    // HTTP/x.y SP 3DIGIT [SP reason]
    const bool shape = line.size() >= 12 && line.compare(0, 5, "HTTP/") == 0 && IsDigit(line[5]) &&
                       line[6] == '.' && IsDigit(line[7]) && line[8] == ' ' && IsDigit(line[9]) &&
                       IsDigit(line[10]) && IsDigit(line[11]) &&
                       (line.size() == 12 || line[12] == ' ') && line[9] != '0';
    if (!shape) {
      return fail(WireProblem::kNotHttp,
                  "not an HTTP answer: the first line is " + Quoted(line) +
                      " (expected \"HTTP/1.1 NNN reason\" with a 3-digit status)");
    }
    answer.version = line.substr(0, 8);
    answer.status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
    answer.reason = line.size() > 13 ? line.substr(13) : std::string();
    while (true) {
      status = reader.ReadLine(limits_.max_header_bytes - std::min(used, limits_.max_header_bytes),
                               line);
      if (status == Reader::Status::kTooLong) {
        return fail(WireProblem::kHeadersTooLarge,
                    "the header block exceeds " + FormatBytes(limits_.max_header_bytes));
      }
      if (status != Reader::Status::kOk) return read_failure(status, "the headers");
      used += line.size() + 2;
      if (line.empty()) break;
      const std::size_t colon = line.find(':');
      const bool named =
          colon != std::string::npos && colon > 0 &&
          std::all_of(line.begin(), line.begin() + static_cast<long>(colon),
                      [](char c) { return IsTokenChar(static_cast<unsigned char>(c)); });
      if (!named) {
        return fail(WireProblem::kMalformedHeader,
                    "a header line that is not \"Name: value\": " + Quoted(line));
      }
      answer.headers.emplace_back(Lower(std::string_view(line).substr(0, colon)),
                                  std::string(TrimSpace(std::string_view(line).substr(colon + 1))));
    }
    if (answer.status >= 200 || answer.status == 101) break;
    if (interim + 1 >= kMaxInterimAnswers) {
      return fail(WireProblem::kNotHttp, "more than " + std::to_string(kMaxInterimAnswers) +
                                             " interim 1xx answers and no final one");
    }
  }

  // Framing: Transfer-Encoding, Content-Length, Connection.
  bool chunked = false;
  std::optional<std::uint64_t> length;
  answer.keep_alive = answer.version == "HTTP/1.1";
  std::optional<std::string> encoding;
  for (const auto& [name, value] : answer.headers) {
    if (name == "transfer-encoding") {
      if (Lower(value) != "chunked") {
        return fail(WireProblem::kBadTransferEncoding,
                    "Transfer-Encoding " + Quoted(value) + " (only chunked is understood)");
      }
      chunked = true;
    } else if (name == "content-length") {
      std::string_view rest = value;
      while (true) {
        const std::size_t comma = rest.find(',');
        const std::optional<std::uint64_t> parsed = ParseLength(rest.substr(0, comma));
        if (!parsed) {
          return fail(WireProblem::kBadContentLength,
                      "Content-Length " + Quoted(value) + " is not a non-negative decimal number");
        }
        if (length && *length != *parsed) {
          return fail(WireProblem::kBadContentLength, "Content-Length values disagree (" +
                                                          std::to_string(*length) + " and " +
                                                          std::to_string(*parsed) + ")");
        }
        length = parsed;
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
      }
    } else if (name == "connection") {
      const std::string tokens = Lower(value);
      if (tokens.find("close") != std::string::npos) answer.keep_alive = false;
      if (tokens.find("keep-alive") != std::string::npos && answer.version == "HTTP/1.0")
        answer.keep_alive = true;
    } else if (name == "content-encoding") {
      if (Lower(value) != "identity") encoding = value;
    }
  }

  // The body, into a plain buffer or an event-stream parser.
  answer.event_stream = request.stream && answer.MediaType() == "text/event-stream";
  EventStreamParser parser(answer.events);
  const std::size_t cap = answer.event_stream ? limits_.max_stream_bytes : limits_.max_body_bytes;
  std::optional<std::pair<WireProblem, std::string>> overflow;
  const std::function<bool(std::string_view)> sink = [&](std::string_view piece) {
    if (answer.event_stream) {
      if (answer.stream_bytes + piece.size() > limits_.max_stream_bytes) {
        overflow = {WireProblem::kStreamTooLong,
                    "the event stream did not end within " + FormatBytes(limits_.max_stream_bytes) +
                        " (" + std::to_string(answer.events.size()) + " events read)"};
        return false;
      }
      answer.stream_bytes += piece.size();
      if (answer.body.size() < kStreamExcerptBytes) {
        answer.body.append(piece.substr(0, kStreamExcerptBytes - answer.body.size()));
      }
      parser.Feed(piece);
      if (answer.events.size() > limits_.max_stream_events) {
        answer.events.resize(limits_.max_stream_events);
        overflow = {WireProblem::kStreamTooLong, "the event stream did not end within " +
                                                     std::to_string(limits_.max_stream_events) +
                                                     " events"};
        return false;
      }
      return true;
    }
    if (answer.body.size() + piece.size() > limits_.max_body_bytes) {
      overflow = {WireProblem::kBodyTooLarge,
                  "the body exceeds " + FormatBytes(limits_.max_body_bytes)};
      return false;
    }
    answer.body.append(piece);
    return true;
  };
  const auto overflowed = [&]() -> WireAnswer& { return fail(overflow->first, overflow->second); };

  const bool no_body = request.method == "HEAD" || answer.status == 204 || answer.status == 304 ||
                       answer.status == 101;
  if (answer.status == 101) answer.keep_alive = false;
  if (no_body) {
    // nothing to read
  } else if (chunked) {
    while (true) {
      Reader::Status status = reader.ReadLine(limits_.max_chunk_line_bytes, line);
      if (status == Reader::Status::kTooLong) {
        return fail(WireProblem::kBadChunk,
                    "a chunk-size line longer than " + FormatBytes(limits_.max_chunk_line_bytes));
      }
      if (status != Reader::Status::kOk) return read_failure(status, "a chunked body");
      const std::string_view size_text =
          TrimSpace(std::string_view(line).substr(0, line.find(';')));
      std::uint64_t size = 0;
      std::size_t digits = 0;
      for (const char c : size_text) {
        const int value = HexValue(c);
        if (value < 0) {
          digits = 0;
          break;
        }
        if (size == 0 && value == 0) {
          ++digits;
          continue;
        }
        if (size > (std::uint64_t{1} << 56)) {
          return fail(WireProblem::kBadChunk,
                      "chunk size " + Quoted(size_text) + " is too large to be a size");
        }
        size = size * 16 + static_cast<std::uint64_t>(value);
        ++digits;
      }
      if (digits == 0) {
        return fail(WireProblem::kBadChunk,
                    "chunk size " + Quoted(size_text) + " is not a hexadecimal number");
      }
      if (size > cap) {
        return fail(WireProblem::kBodyTooLarge, "a chunk of " + std::to_string(size) +
                                                    " bytes exceeds the " + FormatBytes(cap) +
                                                    " limit");
      }
      if (size == 0) {
        std::size_t trailer = 0;
        do {
          status = reader.ReadLine(
              limits_.max_header_bytes - std::min(trailer, limits_.max_header_bytes), line);
          if (status == Reader::Status::kTooLong) {
            return fail(WireProblem::kHeadersTooLarge,
                        "the trailer block exceeds " + FormatBytes(limits_.max_header_bytes));
          }
          if (status != Reader::Status::kOk) return read_failure(status, "the trailers");
          trailer += line.size() + 2;
        } while (!line.empty());
        break;
      }
      status = reader.ReadExactly(size, sink);
      if (overflow) return overflowed();
      if (status != Reader::Status::kOk) return read_failure(status, "a chunked body");
      status = reader.ReadLine(2, line);
      if (status == Reader::Status::kTooLong || (status == Reader::Status::kOk && !line.empty())) {
        return fail(WireProblem::kBadChunk, "a chunk's data is longer than its size said");
      }
      if (status != Reader::Status::kOk) return read_failure(status, "a chunked body");
    }
  } else if (length) {
    if (*length > cap) {
      return fail(WireProblem::kBodyTooLarge, "Content-Length " + std::to_string(*length) +
                                                  " exceeds the " + FormatBytes(cap) + " limit");
    }
    const Reader::Status status = reader.ReadExactly(*length, sink);
    if (overflow) return overflowed();
    if (status != Reader::Status::kOk) return read_failure(status, "the body");
  } else {
    answer.keep_alive = false;
    const Reader::Status status = reader.ReadToEnd(sink);
    if (overflow) return overflowed();
    if (status != Reader::Status::kOk) return read_failure(status, "the body");
  }
  if (answer.event_stream) parser.End();
  if (answer.events.size() > limits_.max_stream_events) {
    answer.events.resize(limits_.max_stream_events);
    return fail(WireProblem::kStreamTooLong, "the event stream holds more than " +
                                                 std::to_string(limits_.max_stream_events) +
                                                 " events");
  }
  reader.Finish();

  // Answers that are complete but not usable as they are.
  const int s = answer.status;
  if (s == 301 || s == 302 || s == 303 || s == 307 || s == 308) {
    const std::string* location = answer.Header("location");
    answer.problem = WireProblem::kRedirect;
    answer.problem_text =
        location != nullptr
            ? "redirect (" + std::to_string(s) + ") to " + Quoted(*location, 160) + " not followed"
            : "redirect (" + std::to_string(s) + ") without a Location, not followed";
  } else if (encoding) {
    answer.problem = WireProblem::kUnrequestedEncoding;
    answer.problem_text = "the body is encoded (Content-Encoding: " + Printable(*encoding, 40) +
                          ") though the request asked for identity (Accept-Encoding: identity)";
  }
  return answer;
}

}  // namespace provkit::conformance::wire
