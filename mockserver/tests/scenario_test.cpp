// Tests of every scenario and fault over real sockets, and of confining a fault to one endpoint.
#include "provkit/mockserver/scenario.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "provkit/mockserver/config.hpp"
#include "provkit/mockserver/server.hpp"
#include "test_support.hpp"

namespace provkit::mock {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::ChatBody;
using testing::ClientOf;
using testing::DataEvents;
using testing::PostStream;
using testing::Reassemble;

constexpr char kChat[] = "/v1/chat/completions";
constexpr char kLoadingEnvelope[] =
    R"({"error":{"code":503,"message":"Loading model","type":"unavailable_error"}})";

ServerOptions TwoModels() {
  ServerOptions options;
  options.models = {"m1", "m2"};
  return options;
}

std::vector<std::string> ListedIds(const std::string& body) {
  std::vector<std::string> ids;
  const json listing = json::parse(body);
  for (const json& entry : listing["data"]) ids.push_back(entry["id"]);
  return ids;
}

TEST(ScenarioTest, TableNamesEveryScenarioAndRoundTrips) {
  EXPECT_EQ(Scenarios().size(), 15u);
  for (const ScenarioInfo& info : Scenarios()) {
    EXPECT_EQ(ParseScenarioKind(info.name), info.kind);
    EXPECT_EQ(ScenarioName(info.kind), info.name);
    EXPECT_FALSE(info.summary.empty());
  }
  EXPECT_FALSE(ParseScenarioKind("lodaing"));
}

TEST(ScenarioTest, FromJsonReadsParametersAndRoundTrips) {
  const Scenario loading = ScenarioFromJson(
      json::parse(R"({"name":"loading","requests":3,"seconds":1.5,"endpoint":"health"})"));
  EXPECT_EQ(loading.kind, ScenarioKind::kLoading);
  EXPECT_EQ(loading.loading_requests, 3);
  EXPECT_EQ(loading.loading_time, 1500ms);
  EXPECT_EQ(loading.endpoint, Endpoint::kHealth);
  EXPECT_EQ(ScenarioFromJson(ToJson(loading)).loading_time, 1500ms);
  EXPECT_EQ(ScenarioFromJson("hang").kind, ScenarioKind::kHang);
  const Scenario error =
      ScenarioFromJson(json::parse(R"({"name":"stream-error","after_chunks":0,"done":true})"));
  EXPECT_EQ(error.after_chunks, 0);
  EXPECT_EQ(error.done_after_error, true);
}

TEST(ScenarioTest, FromJsonRefusesUnknownNamesKeysAndValues) {
  try {
    ScenarioFromJson(json::parse(R"({"name":"lodaing"})"));
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& error) {
    EXPECT_EQ(error.pointer(), "/name");
    EXPECT_THAT(error.what(), ::testing::HasSubstr("known: healthy, loading"));
  }
  try {
    ScenarioFromJson(json::parse(R"({"name":"hang","hold":5})"));
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& error) {
    EXPECT_EQ(error.pointer(), "/hold");
  }
  EXPECT_THROW(ScenarioFromJson(json::parse(R"({"name":"hang","endpoint":"moon"})")), ConfigError);
  EXPECT_THROW(ScenarioFromJson(json::parse(R"({"name":"malformed","variant":"weird"})")),
               ConfigError);
  EXPECT_THROW(ScenarioFromJson(json::parse(R"({"name":"models-error","status":200})")),
               ConfigError);
  EXPECT_THROW(ScenarioFromJson(json::parse(R"([1])")), ConfigError);
}

TEST(ScenarioTest, LoadingAnswers503ForNHealthRequestsThenHealthy) {
  RecordProperty("clause", "R7");
  Server server(TwoModels());
  server.SetScenario(Scenario::Loading(2));
  auto client = ClientOf(server);
  auto chat = client.Post(kChat, ChatBody("m1", "hi"), "application/json");
  ASSERT_TRUE(chat);
  EXPECT_EQ(chat->status, 503);
  EXPECT_EQ(chat->body, kLoadingEnvelope);
  auto listing = client.Get("/v1/models");
  ASSERT_TRUE(listing);
  EXPECT_EQ(listing->status, 200) << "the listing answers while loading";
  EXPECT_THAT(ListedIds(listing->body), ::testing::ElementsAre("m1", "m2"));
  for (int i = 0; i < 2; ++i) {
    auto response = client.Get("/health");
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 503);
    EXPECT_EQ(response->body, kLoadingEnvelope);
  }
  auto ready = client.Get("/health");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200);
  EXPECT_EQ(server.scenario().kind, ScenarioKind::kHealthy);
}

