// Socket chores: the listening socket, endpoints, a reserved port.
#include "sockets.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace provkit::mock {
namespace {

/// The address and port of a socket address, in the text form cpp-httplib uses.
bool Endpoint(const sockaddr_storage& address, std::string& ip, int& port) {
  char text[INET6_ADDRSTRLEN] = {};
  if (address.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(address);
    if (inet_ntop(AF_INET, &v4.sin_addr, text, sizeof text) == nullptr) return false;
    port = ntohs(v4.sin_port);
  } else if (address.ss_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(address);
    if (inet_ntop(AF_INET6, &v6.sin6_addr, text, sizeof text) == nullptr) return false;
    port = ntohs(v6.sin6_port);
  } else {
    return false;
  }
  ip = text;
  return true;
}

/// A socket bound to the first address of `host`:`port` that binds, listening when `listen`.
/// `what` names the act in the error ("listen on", "bind").
int BindFirst(const std::string& host, int port, bool listen, const char* what) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* results = nullptr;
  const std::string service = std::to_string(port);
  if (const int error = getaddrinfo(host.c_str(), service.c_str(), &hints, &results); error != 0) {
    throw std::system_error(std::make_error_code(std::errc::invalid_argument),
                            "cannot resolve '" + host + "': " + gai_strerror(error));
  }
  int last_errno = EADDRNOTAVAIL;
  int bound = -1;
  for (const addrinfo* result = results; result != nullptr; result = result->ai_next) {
    const int flags = SOCK_CLOEXEC | (listen ? SOCK_NONBLOCK : 0);
    const int fd = socket(result->ai_family, result->ai_socktype | flags, result->ai_protocol);
    if (fd < 0) {
      last_errno = errno;
      continue;
    }
    int yes = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    if (bind(fd, result->ai_addr, result->ai_addrlen) != 0 ||
        (listen && ::listen(fd, SOMAXCONN) != 0)) {
      last_errno = errno;
      ::close(fd);
      continue;
    }
    bound = fd;
    break;
  }
  freeaddrinfo(results);
  if (bound < 0) {
    throw std::system_error(
        last_errno, std::generic_category(),
        std::string("cannot ") + what + " " + host + ":" + std::to_string(port));
  }
  return bound;
}

}  // namespace

int ListenOn(const std::string& host, int port) {
  return BindFirst(host, port, /*listen=*/true, "listen on");
}

int LocalPort(int fd) noexcept {
  std::string ip;
  int port = -1;
  return LocalEndpoint(fd, ip, port) ? port : -1;
}

bool PeerEndpoint(int fd, std::string& ip, int& port) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return false;
  return Endpoint(address, ip, port);
}

bool LocalEndpoint(int fd, std::string& ip, int& port) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return false;
  return Endpoint(address, ip, port);
}

bool PeerGone(int fd) noexcept {
  char byte = 0;
  const ssize_t got = recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

void ShutdownSocket(int fd) noexcept {
  if (fd >= 0) ::shutdown(fd, SHUT_RDWR);
}

void CloseSocket(int fd) noexcept {
  if (fd >= 0) ::close(fd);
}

PortReservation::PortReservation(const std::string& host, int port)
    : fd_(BindFirst(host, port, /*listen=*/false, "bind")), port_(LocalPort(fd_)) {}

PortReservation::~PortReservation() { Release(); }

void PortReservation::Release() noexcept {
  CloseSocket(fd_);
  fd_ = -1;
}

}  // namespace provkit::mock
