// Shared pieces of provkit-stress: its flag parsers, /proc probes, the hang watchdog and reports.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "provkit/support/flags.hpp"

namespace provkit::stress {

inline constexpr int kExitPass = 0;
inline constexpr int kExitFail = 1;
inline constexpr int kExitUsage = support::kExitUsage;

/// A parser for `provkit-stress MODE` (`provkit-stress` itself when `mode` is empty) with
/// --version enabled (provkit/support/flags.hpp).
support::FlagParser NewFlagParser(std::string mode, std::string usage);

/// The command line as typed ("provkit-stress load --clients 8"), for reports; argv[0] is the
/// mode.
std::string CommandLine(int argc, char** argv);

/// Resident set size of this process in KiB (VmRSS).
std::uint64_t RssKib();
/// Bytes the allocator has handed out and not had back (mallinfo2, all arenas): flat when
/// nothing leaks, whatever the allocator keeps resident.
std::uint64_t HeapInUseBytes();
/// Threads of this process (/proc/self/task).
std::size_t ThreadCount();
/// Open file descriptors of this process that are sockets (/proc/self/fd -> socket:[...]).
std::size_t SocketCount();

/// Aborts the process with a message when `progress` stops moving for `limit`:
/// a hang must not turn into a stuck CI job. Stop() (or the destructor) joins its thread.
class HangWatchdog {
 public:
  HangWatchdog(std::string what, const std::atomic<std::uint64_t>& progress,
               std::chrono::seconds limit, std::function<std::string()> describe = {});
  ~HangWatchdog();
  HangWatchdog(const HangWatchdog&) = delete;
  HangWatchdog& operator=(const HangWatchdog&) = delete;
  void Stop();

 private:
  void Run();

  std::string what_;
  const std::atomic<std::uint64_t>& progress_;
  std::chrono::seconds limit_;
  std::function<std::string()> describe_;
  std::mutex mutex_;
  std::condition_variable stop_changed_;
  bool stop_ = false;
  std::thread thread_;
};

/// Keeps the first few failure messages and counts them all. Thread-safe.
class Failures {
 public:
  explicit Failures(std::size_t keep = 20) : keep_(keep) {}
  void Add(std::string message);
  std::uint64_t count() const;
  std::vector<std::string> samples() const;

 private:
  const std::size_t keep_;
  mutable std::mutex mutex_;
  std::uint64_t count_ = 0;
  std::vector<std::string> samples_;
};

/// Writes `report` to `path` (parent folders created), indented. On failure prints
/// "provkit-stress MODE: cannot write PATH: why" to stderr and returns false.
bool WriteJson(const std::string& path, const nlohmann::json& report, std::string_view mode);

/// True in an AddressSanitizer or ThreadSanitizer build, where RSS says nothing about leaks.
bool SanitizedBuild();

}  // namespace provkit::stress
