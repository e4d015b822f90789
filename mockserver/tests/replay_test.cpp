// Tests of replay: answers from a cassette, the matching rule, strict mode, pacing, and faults
// applied on top of recorded answers.
#include "provkit/mockserver/replay.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "provkit/mockserver/server.hpp"
#include "test_support.hpp"

namespace provkit::mock {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::ClientOf;
using testing::DataEvents;
using testing::PostStream;

const std::filesystem::path kData = std::filesystem::path(PROVKIT_MOCK_DATA_DIR) / "llama.cpp";
constexpr char kChat[] = "/v1/chat/completions";

ServerOptions Replaying(const std::string& cassette, bool strict = false, double speed = 0) {
  ServerOptions options;
  options.replay = ReplayOptions{LoadCassette(kData / (cassette + ".jsonl")), strict, speed};
  return options;
}

std::string RecordedEvents(const RecordedExchange& exchange) {
  std::string text;
  for (const RecordedChunk& chunk : exchange.chunks) text += chunk.text;
  return text;
}

TEST(ReplayTest, TheRecordedServerNamesItsProfileAndListedModels) {
  const RecordedServer single = RecordedServerOf(LoadCassette(kData / "single-model.jsonl"));
  EXPECT_EQ(single.profile, Profile::kLlamaCpp);
  ASSERT_EQ(single.models.size(), 1u);
  EXPECT_EQ(single.models[0].id, "tiny");
  EXPECT_EQ(single.models[0].status, "");
  // Router mode lists every model with its load state, as the first recorded listing had them.
  const RecordedServer router = RecordedServerOf(LoadCassette(kData / "router.jsonl"));
  ASSERT_EQ(router.models.size(), 2u);
  EXPECT_EQ(router.models[0].id, "tiny");
  EXPECT_EQ(router.models[0].status, "unloaded");
  // A cassette of a server no profile is named after, that recorded no listing.
  Cassette unknown;
  unknown.server = "my-proxy";
  const RecordedServer none = RecordedServerOf(unknown);
  EXPECT_FALSE(none.profile.has_value());
  EXPECT_TRUE(none.models.empty());
}

TEST(ReplayTest, RepeatedRequestsReplayTheRecordedSequenceInOrderThenTheLast) {
  Server server(Replaying("router"));
  auto client = ClientOf(server);
  std::vector<std::string> states;
  for (int i = 0; i < 6; ++i) {
    auto listing = client.Get("/models");
    ASSERT_TRUE(listing);
    EXPECT_EQ(listing->status, 200);
    EXPECT_EQ(listing->get_header_value("Server"), "llama.cpp") << "recorded headers are kept";
    states.push_back(json::parse(listing->body)["data"][0]["status"]["value"]);
  }
  EXPECT_EQ(states, (std::vector<std::string>{"unloaded", "loading", "loaded", "loaded", "unloaded",
                                              "unloaded"}));
}

TEST(ReplayTest, AStreamIsReplayedByteForByte) {
  const Cassette cassette = LoadCassette(kData / "router.jsonl");
  const RecordedExchange& recorded = *cassette.Find("39_router_chat_autoload_other");
  Server server(Replaying("router"));
  auto client = ClientOf(server);
  const auto result = PostStream(client, kChat, *recorded.request_body);
  EXPECT_EQ(result.status, 200);
  EXPECT_EQ(result.content_type, "text/event-stream");
  EXPECT_EQ(result.body, RecordedEvents(recorded));
}

// The rule: method, path, query, and the body's model, last message and stream.
TEST(ReplayTest, MatchingTellsModelLastMessageAndStreamApart) {
  Server server(Replaying("single-model", /*strict=*/true));
  auto client = ClientOf(server);
  const auto model = [&](const std::string& body) {
    auto response = client.Post(kChat, body, "application/json");
    return response ? response->status : -1;
  };
  // 07 asked for "no-such-model-xyz" with "hello" and max_tokens 4: other fields do not matter.
  EXPECT_EQ(
      model(R"({"model":"no-such-model-xyz","messages":[{"role":"user","content":"hello"}]})"),
      200);
  auto other = client.Post(
      kChat, R"({"model":"no-such-model-xyz","messages":[{"role":"user","content":"bye"}]})",
      "application/json");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 404);
  const json error = json::parse(other->body)["error"];
  EXPECT_EQ(error["type"], "replay_no_match");
  EXPECT_THAT(error["message"].get<std::string>(),
              ::testing::AllOf(::testing::HasSubstr("closest recording: 07_chat_unknown_model"),
                               ::testing::HasSubstr("last message \"hello\"")));
}

