// HttpLoop: one thread, epoll, many non-blocking loopback HTTP/1.1 client connections at once.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <queue>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace provkit::stress {

using Clock = std::chrono::steady_clock;

/// One answer as the client read it.
struct HttpResponse {
  int status = 0;
  /// Header names in lower case, values without surrounding blanks, in arrival order.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;              ///< Without the chunked framing.
  Clock::time_point first_byte;  ///< When the first byte of the status line was read.
  Clock::time_point done;        ///< When the last byte of the body was read.

  /// The first value of header `lower_name`, or nullptr.
  const std::string* Header(std::string_view lower_name) const;
};

/// Why a request came to nothing.
enum class HttpFailure {
  kConnect,   ///< The connection could not be made.
  kTimeout,   ///< No whole answer within the request's timeout.
  kClosed,    ///< The server closed or reset the connection before the answer was whole.
  kProtocol,  ///< The answer is not HTTP/1.1 as this client reads it, or is over its bounds.
};
std::string_view FailureName(HttpFailure failure);

/// What the loop reports; every call comes on the loop's thread, from inside Run().
class HttpHandler {
 public:
  virtual ~HttpHandler() = default;
  /// The TCP connection `id` is established.
  virtual void OnConnected(int id, Clock::time_point at) {
    (void)id;
    (void)at;
  }
  /// The awaited answer on `id` is whole. The connection stays open unless the server closes it.
  virtual void OnResponse(int id, HttpResponse response) = 0;
  /// A `data:` line of a text/event-stream answer, its value without the one leading blank;
  /// `at` is when the read that completed the line returned.
  virtual void OnEvent(int id, std::string_view data, Clock::time_point at) {
    (void)id;
    (void)data;
    (void)at;
  }
  /// The server closed (or reset) `id` while no answer was awaited, e.g. after one that said
  /// `Connection: close`. The connection is closed.
  virtual void OnClosed(int id, Clock::time_point at) {
    (void)id;
    (void)at;
  }
  /// The awaited answer on `id` failed; the connection is closed.
  virtual void OnFailure(int id, HttpFailure failure, std::string why, Clock::time_point at) = 0;
};

/// Drives many client connections to one loopback server from the thread that calls Run().
/// Not thread-safe: every member is called from that one thread (a handler may call them).
/// Every socket has TCP_NODELAY; every wait is bounded by a request's timeout or Run's deadline.
class HttpLoop {
 public:
  /// Limits on one answer: longer heads or bodies fail with kProtocol.
  static constexpr std::size_t kMaxHeadBytes = 64 * 1024;
  static constexpr std::size_t kMaxBodyBytes = 16 * 1024 * 1024;

  /// Throws std::system_error when epoll is unavailable.
  HttpLoop(HttpHandler& handler, std::string host, int port);
  ~HttpLoop();
  HttpLoop(const HttpLoop&) = delete;
  HttpLoop& operator=(const HttpLoop&) = delete;

  /// Starts a non-blocking connect and returns the connection's id (ids count from 0 and are
  /// never reused). Throws std::system_error when no socket can be had (e.g. EMFILE).
  int Connect();
  /// Sends `bytes` (as soon as the connection is up) and awaits one answer for at most `timeout`
  /// from now. Empty `bytes`: awaits an answer the server sends by itself. One answer at a time:
  /// calling it while one is awaited is a logic error (std::logic_error).
  void Request(int id, std::string bytes, std::chrono::milliseconds timeout);
  /// Sends `bytes` without awaiting anything more (a trickled header). A failed write closes the
  /// connection and reports OnFailure (kClosed) if an answer was awaited, else OnClosed.
  void Write(int id, std::string_view bytes);
  /// Closes `id` (nothing is reported). Idempotent.
  void Close(int id);
  bool open(int id) const;
  /// True while an answer is awaited on `id`.
  bool awaiting(int id) const;
  /// Connections open now.
  std::size_t open_count() const { return open_; }

  /// Calls `action` on the loop's thread once `when` has come (in time order).
  void At(Clock::time_point when, std::function<void()> action);

  /// Handles I/O and timers until `done()` holds (checked after every wake-up) or `deadline`
  /// passes; returns whether `done()` held.
  bool Run(Clock::time_point deadline, const std::function<bool()>& done);

 private:
  struct Connection;
  struct Timer {
    Clock::time_point when;
    std::uint64_t order;
    std::function<void()> action;
    bool operator>(const Timer& other) const {
      return when != other.when ? when > other.when : order > other.order;
    }
  };

  void OnReady(int id, std::uint32_t events);
  void Flush(int id);
  void ReadAll(int id);
  /// Parses what `id` has buffered; false when the connection was closed meanwhile.
  bool Parse(int id, Clock::time_point at);
  void FeedBody(Connection& connection, int id, std::string_view bytes, Clock::time_point at);
  void Complete(int id, Clock::time_point at);
  void Fail(int id, HttpFailure failure, std::string why, Clock::time_point at);
  void PeerClosed(int id, std::string why, Clock::time_point at);
  void RunTimers(Clock::time_point now);

  HttpHandler& handler_;
  std::string host_;
  int port_;
  int epoll_ = -1;
  std::deque<Connection> connections_;  // A deque: handlers may connect while one is in use.
  std::size_t open_ = 0;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers_;
  std::uint64_t timer_order_ = 0;
};

}  // namespace provkit::stress
