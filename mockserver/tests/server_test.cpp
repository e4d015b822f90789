// Tests of Server: lifecycle, limits and exact connection counting (S5 evidence).
#include "provkit/mockserver/server.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <system_error>
#include <thread>

#include "test_support.hpp"

namespace provkit::mock {
namespace {

using namespace std::chrono_literals;
using testing::ClientOf;

ServerOptions Models(std::vector<Model> models) {
  ServerOptions options;
  options.models = std::move(models);
  return options;
}

TEST(ServerTest, ReadyWhenConstructedWithUrlsNamingThePort) {
  Server server;
  ASSERT_GT(server.port(), 0);
  EXPECT_EQ(server.url(), "http://127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(server.base_url(), server.url() + "/v1");
  EXPECT_TRUE(server.listening());
  auto client = ClientOf(server);
  auto response = client.Get("/health");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, R"({"status":"ok"})");
}

TEST(ServerTest, KeepAliveClientCountsAsOneConnectionOverHundredRequests) {
  RecordProperty("clause", "S5");
  Server server;
  auto client = ClientOf(server);
  for (int i = 0; i < 100; ++i) {
    auto response = client.Get(i % 2 == 0 ? "/health" : "/v1/models");
    ASSERT_TRUE(response) << "request " << i;
    ASSERT_EQ(response->status, 200);
  }
  EXPECT_EQ(server.connections_opened(), 1u);
  EXPECT_EQ(server.connections_open(), 1u);
  const auto journal = server.journal();
  ASSERT_EQ(journal.size(), 100u);
  std::set<std::uint64_t> ids;
  for (const JournalEntry& entry : journal) ids.insert(entry.connection_id);
  EXPECT_EQ(ids.size(), 1u);
}

TEST(ServerTest, HundredFreshClientsCountAsHundredConnections) {
  RecordProperty("clause", "S5");
  Server server;
  for (int i = 0; i < 100; ++i) {
    httplib::Client client(server.url());
    auto response = client.Get("/health");
    ASSERT_TRUE(response) << "client " << i;
    ASSERT_EQ(response->status, 200);
  }
  EXPECT_EQ(server.connections_opened(), 100u);
  std::set<std::uint64_t> ids;
  for (const JournalEntry& entry : server.journal()) ids.insert(entry.connection_id);
  EXPECT_EQ(ids.size(), 100u);
  EXPECT_TRUE(server.WaitForOpenConnectionsAtMost(0, 10s));
  EXPECT_EQ(server.connections_open(), 0u);
}

TEST(ServerTest, ServesSixtyFourConnectionsAtOnceAndStopEndsThem) {
  Server server;
  server.SetScenario(Scenario::Hang(60s));
  constexpr int kClients = 64;
  std::atomic<int> answered{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&] {
      auto client = ClientOf(server, 30s);
      if (client.Get("/health")) ++answered;
    });
  }
  const bool all_arrived = server.WaitForRequests(kClients, 20s);
  EXPECT_TRUE(all_arrived);
  EXPECT_EQ(server.connections_open(), static_cast<std::uint64_t>(kClients));
  const auto started = std::chrono::steady_clock::now();
  server.Stop();
  for (std::thread& client : clients) client.join();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 20s);
  EXPECT_EQ(answered.load(), 0) << "a hung request must never be answered";
  EXPECT_EQ(server.connections_open(), 0u);
}

TEST(ServerTest, StopEndsIdleKeepAliveConnectionsWithoutWaitingForTheirTimeout) {
  ServerOptions options;
  options.keep_alive_timeout = 120s;
  Server server(options);
  auto client = ClientOf(server);
  ASSERT_TRUE(client.Get("/health"));
  ASSERT_EQ(server.connections_open(), 1u);
  const auto started = std::chrono::steady_clock::now();
  server.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 30s);
  EXPECT_EQ(server.connections_open(), 0u);
}

TEST(ServerTest, StoppedServerRefusesConnectionsAndStopIsIdempotent) {
  RecordProperty("clause", "R8");
  Server server;
  server.Stop();
  server.Stop();
  EXPECT_FALSE(server.listening());
  httplib::Client client(server.url());
  client.set_connection_timeout(2s);
  auto response = client.Get("/health");
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error(), httplib::Error::Connection);
}

