// Tests of the /__provkit/ admin endpoints: journal, stats, and runtime switches.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "provkit/mockserver/server.hpp"
#include "test_support.hpp"

namespace provkit::mock {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::ChatBody;
using testing::ClientOf;

TEST(AdminTest, JournalIsServedAndResetOverHttp) {
  Server server;
  auto client = ClientOf(server);
  ASSERT_TRUE(client.Get("/health"));
  ASSERT_TRUE(client.Get("/v1/models"));
  auto journal = client.Get("/__provkit/journal");
  ASSERT_TRUE(journal);
  ASSERT_EQ(journal->status, 200);
  const json body = json::parse(journal->body);
  ASSERT_EQ(body["entries"].size(), 2u);
  EXPECT_EQ(body["entries"][1]["path"], "/v1/models");
  EXPECT_EQ(body["stats"]["connections_opened"], 1);
  EXPECT_EQ(body["stats"]["connections_open"], 1);
  auto reset = client.Delete("/__provkit/journal");
  ASSERT_TRUE(reset);
  EXPECT_EQ(reset->status, 200);
  EXPECT_TRUE(server.journal().empty());
  EXPECT_EQ(server.connections_opened(), 0u);
}

TEST(AdminTest, PostScenarioSwitchesAtRuntimeAndRefusesBadOnes) {
  Server server;
  auto client = ClientOf(server);
  auto switched = client.Post("/__provkit/scenario", R"({"name":"models-error","status":502})",
                              "application/json");
  ASSERT_TRUE(switched);
  EXPECT_EQ(switched->status, 200);
  EXPECT_EQ(json::parse(switched->body)["status"], 502);
  auto listing = client.Get("/v1/models");
  ASSERT_TRUE(listing);
  EXPECT_EQ(listing->status, 502);
  auto bad = client.Post("/__provkit/scenario", R"({"name":"nope"})", "application/json");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_THAT(json::parse(bad->body)["error"]["message"].get<std::string>(),
              ::testing::HasSubstr("unknown scenario"));
  auto not_json = client.Post("/__provkit/scenario", "{", "application/json");
  ASSERT_TRUE(not_json);
  EXPECT_EQ(not_json->status, 400);
  EXPECT_EQ(server.scenario().kind, ScenarioKind::kModelsError);
  ASSERT_TRUE(client.Post("/__provkit/scenario", R"("healthy")", "application/json"));
  EXPECT_EQ(server.scenario().kind, ScenarioKind::kHealthy);
}

TEST(AdminTest, AdminAnswersWhileEveryEndpointHangs) {
  Server server;
  server.SetScenario(Scenario::Hang(60s));
  auto client = ClientOf(server, 5s);
  auto stats = client.Get("/__provkit/stats");
  ASSERT_TRUE(stats);
  const json body = json::parse(stats->body);
  EXPECT_EQ(body["scenario"]["name"], "hang");
  EXPECT_EQ(body["profile"], "openai");
  EXPECT_EQ(body["url"], server.url());
  ASSERT_TRUE(client.Post("/__provkit/scenario", R"({"name":"healthy"})", "application/json"));
  auto health = client.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
}

TEST(AdminTest, PostScriptTimingProfileAndModels) {
  Server server;
  auto client = ClientOf(server);
  ASSERT_EQ(
      client.Post("/__provkit/script", R"({"sequence":["scripted"]})", "application/json")->status,
      200);
  ASSERT_EQ(client.Post("/__provkit/timing", R"({"chunk_chars":2})", "application/json")->status,
            200);
  EXPECT_EQ(server.timing().chunk_chars, 2u);
  ASSERT_EQ(
      client
          .Post("/__provkit/models", R"(["a", {"id":"b","status":"loaded"}])", "application/json")
          ->status,
      200);
  EXPECT_EQ(server.models().size(), 2u);
  auto chat = client.Post("/v1/chat/completions", ChatBody("a", "hi"), "application/json");
  ASSERT_TRUE(chat);
  EXPECT_EQ(json::parse(chat->body)["choices"][0]["message"]["content"], "scripted");
  ASSERT_EQ(client.Post("/__provkit/profile", R"({"name":"ollama"})", "application/json")->status,
            200);
  EXPECT_EQ(server.profile(), Profile::kOllama);
  EXPECT_EQ(client.Post("/__provkit/profile", R"("nope")", "application/json")->status, 400);
  EXPECT_EQ(client.Post("/__provkit/timing", R"({"chunk_chars":0})", "application/json")->status,
            400);
}

TEST(AdminTest, UnknownAdminPathIs404) {
  Server server;
  auto client = ClientOf(server);
  auto response = client.Get("/__provkit/nothing");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 404);
}

}  // namespace
}  // namespace provkit::mock
