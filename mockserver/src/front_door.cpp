// The front door: accepts connections, holds idle and half-sent ones without a thread, refuses
// politely at its limits, and hands each complete request head to a worker thread.
//
// cpp-httplib 0.11 serves each connection on one pool thread for its whole life, idle
// keep-alive waits and header reads included, and its task queue is given no socket it could
// refuse. So 2,000 keep-alive clients queued new connections behind idle ones, and slow-header
// clients held threads for as long as they liked. Here one reactor thread (epoll) owns every
// connection between requests; a worker thread exists only for a request in flight, and runs
// cpp-httplib's own request parser, routing and response writer on it (Server::process_request).
#include "front_door.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iterator>
#include <system_error>

#include "sockets.hpp"

namespace provkit::mock {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t kReadChunk = 4096;
/// Refused connections wait this long for the peer to read the answer and close, so that its
/// unread request does not turn our close into a reset that discards the answer.
constexpr auto kLingerTime = 1s;
/// Beyond this many lingering connections, refused ones are closed at once.
constexpr std::size_t kMaxLingering = 512;
constexpr auto kSweepInterval = 100ms;
/// Accepts per wake-up, so a burst of connections cannot starve the connections already open.
constexpr int kAcceptBurst = 256;
/// A worker idle this long ends, so a burst of streams leaves no crowd of threads behind.
constexpr auto kWorkerIdleLimit = 30s;

char listener_tag;
char wake_tag;

int CheckedFd(int fd, const char* what) {
  if (fd < 0) throw std::system_error(errno, std::generic_category(), what);
  return fd;
}

}  // namespace

// --- ConnectionStream ------------------------------------------------------------------------

ConnectionStream::ConnectionStream(int socket, std::chrono::milliseconds io_timeout)
    : socket_(socket), poll_timeout_ms_(static_cast<int>(io_timeout.count())) {
  PeerEndpoint(socket, peer_ip_, peer_port_);
  LocalEndpoint(socket, local_ip_, local_port_);
}

namespace {

/// poll() for `events` on `socket` up to `timeout_ms`; the revents, 0 on timeout or error.
short Wait(int socket, short events, int timeout_ms) {
  pollfd entry{socket, events, 0};
  for (;;) {
    const int ready = poll(&entry, 1, timeout_ms);
    if (ready < 0 && errno == EINTR) continue;
    return ready > 0 ? entry.revents : 0;
  }
}

}  // namespace

bool ConnectionStream::is_readable() const {
  return buffered() > 0 || Wait(socket_, POLLIN, poll_timeout_ms_) != 0;
}

bool ConnectionStream::is_writable() const {
  const short revents = Wait(socket_, POLLOUT | POLLIN, poll_timeout_ms_);
  if (revents == 0 || (revents & (POLLERR | POLLHUP | POLLNVAL)) != 0) return false;
  // Readable while we write: a pipelined request (alive) or the peer's end (gone).
  if ((revents & POLLIN) != 0 && PeerGone(socket_)) return false;
  return (revents & POLLOUT) != 0;
}

ssize_t ConnectionStream::read(char* ptr, std::size_t size) {
  if (buffered() > 0) {
    const std::size_t count = std::min(size, buffered());
    std::memcpy(ptr, buffer_.data() + consumed_, count);
    consumed_ += count;
    if (consumed_ == buffer_.size()) {
      buffer_.clear();
      consumed_ = scanned_ = 0;
    }
    return static_cast<ssize_t>(count);
  }
  for (;;) {
    ssize_t got = 0;
    if (size >= kReadChunk) {
      got = recv(socket_, ptr, size, 0);
    } else {
      // cpp-httplib reads a request head a byte at a time: read ahead, serve from the buffer.
      buffer_.resize(kReadChunk);
      got = recv(socket_, buffer_.data(), kReadChunk, 0);
      buffer_.resize(got > 0 ? static_cast<std::size_t>(got) : 0);
      if (got > 0) return read(ptr, size);
    }
    if (got >= 0) return got;
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
    if (Wait(socket_, POLLIN, poll_timeout_ms_) == 0) return -1;
  }
}

