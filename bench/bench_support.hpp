// Helpers shared by the benchmarks: mock servers, configs, interleaved timing, RSS, a child mock
// process.
#pragma once

#include <benchmark/benchmark.h>
#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "provkit/mockserver/server.hpp"
#include "provkit/runtime/config.hpp"

namespace provkit::bench {

using Clock = std::chrono::steady_clock;

/// The model every benchmark server lists and every config names.
inline constexpr std::string_view kModel = "bench-model";

/// A Config for the provider "local" pointing at `base_url`, model kModel.
Config MakeConfig(const std::string& base_url);

/// `chars` characters of lorem-ipsum-like ASCII text.
std::string MakeText(std::size_t chars);

/// Microseconds elapsed since `start`.
double MicrosSince(Clock::time_point start);

/// Collects samples in microseconds and gives their median.
class Samples {
 public:
  void Add(double micros) { values_.push_back(micros); }
  double Median() const;
  std::size_t size() const { return values_.size(); }

 private:
  std::vector<double> values_;
};

/// The request body LocalProvider sends for a one-line user turn.
std::string ChatRequestBody(bool stream);

/// Resident set size (VmRSS) and peak (VmHWM) of this process, in bytes.
std::size_t ResidentBytes();
std::size_t PeakResidentBytes();
/// Resets VmHWM to the current RSS (writes 5 to /proc/self/clear_refs); false if refused.
bool ResetPeakResident();

/// Asks the kernel (PM QoS, /dev/cpu_dma_latency) to keep idle CPUs out of deep idle
/// states while the process lives, as tuned's latency-performance profile does. On a VM
/// whose idle CPUs halt, each wake-up costs tens of microseconds, more than the code
/// measured here; see docs/performance.md. Returns what was done, for the JSON context.
std::string HoldCpuWakeLatency();

/// A mock server in a child process (this binary re-executed with --provkit-mock-child),
/// so that the memory it needs for a huge answer is not counted against the client.
class ChildMock {
 public:
  /// Starts a child whose script answers `text_bytes` bytes of text in chunks of `chunk_chars`.
  ChildMock(std::size_t text_bytes, std::size_t chunk_chars);
  ~ChildMock();
  ChildMock(const ChildMock&) = delete;
  ChildMock& operator=(const ChildMock&) = delete;
  const std::string& base_url() const { return base_url_; }

 private:
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  std::string base_url_;
};

/// The child side: serves until its stdin closes. Returns the exit status.
int RunChildMock(std::size_t text_bytes, std::size_t chunk_chars);

}  // namespace provkit::bench
