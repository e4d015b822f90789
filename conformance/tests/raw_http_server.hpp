// RawHttpServer: a raw-socket HTTP test server whose handlers write any bytes at all (hostile
// servers).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace provkit::conformance::testing {

/// A request as the server read it (headers lower-cased).
struct RawRequest {
  std::string method;
  std::string path;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

/// The server side of one connection, handed to a handler.
class RawConnection {
 public:
  RawConnection(int fd, const std::atomic<bool>& stopping, std::mutex& mutex,
                std::condition_variable& wake)
      : fd_(fd), stopping_(stopping), mutex_(mutex), wake_(wake) {}
  /// Writes all of `bytes`; false once the client is gone or the server stops.
  bool Send(std::string_view bytes);
  /// Waits `time`, or less when the server stops; false when it stopped.
  bool Pause(std::chrono::milliseconds time);
  bool stopping() const { return stopping_.load(); }
  /// Bytes written so far on this connection.
  std::size_t sent() const { return sent_; }

 private:
  int fd_;
  const std::atomic<bool>& stopping_;
  std::mutex& mutex_;
  std::condition_variable& wake_;
  std::size_t sent_ = 0;
};

/// Answers one request; returns whether the connection may serve another.
using RawHandler = std::function<bool(RawConnection&, const RawRequest&)>;

/// Listens on 127.0.0.1, port 0, from construction (ready when the constructor
/// returns); serves each connection on its own thread with `handler`. RAII:
/// the destructor stops accepting, shuts every connection down (a handler
/// blocked in Send or Pause returns at once) and joins every thread.
class RawHttpServer {
 public:
  explicit RawHttpServer(RawHandler handler);
  ~RawHttpServer();
  RawHttpServer(const RawHttpServer&) = delete;
  RawHttpServer& operator=(const RawHttpServer&) = delete;

  int port() const { return port_; }
  /// "http://127.0.0.1:PORT/v1".
  std::string base_url() const;
  /// Connections accepted so far.
  std::size_t connections() const { return connections_.load(); }
  void Stop();

 private:
  void Accept();
  void Serve(int fd);

  RawHandler handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> connections_{0};
  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<int> open_fds_;
  std::vector<std::thread> threads_;
  std::thread acceptor_;
};

/// A well-behaved OpenAI-compatible answer (model "m1"): /health 200
/// {"status":"ok"}, /v1/models, chat (plain and streamed with usage), 404 for
/// unknown models and paths, 400 for bodies without messages or not JSON.
bool AnswerNormally(RawConnection& connection, const RawRequest& request);

/// "HTTP/1.1 <status>\r\nContent-Type: ..\r\nContent-Length: ..\r\n\r\n<body>".
std::string Answer(std::string_view status, std::string_view content_type, std::string_view body);

}  // namespace provkit::conformance::testing