ssize_t ConnectionStream::write(const char* ptr, std::size_t size) {
  // As cpp-httplib's own stream: nothing is written to a peer that has gone, so an answer to a
  // request cut short is never sent into a closing connection.
  if (PeerGone(socket_)) return -1;
  for (;;) {
    const ssize_t sent = send(socket_, ptr, size, MSG_NOSIGNAL);
    if (sent >= 0) return sent;
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
    if ((Wait(socket_, POLLOUT, poll_timeout_ms_) & POLLOUT) == 0) return -1;
  }
}

void ConnectionStream::get_remote_ip_and_port(std::string& ip, int& port) const {
  ip = peer_ip_;
  port = peer_port_;
}

void ConnectionStream::get_local_ip_and_port(std::string& ip, int& port) const {
  ip = local_ip_;
  port = local_port_;
}

ConnectionStream::Fill ConnectionStream::ReadAvailable(std::size_t limit) {
  if (consumed_ > 0) {
    buffer_.erase(0, consumed_);
    scanned_ -= std::min(scanned_, consumed_);
    consumed_ = 0;
  }
  while (buffer_.size() < limit) {
    const std::size_t old = buffer_.size();
    buffer_.resize(std::min(limit, old + kReadChunk));
    const ssize_t got = recv(socket_, buffer_.data() + old, buffer_.size() - old, 0);
    buffer_.resize(old + (got > 0 ? static_cast<std::size_t>(got) : 0));
    if (got > 0) continue;
    if (got == 0) return Fill::kEnd;
    if (errno == EINTR) continue;
    return errno == EAGAIN || errno == EWOULDBLOCK ? Fill::kMore : Fill::kEnd;
  }
  return Fill::kMore;
}

bool ConnectionStream::HeadReady() {
  if (buffered() == 0) return false;
  const char first = buffer_[consumed_];
  if (first < 'A' || first > 'Z') return true;
  std::size_t at = std::max(consumed_, scanned_ >= 2 ? scanned_ - 2 : 0);
  for (;;) {
    const std::size_t line_end = buffer_.find('\n', at);
    if (line_end == std::string::npos) break;
    const std::size_t next = line_end + 1;
    if (next < buffer_.size() && buffer_[next] == '\n') return true;
    if (next + 1 < buffer_.size() && buffer_[next] == '\r' && buffer_[next + 1] == '\n')
      return true;
    at = next;
  }
  scanned_ = buffer_.size();
  return false;
}

void ConnectionStream::Trim() {
  if (buffered() == 0) {
    std::string().swap(buffer_);
    consumed_ = scanned_ = 0;
  }
}

// --- FrontDoor -------------------------------------------------------------------------------

struct FrontDoor::Link {
  Link(int socket, std::chrono::milliseconds io_timeout) : stream(socket, io_timeout) {
    connection.socket = socket;
  }
  enum class Phase { kWaiting, kServing, kLingering };
  Connection connection;
  ConnectionStream stream;
  Phase phase = Phase::kWaiting;
  bool registered = false;  ///< Counted by the registry (not a connection refused at once).
  bool in_epoll = false;
  Clock::time_point since;  ///< Waiting: since accepted or answered. Lingering: since refused.
  Clock::time_point first_byte{};  ///< Of the request head being read; none yet when epoch.
};

FrontDoor::FrontDoor(ConnectionRegistry& registry, FrontDoorLimits limits, RequestServer serve,
                     RefusalAnswer refusal)
    : registry_(registry),
      limits_(limits),
      serve_(std::move(serve)),
      refusal_(std::move(refusal)),
      epoll_(CheckedFd(epoll_create1(EPOLL_CLOEXEC), "epoll_create1")),
      wake_(CheckedFd(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), "eventfd")) {
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.ptr = &wake_tag;
  epoll_ctl(epoll_, EPOLL_CTL_ADD, wake_, &event);
}

FrontDoor::~FrontDoor() {
  Stop();
  ::close(wake_);
  ::close(epoll_);
}

void FrontDoor::Stop() {
  stopping_.store(true);
  Wake();
}

void FrontDoor::Wake() noexcept {
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t ignored = ::write(wake_, &one, sizeof one);
}

