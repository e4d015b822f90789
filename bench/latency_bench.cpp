// The mock's latency model under load: 200 concurrent streams paced by a normal inter-token
// latency, with the gaps measured where a client sees them.
#include <httplib.h>

#include <algorithm>
#include <cmath>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench_support.hpp"
#include "provkit/mockserver/server.hpp"

namespace provkit::bench {
namespace {

constexpr int kStreams = 200;
constexpr std::size_t kChunkChars = 4;
constexpr std::size_t kReplyChars = 200;  // 50 text events, plus role, finish and [DONE].
constexpr double kMeanMs = 20.0;
constexpr double kSpreadMs = 1.0;
constexpr double kZ99 = 2.326;  // The standard normal's 99th percentile.

/// The `fraction` quantile of `sorted` (nearest rank).
double Quantile(const std::vector<double>& sorted, double fraction) {
  if (sorted.empty()) return 0;
  const auto rank =
      static_cast<std::size_t>(std::ceil(fraction * static_cast<double>(sorted.size())));
  return sorted[std::min(sorted.size() - 1, rank == 0 ? 0 : rank - 1)];
}

/// Streams one chat answer and appends the gaps between its events' arrivals (in ms) to `gaps`;
/// false when the request failed. Events read together count a gap of 0, as a client sees them.
bool StreamGaps(int port, std::vector<double>& gaps) {
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(std::chrono::seconds(30));
  client.set_connection_timeout(std::chrono::seconds(10));
  client.set_tcp_nodelay(true);
  httplib::Request request;
  request.method = "POST";
  request.path = "/v1/chat/completions";
  request.body = ChatRequestBody(true);
  request.set_header("Content-Type", "application/json");
  bool first = true;
  Clock::time_point last;
  std::string tail;
  request.content_receiver = [&](const char* data, std::size_t length, std::uint64_t,
                                 std::uint64_t) {
    const Clock::time_point now = Clock::now();
    tail.append(data, length);
    std::size_t end = 0;
    std::size_t found = 0;
    while ((found = tail.find("\n\n", end)) != std::string::npos) {
      if (!first) gaps.push_back(std::chrono::duration<double, std::milli>(now - last).count());
      first = false;
      last = now;
      end = found + 2;
    }
    tail.erase(0, end);
    return true;
  };
  httplib::Response response;
  httplib::Error error = httplib::Error::Success;
  return client.send(request, response, error) && response.status == 200;
}

void BM_LatencyGaps200Streams(benchmark::State& state) {
  mock::ServerOptions options;
  options.models = {std::string(kModel)};
  options.threads = kStreams + 16;
  options.timing.chunk_chars = kChunkChars;
  options.timing.chunk_interval = std::chrono::microseconds(std::llround(kMeanMs * 1000));
  options.timing.inter_token = {mock::Distribution::kNormal,
                                std::chrono::microseconds(std::llround(kSpreadMs * 1000))};
  options.timing.seed = 7;
  mock::Reply reply;
  reply.text = MakeText(kReplyChars);
  options.script.sequence = {reply};
  options.script.loop = true;
  mock::Server server(std::move(options));
  std::vector<double> all;
  bool failed = false;
  for (auto _ : state) {
    std::vector<std::vector<double>> gaps(kStreams);
    std::vector<char> ok(kStreams, 0);
    const Clock::time_point start = Clock::now();
    std::vector<std::thread> clients;
    clients.reserve(kStreams);
    for (int i = 0; i < kStreams; ++i) {
      clients.emplace_back([&, i] { ok[i] = StreamGaps(server.port(), gaps[i]) ? 1 : 0; });
    }
    for (std::thread& thread : clients) thread.join();
    state.SetIterationTime(MicrosSince(start) / 1e6);
    for (int i = 0; i < kStreams; ++i) {
      if (ok[i] == 0) failed = true;
      all.insert(all.end(), gaps[i].begin(), gaps[i].end());
    }
  }
  if (failed || all.empty()) {
    state.SkipWithError("a stream failed");
    return;
  }
  std::sort(all.begin(), all.end());
  const double p50 = Quantile(all, 0.50);
  const double p99 = Quantile(all, 0.99);
  const double configured_p99 = kMeanMs + kZ99 * kSpreadMs;
  state.counters["gaps"] = static_cast<double>(all.size());
  state.counters["gap_p50_ms"] = p50;
  state.counters["gap_p99_ms"] = p99;
  state.counters["configured_p50_ms"] = kMeanMs;
  state.counters["configured_p99_ms"] = configured_p99;
  state.counters["p50_error_pct"] = 100.0 * std::abs(p50 - kMeanMs) / kMeanMs;
  state.counters["p99_excess_ms"] = p99 - configured_p99;
}
BENCHMARK(BM_LatencyGaps200Streams)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace
}  // namespace provkit::bench
