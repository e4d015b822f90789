// Socket chores cpp-httplib lacks: a connection's socket, a reserved port, the backlog.
#include "sockets.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
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

bool MatchesConnection(int fd, std::string_view peer_ip, int peer_port, int local_port) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  std::string ip;
  int port = 0;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return false;
  if (!Endpoint(address, ip, port) || port != local_port) return false;
  length = sizeof address;
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return false;
  return Endpoint(address, ip, port) && port == peer_port && ip == peer_ip;
}

}  // namespace

int DupConnectionSocket(std::string_view peer_ip, int peer_port, int local_port) {
  DIR* directory = opendir("/proc/self/fd");
  if (directory == nullptr) return -1;
  const int directory_fd = dirfd(directory);
  int found = -1;
  while (const dirent* entry = readdir(directory)) {
    char* end = nullptr;
    const long fd = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || fd == directory_fd) continue;
    if (MatchesConnection(static_cast<int>(fd), peer_ip, peer_port, local_port)) {
      found = fcntl(static_cast<int>(fd), F_DUPFD_CLOEXEC, 0);
      break;
    }
  }
  closedir(directory);
  return found;
}

void ShutdownSocket(int fd) noexcept {
  if (fd >= 0) ::shutdown(fd, SHUT_RDWR);
}

void CloseSocket(int fd) noexcept {
  if (fd >= 0) ::close(fd);
}

void EnlargeBacklog(int fd) noexcept {
  if (fd >= 0) ::listen(fd, SOMAXCONN);
}

void SetReuseAddress(int fd) noexcept {
  int yes = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
}

PortReservation::PortReservation(const std::string& host, int port) {
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
  for (const addrinfo* result = results; result != nullptr; result = result->ai_next) {
    const int fd =
        socket(result->ai_family, result->ai_socktype | SOCK_CLOEXEC, result->ai_protocol);
    if (fd < 0) {
      last_errno = errno;
      continue;
    }
    SetReuseAddress(fd);
    if (bind(fd, result->ai_addr, result->ai_addrlen) != 0) {
      last_errno = errno;
      ::close(fd);
      continue;
    }
    sockaddr_storage bound{};
    socklen_t length = sizeof bound;
    std::string ip;
    getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length);
    Endpoint(bound, ip, port_);
    fd_ = fd;
    break;
  }
  freeaddrinfo(results);
  if (fd_ < 0) {
    throw std::system_error(last_errno, std::generic_category(),
                            "cannot bind " + host + ":" + std::to_string(port));
  }
}

PortReservation::~PortReservation() { Release(); }

void PortReservation::Release() noexcept {
  CloseSocket(fd_);
  fd_ = -1;
}

}  // namespace provkit::mock
