// Tests of the request journal: what is recorded, the bounded ring buffer, resets and observers.
#include "provkit/mockserver/journal.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <mutex>

#include "provkit/mockserver/server.hpp"
#include "test_support.hpp"

namespace provkit::mock {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::ChatBody;
using testing::ClientOf;

TEST(JournalTest, RecordsMethodPathHeadersBodyStatusAndConnection) {
  RecordProperty("clause", "R11");
  Server server;
  auto client = ClientOf(server);
  client.set_bearer_token_auth("tok");
  const auto before = std::chrono::system_clock::now();
  ASSERT_TRUE(client.Get("/health?verbose=1"));
  const std::string body = ChatBody("provkit-mock", "hi");
  ASSERT_TRUE(client.Post("/v1/chat/completions", body, "application/json"));
  ASSERT_TRUE(client.Get("/v1/models"));
  const auto journal = server.journal();
  ASSERT_EQ(journal.size(), 3u);
  EXPECT_EQ(journal[0].method, "GET");
  EXPECT_EQ(journal[0].path, "/health");
  EXPECT_EQ(journal[0].body, "");
  EXPECT_EQ(journal[0].status, 200);
  EXPECT_EQ(journal[0].Header("authorization"), "Bearer tok");
  EXPECT_FALSE(journal[0].Header("REMOTE_ADDR"));
  EXPECT_GE(journal[0].time, before);
  EXPECT_EQ(journal[1].method, "POST");
  EXPECT_EQ(journal[1].body, body);
  EXPECT_EQ(journal[1].Header("Content-Type"), "application/json");
  EXPECT_EQ(journal[2].path, "/v1/models");
  EXPECT_EQ(journal[0].sequence + 2, journal[2].sequence);
  EXPECT_EQ(journal[0].connection_id, journal[2].connection_id);
  EXPECT_EQ(journal[0].fault, "");
}

TEST(JournalTest, RingBufferKeepsTheNewestEntries) {
  ServerOptions options;
  options.journal_size = 5;
  Server server(options);
  auto client = ClientOf(server);
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(client.Get("/health"));
  const auto journal = server.journal();
  ASSERT_EQ(journal.size(), 5u);
  EXPECT_EQ(journal.front().sequence, 4u);
  EXPECT_EQ(journal.back().sequence, 8u);
  EXPECT_EQ(server.requests(), 8u);
  EXPECT_EQ(server.stats().journal_dropped, 3u);
}

TEST(JournalTest, ResetClearsEntriesAndCountersButNotOpenConnections) {
  Server server;
  auto client = ClientOf(server);
  ASSERT_TRUE(client.Get("/health"));
  server.ResetJournal();
  EXPECT_TRUE(server.journal().empty());
  EXPECT_EQ(server.requests(), 0u);
  EXPECT_EQ(server.connections_opened(), 0u);
  EXPECT_EQ(server.connections_open(), 1u);
  ASSERT_TRUE(client.Get("/health"));
  EXPECT_EQ(server.journal().size(), 1u);
  EXPECT_EQ(server.journal()[0].sequence, 2u) << "sequence numbers keep growing";
}

TEST(JournalTest, AdminRequestsAreNotJournalled) {
  Server server;
  auto client = ClientOf(server);
  ASSERT_TRUE(client.Get("/__provkit/stats"));
  ASSERT_TRUE(client.Get("/health"));
  EXPECT_EQ(server.journal().size(), 1u);
}

TEST(JournalTest, ObserverSeesEveryRequestWithItsStatus) {
  std::mutex mutex;
  std::vector<std::pair<std::string, int>> seen;
  ServerOptions options;
  options.on_request = [&](const JournalEntry& entry) {
    std::lock_guard lock(mutex);
    seen.emplace_back(entry.path, entry.status);
  };
  Server server(options);
  auto client = ClientOf(server);
  ASSERT_TRUE(client.Get("/health"));
  ASSERT_TRUE(client.Get("/missing"));
  server.Stop();
  std::lock_guard lock(mutex);
  EXPECT_THAT(seen, ::testing::ElementsAre(std::pair<std::string, int>("/health", 200),
                                           std::pair<std::string, int>("/missing", 404)));
}

TEST(JournalTest, BodiesAreTruncatedAtTheLimit) {
  ServerOptions options;
  options.journal_body_limit = 10;
  Server server(options);
  auto client = ClientOf(server);
  ASSERT_TRUE(client.Post("/v1/chat/completions", ChatBody("provkit-mock", "long enough"),
                          "application/json"));
  const auto journal = server.journal();
  ASSERT_EQ(journal.size(), 1u);
  EXPECT_EQ(journal[0].body.size(), 10u);
  EXPECT_TRUE(journal[0].body_truncated);
}

TEST(JournalTest, FaultNamesTheScenarioOnlyWhereItChangedTheAnswer) {
  Server server;
  server.SetScenario(Scenario::StreamDrop(1));
  auto client = ClientOf(server);
  ASSERT_TRUE(client.Get("/health"));
  client.Post("/v1/chat/completions", ChatBody("provkit-mock", "a b c d e f g h i j k l"),
              "application/json");
  server.SetScenario(Scenario::Auth("t"));
  auto refused = ClientOf(server).Get("/v1/models");
  ASSERT_TRUE(refused);
  const auto journal = server.journal();
  ASSERT_EQ(journal.size(), 3u);
  EXPECT_EQ(journal[0].fault, "");
  EXPECT_EQ(journal[1].fault, "stream-drop");
  EXPECT_EQ(journal[2].fault, "auth");
  EXPECT_EQ(journal[2].status, 401);
}

TEST(JournalTest, RequestInFlightShowsStatusZero) {
  Server server;
  server.SetScenario(Scenario::Hang(60s));
  std::thread waiting([&] {
    auto client = ClientOf(server, 30s);
    client.Get("/v1/models");
  });
  ASSERT_TRUE(server.WaitForRequests(1, 10s));
  EXPECT_EQ(server.journal()[0].status, 0);
  server.Stop();
  waiting.join();
}

TEST(JournalTest, ToJsonNamesEveryField) {
  JournalEntry entry;
  entry.sequence = 3;
  entry.connection_id = 2;
  entry.method = "GET";
  entry.path = "/health";
  entry.headers = {{"Accept", "a"}, {"Accept", "b"}};
  entry.status = 200;
  entry.time = std::chrono::system_clock::time_point(std::chrono::microseconds(1700000000123456));
  const json out = ToJson(entry);
  EXPECT_EQ(out["headers"]["Accept"], "a, b");
  EXPECT_EQ(out["time"], "2023-11-14T22:13:20.123456Z");
  EXPECT_EQ(out["connection_id"], 2);
  EXPECT_EQ(out["status"], 200);
}

}  // namespace
}  // namespace provkit::mock
