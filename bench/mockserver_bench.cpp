// The mock's /health and /v1/models under 16 keep-alive connections against a bare cpp-httplib
// server.
#include <httplib.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench_support.hpp"

namespace provkit::bench {
namespace {

constexpr int kConnections = 16;
constexpr int kRequestsPerConnection = 100;

struct Captured {
  std::string body;
  std::string content_type;
};

Captured Capture(httplib::Client& client, const std::string& path) {
  auto result = client.Get(path);
  if (!result) return {};
  return {result->body, result->get_header_value("Content-Type")};
}

// A cpp-httplib server on its own thread answering the captured bytes; stopped and joined
// on destruction.
class BareServer {
 public:
  BareServer(const Captured& health, const Captured& models) {
    server_.new_task_queue = [] { return new httplib::ThreadPool(2 * kConnections); };
    server_.set_tcp_nodelay(true);
    server_.set_keep_alive_max_count(1000000000);
    server_.Get("/health", [health](const httplib::Request&, httplib::Response& response) {
      response.set_content(health.body, health.content_type);
    });
    server_.Get("/v1/models", [models](const httplib::Request&, httplib::Response& response) {
      response.set_content(models.body, models.content_type);
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::yield();
  }
  ~BareServer() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

// kConnections kept-alive clients, each sending kRequestsPerConnection GETs alternating
// /health and /v1/models; returns requests per second, or 0 when a request failed.
double Round(std::vector<std::unique_ptr<httplib::Client>>& clients) {
  std::atomic<bool> failed{false};
  const Clock::time_point start = Clock::now();
  std::vector<std::thread> threads;
  for (auto& client : clients) {
    threads.emplace_back([&client, &failed] {
      for (int i = 0; i < kRequestsPerConnection; ++i) {
        auto result = client->Get(i % 2 == 0 ? "/health" : "/v1/models");
        if (!result || result->status != 200) failed = true;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  const double seconds = MicrosSince(start) / 1e6;
  return failed ? 0.0 : kConnections * kRequestsPerConnection / seconds;
}

std::vector<std::unique_ptr<httplib::Client>> Clients(int port) {
  std::vector<std::unique_ptr<httplib::Client>> clients;
  for (int i = 0; i < kConnections; ++i) {
    auto client = std::make_unique<httplib::Client>("127.0.0.1", port);
    client->set_keep_alive(true);
    client->set_tcp_nodelay(true);
    clients.push_back(std::move(client));
  }
  return clients;
}

// Per iteration one round against the mock, then one against the bare server. The
// benchmark's time is the mock's round; `mock_over_bare` compares the median throughputs.
void BM_MockHealthModels16Conns(benchmark::State& state) {
  mock::ServerOptions options;
  options.models = {std::string(kModel), "other-model"};
  mock::Server mock_server(std::move(options));
  httplib::Client probe(mock_server.host(), mock_server.port());
  const Captured health = Capture(probe, "/health");
  const Captured models = Capture(probe, "/v1/models");
  if (health.body.empty() || models.body.empty()) {
    state.SkipWithError("could not capture the mock's answers");
    return;
  }
  BareServer bare(health, models);
  auto mock_clients = Clients(mock_server.port());
  auto bare_clients = Clients(bare.port());
  Round(mock_clients);  // Connect and warm up both.
  Round(bare_clients);
  Samples mock_rate;
  Samples bare_rate;
  for (auto _ : state) {
    const double mock_rps = Round(mock_clients);
    const double bare_rps = Round(bare_clients);
    if (mock_rps == 0 || bare_rps == 0) {
      state.SkipWithError("a request failed");
      return;
    }
    mock_rate.Add(mock_rps);
    bare_rate.Add(bare_rps);
    state.SetIterationTime(kConnections * kRequestsPerConnection / mock_rps);
  }
  state.counters["mock_rps_median"] = mock_rate.Median();
  state.counters["bare_rps_median"] = bare_rate.Median();
  state.counters["mock_over_bare"] = mock_rate.Median() / bare_rate.Median();
  state.counters["mock_connections"] = static_cast<double>(mock_server.connections_opened());
}
BENCHMARK(BM_MockHealthModels16Conns)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(30);

}  // namespace
}  // namespace provkit::bench
