// The front door: accepts connections, holds idle and half-sent ones without a thread, refuses
// politely at its limits, and hands each complete request head to a worker thread.
#pragma once

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "connections.hpp"

namespace provkit::mock {

struct FrontDoorLimits {
  std::size_t threads = 1024;          ///< Workers: requests answered at once.
  std::size_t max_connections = 4096;  ///< Connections open at once; more are refused (503).
  std::chrono::milliseconds header_timeout{10000};     ///< First byte to the end of the headers.
  std::chrono::milliseconds keep_alive_timeout{5000};  ///< Idle, no byte of a next request.
  std::size_t max_header_bytes = 64 * 1024;    ///< A request head over twice this (+16 KiB): 431.
  std::chrono::milliseconds io_timeout{5000};  ///< A worker's wait for one read or write.
};

/// Answers one request read from `stream` (cpp-httplib's parser, routing and writer). Returns
/// false, or sets `connection_closed`, when the connection must end.
using RequestServer = std::function<bool(httplib::Stream& stream, bool& connection_closed)>;
/// The whole response (status line to body, with `Connection: close`) the front door sends
/// when it refuses a connection itself: 503 at the connection limit, 408 or 431 for the head.
using RefusalAnswer = std::function<std::string(Refusal why)>;

/// One connection's socket and the bytes read ahead of the request being answered, as the
/// httplib::Stream cpp-httplib reads and writes a request through. Non-blocking socket; the
/// waits are bounded by `io_timeout`.
class ConnectionStream final : public httplib::Stream {
 public:
  ConnectionStream(int socket, std::chrono::milliseconds io_timeout);

  bool is_readable() const override;
  bool is_writable() const override;
  ssize_t read(char* ptr, std::size_t size) override;
  ssize_t write(const char* ptr, std::size_t size) override;
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  socket_t socket() const override { return socket_; }

  enum class Fill { kMore, kEnd };
  /// Reads what the socket has without waiting, keeping at most `limit` bytes buffered.
  /// kEnd: the peer closed or the socket failed.
  Fill ReadAvailable(std::size_t limit);
  std::size_t buffered() const { return buffer_.size() - consumed_; }
  /// Whether the buffered bytes hold a whole request head (a blank line), or begin with a byte
  /// no request line begins with (cpp-httplib then answers 400 at once).
  bool HeadReady();
  /// Frees the read buffer when nothing is buffered (an idle connection keeps no buffer).
  void Trim();

 private:
  int socket_;
  int poll_timeout_ms_;
  std::string buffer_;
  std::size_t consumed_ = 0;
  std::size_t scanned_ = 0;
  std::string peer_ip_;
  int peer_port_ = 0;
  std::string local_ip_;
  int local_port_ = 0;
};

class FrontDoor {
 public:
  FrontDoor(ConnectionRegistry& registry, FrontDoorLimits limits, RequestServer serve,
            RefusalAnswer refusal);
  ~FrontDoor();
  FrontDoor(const FrontDoor&) = delete;
  FrontDoor& operator=(const FrontDoor&) = delete;

  /// Serves connections accepted from `listener` (non-blocking) until Stop, then ends every
  /// connection and joins the workers. Call once.
  void Run(int listener);
  /// Makes Run return soon. Thread-safe; may come before Run.
  void Stop();

 private:
  struct Link;
  struct Returned {
    Link* link;
    bool closed;
  };
  using Clock = std::chrono::steady_clock;

  void Accept(Clock::time_point now);
  /// Sends the refusal, counts it, and lingers (half-closed) until the peer closes or 1 s.
  void Refuse(Link& link, Refusal why, Clock::time_point now);
  void OnReadable(Link& link, Clock::time_point now);
  /// Waits for the link's next readable event (one-shot).
  void Arm(Link& link);
  void Sweep(Clock::time_point now);
  void Collect(Clock::time_point now);
  void Close(Link& link);
  void Dispatch(Link& link);
  void Work();
  void Serve(Link& link);
  void Wake() noexcept;

  ConnectionRegistry& registry_;
  const FrontDoorLimits limits_;
  const RequestServer serve_;
  const RefusalAnswer refusal_;
  const int epoll_;
  const int wake_;
  std::atomic<bool> stopping_{false};

  // The reactor's own (Run's thread).
  int listener_ = -1;
  Clock::time_point listener_paused_until_{};
  std::unordered_map<Link*, std::unique_ptr<Link>> links_;
  std::size_t lingering_ = 0;

  // Shared with the workers.
  std::mutex mutex_;
  std::condition_variable ready_cv_;
  std::deque<Link*> ready_;
  std::vector<Returned> returned_;
  std::vector<std::thread> workers_;
  std::vector<std::thread> retired_;  ///< Workers that ended after kWorkerIdleLimit idle.
  std::size_t idle_workers_ = 0;
};

}  // namespace provkit::mock