void FrontDoor::Run(int listener) {
  listener_ = listener;
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.ptr = &listener_tag;
  epoll_ctl(epoll_, EPOLL_CTL_ADD, listener_, &event);
  Clock::time_point next_sweep = Clock::now() + kSweepInterval;
  std::vector<epoll_event> events(256);
  while (!stopping_.load()) {
    const int count = epoll_wait(epoll_, events.data(), static_cast<int>(events.size()),
                                 static_cast<int>(kSweepInterval.count()));
    const Clock::time_point now = Clock::now();
    for (int i = 0; i < count; ++i) {
      void* tag = events[static_cast<std::size_t>(i)].data.ptr;
      if (tag == &listener_tag) {
        Accept(now);
      } else if (tag == &wake_tag) {
        std::uint64_t value = 0;
        [[maybe_unused]] const ssize_t ignored = ::read(wake_, &value, sizeof value);
      } else {
        OnReadable(*static_cast<Link*>(tag), now);
      }
    }
    Collect(now);
    if (now >= next_sweep) {
      Sweep(now);
      next_sweep = now + kSweepInterval;
    }
  }
  // Stopping: the workers' requests end (their sockets are shut down), queued ones are dropped.
  std::vector<std::thread> workers;
  {
    std::lock_guard lock(mutex_);
    workers.swap(workers_);
    std::move(retired_.begin(), retired_.end(), std::back_inserter(workers));
    retired_.clear();
    ready_.clear();
  }
  ready_cv_.notify_all();
  registry_.ShutdownAll();
  for (std::thread& worker : workers) worker.join();
  Collect(Clock::now());
  while (!links_.empty()) Close(*links_.begin()->first);
  epoll_ctl(epoll_, EPOLL_CTL_DEL, listener_, nullptr);
}

