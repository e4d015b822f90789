// Session reuse against a fresh provider: readiness probes, non-streaming turns, and run_many.
#include <httplib.h>

#include <chrono>
#include <string>
#include <vector>

#include "bench_support.hpp"
#include "provkit/runtime/local_provider.hpp"
#include "provkit/runtime/session.hpp"

namespace provkit::bench {
namespace {

mock::ServerOptions BenchServerOptions() {
  mock::ServerOptions options;
  options.models = {std::string(kModel), "other-model"};
  return options;
}

// Readiness probe (health + models, model set): one probe on a reused Session and one on a
// fresh LocalProvider per iteration, interleaved so that both see the same load. The
// benchmark's time is the reused probe's; the ratio is a counter.
void BM_ProbeSessionReuseVsFresh(benchmark::State& state) {
  mock::Server server(BenchServerOptions());
  const Config config = MakeConfig(server.base_url());
  Session session(config);
  if (!session.CheckReady().ready) {
    state.SkipWithError("probe not ready");
    return;
  }
  httplib::Client raw(server.host(), server.port());  // The floor: the same two GETs, bare.
  raw.set_keep_alive(true);
  raw.set_tcp_nodelay(true);
  raw.set_bearer_token_auth("local");
  Samples reuse;
  Samples fresh;
  Samples bare;
  bool bare_first = true;
  for (auto _ : state) {
    Clock::time_point start = Clock::now();
    bool fresh_ready = false;
    {
      LocalProvider provider(config);
      fresh_ready = provider.CheckReady(config.model).ready;
    }
    const double fresh_us = MicrosSince(start);
    // Let the server finish closing the fresh connection before the next timing.
    server.WaitForOpenConnectionsAtMost(2, std::chrono::seconds(1));
    double bare_us = 0;
    auto time_bare = [&] {
      start = Clock::now();
      auto health = raw.Get("/health");
      auto models = raw.Get("/v1/models");
      bare_us = MicrosSince(start);
      return health && models;
    };
    if (bare_first && !time_bare()) {
      state.SkipWithError("bare GET failed");
      return;
    }
    start = Clock::now();
    const bool reused_ready = session.CheckReady().ready;
    const double reuse_us = MicrosSince(start);
    if (!bare_first && !time_bare()) {
      state.SkipWithError("bare GET failed");
      return;
    }
    bare_first = !bare_first;  // Alternate, so that neither side always goes first.
    if (!reused_ready || !fresh_ready) {
      state.SkipWithError("probe not ready");
      return;
    }
    bare.Add(bare_us);
    reuse.Add(reuse_us);
    fresh.Add(fresh_us);
    state.SetIterationTime(reuse_us / 1e6);
  }
  state.counters["reuse_median_us"] = reuse.Median();
  state.counters["fresh_median_us"] = fresh.Median();
  state.counters["fresh_over_reuse"] = fresh.Median() / reuse.Median();
  state.counters["bare_two_gets_median_us"] = bare.Median();
  state.counters["connections"] = static_cast<double>(server.connections_opened());
}
BENCHMARK(BM_ProbeSessionReuseVsFresh)
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond)
    ->Iterations(2000);

// 100 sequential non-streaming turns on one Session, then 100 one-shot provkit::Interact
// calls, per iteration. The benchmark's time is the Session's 100 turns.
void BM_TurnsSessionVsOneShot(benchmark::State& state) {
  constexpr int kTurns = 100;
  mock::Server server(BenchServerOptions());
  const Config config = MakeConfig(server.base_url());
  const Input input{.text = "Say something."};
  Samples session_turn;
  Samples one_shot_turn;
  for (auto _ : state) {
    Clock::time_point start = Clock::now();
    {
      Session session(config);
      for (int i = 0; i < kTurns; ++i) benchmark::DoNotOptimize(session.Interact({}, input));
    }
    const double session_us = MicrosSince(start);
    start = Clock::now();
    for (int i = 0; i < kTurns; ++i) benchmark::DoNotOptimize(Interact(config, {}, input));
    const double one_shot_us = MicrosSince(start);
    session_turn.Add(session_us / kTurns);
    one_shot_turn.Add(one_shot_us / kTurns);
    state.SetIterationTime(session_us / 1e6);
  }
  state.counters["session_turn_median_us"] = session_turn.Median();
  state.counters["one_shot_turn_median_us"] = one_shot_turn.Median();
  state.counters["one_shot_over_session"] = one_shot_turn.Median() / session_turn.Median();
}
BENCHMARK(BM_TurnsSessionVsOneShot)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(20);

// Session::RunMany with 32 prompts at concurrency 8 against a server that waits 5 ms before
// each answer: the floor is 4 rounds x 5 ms. A fresh Session per iteration, so connection
// setup is counted, and the mock's counter gives the connections opened.
void BM_RunMany32x8Latency5ms(benchmark::State& state) {
  constexpr std::size_t kPrompts = 32;
  constexpr std::size_t kConcurrency = 8;
  constexpr double kFloorUs = 4 * 5000.0;
  mock::ServerOptions options = BenchServerOptions();
  options.timing.first_chunk_delay = std::chrono::milliseconds(5);
  mock::Server server(std::move(options));
  const Config config = MakeConfig(server.base_url());
  std::vector<Input> inputs;
  for (std::size_t i = 0; i < kPrompts; ++i)
    inputs.push_back(Input{.text = "prompt " + std::to_string(i)});
  Samples wall;
  double max_connections = 0;
  for (auto _ : state) {
    Session session(config);
    server.ResetJournal();
    const Clock::time_point start = Clock::now();
    const std::vector<Output> outputs = session.RunMany({}, inputs, {}, kConcurrency);
    const double wall_us = MicrosSince(start);
    if (outputs.size() != kPrompts) {
      state.SkipWithError("missing outputs");
      return;
    }
    wall.Add(wall_us);
    max_connections = std::max(max_connections, static_cast<double>(server.connections_opened()));
    state.SetIterationTime(wall_us / 1e6);
  }
  state.counters["wall_median_us"] = wall.Median();
  state.counters["over_4x5ms"] = wall.Median() / kFloorUs;
  state.counters["max_connections"] = max_connections;
}
BENCHMARK(BM_RunMany32x8Latency5ms)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(50);

}  // namespace
}  // namespace provkit::bench
