// Tests of scripted answers: sequence, rules, reasoning, tool calls, usage, S8.
#include "provkit/mockserver/script.hpp"

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
using testing::TextReply;

constexpr char kChat[] = "/v1/chat/completions";
const json kThinking = {{"chat_template_kwargs", {{"enable_thinking", true}}}};

json Complete(httplib::Client& client, const std::string& user, json extra = json::object()) {
  auto response = client.Post(kChat, ChatBody("provkit-mock", user, false, std::move(extra)),
                              "application/json");
  EXPECT_TRUE(response);
  EXPECT_EQ(response ? response->status : 0, 200);
  return response ? json::parse(response->body) : json();
}

std::string TextOf(const json& completion) {
  return completion["choices"][0]["message"]["content"];
}

Reply RichReply() {
  Reply reply;
  reply.text = "It is sunny.";
  reply.reasoning = "The user wants the weather; call the tool first.";
  reply.tool_calls = {{"call_w", "get_weather", R"({"city":"Paris","unit":"celsius"})"},
                      {"", "get_time", R"({"zone":"Europe/Paris"})"}};
  reply.usage = Usage{11, 22, 0};
  return reply;
}

TEST(ScriptTest, SequenceAnswersInOrderThenEchoes) {
  Server server;
  Script script;
  script.sequence = {TextReply("one"), TextReply("two")};
  server.SetScript(script);
  auto client = ClientOf(server);
  EXPECT_EQ(TextOf(Complete(client, "a")), "one");
  EXPECT_EQ(TextOf(Complete(client, "b")), "two");
  EXPECT_EQ(TextOf(Complete(client, "c")), "c");
}

TEST(ScriptTest, LoopRestartsTheSequenceAndSetScriptRewinds) {
  Server server;
  Script script;
  script.sequence = {TextReply("one"), TextReply("two")};
  script.loop = true;
  server.SetScript(script);
  auto client = ClientOf(server);
  EXPECT_EQ(TextOf(Complete(client, "a")), "one");
  EXPECT_EQ(TextOf(Complete(client, "b")), "two");
  EXPECT_EQ(TextOf(Complete(client, "c")), "one");
  server.SetScript(script);
  EXPECT_EQ(TextOf(Complete(client, "d")), "one");
}

TEST(ScriptTest, RulesMatchASubstringOfTheLastUserMessageFirst) {
  Server server;
  Script script;
  script.sequence = {TextReply("from the sequence")};
  script.rules = {{"weather", TextReply("sunny")}};
  server.SetScript(script);
  auto client = ClientOf(server);
  EXPECT_EQ(TextOf(Complete(client, "what is the weather like?")), "sunny");
  EXPECT_EQ(TextOf(Complete(client, "hello")), "from the sequence");
  EXPECT_EQ(TextOf(Complete(client, "weather again")), "sunny");
}

TEST(ScriptTest, ReasoningOnlyWhenEnableThinkingIsTrue) {
  Server server;
  Script script;
  Reply reply = TextReply("answer");
  reply.reasoning = "thoughts";
  script.sequence = {reply};
  script.loop = true;
  server.SetScript(script);
  auto client = ClientOf(server);
  EXPECT_FALSE(Complete(client, "x")["choices"][0]["message"].contains("reasoning_content"));
  EXPECT_FALSE(
      Complete(client, "x",
               {{"chat_template_kwargs", {{"enable_thinking", false}}}})["choices"][0]["message"]
          .contains("reasoning_content"));
  EXPECT_EQ(Complete(client, "x", kThinking)["choices"][0]["message"]["reasoning_content"],
            "thoughts");
  const auto streamed = Reassemble(
      DataEvents(PostStream(client, kChat, ChatBody("provkit-mock", "x", true, kThinking)).body));
  EXPECT_EQ(streamed.reasoning, "thoughts");
  const auto plain =
      Reassemble(DataEvents(PostStream(client, kChat, ChatBody("provkit-mock", "x", true)).body));
  EXPECT_EQ(plain.reasoning, "");
}

TEST(ScriptTest, ToolCallsAnswerWithIdsNullContentAndToolCallsFinish) {
  Server server;
  Script script;
  Reply reply;
  reply.tool_calls = {{"", "lookup", R"({"q":"x"})"}};
  script.sequence = {reply};
  server.SetScript(script);
  auto client = ClientOf(server);
  const json message = Complete(client, "x")["choices"][0]["message"];
  EXPECT_TRUE(message["content"].is_null());
  ASSERT_EQ(message["tool_calls"].size(), 1u);
  EXPECT_EQ(message["tool_calls"][0]["id"], "call_0");
  EXPECT_EQ(message["tool_calls"][0]["type"], "function");
  EXPECT_EQ(message["tool_calls"][0]["function"]["name"], "lookup");
  EXPECT_EQ(message["tool_calls"][0]["function"]["arguments"], R"({"q":"x"})");
}