TEST(ReplayTest, WithoutStrictAnUnmatchedRequestGetsTheMocksOwnAnswer) {
  ServerOptions options = Replaying("single-model");
  options.models = {"mine"};
  Server server(options);
  auto client = ClientOf(server);
  auto response =
      client.Post(kChat, testing::ChatBody("mine", "never recorded"), "application/json");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(json::parse(response->body)["choices"][0]["message"]["content"], "never recorded");
}

TEST(ReplayTest, FaultsApplyOnTopOfRecordedAnswers) {
  RecordProperty("clause", "S7");
  const Cassette cassette = LoadCassette(kData / "single-model.jsonl");
  const RecordedExchange& recorded = *cassette.Find("06_chat_stream_usage");
  Server server(Replaying("single-model"));
  auto client = ClientOf(server);

  server.SetScenario(Scenario::StreamDrop(3));
  const auto cut = PostStream(client, kChat, *recorded.request_body);
  EXPECT_NE(cut.error, httplib::Error::Success) << "the recorded stream was cut";
  EXPECT_EQ(DataEvents(cut.body).size(), 3u);

  server.SetScenario(Scenario::StreamError(1));
  const auto broken = PostStream(client, kChat, *recorded.request_body);
  const auto events = DataEvents(broken.body);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_TRUE(json::parse(events[1]).contains("error"));

  server.SetScenario(Scenario::Loading(0));
  auto loading = client.Post(kChat, *recorded.request_body, "application/json");
  ASSERT_TRUE(loading);
  EXPECT_EQ(loading->status, 503);
}

Cassette Timed(bool complete) {
  Cassette cassette;
  RecordedExchange exchange;
  exchange.id = "timed";
  exchange.method = "POST";
  exchange.path = kChat;
  exchange.request_body =
      R"({"model":"m","messages":[{"role":"user","content":"go"}],"stream":true})";
  exchange.status = 200;
  exchange.response_headers = {{"Content-Type", "text/event-stream"}};
  exchange.stream = true;
  exchange.chunks = {{0.0, "data: {\"n\":1}\n\n"}, {250.0, "data: {\"n\":2}\n\n"}};
  if (complete) exchange.chunks.push_back({250.0, "data: [DONE]\n\n"});
  exchange.complete = complete;
  cassette.exchanges.push_back(exchange);
  return cassette;
}

TEST(ReplayTest, RecordedPausesAreKeptScaledOrDropped) {
  for (const double speed : {1.0, 0.0}) {
    ServerOptions options;
    options.replay = ReplayOptions{Timed(true), true, speed};
    Server server(options);
    auto client = ClientOf(server);
    const auto started = std::chrono::steady_clock::now();
    const auto result = PostStream(client, kChat, *Timed(true).exchanges[0].request_body);
    EXPECT_EQ(result.body, "data: {\"n\":1}\n\ndata: {\"n\":2}\n\ndata: [DONE]\n\n");
    if (speed == 1.0) {
      EXPECT_GE(std::chrono::steady_clock::now() - started, 240ms) << "the recorded 250 ms pause";
    }
  }
}

TEST(ReplayTest, AnAnswerRecordedAsCutIsCutAgain) {
  ServerOptions options;
  options.replay = ReplayOptions{Timed(false), true, 0};
  Server server(options);
  auto client = ClientOf(server);
  const auto result = PostStream(client, kChat, *Timed(false).exchanges[0].request_body);
  EXPECT_EQ(result.body, "data: {\"n\":1}\n\ndata: {\"n\":2}\n\n");
  EXPECT_NE(result.error, httplib::Error::Success);
}

// Every exchange of every llama.cpp cassette, sent in order, gets its recorded answer back.
TEST(ReplayTest, EveryRecordedExchangeOfTheLlamaCppCassettesReplaysAsRecorded) {
  int replayed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kData)) {
    if (entry.path().extension() != ".jsonl") continue;
    ServerOptions options;
    options.replay = ReplayOptions{LoadCassette(entry.path()), true, 0};
    Server server(options);
    for (const RecordedExchange& exchange : options.replay->cassette.exchanges) {
      SCOPED_TRACE(entry.path().filename().string() + ": " + exchange.id);
      auto client = ClientOf(server);
      httplib::Request request;
      request.method = exchange.method;
      request.path = exchange.path + (exchange.query.empty() ? "" : "?" + exchange.query);
      for (const auto& [name, value] : exchange.request_headers) request.set_header(name, value);
      if (exchange.request_body) request.body = *exchange.request_body;
      httplib::Response response;
      httplib::Error error = httplib::Error::Success;
      ASSERT_TRUE(client.send(request, response, error)) << httplib::to_string(error);
      EXPECT_EQ(response.status, exchange.status);
      EXPECT_EQ(response.body, exchange.stream ? RecordedEvents(exchange) : exchange.response_body);
      ++replayed;
    }
  }
  EXPECT_EQ(replayed, 85);
}

}  // namespace
}  // namespace provkit::mock
