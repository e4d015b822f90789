// In-memory streaming decode: SSE framing plus chat.completion.chunk JSON to events, on one core.
#include <httplib.h>
#include <time.h>

#include <string>
#include <string_view>
#include <vector>

#include "bench_support.hpp"
#include "chat_codec.hpp"
#include "provkit/runtime/sse.hpp"

namespace provkit::bench {
namespace {

// A real stream body from the mock: `chunks` text chunks of 8 characters (~150-byte events).
std::string CaptureStream(std::size_t chunks) {
  mock::ServerOptions options;
  options.models = {std::string(kModel)};
  options.script.sequence = {mock::Reply{.text = MakeText(chunks * 8)}};
  options.timing.chunk_chars = 8;
  mock::Server server(std::move(options));
  httplib::Client client(server.host(), server.port());
  auto result = client.Post("/v1/chat/completions", ChatRequestBody(true), "application/json");
  if (!result || result->status != 200) return {};
  return result->body;
}

double ThreadCpuSeconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

// Decodes `wire` as LocalProvider does: fed in 32 KiB reads, events drained after each read.
void BM_DecodeInMemory(benchmark::State& state) {
  const std::string wire = CaptureStream(10000);
  if (wire.empty()) {
    state.SkipWithError("could not capture a stream from the mock");
    return;
  }
  constexpr std::size_t kReadBytes = 32 * 1024;
  std::size_t events_total = 0;
  std::size_t sse_events = 0;
  const Clock::time_point start = Clock::now();
  const double cpu_start = ThreadCpuSeconds();
  for (auto _ : state) {
    chat::ChunkDecoder decoder("local");
    std::vector<StreamEvent> events;
    std::size_t dispatched = 0;
    SseParser parser([&](const SseEvent& event) {
      ++dispatched;
      decoder.Decode(event.data, events, event.event);
    });
    for (std::size_t at = 0; at < wire.size(); at += kReadBytes) {
      parser.Feed(std::string_view(wire).substr(at, kReadBytes));
      events_total += events.size();
      events.clear();
    }
    decoder.Finish(events);
    events_total += events.size();
    benchmark::DoNotOptimize(decoder.TakeOutput().text.size());
    sse_events = dispatched;
  }
  const double seconds = MicrosSince(start) / 1e6;
  const double cpu_seconds = ThreadCpuSeconds() - cpu_start;
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * wire.size()));
  state.counters["events_per_s"] = static_cast<double>(events_total) / seconds;
  state.counters["events_per_cpu_s"] = static_cast<double>(events_total) / cpu_seconds;
  state.counters["bytes_per_sse_event"] =
      static_cast<double>(wire.size()) / static_cast<double>(sse_events);
  state.counters["target_events_per_s"] = 1e6;
}
BENCHMARK(BM_DecodeInMemory)->Unit(benchmark::kMillisecond)->MinTime(1.0);

}  // namespace
}  // namespace provkit::bench
