// Tests of the chat endpoint: answers, streaming (W4), usage chunks and errors (W3).
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
using testing::DataEvents;
using testing::PostStream;
using testing::Reassemble;

constexpr char kChat[] = "/v1/chat/completions";

ServerOptions WithModel(const std::string& model) {
  ServerOptions options;
  options.models = {model};
  return options;
}

TEST(ChatTest, EchoesTheLastUserMessage) {
  Server server(WithModel("m1"));
  auto client = ClientOf(server);
  json body = {{"model", "m1"},
               {"messages",
                {{{"role", "system"}, {"content", "be brief"}},
                 {{"role", "user"}, {"content", "first"}},
                 {{"role", "assistant"}, {"content", "ok"}},
                 {{"role", "user"}, {"content", "hello there"}}}}};
  auto response = client.Post(kChat, body.dump(), "application/json");
  ASSERT_TRUE(response);
  ASSERT_EQ(response->status, 200);
  const json completion = json::parse(response->body);
  EXPECT_EQ(completion["object"], "chat.completion");
  EXPECT_EQ(completion["model"], "m1");
  EXPECT_EQ(completion["choices"][0]["message"]["role"], "assistant");
  EXPECT_EQ(completion["choices"][0]["message"]["content"], "hello there");
  EXPECT_EQ(completion["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(completion["usage"]["prompt_tokens"], 6);
  EXPECT_EQ(completion["usage"]["completion_tokens"], 2);
  EXPECT_EQ(completion["usage"]["total_tokens"], 8);
  EXPECT_FALSE(completion["choices"][0]["message"].contains("reasoning_content"));
}

TEST(ChatTest, ReadsTextPartsOfArrayContent) {
  Server server(WithModel("m1"));
  auto client = ClientOf(server);
  json body = {{"model", "m1"},
               {"messages",
                {{{"role", "user"},
                  {"content",
                   {{{"type", "text"}, {"text", "part one"}},
                    {{"type", "image_url"}},
                    {{"type", "text"}, {"text", "two"}}}}}}}};
  auto response = client.Post(kChat, body.dump(), "application/json");
  ASSERT_TRUE(response);
  EXPECT_EQ(json::parse(response->body)["choices"][0]["message"]["content"], "part one two");
}

TEST(ChatTest, StreamSendsChunkObjectsEndingWithDone) {
  RecordProperty("clause", "W4");
  Server server(WithModel("m1"));
  auto client = ClientOf(server);
  const auto result = PostStream(client, kChat, ChatBody("m1", "stream this answer please", true));
  ASSERT_EQ(result.error, httplib::Error::Success);
  EXPECT_EQ(result.status, 200);
  EXPECT_EQ(result.content_type, "text/event-stream");
  const auto events = DataEvents(result.body);
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(events.back(), "[DONE]");
  for (std::size_t i = 0; i + 1 < events.size(); ++i) {
    EXPECT_EQ(json::parse(events[i])["object"], "chat.completion.chunk");
  }
  const auto answer = Reassemble(events);
  EXPECT_EQ(answer.text, "stream this answer please");
  EXPECT_EQ(answer.finish_reason, "stop");
  EXPECT_TRUE(answer.usage.is_null()) << "no usage chunk without stream_options.include_usage";
  EXPECT_EQ(json::parse(events[0])["choices"][0]["delta"]["role"], "assistant");
}

TEST(ChatTest, IncludeUsageAddsAFinalUsageChunkWithEmptyChoices) {
  RecordProperty("clause", "W4");
  Server server(WithModel("m1"));
  auto client = ClientOf(server);
  const auto result =
      PostStream(client, kChat,
                 ChatBody("m1", "count me", true, {{"stream_options", {{"include_usage", true}}}}));
  const auto events = DataEvents(result.body);
  ASSERT_GE(events.size(), 2u);
  const json last = json::parse(events[events.size() - 2]);
  EXPECT_TRUE(last["choices"].empty());
  EXPECT_EQ(last["usage"]["completion_tokens"], 2);
  EXPECT_EQ(last["usage"]["total_tokens"], 4);
}

TEST(ChatTest, ChunkCharsSetsThePieceSize) {
  Server server(WithModel("m1"));
  server.SetTiming(testing::Timing(3));
  auto client = ClientOf(server);
  const auto events = DataEvents(PostStream(client, kChat, ChatBody("m1", "abcdefgh", true)).body);
  std::vector<std::string> pieces;
  for (const auto& event : events) {
    if (event == "[DONE]") continue;
    const json delta = json::parse(event)["choices"][0]["delta"];
    if (delta.contains("content") && !delta["content"].get<std::string>().empty())
      pieces.push_back(delta["content"]);
  }
  EXPECT_THAT(pieces, ::testing::ElementsAre("abc", "def", "gh"));
}

TEST(ChatTest, PiecesNeverSplitAUtf8CodePoint) {
  Server server(WithModel("m1"));
  server.SetTiming(testing::Timing(1));
  auto client = ClientOf(server);
  const auto events =
      DataEvents(PostStream(client, kChat, ChatBody("m1", "h\xC3\xA9llo \xE2\x82\xAC", true)).body);
  const auto answer = Reassemble(events);
  EXPECT_EQ(answer.text, "h\xC3\xA9llo \xE2\x82\xAC");
  EXPECT_EQ(answer.chunks, 1 + 7 + 1);
}

TEST(ChatTest, ZeroIntervalStreamsTwentyThousandChunks) {
  Server server(WithModel("m1"));
  server.SetTiming(testing::Timing(1));
  Script script;
  Reply long_reply;
  long_reply.text = std::string(20000, 'z');
  script.sequence = {long_reply};
  server.SetScript(script);
  auto client = ClientOf(server, 60s);
  const auto result = PostStream(client, kChat, ChatBody("m1", "go", true));
  ASSERT_EQ(result.error, httplib::Error::Success);
  const auto answer = Reassemble(DataEvents(result.body));
  EXPECT_EQ(answer.text.size(), 20000u);
  EXPECT_EQ(answer.chunks, 20000 + 2);
  EXPECT_TRUE(answer.done);
}

TEST(ChatTest, IntervalAndFirstChunkDelayPaceTheStream) {
  Server server(WithModel("m1"));
  server.SetTiming(testing::Timing(100, 100ms, 30ms));
  auto client = ClientOf(server);
  const auto started = std::chrono::steady_clock::now();
  const auto events = DataEvents(PostStream(client, kChat, ChatBody("m1", "short", true)).body);
  // role, content, final, [DONE]: the delay plus at least three intervals.
  EXPECT_EQ(events.size(), 4u);
  EXPECT_GE(std::chrono::steady_clock::now() - started, 190ms);
}

// As api.openai.com answers: model_not_found with "param": null (issue 14).
TEST(ChatTest, UnknownModelIs404WithAnErrorEnvelope) {
  RecordProperty("clause", "W3");
  Server server(WithModel("m1"));
  auto client = ClientOf(server);
  auto response = client.Post(kChat, ChatBody("nope", "hi"), "application/json");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 404);
  EXPECT_EQ(
      json::parse(response->body),
      json::parse(
          R"({"error":{"message":"model 'nope' not found","type":"invalid_request_error","param":null,"code":"model_not_found"}})"));
}

TEST(ChatTest, MalformedJsonAndMissingMessagesAre400WithEnvelopes) {
  Server server(WithModel("m1"));
  auto client = ClientOf(server);
  for (const std::string& body :
       {std::string("{not json"), std::string(R"({"model":"m1"})"),
        std::string(R"({"model":"m1","messages":[]})"), std::string("[1,2]")}) {
    auto response = client.Post(kChat, body, "application/json");
    ASSERT_TRUE(response) << body;
    EXPECT_EQ(response->status, 400) << body;
    const json envelope = json::parse(response->body);
    EXPECT_EQ(envelope["error"]["type"], "invalid_request_error") << body;
    EXPECT_FALSE(envelope["error"]["message"].get<std::string>().empty());
  }
}

TEST(ChatTest, MissingModelIs400OnOpenAi) {
  Server server(WithModel("m1"));
  auto client = ClientOf(server);
  auto response =
      client.Post(kChat, R"({"messages":[{"role":"user","content":"hi"}]})", "application/json");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 400);
}

TEST(ChatTest, WrongMethodIs405) {
  Server server;
  auto client = ClientOf(server);
  auto response = client.Get(kChat);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 405);
}

TEST(ChatTest, RouterModelNotLoadedIs503) {
  ServerOptions options;
  options.models = {Model("cold", "unloaded"), Model("warm", "loaded")};
  Server server(options);
  auto client = ClientOf(server);
  auto cold = client.Post(kChat, ChatBody("cold", "hi"), "application/json");
  ASSERT_TRUE(cold);
  EXPECT_EQ(cold->status, 503);
  auto warm = client.Post(kChat, ChatBody("warm", "hi"), "application/json");
  ASSERT_TRUE(warm);
  EXPECT_EQ(warm->status, 200);
}

}  // namespace
}  // namespace provkit::mock
