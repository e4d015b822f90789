// Shared pieces of provkit-stress: flag parsing, /proc probes, the hang watchdog and reports.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace provkit::stress {

inline constexpr int kExitPass = 0;
inline constexpr int kExitFail = 1;
inline constexpr int kExitUsage = 2;

/// A bad command line; main prints the message and the mode's usage, then exits 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Thrown by Flags::Parse for --help: the mode prints its usage and exits 0.
struct HelpRequested {};

/// The flags of one mode: integers within a range, and strings. Accepts `--name value`
/// and `--name=value`; anything else is a UsageError.
class Flags {
 public:
  void AddInt(std::string name, std::int64_t* value, std::int64_t min, std::int64_t max);
  void AddString(std::string name, std::string* value);
  /// Parses argv[first..argc). Throws UsageError or HelpRequested.
  void Parse(int argc, char** argv, int first) const;
  /// Parses the flags of `mode` (argv[2..argc)). Returns the exit code when the run stops
  /// here: --help prints `usage` and gives kExitPass; a bad flag prints what was wrong and
  /// `usage` to stderr and gives kExitUsage. Otherwise nullopt.
  std::optional<int> ParseMode(int argc, char** argv, const char* mode, const char* usage) const;

 private:
  struct Flag {
    std::string name;
    std::int64_t* int_value = nullptr;
    std::string* string_value = nullptr;
    std::int64_t min = 0;
    std::int64_t max = 0;
  };
  std::vector<Flag> flags_;
};

/// The command line as typed ("provkit-stress load --clients 8"), for reports.
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
