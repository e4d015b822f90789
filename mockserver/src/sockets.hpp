// Socket chores cpp-httplib lacks: a connection's socket, a reserved port, the backlog.
#pragma once

#include <string>
#include <string_view>

namespace provkit::mock {

/// A duplicate (close-on-exec) of this process's TCP socket whose local port is
/// `local_port` and whose peer is `peer_ip`:`peer_port`, or -1 when there is none.
/// The four-tuple names at most one open socket, so the answer is exact while
/// the caller keeps that connection open. Linux only (reads /proc/self/fd).
int DupConnectionSocket(std::string_view peer_ip, int peer_port, int local_port);

/// shutdown(SHUT_RDWR): the peer sees the end of the connection, blocked reads
/// and waits on the socket wake up. Ignores errors.
void ShutdownSocket(int fd) noexcept;
void CloseSocket(int fd) noexcept;

/// Calls listen() again on a listening socket with a backlog fit for bursts of connections.
void EnlargeBacklog(int fd) noexcept;

/// Holds a TCP port bound but not listening: connections to it are refused,
/// and nobody else can take it, until a listener with SO_REUSEADDR binds it too.
class PortReservation {
 public:
  /// Throws std::system_error when `host`:`port` cannot be bound.
  PortReservation(const std::string& host, int port);
  ~PortReservation();
  PortReservation(const PortReservation&) = delete;
  PortReservation& operator=(const PortReservation&) = delete;

  int port() const noexcept { return port_; }
  void Release() noexcept;

 private:
  int fd_ = -1;
  int port_ = 0;
};

/// The SO_REUSEADDR option cpp-httplib's listener is given, so it can bind a reserved port.
void SetReuseAddress(int fd) noexcept;

}  // namespace provkit::mock