TEST(ScenarioTest, LoadingForATimeThenHealthy) {
  Server server;
  server.SetScenario(Scenario::Loading(0, 200ms));
  auto client = ClientOf(server);
  auto first = client.Get("/health");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 503);
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  int status = 0;
  while (status != 200 && std::chrono::steady_clock::now() < deadline) {
    auto response = client.Get("/health");
    ASSERT_TRUE(response);
    status = response->status;
    if (status != 200) std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(status, 200);
}

TEST(ScenarioTest, NoHealthAnswers404) {
  RecordProperty("clause", "R3");
  Server server;
  server.SetScenario(Scenario::NoHealth());
  auto client = ClientOf(server);
  auto health = client.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 404);
  auto listing = client.Get("/v1/models");
  ASSERT_TRUE(listing);
  EXPECT_EQ(listing->status, 200);
}

TEST(ScenarioTest, NoHealthAnswersTheStatusItIsGiven) {
  RecordProperty("clause", "R3");
  Server server;
  auto client = ClientOf(server);
  for (const int status : {405, 501}) {
    server.SetScenario(ScenarioFromJson(json{{"name", "no-health"}, {"status", status}}));
    auto health = client.Get("/health");
    ASSERT_TRUE(health);
    EXPECT_EQ(health->status, status);
    EXPECT_THAT(health->body,
                ::testing::HasSubstr(status == 405 ? "Method Not Allowed" : "Not Implemented"));
    auto listing = client.Get("/v1/models");
    ASSERT_TRUE(listing);
    EXPECT_EQ(listing->status, 200);
  }
  EXPECT_EQ(ToJson(Scenario::NoHealth(501))["status"], 501);
  EXPECT_THROW(ScenarioFromJson(json{{"name", "no-health"}, {"status", 200}}), ConfigError);
}

TEST(ScenarioTest, HealthyWithAStatusAnswersItWithoutABody) {
  RecordProperty("clause", "R1");
  Server server;
  server.SetScenario(ScenarioFromJson(json{{"name", "healthy"}, {"status", 204}}));
  auto client = ClientOf(server);
  auto health = client.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 204);
  EXPECT_EQ(health->body, "");
  EXPECT_EQ(ScenarioFromJson(ToJson(Scenario::Healthy(204))).status, 204);
  EXPECT_EQ(ToJson(Scenario::Healthy()).contains("status"), false);
  EXPECT_THROW(ScenarioFromJson(json{{"name", "healthy"}, {"status", 404}}), ConfigError);
}

TEST(ScenarioTest, MissingModelHidesModelsFromListingAndChat) {
  RecordProperty("clause", "R4");
  Server server(TwoModels());
  server.SetScenario(Scenario::MissingModel({"m2"}));
  auto client = ClientOf(server);
  auto listing = client.Get("/v1/models");
  ASSERT_TRUE(listing);
  EXPECT_THAT(ListedIds(listing->body), ::testing::ElementsAre("m1"));
  auto hidden = client.Post(kChat, ChatBody("m2", "hi"), "application/json");
  ASSERT_TRUE(hidden);
  EXPECT_EQ(hidden->status, 404);
  auto shown = client.Post(kChat, ChatBody("m1", "hi"), "application/json");
  ASSERT_TRUE(shown);
  EXPECT_EQ(shown->status, 200);
  server.SetScenario(Scenario::MissingModel());
  auto empty = client.Get("/v1/models");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(ListedIds(empty->body).empty());
}

TEST(ScenarioTest, ModelsErrorAnswersTheStatusWithAnEnvelope) {
  RecordProperty("clause", "R5");
  Server server;
  server.SetScenario(Scenario::ModelsError());
  auto client = ClientOf(server);
  auto listing = client.Get("/v1/models");
  ASSERT_TRUE(listing);
  EXPECT_EQ(listing->status, 500);
  EXPECT_EQ(json::parse(listing->body)["error"]["message"],
            "simulated failure of the models listing");
  server.SetScenario(Scenario::ModelsError(503));
  auto unavailable = client.Get("/v1/models");
  ASSERT_TRUE(unavailable);
  EXPECT_EQ(unavailable->status, 503);
  auto health = client.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
}

