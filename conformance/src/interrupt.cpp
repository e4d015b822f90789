#include "provkit/conformance/interrupt.hpp"

#include <signal.h>

#include <array>
#include <atomic>
#include <string>

namespace provkit::conformance {
namespace {

std::atomic<int> interrupted{0};
std::array<std::atomic<pid_t>, 64> groups{};

static_assert(std::atomic<pid_t>::is_always_lock_free && std::atomic<int>::is_always_lock_free,
              "the signal handler may only touch lock-free atomics");

void KillGroups() noexcept {
  for (std::atomic<pid_t>& group : groups) {
    const pid_t id = group.load();
    if (id > 0) kill(-id, SIGKILL);
  }
}

extern "C" void OnInterrupt(int signal) {
  int expected = 0;
  if (!interrupted.compare_exchange_strong(expected, signal)) {
    // The second signal: the user insists.
    ::signal(signal, SIG_DFL);
    raise(signal);
    return;
  }
  KillGroups();
}

}  // namespace

void InstallInterruptHandlers() {
  struct sigaction action {};
  action.sa_handler = OnInterrupt;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

std::string SignalName(int signal) {
  switch (signal) {
    case SIGINT:
      return "SIGINT";
    case SIGTERM:
      return "SIGTERM";
    default:
      return "signal " + std::to_string(signal);
  }
}

int InterruptSignal() noexcept { return interrupted.load(); }

void Interrupt(int signal) noexcept {
  int expected = 0;
  if (interrupted.compare_exchange_strong(expected, signal)) KillGroups();
}

void ClearInterrupt() noexcept { interrupted.store(0); }

void RegisterProcessGroup(pid_t group) noexcept {
  for (std::atomic<pid_t>& slot : groups) {
    pid_t empty = 0;
    if (slot.compare_exchange_strong(empty, group)) return;
  }
}

void UnregisterProcessGroup(pid_t group) noexcept {
  for (std::atomic<pid_t>& slot : groups) {
    pid_t expected = group;
    if (slot.compare_exchange_strong(expected, 0)) return;
  }
}

}  // namespace provkit::conformance
