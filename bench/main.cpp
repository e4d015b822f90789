// provkit-bench entry point: Google Benchmark's main, plus the child mock mode the memory benchmark
// spawns.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "bench_support.hpp"

int main(int argc, char** argv) {
  if (argc == 4 && std::strcmp(argv[1], "--provkit-mock-child") == 0) {
    return provkit::bench::RunChildMock(std::stoull(argv[2]), std::stoull(argv[3]));
  }
  benchmark::Initialize(&argc, argv);
  // --provkit_allow_deep_idle: measure with the machine's own idle policy (see
  // docs/performance.md).
  char** const end = std::remove_if(argv + 1, argv + argc, [](const char* arg) {
    return std::strcmp(arg, "--provkit_allow_deep_idle") == 0;
  });
  const bool hold_latency = end == argv + argc;
  argc = static_cast<int>(end - argv);
  benchmark::AddCustomContext("cpu_dma_latency", hold_latency
                                                     ? provkit::bench::HoldCpuWakeLatency()
                                                     : "not held (--provkit_allow_deep_idle)");
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