TEST(ScriptTest, StreamedToolArgumentsArriveInFragments) {
  Server server;
  server.SetTiming(testing::Timing(4));
  Script script;
  script.sequence = {RichReply()};
  server.SetScript(script);
  auto client = ClientOf(server);
  const auto events =
      DataEvents(PostStream(client, kChat, ChatBody("provkit-mock", "x", true)).body);
  int argument_fragments = 0;
  for (const auto& event : events) {
    if (event == "[DONE]") continue;
    const json delta = json::parse(event)["choices"][0]["delta"];
    if (delta.contains("tool_calls") && !delta["tool_calls"][0].contains("id"))
      ++argument_fragments;
  }
  EXPECT_GE(argument_fragments, 10);
  const auto answer = Reassemble(events);
  ASSERT_EQ(answer.tool_calls.size(), 2u);
  EXPECT_EQ(answer.tool_calls[0]["id"], "call_w");
  EXPECT_EQ(answer.tool_calls[0]["arguments"], R"({"city":"Paris","unit":"celsius"})");
  EXPECT_EQ(answer.tool_calls[1]["id"], "call_1");
  EXPECT_EQ(answer.tool_calls[1]["name"], "get_time");
  EXPECT_EQ(answer.finish_reason, "tool_calls");
}

TEST(ScriptTest, ScriptedUsageAndFinishReasonAreSent) {
  Server server;
  Script script;
  Reply reply = TextReply("cut");
  reply.finish_reason = "length";
  reply.usage = Usage{5, 7, 0};
  script.sequence = {reply};
  server.SetScript(script);
  auto client = ClientOf(server);
  const json completion = Complete(client, "x");
  EXPECT_EQ(completion["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(completion["usage"],
            json::parse(R"({"prompt_tokens":5,"completion_tokens":7,"total_tokens":12})"));
}

TEST(ScriptTest, StreamedAnswerEqualsTheNonStreamedOne) {
  RecordProperty("clause", "S8");
  Server server;
  server.SetTiming(testing::Timing(3));
  Script script;
  script.sequence = {RichReply()};
  script.loop = true;
  server.SetScript(script);
  auto client = ClientOf(server);
  const json completion = Complete(client, "x", kThinking);
  json stream_extra = kThinking;
  stream_extra["stream_options"] = {{"include_usage", true}};
  const auto streamed = Reassemble(DataEvents(
      PostStream(client, kChat, ChatBody("provkit-mock", "x", true, stream_extra)).body));
  const json& message = completion["choices"][0]["message"];
  EXPECT_EQ(streamed.text, message["content"]);
  EXPECT_EQ(streamed.reasoning, message["reasoning_content"]);
  ASSERT_EQ(streamed.tool_calls.size(), message["tool_calls"].size());
  for (std::size_t i = 0; i < streamed.tool_calls.size(); ++i) {
    EXPECT_EQ(streamed.tool_calls[i]["id"], message["tool_calls"][i]["id"]);
    EXPECT_EQ(streamed.tool_calls[i]["name"], message["tool_calls"][i]["function"]["name"]);
    EXPECT_EQ(streamed.tool_calls[i]["arguments"],
              message["tool_calls"][i]["function"]["arguments"]);
  }
  EXPECT_EQ(streamed.usage, completion["usage"]);
  EXPECT_EQ(streamed.finish_reason, completion["choices"][0]["finish_reason"]);
  EXPECT_TRUE(streamed.done);
}

TEST(ScriptTest, FromJsonReadsRepliesRulesAndTiming) {
  const Script script = ScriptFromJson(json::parse(R"({
    "loop": true,
    "sequence": ["plain", {"text": "t", "reasoning": "r", "finish_reason": "stop",
                           "tool_calls": [{"name": "f", "arguments": {"a": 1}}, {"name": "g", "arguments": "{\"raw\":true}"}],
                           "usage": {"prompt_tokens": 1, "completion_tokens": 2}}],
    "rules": [{"contains": "hi", "reply": {"text": "hello"}}]})"));
  EXPECT_TRUE(script.loop);
  ASSERT_EQ(script.sequence.size(), 2u);
  EXPECT_EQ(script.sequence[0].text, "plain");
  EXPECT_EQ(script.sequence[1].tool_calls[0].arguments, R"({"a":1})");
  EXPECT_EQ(script.sequence[1].tool_calls[1].arguments, R"({"raw":true})");
  EXPECT_EQ(script.sequence[1].usage->completion_tokens, 2);
  EXPECT_EQ(script.rules[0].reply.text, "hello");
  EXPECT_EQ(ScriptFromJson(ToJson(script)).sequence[1].reasoning, "r");

  const StreamTiming timing =
      TimingFromJson(json::parse(R"({"chunk_chars":2,"chunk_interval_ms":0.5})"));
  EXPECT_EQ(timing.chunk_chars, 2u);
  EXPECT_EQ(timing.chunk_interval, 500us);

  try {
    ScriptFromJson(json::parse(R"({"sequence":[{"txt":"typo"}]})"));
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& error) {
    EXPECT_EQ(error.pointer(), "/sequence/0/txt");
  }
  EXPECT_THROW(ScriptFromJson(json::parse(R"({"sequence":[{"tool_calls":[{"arguments":{}}]}]})")),
               ConfigError);
}

}  // namespace
}  // namespace provkit::mock