TEST(ScenarioTest, AuthRequiresTheBearerTokenExceptOnHealth) {
  RecordProperty("clause", "R12");
  Server server;
  server.SetScenario(Scenario::Auth("sesame"));
  auto client = ClientOf(server);
  auto without = client.Get("/v1/models");
  ASSERT_TRUE(without);
  EXPECT_EQ(without->status, 401);
  EXPECT_EQ(json::parse(without->body)["error"]["code"], "invalid_api_key");
  auto wrong = client.Get("/v1/models", {{"Authorization", "Bearer nope"}});
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  auto right = client.Get("/v1/models", {{"Authorization", "Bearer sesame"}});
  ASSERT_TRUE(right);
  EXPECT_EQ(right->status, 200);
  auto health = client.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  server.SetScenario(Scenario::Auth("sesame", 403).On(Endpoint::kHealth));
  auto guarded = client.Get("/health");
  ASSERT_TRUE(guarded);
  EXPECT_EQ(guarded->status, 403);
}

TEST(ScenarioTest, HangNeverAnswersAndTheJournalShowsStatusZero) {
  RecordProperty("clause", "R9");
  Server server;
  server.SetScenario(Scenario::Hang(60s));
  auto client = ClientOf(server, 300ms);
  auto response = client.Get("/health");
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error(), httplib::Error::Read);
  ASSERT_TRUE(server.WaitForRequests(1, 5s));
  const auto journal = server.journal();
  ASSERT_EQ(journal.size(), 1u);
  EXPECT_EQ(journal[0].status, 0);
  const auto started = std::chrono::steady_clock::now();
  server.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 30s);
  EXPECT_EQ(server.journal()[0].fault, "hang");
}

TEST(ScenarioTest, HangClosesTheConnectionUnansweredAfterItsHold) {
  Server server;
  server.SetScenario(Scenario::Hang(200ms));
  auto client = ClientOf(server, 30s);
  const auto started = std::chrono::steady_clock::now();
  auto response = client.Get("/v1/models");
  EXPECT_FALSE(response);
  EXPECT_GE(std::chrono::steady_clock::now() - started, 190ms);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 25s);
}

TEST(ScenarioTest, FaultConfinedToOneEndpointLeavesTheOthersHealthy) {
  Server server;
  server.SetScenario(Scenario::Hang(60s).On(Endpoint::kModels));
  auto client = ClientOf(server, 300ms);
  auto health = client.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  auto chat = client.Post(kChat, ChatBody("provkit-mock", "hi"), "application/json");
  ASSERT_TRUE(chat);
  EXPECT_EQ(chat->status, 200);
  auto listing = client.Get("/v1/models");
  EXPECT_FALSE(listing);
}

TEST(ScenarioTest, TrickleSendsTheWholeBodyOneByteAtATime) {
  Server server;
  server.SetScenario(Scenario::Trickle(5ms));
  auto client = ClientOf(server);
  std::string body;
  int pieces = 0;
  auto response = client.Get("/health", [&](const char* data, std::size_t length) {
    body.append(data, length);
    ++pieces;
    return true;
  });
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(body, R"({"status":"ok"})");
  EXPECT_GE(pieces, 4) << "bytes must arrive separately";
}

TEST(ScenarioTest, TrickleStreamsSseBytesAndIsCutAfterHold) {
  Server server;
  Scenario trickle = Scenario::Trickle(1ms);
  server.SetScenario(trickle);
  auto client = ClientOf(server);
  const auto whole = PostStream(client, kChat, ChatBody("provkit-mock", "abc", true));
  EXPECT_EQ(whole.error, httplib::Error::Success);
  EXPECT_TRUE(Reassemble(DataEvents(whole.body)).done);

  trickle.trickle_interval = 50ms;
  trickle.hold = 200ms;
  server.SetScenario(trickle);
  auto cut = client.Get("/v1/models");
  EXPECT_FALSE(cut) << "a trickle longer than its hold ends with the connection";
}

TEST(ScenarioTest, MalformedListingVariants) {
  RecordProperty("clause", "R10");
  Server server;
  auto client = ClientOf(server);
  const auto body_for = [&](MalformedVariant variant) {
    server.SetScenario(Scenario::Malformed(variant));
    auto response = client.Get("/v1/models");
    EXPECT_TRUE(response);
    return response ? response->body : std::string();
  };
  EXPECT_FALSE(json::accept(body_for(MalformedVariant::kNotJson)));
  EXPECT_FALSE(json::accept(body_for(MalformedVariant::kTruncated)));
  EXPECT_EQ(body_for(MalformedVariant::kEmpty), "");
  EXPECT_TRUE(json::parse(body_for(MalformedVariant::kNullData))["data"].is_null());
  EXPECT_TRUE(json::parse(body_for(MalformedVariant::kDataNotList))["data"].is_object());
  EXPECT_TRUE(json::parse(body_for(MalformedVariant::kIdNotString))["data"][0]["id"].is_number());
  EXPECT_FALSE(json::parse(body_for(MalformedVariant::kWrongShape)).contains("data"));
  server.SetScenario(Scenario::Malformed(MalformedVariant::kWrongShape));
  auto health = client.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_TRUE(json::parse(health->body).is_array());
}

