// Socket chores: the listening socket, endpoints, a reserved port.
#pragma once

#include <string>
#include <string_view>

namespace provkit::mock {

/// A listening TCP socket on `host`:`port` (0: a free port): non-blocking, close-on-exec,
/// SO_REUSEADDR (so it can bind a reserved port), with a backlog fit for bursts of connections.
/// Throws std::system_error naming the address when it cannot listen.
int ListenOn(const std::string& host, int port);
/// The local port of a bound socket, or -1.
int LocalPort(int fd) noexcept;
/// The peer's (or the socket's own) address and port in the text form cpp-httplib gives
/// handlers ("127.0.0.1", "::1"); false when unknown.
bool PeerEndpoint(int fd, std::string& ip, int& port);
bool LocalEndpoint(int fd, std::string& ip, int& port);

/// Whether the peer has ended the connection on `fd` (or it failed): a read would say so at
/// once. Never waits; pending bytes from the peer mean it is still there.
bool PeerGone(int fd) noexcept;

/// shutdown(SHUT_RDWR): the peer sees the end of the connection, blocked reads
/// and waits on the socket wake up. Ignores errors.
void ShutdownSocket(int fd) noexcept;
void CloseSocket(int fd) noexcept;

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

}  // namespace provkit::mock