void FrontDoor::Accept(Clock::time_point now) {
  for (int i = 0; i < kAcceptBurst; ++i) {
    const int socket = accept4(listener_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (socket < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // Out of descriptors or memory: leave the backlog alone for a moment rather than spin
        // on a listener that stays ready. The sweep takes it back.
        epoll_ctl(epoll_, EPOLL_CTL_DEL, listener_, nullptr);
        listener_paused_until_ = now + kSweepInterval;
      }
      return;
    }
    // What cpp-httplib's set_tcp_nodelay(true) did on its own accepted sockets.
    const int yes = 1;
    setsockopt(socket, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
    auto owned = std::make_unique<Link>(socket, limits_.io_timeout);
    Link& link = *owned;
    links_.emplace(&link, std::move(owned));
    link.since = now;
    if (links_.size() - lingering_ > limits_.max_connections) {
      Refuse(link, Refusal::kConnectionLimit, now);
      continue;
    }
    link.registered = true;
    registry_.Accepted(link.connection);
    Arm(link);
  }
}

void FrontDoor::Refuse(Link& link, Refusal why, Clock::time_point now) {
  registry_.Refused(why);
  const std::string answer = refusal_(why);
  // A few hundred bytes into an empty send buffer: one non-blocking send takes them all.
  [[maybe_unused]] const ssize_t sent =
      send(link.connection.socket, answer.data(), answer.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  if (link.registered) {
    registry_.Closing(link.connection);
    link.registered = false;
  }
  if (lingering_ >= kMaxLingering) {
    Close(link);
    return;
  }
  ::shutdown(link.connection.socket, SHUT_WR);
  link.phase = Link::Phase::kLingering;
  link.since = now;
  ++lingering_;
  Arm(link);
}

void FrontDoor::Arm(Link& link) {
  epoll_event event{};
  event.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT;
  event.data.ptr = &link;
  epoll_ctl(epoll_, link.in_epoll ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, link.connection.socket, &event);
  link.in_epoll = true;
}

void FrontDoor::OnReadable(Link& link, Clock::time_point now) {
  if (link.phase == Link::Phase::kLingering) {
    // Discard what the refused peer still sends; close at its end.
    char sink[kReadChunk];
    for (;;) {
      const ssize_t got = recv(link.connection.socket, sink, sizeof sink, 0);
      if (got > 0) continue;
      if (got < 0 && errno == EINTR) continue;
      if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        Arm(link);
      } else {
        Close(link);
      }
      return;
    }
  }
  const std::size_t limit = 2 * limits_.max_header_bytes + 16 * 1024;
  const ConnectionStream::Fill fill = link.stream.ReadAvailable(limit);
  if (link.stream.buffered() > 0 && link.first_byte == Clock::time_point{}) link.first_byte = now;
  if (link.stream.HeadReady()) {
    Dispatch(link);
  } else if (fill == ConnectionStream::Fill::kEnd) {
    Close(link);
  } else if (link.stream.buffered() >= limit) {
    Refuse(link, Refusal::kHeaderTooLarge, now);
  } else {
    Arm(link);
  }
}

void FrontDoor::Sweep(Clock::time_point now) {
  std::vector<std::thread> retired;
  {
    std::lock_guard lock(mutex_);
    retired.swap(retired_);
  }
  for (std::thread& worker : retired) worker.join();
  if (listener_paused_until_ != Clock::time_point{} && now >= listener_paused_until_) {
    listener_paused_until_ = {};
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.ptr = &listener_tag;
    epoll_ctl(epoll_, EPOLL_CTL_ADD, listener_, &event);
  }
  std::vector<Link*> expired;
  std::vector<Link*> too_slow;
  for (const auto& [link, owned] : links_) {
    switch (link->phase) {
      case Link::Phase::kServing:
        break;
      case Link::Phase::kLingering:
        if (now - link->since >= kLingerTime) expired.push_back(link);
        break;
      case Link::Phase::kWaiting:
        if (link->first_byte != Clock::time_point{}) {
          if (now - link->first_byte >= limits_.header_timeout) too_slow.push_back(link);
        } else if (now - link->since >= limits_.keep_alive_timeout) {
          expired.push_back(link);
        }
        break;
    }
  }
  for (Link* link : expired) Close(*link);
  for (Link* link : too_slow) Refuse(*link, Refusal::kHeaderTimeout, now);
}

void FrontDoor::Collect(Clock::time_point now) {
  std::vector<Returned> returned;
  {
    std::lock_guard lock(mutex_);
    if (returned_.empty()) return;
    returned.swap(returned_);
  }
  for (const Returned& back : returned) {
    Link& link = *back.link;
    if (back.closed) {
      links_.erase(&link);
      continue;
    }
    link.phase = Link::Phase::kWaiting;
    link.since = now;
    link.first_byte = link.stream.buffered() > 0 ? now : Clock::time_point{};
    link.stream.Trim();
    if (stopping_.load()) {
      Close(link);
    } else {
      Arm(link);
    }
  }
}

void FrontDoor::Close(Link& link) {
  if (link.registered) registry_.Closing(link.connection);
  if (link.phase == Link::Phase::kLingering) --lingering_;
  CloseSocket(link.connection.socket);
  links_.erase(&link);
}

void FrontDoor::Dispatch(Link& link) {
  link.phase = Link::Phase::kServing;
  {
    std::lock_guard lock(mutex_);
    ready_.push_back(&link);
    if (ready_.size() > idle_workers_ && workers_.size() < limits_.threads)
      workers_.emplace_back([this] { Work(); });
  }
  ready_cv_.notify_one();
}

void FrontDoor::Work() {
  for (;;) {
    Link* link = nullptr;
    {
      std::unique_lock lock(mutex_);
      ++idle_workers_;
      const bool woken = ready_cv_.wait_for(lock, kWorkerIdleLimit,
                                            [&] { return stopping_.load() || !ready_.empty(); });
      --idle_workers_;
      if (stopping_.load()) return;
      if (!woken) {
        // Retire: the reactor joins this thread at its next sweep.
        const auto self = std::find_if(workers_.begin(), workers_.end(), [](const auto& worker) {
          return worker.get_id() == std::this_thread::get_id();
        });
        if (self != workers_.end()) {
          retired_.push_back(std::move(*self));
          workers_.erase(self);
        }
        return;
      }
      link = ready_.front();
      ready_.pop_front();
    }
    Serve(*link);
  }
}

void FrontDoor::Serve(Link& link) {
  bool keep = true;
  do {
    ConnectionRegistry::SetCurrent(&link.connection);
    bool connection_closed = false;
    keep = serve_(link.stream, connection_closed) && !connection_closed && !stopping_.load();
    ConnectionRegistry::SetCurrent(nullptr);
  } while (keep && link.stream.HeadReady());  // A pipelined request is already here.
  if (!keep) {
    registry_.Closing(link.connection);
    link.registered = false;
    CloseSocket(link.connection.socket);
  }
  {
    std::lock_guard lock(mutex_);
    returned_.push_back({&link, !keep});
  }
  Wake();
}

}  // namespace provkit::mock