TEST(ScenarioTest, MalformedStreamSendsABadChunkAfterK) {
  RecordProperty("clause", "S7");
  Server server;
  server.SetScenario(Scenario::Malformed(MalformedVariant::kTruncated));
  auto client = ClientOf(server);
  const auto events = DataEvents(
      PostStream(client, kChat, ChatBody("provkit-mock", "a b c d e f g h i j k", true)).body);
  ASSERT_EQ(events.size(), 4u);
  EXPECT_TRUE(json::accept(events[0]));
  EXPECT_TRUE(json::accept(events[1]));
  EXPECT_FALSE(json::accept(events[2]));
  EXPECT_EQ(events[3], "[DONE]");
}

TEST(ScenarioTest, StreamDropClosesTheConnectionAfterKEvents) {
  RecordProperty("clause", "S7");
  Server server;
  server.SetTiming(testing::Timing(1));
  server.SetScenario(Scenario::StreamDrop(3));
  auto client = ClientOf(server);
  const auto result = PostStream(client, kChat, ChatBody("provkit-mock", "abcdefghij", true));
  EXPECT_NE(result.error, httplib::Error::Success);
  const auto events = DataEvents(result.body);
  EXPECT_EQ(events.size(), 3u);
  EXPECT_FALSE(Reassemble(events).done);

  auto plain = client.Post(kChat, ChatBody("provkit-mock", "abcdefghij"), "application/json");
  EXPECT_FALSE(plain) << "a non-streaming answer is cut in the middle of its body";
  EXPECT_TRUE(server.WaitForOpenConnectionsAtMost(0, 10s));
}

TEST(ScenarioTest, StreamErrorSendsAnEnvelopeEventAndNoDoneOnOpenAi) {
  RecordProperty("clause", "W7");
  Server server;
  server.SetScenario(Scenario::StreamError(2));
  auto client = ClientOf(server);
  const auto result =
      PostStream(client, kChat, ChatBody("provkit-mock", "a b c d e f g h i j k l", true));
  EXPECT_EQ(result.error, httplib::Error::Success);
  const auto events = DataEvents(result.body);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(json::parse(events[2])["error"]["message"], "simulated failure");
  Scenario with_done = Scenario::StreamError(0);
  with_done.done_after_error = true;
  server.SetScenario(with_done);
  const auto done_events =
      DataEvents(PostStream(client, kChat, ChatBody("provkit-mock", "x", true)).body);
  ASSERT_EQ(done_events.size(), 2u);
  EXPECT_TRUE(json::parse(done_events[0]).contains("error"));
  EXPECT_EQ(done_events[1], "[DONE]");
  auto plain = client.Post(kChat, ChatBody("provkit-mock", "x"), "application/json");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->status, 500) << "an error before the first byte is an HTTP status";
}

TEST(ScenarioTest, HugeListingHealthAndStreamExceedTheSize) {
  constexpr std::size_t kBytes = 3 << 20;
  Server server;
  server.SetScenario(Scenario::Huge(kBytes));
  auto client = ClientOf(server, 30s);
  auto listing = client.Get("/v1/models");
  ASSERT_TRUE(listing);
  EXPECT_GE(listing->body.size(), kBytes);
  const json parsed = json::parse(listing->body);
  EXPECT_EQ(parsed["data"][0]["id"], "provkit-mock");
  EXPECT_GT(parsed["data"].size(), 1000u);
  auto health = client.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_GE(health->body.size(), kBytes);
  EXPECT_EQ(json::parse(health->body)["status"], "ok");
  const auto stream = PostStream(client, kChat, ChatBody("provkit-mock", "x", true));
  const auto answer = Reassemble(DataEvents(stream.body));
  EXPECT_EQ(answer.text.size(), kBytes);
  EXPECT_TRUE(answer.done);
}

}  // namespace
}  // namespace provkit::mock