TEST(ServerTest, ListenDelayRefusesConnectionsUntilListening) {
  ServerOptions options;
  options.listen_delay = 300ms;
  Server server(options);
  ASSERT_GT(server.port(), 0);
  EXPECT_FALSE(server.listening());
  httplib::Client early(server.url());
  auto refused = early.Get("/health");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), httplib::Error::Connection);
  ASSERT_TRUE(server.WaitUntilListening(10s));
  auto client = ClientOf(server);
  auto response = client.Get("/health");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
}

TEST(ServerTest, VllmProfileListensOnlyAfterTimedLoading) {
  ServerOptions options;
  options.profile = Profile::kVllm;
  options.scenario = Scenario::Loading(0, 300ms);
  Server server(options);
  httplib::Client early(server.url());
  auto refused = early.Get("/health");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), httplib::Error::Connection);
  ASSERT_TRUE(server.WaitUntilListening(10s));
  auto client = ClientOf(server);
  auto response = client.Get("/health");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "");
}

TEST(ServerTest, StopDuringListenDelayReturnsPromptly) {
  ServerOptions options;
  options.listen_delay = 120s;
  Server server(options);
  const auto started = std::chrono::steady_clock::now();
  server.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 30s);
  EXPECT_FALSE(server.WaitUntilListening(10ms));
}

TEST(ServerTest, InvalidOptionsThrowConfigError) {
  ServerOptions bad_path;
  bad_path.base_path = "v1";
  EXPECT_THROW(Server{bad_path}, ConfigError);
  ServerOptions no_threads;
  no_threads.threads = 0;
  EXPECT_THROW(Server{no_threads}, ConfigError);
  EXPECT_THROW(Server{Models({""})}, ConfigError);
}

TEST(ServerTest, BusyPortThrowsSystemError) {
  Server first;
  ServerOptions options;
  options.port = first.port();
  EXPECT_THROW(Server{options}, std::system_error);
}

TEST(ServerTest, BasePathMovesEveryEndpoint) {
  ServerOptions options;
  options.base_path = "/api/v1";
  Server server(options);
  EXPECT_EQ(server.base_url(), server.url() + "/api/v1");
  auto client = ClientOf(server);
  auto health = client.Get("/api/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  auto models = client.Get("/api/v1/models");
  ASSERT_TRUE(models);
  EXPECT_EQ(models->status, 200);
  auto old = client.Get("/v1/models");
  ASSERT_TRUE(old);
  EXPECT_EQ(old->status, 404);
}

TEST(ServerTest, OversizedBodyIs413AndOversizedHeadersAre431) {
  ServerOptions options;
  options.max_request_bytes = 1024;
  options.max_header_bytes = 256;
  Server server(options);
  auto client = ClientOf(server);
  auto big_body = client.Post("/v1/chat/completions", std::string(4096, 'x'), "application/json");
  ASSERT_TRUE(big_body);
  EXPECT_EQ(big_body->status, 413);
  httplib::Headers headers = {{"X-Filler", std::string(512, 'y')}};
  auto big_headers = client.Get("/health", headers);
  ASSERT_TRUE(big_headers);
  EXPECT_EQ(big_headers->status, 431);
}

TEST(ServerTest, SettersChangeAnswersAtRuntime) {
  Server server;
  server.SetModels({"a", "b"});
  EXPECT_THAT(server.models(), ::testing::ElementsAre(Model("a"), Model("b")));
  server.SetProfile(Profile::kOllama);
  EXPECT_EQ(server.profile(), Profile::kOllama);
  auto client = ClientOf(server);
  auto health = client.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 404);
  auto listing = client.Get("/v1/models");
  ASSERT_TRUE(listing);
  const auto data = nlohmann::json::parse(listing->body)["data"];
  ASSERT_EQ(data.size(), 2u);
  EXPECT_EQ(data[1]["id"], "b");
}

}  // namespace
}  // namespace provkit::mock
