// Streaming through the runtime: end-to-end events/s from the mock, and the time to first event.
#include <httplib.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "bench_support.hpp"
#include "provkit/runtime/session.hpp"

namespace provkit::bench {
namespace {

// One Session streams a 10,000-chunk answer (8 characters per chunk, zero interval) to kDone.
void BM_StreamEndToEnd10kChunks(benchmark::State& state) {
  constexpr std::size_t kChunks = 10000;
  mock::ServerOptions options;
  options.models = {std::string(kModel)};
  options.script.sequence = {mock::Reply{.text = MakeText(kChunks * 8)}};
  options.script.loop = true;
  options.timing.chunk_chars = 8;
  mock::Server server(std::move(options));
  Session session(MakeConfig(server.base_url()));
  const Input input{.text = "Say something."};
  std::size_t events = 0;
  std::size_t text_deltas = 0;
  Samples rate;
  for (auto _ : state) {
    const Clock::time_point start = Clock::now();
    std::size_t these = 0;
    EventStream stream = session.Stream({}, input);
    while (auto event = stream.Next()) {
      ++these;
      if (event->type == EventType::kTextDelta) ++text_deltas;
    }
    const double micros = MicrosSince(start);
    events += these;
    rate.Add(static_cast<double>(these) / micros * 1e6);
    state.SetIterationTime(micros / 1e6);
  }
  state.counters["events_per_s_median"] = rate.Median();
  state.counters["events_per_stream"] =
      static_cast<double>(events) / static_cast<double>(state.iterations());
  state.counters["text_deltas_per_stream"] =
      static_cast<double>(text_deltas) / static_cast<double>(state.iterations());
  state.counters["target_events_per_s"] = 200000;
}
BENCHMARK(BM_StreamEndToEnd10kChunks)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(30);

// Time to the first text delta through a Session, against the time to the first body byte
// of the same request read by a bare cpp-httplib client on a kept-alive connection;
// interleaved. The server answers at once (4 chunks, one write). The benchmark's time is
// the runtime's; `added_us` is the difference of the medians.
void BM_TimeToFirstEvent(benchmark::State& state) {
  mock::ServerOptions options;
  options.models = {std::string(kModel)};
  options.script.sequence = {mock::Reply{.text = MakeText(32)}};
  options.script.loop = true;
  options.timing.chunk_chars = 8;
  mock::Server server(std::move(options));
  Session session(MakeConfig(server.base_url()));
  const Input input{.text = "Say something."};
  httplib::Client raw(server.host(), server.port());
  raw.set_keep_alive(true);
  raw.set_tcp_nodelay(true);
  raw.set_bearer_token_auth("local");
  const std::string body = ChatRequestBody(true);
  Samples runtime_first;
  Samples runtime_start;
  Samples raw_first;
  Samples raw_headers;
  bool raw_first_in_turn = false;
  for (auto _ : state) {
    double first_us = 0;
    double start_us = 0;
    auto time_runtime = [&] {
      const Clock::time_point start = Clock::now();
      EventStream stream = session.Stream({}, input);
      start_us = MicrosSince(start);
      while (auto event = stream.Next()) {
        if (first_us == 0 && event->type == EventType::kTextDelta) first_us = MicrosSince(start);
      }
    };
    double raw_us = 0;
    double headers_us = 0;
    auto time_raw = [&] {
      const Clock::time_point start = Clock::now();
      httplib::Request request;
      request.method = "POST";
      request.path = "/v1/chat/completions";
      request.headers.emplace("Accept", "text/event-stream");
      request.headers.emplace("Content-Type", "application/json");
      request.body = body;
      request.response_handler = [&](const httplib::Response&) {
        headers_us = MicrosSince(start);
        return true;
      };
      request.content_receiver = [&](const char*, std::size_t, std::uint64_t, std::uint64_t) {
        if (raw_us == 0) raw_us = MicrosSince(start);
        return true;
      };
      httplib::Response response;
      httplib::Error error = httplib::Error::Success;
      return raw.send(request, response, error);
    };
    bool sent = true;
    if (raw_first_in_turn) sent = time_raw();
    time_runtime();
    if (!raw_first_in_turn) sent = time_raw();
    raw_first_in_turn = !raw_first_in_turn;  // Alternate, so that neither side always goes first.
    if (!sent || first_us == 0 || raw_us == 0) {
      state.SkipWithError("stream failed");
      return;
    }
    runtime_first.Add(first_us);
    runtime_start.Add(start_us);
    raw_first.Add(raw_us);
    raw_headers.Add(headers_us);
    state.SetIterationTime(first_us / 1e6);
  }
  state.counters["runtime_stream_returned_us"] = runtime_start.Median();
  state.counters["raw_headers_us"] = raw_headers.Median();
  state.counters["runtime_first_event_us"] = runtime_first.Median();
  state.counters["raw_first_byte_us"] = raw_first.Median();
  state.counters["added_us"] = runtime_first.Median() - raw_first.Median();
}
BENCHMARK(BM_TimeToFirstEvent)->UseManualTime()->Unit(benchmark::kMicrosecond)->Iterations(2000);

// The cost of handing work to another thread and back through a mutex and condition
// variable, as QueueEventSource, WorkerPool and StreamState do. A streamed turn's first
// event crosses three such one-way hand-offs that a bare client does not have.
void BM_ThreadHandoff(benchmark::State& state) {
  std::mutex mutex;
  std::condition_variable changed;
  long long turn = 0;  // Odd: the echo thread's turn.
  bool stop = false;
  std::thread echo([&] {
    std::unique_lock lock(mutex);
    for (;;) {
      changed.wait(lock, [&] { return stop || turn % 2 == 1; });
      if (stop) return;
      ++turn;
      changed.notify_all();
    }
  });
  Samples one_way;
  for (auto _ : state) {
    const Clock::time_point start = Clock::now();
    std::unique_lock lock(mutex);
    ++turn;
    changed.notify_all();
    changed.wait(lock, [&] { return turn % 2 == 0; });
    lock.unlock();
    const double micros = MicrosSince(start);
    one_way.Add(micros / 2);
    state.SetIterationTime(micros / 1e6);
  }
  {
    std::lock_guard lock(mutex);
    stop = true;
  }
  changed.notify_all();
  echo.join();
  state.counters["one_way_median_us"] = one_way.Median();
}
BENCHMARK(BM_ThreadHandoff)->UseManualTime()->Unit(benchmark::kMicrosecond)->Iterations(20000);

}  // namespace
}  // namespace provkit::bench
