// RawListener: a TCP listener on 127.0.0.1 that accepts and then hangs up, for the unreachable
// cases of R8 that a well-behaved HTTP server cannot play.
#pragma once

#include <atomic>
#include <string>
#include <thread>

namespace provkit::conformance::internal {

/// Accepts connections on 127.0.0.1, port 0, on its own thread, and ends each one before any
/// answer: an orderly close, or a reset (RST, through SO_LINGER 0). Stopped and joined by the
/// destructor. Throws std::system_error when it cannot listen.
class RawListener {
 public:
  enum class Mode {
    kCloseOnAccept,  ///< accept, then close: the client sees end-of-file before any byte
    kResetOnAccept,  ///< accept, read what arrives for a moment, then reset the connection
  };

  explicit RawListener(Mode mode);
  ~RawListener();
  RawListener(const RawListener&) = delete;
  RawListener& operator=(const RawListener&) = delete;

  int port() const { return port_; }
  /// "http://127.0.0.1:PORT/v1".
  std::string base_url() const;
  /// Connections accepted so far.
  int accepted() const { return accepted_.load(); }

 private:
  void Run();

  Mode mode_;
  int listen_fd_ = -1;
  int wake_fds_[2] = {-1, -1};
  int port_ = 0;
  std::atomic<int> accepted_{0};
  std::thread thread_;
};

}  // namespace provkit::conformance::internal
