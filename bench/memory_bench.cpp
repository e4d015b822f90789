// Memory for a 100 MB streamed answer: peak RSS growth against the text assembled, and events-only.
#include <string>

#include "bench_support.hpp"
#include "provkit/runtime/session.hpp"

namespace provkit::bench {
namespace {

constexpr std::size_t kChunkChars = 4096;

void ReportMemory(benchmark::State& state, std::size_t baseline, std::size_t text_bytes,
                  std::size_t answer_bytes) {
  const std::size_t peak = PeakResidentBytes();
  const double growth = peak > baseline ? static_cast<double>(peak - baseline) : 0.0;
  state.counters["answer_mb"] = static_cast<double>(answer_bytes) / (1 << 20);
  state.counters["text_kept_mb"] = static_cast<double>(text_bytes) / (1 << 20);
  state.counters["peak_rss_growth_mb"] = growth / (1 << 20);
  state.counters["growth_over_answer"] = growth / static_cast<double>(answer_bytes);
}

// A Session streams an answer of `mib` MiB from a mock in a child process, the consumer
// keeping no deltas. With assemble 1 the kDone output holds the assembled text; with 0
// (Requirements::assemble_text false, events-only) it holds none. 100 MiB is the issue's
// size; 65 MiB sits just past a power of two (64 MiB), where a std::string grown by
// appending would peak at twice the text.
void BM_MemorySessionStream(benchmark::State& state) {
  const std::size_t answer_bytes = static_cast<std::size_t>(state.range(0)) << 20;
  const bool assemble = state.range(1) != 0;
  ChildMock child(answer_bytes, kChunkChars);
  Session session(MakeConfig(child.base_url()));
  const Input input{.text = "Say something."};
  const Requirements requirements{.assemble_text = assemble};
  for (auto _ : state) {
    std::size_t text_bytes = 0;
    std::size_t delta_bytes = 0;
    {
      EventStream stream =
          session.Stream({}, input, requirements);  // Connects before the baseline.
      if (!ResetPeakResident()) {
        state.SkipWithError("cannot reset VmHWM (/proc/self/clear_refs)");
        return;
      }
      const std::size_t baseline = ResidentBytes();
      while (auto event = stream.Next()) {
        delta_bytes += event->delta.size();
        if (event->type == EventType::kDone) text_bytes = event->output->text.size();
      }
      ReportMemory(state, baseline, text_bytes, answer_bytes);
    }
    if (delta_bytes != answer_bytes || text_bytes != (assemble ? answer_bytes : 0)) {
      state.SkipWithError("short answer");
    }
  }
}
BENCHMARK(BM_MemorySessionStream)
    ->ArgNames({"mib", "assemble"})
    ->Args({100, 1})
    ->Args({65, 1})
    ->Args({100, 0})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1)
    ->UseRealTime();

}  // namespace
}  // namespace provkit::bench
