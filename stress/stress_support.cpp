// Shared pieces of provkit-stress: its flag parsers, /proc probes, the hang watchdog and reports.
#include "stress_support.hpp"

#include <dirent.h>
#include <malloc.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string_view>

#include "provkit/runtime/contract.hpp"
#include "provkit/support/version.hpp"

namespace provkit::stress {
namespace {

std::uint64_t StatusFieldKib(std::string_view field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.compare(0, field.size(), field) != 0 || line.size() <= field.size() ||
        line[field.size()] != ':')
      continue;
    return std::strtoull(line.c_str() + field.size() + 1, nullptr, 10);
  }
  return 0;
}

}  // namespace

support::FlagParser NewFlagParser(std::string mode, std::string usage) {
  support::FlagParser parser(mode.empty() ? "provkit-stress" : "provkit-stress " + mode,
                             std::move(usage));
  parser.Version(support::VersionLine(kContractVersion));
  return parser;
}

std::string CommandLine(int argc, char** argv) {
  std::string command = "provkit-stress";
  for (int i = 0; i < argc; ++i) command += std::string(" ") + argv[i];
  return command;
}

std::uint64_t RssKib() { return StatusFieldKib("VmRSS"); }

std::uint64_t HeapInUseBytes() {
  const struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;
}

std::size_t ThreadCount() {
  std::size_t count = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/task")) {
    (void)entry;
    ++count;
  }
  return count;
}

std::size_t SocketCount() {
  DIR* directory = opendir("/proc/self/fd");
  if (directory == nullptr) return 0;
  std::size_t count = 0;
  char target[64];
  while (const dirent* entry = readdir(directory)) {
    if (entry->d_name[0] == '.') continue;
    const std::string link = std::string("/proc/self/fd/") + entry->d_name;
    const ssize_t size = readlink(link.c_str(), target, sizeof target - 1);
    if (size <= 0) continue;
    if (std::string_view(target, static_cast<std::size_t>(size)).substr(0, 7) == "socket:") ++count;
  }
  closedir(directory);
  return count;
}

HangWatchdog::HangWatchdog(std::string what, const std::atomic<std::uint64_t>& progress,
                           std::chrono::seconds limit, std::function<std::string()> describe)
    : what_(std::move(what)),
      progress_(progress),
      limit_(limit),
      describe_(std::move(describe)),
      thread_([this] { Run(); }) {}

HangWatchdog::~HangWatchdog() { Stop(); }

void HangWatchdog::Stop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  stop_changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void HangWatchdog::Run() {
  using Clock = std::chrono::steady_clock;
  std::uint64_t seen = progress_.load();
  Clock::time_point moved = Clock::now();
  std::unique_lock lock(mutex_);
  while (!stop_changed_.wait_for(lock, std::chrono::milliseconds(250), [this] { return stop_; })) {
    const std::uint64_t now_seen = progress_.load();
    if (now_seen != seen) {
      seen = now_seen;
      moved = Clock::now();
      continue;
    }
    if (Clock::now() - moved < limit_) continue;
    std::fprintf(stderr, "provkit-stress: HANG: %s made no progress for %lld s (stuck at %llu)\n",
                 what_.c_str(), static_cast<long long>(limit_.count()),
                 static_cast<unsigned long long>(seen));
    if (describe_) std::fprintf(stderr, "%s\n", describe_().c_str());
    std::fflush(stderr);
    std::abort();
  }
}

void Failures::Add(std::string message) {
  std::lock_guard lock(mutex_);
  ++count_;
  if (samples_.size() < keep_) samples_.push_back(std::move(message));
}

std::uint64_t Failures::count() const {
  std::lock_guard lock(mutex_);
  return count_;
}

std::vector<std::string> Failures::samples() const {
  std::lock_guard lock(mutex_);
  return samples_;
}

bool WriteJson(const std::string& path, const nlohmann::json& report, std::string_view mode) {
  const std::filesystem::path file(path);
  std::error_code error;
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path(), error);
  std::ofstream out(file);
  out << report.dump(2) << '\n';
  out.close();
  if (out) return true;
  const std::string why = error ? error.message() : std::string(std::strerror(errno));
  std::fprintf(stderr, "provkit-stress %.*s: cannot write %s: %s\n", static_cast<int>(mode.size()),
               mode.data(), path.c_str(), why.c_str());
  return false;
}

bool SanitizedBuild() {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  return true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
  return true;
#else
  return false;
#endif
#else
  return false;
#endif
}

}  // namespace provkit::stress
