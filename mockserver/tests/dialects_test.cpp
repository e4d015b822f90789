// Tests of the API dialects beside Chat Completions: Responses, Anthropic Messages, legacy
// Completions, embeddings and the Anthropic models listing, with faults applied to each.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <map>

#include "messages_dialect.hpp"
#include "provkit/mockserver/server.hpp"
#include "responses_dialect.hpp"
#include "test_support.hpp"

namespace provkit::mock {
namespace {

using nlohmann::json;
using testing::ClientOf;
using testing::DataEvents;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using testing::PostStream;

constexpr char kResponses[] = "/v1/responses";

/// One `event:` + `data:` pair of a named-event stream.
struct NamedEvent {
  std::string event;
  json data;
};

/// The events of a named-event SSE text; an event without an `event:` line has an empty name.
/// A data line that is not JSON is kept as a string.
std::vector<NamedEvent> NamedEvents(std::string_view sse) {
  std::vector<NamedEvent> events;
  std::string name;
  std::size_t start = 0;
  while (start < sse.size()) {
    std::size_t end = sse.find('\n', start);
    if (end == std::string_view::npos) end = sse.size();
    const std::string_view line = sse.substr(start, end - start);
    if (line.substr(0, 7) == "event: ") {
      name = std::string(line.substr(7));
    } else if (line.substr(0, 6) == "data: ") {
      const std::string payload(line.substr(6));
      json data = json::parse(payload, nullptr, false);
      events.push_back({name, data.is_discarded() ? json(payload) : data});
      name.clear();
    }
    start = end + 1;
  }
  return events;
}

std::vector<std::string> Names(const std::vector<NamedEvent>& events) {
  std::vector<std::string> names;
  for (const NamedEvent& event : events) names.push_back(event.event);
  return names;
}

ServerOptions Scripted(Reply reply, std::size_t chunk_chars = 4) {
  ServerOptions options;
  options.models = {"m1"};
  options.script.sequence = {std::move(reply)};
  options.timing = testing::Timing(chunk_chars);
  return options;
}

Reply ToolReply() {
  Reply reply;
  reply.tool_calls = {{"", "get_weather", R"({"city":"Paris","unit":"c"})"}};
  return reply;
}

// --- Responses ---

std::string ResponsesBody(json input, bool stream = false, json extra = json::object()) {
  json body = {{"model", "m1"}, {"input", std::move(input)}};
  if (stream) body["stream"] = true;
  body.update(extra);
  return body.dump();
}

TEST(ResponsesTest, AnswersAResponseObject) {
  Server server(Scripted(testing::TextReply("hello from the mock")));
  auto client = ClientOf(server);
  auto response = client.Post(kResponses, ResponsesBody("say hello"), "application/json");
  ASSERT_TRUE(response);
  ASSERT_EQ(response->status, 200);
  const json body = json::parse(response->body);
  EXPECT_THAT(body["id"].get<std::string>(), ::testing::StartsWith("resp_"));
  EXPECT_EQ(body["object"], "response");
  EXPECT_EQ(body["created_at"], 1700000000);
  EXPECT_EQ(body["status"], "completed");
  EXPECT_EQ(body["model"], "m1");
  ASSERT_EQ(body["output"].size(), 1u);
  const json& message = body["output"][0];
  EXPECT_EQ(message["type"], "message");
  EXPECT_EQ(message["status"], "completed");
  EXPECT_EQ(message["role"], "assistant");
  EXPECT_EQ(
      message["content"],
      json::parse(R"([{"type":"output_text","text":"hello from the mock","annotations":[]}])"));
  EXPECT_EQ(body["usage"]["input_tokens"], 2);
  EXPECT_EQ(body["usage"]["output_tokens"], 4);
  EXPECT_EQ(body["usage"]["total_tokens"], 6);
}

TEST(ResponsesTest, EchoesTheLastUserItemAndReadsInstructions) {
  ServerOptions options;
  options.models = {"m1"};
  options.script.rules = {{"be terse", testing::TextReply("never matched: rules read user turns")}};
  Server server(options);
  auto client = ClientOf(server);
  const json input = json::parse(R"([
    {"role":"developer","content":"be terse"},
    {"role":"user","content":[{"type":"input_text","text":"first"},{"type":"input_text","text":"part"}]},
    {"role":"assistant","content":[{"type":"output_text","text":"ok"}]},
    {"type":"message","role":"user","content":"the last one"}])");
  auto response = client.Post(
      kResponses, ResponsesBody(input, false, {{"instructions", "be terse"}}), "application/json");
  ASSERT_TRUE(response);
  ASSERT_EQ(response->status, 200);
  const json body = json::parse(response->body);
  EXPECT_EQ(body["output"][0]["content"][0]["text"], "the last one");
  EXPECT_EQ(body["usage"]["input_tokens"], 10);  // 2 + 2 + 2 + 1 + 3 words
}

TEST(ResponsesTest, FunctionCallOutputsAreToolTurnsNotUserTurns) {
  ServerOptions options;
  options.models = {"m1"};
  Server server(options);
  auto client = ClientOf(server);
  const json input = json::parse(R"([
    {"role":"user","content":"weather?"},
    {"type":"function_call","call_id":"c1","name":"get_weather","arguments":"{}"},
    {"type":"function_call_output","call_id":"c1","output":"sunny and warm"}])");
  auto response = client.Post(kResponses, ResponsesBody(input), "application/json");
  ASSERT_TRUE(response);
  ASSERT_EQ(response->status, 200);
  const json body = json::parse(response->body);
  EXPECT_EQ(body["output"][0]["content"][0]["text"], "weather?");  // the last user turn
  EXPECT_EQ(body["usage"]["input_tokens"], 4);                     // 1 + 0 + 3 words
}

TEST(ResponsesTest, ToolCallsAreFunctionCallItems) {
  Server server(Scripted(ToolReply()));
  auto client = ClientOf(server);
  auto response = client.Post(kResponses, ResponsesBody("weather?"), "application/json");
  ASSERT_TRUE(response);
  const json body = json::parse(response->body);
  ASSERT_EQ(body["output"].size(), 1u);
  const json& call = body["output"][0];
  EXPECT_EQ(call["type"], "function_call");
  EXPECT_EQ(call["call_id"], "call_0");
  EXPECT_EQ(call["name"], "get_weather");
  EXPECT_EQ(call["arguments"], R"({"city":"Paris","unit":"c"})");
  EXPECT_EQ(call["status"], "completed");
  EXPECT_THAT(call["id"].get<std::string>(), ::testing::StartsWith("fc_"));
}

TEST(ResponsesTest, ReasoningIsAReasoningItemBeforeTheMessage) {
  Reply reply = testing::TextReply("answer");
  reply.reasoning = "thinking hard";
  Server server(Scripted(reply));
  auto client = ClientOf(server);
  auto response = client.Post(kResponses, ResponsesBody("q"), "application/json");
  ASSERT_TRUE(response);
  const json body = json::parse(response->body);
  ASSERT_EQ(body["output"].size(), 2u);
  EXPECT_EQ(body["output"][0]["type"], "reasoning");
  EXPECT_EQ(body["output"][0]["summary"][0]["text"], "thinking hard");
  EXPECT_EQ(body["output"][1]["type"], "message");
}

TEST(ResponsesTest, StreamSendsNamedEventsInTheApisOrder) {
  Server server(Scripted(testing::TextReply("abcdefghij"), 4));
  auto client = ClientOf(server);
  const auto result = PostStream(client, kResponses, ResponsesBody("go", true));
  ASSERT_EQ(result.error, httplib::Error::Success);
  EXPECT_EQ(result.content_type, "text/event-stream");
  const auto events = NamedEvents(result.body);
  EXPECT_THAT(Names(events),
              ElementsAre("response.created", "response.in_progress", "response.output_item.added",
                          "response.content_part.added", "response.output_text.delta",
                          "response.output_text.delta", "response.output_text.delta",
                          "response.output_text.done", "response.content_part.done",
                          "response.output_item.done", "response.completed"));
  std::string text;
  for (std::size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].data["type"], events[i].event);
    EXPECT_EQ(events[i].data["sequence_number"], i);
    if (events[i].event == "response.output_text.delta")
      text += events[i].data["delta"].get<std::string>();
  }
  EXPECT_EQ(text, "abcdefghij");
  EXPECT_EQ(events[0].data["response"]["status"], "in_progress");
  EXPECT_EQ(events[7].data["text"], "abcdefghij");
  const json& completed = events.back().data["response"];
  EXPECT_EQ(completed["status"], "completed");
  EXPECT_EQ(completed["output"][0]["content"][0]["text"], "abcdefghij");
  EXPECT_EQ(completed["usage"]["output_tokens"], 1);
  EXPECT_EQ(result.body.find("[DONE]"), std::string::npos);
}

TEST(ResponsesTest, StreamedToolArgumentsAssembleToTheScriptedOnes) {
  Server server(Scripted(ToolReply(), 5));
  auto client = ClientOf(server);
  const auto result = PostStream(client, kResponses, ResponsesBody("weather?", true));
  const auto events = NamedEvents(result.body);
  EXPECT_THAT(
      Names(events),
      ElementsAreArray(
          {"response.created", "response.in_progress", "response.output_item.added",
           "response.function_call_arguments.delta", "response.function_call_arguments.delta",
           "response.function_call_arguments.delta", "response.function_call_arguments.delta",
           "response.function_call_arguments.delta", "response.function_call_arguments.delta",
           "response.function_call_arguments.done", "response.output_item.done",
           "response.completed"}));
  std::string arguments;
  for (const NamedEvent& event : events) {
    if (event.event == "response.function_call_arguments.delta")
      arguments += event.data["delta"].get<std::string>();
  }
  EXPECT_EQ(arguments, R"({"city":"Paris","unit":"c"})");
  EXPECT_EQ(events[2].data["item"]["name"], "get_weather");
  EXPECT_EQ(events[2].data["item"]["call_id"], "call_0");
  EXPECT_EQ(events[2].data["item"]["arguments"], "");
  EXPECT_EQ(events[9].data["arguments"], arguments);
  EXPECT_EQ(events[10].data["item"]["arguments"], arguments);
}

TEST(ResponsesTest, StreamedReasoningComesFirstAsSummaryEvents) {
  Reply reply = testing::TextReply("ok");
  reply.reasoning = "hmm";
  Server server(Scripted(reply, 8));
  auto client = ClientOf(server);
  const auto events = NamedEvents(PostStream(client, kResponses, ResponsesBody("q", true)).body);
  EXPECT_THAT(
      Names(events),
      ElementsAre("response.created", "response.in_progress", "response.output_item.added",
                  "response.reasoning_summary_part.added", "response.reasoning_summary_text.delta",
                  "response.reasoning_summary_text.done", "response.reasoning_summary_part.done",
                  "response.output_item.done", "response.output_item.added",
                  "response.content_part.added", "response.output_text.delta",
                  "response.output_text.done", "response.content_part.done",
                  "response.output_item.done", "response.completed"));
  EXPECT_EQ(events[2].data["item"]["type"], "reasoning");
  EXPECT_EQ(events[8].data["output_index"], 1);
}

TEST(ResponsesTest, RefusesABodyWithoutInputInOpenAisEnvelope) {
  Server server(Scripted(testing::TextReply("x")));
  auto client = ClientOf(server);
  auto response = client.Post(kResponses, R"({"model":"m1"})", "application/json");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 400);
  const json body = json::parse(response->body);
  EXPECT_EQ(body["error"]["type"], "invalid_request_error");
  EXPECT_THAT(body["error"]["message"].get<std::string>(), ::testing::HasSubstr("'input'"));
}

TEST(ResponsesTest, UnknownModelIsNotFound) {
  Server server(Scripted(testing::TextReply("x")));
  auto client = ClientOf(server);
  auto response = client.Post(kResponses, R"({"model":"nope","input":"hi"})", "application/json");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 404);
  EXPECT_EQ(json::parse(response->body)["error"]["code"], "model_not_found");
}

TEST(ResponsesTest, StreamDropCutsTheStreamAfterNEvents) {
  ServerOptions options = Scripted(testing::TextReply("abcdefghijkl"), 2);
  options.scenario = Scenario::StreamDrop(3);
  Server server(options);
  auto client = ClientOf(server);
  const auto result = PostStream(client, kResponses, ResponsesBody("go", true));
  const auto events = NamedEvents(result.body);
  EXPECT_THAT(Names(events), ElementsAre("response.created", "response.in_progress",
                                         "response.output_item.added"));
  EXPECT_EQ(server.journal().back().fault, "stream-drop");
}

TEST(ResponsesTest, StreamErrorIsAnErrorEventWithTheNextSequenceNumber) {
  ServerOptions options = Scripted(testing::TextReply("abcdefghijkl"), 2);
  options.scenario = Scenario::StreamError(4);
  options.scenario.done_after_error = true;  // no [DONE] in this dialect all the same
  Server server(options);
  auto client = ClientOf(server);
  const auto result = PostStream(client, kResponses, ResponsesBody("go", true));
  const auto events = NamedEvents(result.body);
  ASSERT_EQ(events.size(), 5u);
  EXPECT_EQ(events[3].event, "response.content_part.added");
  EXPECT_EQ(events[4].event, "error");
  EXPECT_EQ(events[4].data, json::parse(R"({"type":"error","code":"server_error",
      "message":"simulated failure","param":null,"sequence_number":4})"));
  EXPECT_EQ(result.body.find("[DONE]"), std::string::npos);
}

TEST(ResponsesTest, StreamErrorOnAPlainRequestAnswers500) {
  ServerOptions options = Scripted(testing::TextReply("x"));
  options.scenario = Scenario::StreamError();
  Server server(options);
  auto client = ClientOf(server);
  auto response = client.Post(kResponses, ResponsesBody("go"), "application/json");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 500);
  EXPECT_EQ(json::parse(response->body)["error"]["message"], "simulated failure");
}

TEST(ResponsesTest, StreamErrorLateInTheStreamComesBeforeCompleted) {
  ServerOptions options = Scripted(testing::TextReply("ab"), 2);
  options.scenario = Scenario::StreamError(100);
  Server server(options);
  auto client = ClientOf(server);
  const auto events = NamedEvents(PostStream(client, kResponses, ResponsesBody("go", true)).body);
  ASSERT_EQ(events.size(), 9u);
  EXPECT_EQ(events[7].event, "response.output_item.done");
  EXPECT_EQ(events[8].event, "error");
  EXPECT_EQ(events[8].data["sequence_number"], 8);
}

TEST(ResponsesTest, MalformedStreamSendsOneBadEventAndNoDone) {
  ServerOptions options = Scripted(testing::TextReply("abcdefgh"), 2);
  options.scenario = Scenario::Malformed(MalformedVariant::kTruncated);
  options.scenario.after_chunks = 2;
  Server server(options);
  auto client = ClientOf(server);
  const auto events = NamedEvents(PostStream(client, kResponses, ResponsesBody("go", true)).body);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[2].event, "response.output_text.delta");
  ASSERT_TRUE(events[2].data.is_string());
  EXPECT_THAT(events[2].data.get<std::string>(), ::testing::EndsWith("\"delta\":\"trunc"));
}

TEST(ResponsesTest, HugePadsTheStreamedTextPieceByPiece) {
  ServerOptions options = Scripted(testing::TextReply("short"));
  options.scenario = Scenario::Huge(200 * 1024);
  Server server(options);
  auto client = ClientOf(server);
  const auto events = NamedEvents(PostStream(client, kResponses, ResponsesBody("go", true)).body);
  ASSERT_FALSE(events.empty());
  std::size_t streamed = 0;
  for (const NamedEvent& event : events) {
    if (event.event == "response.output_text.delta")
      streamed += event.data["delta"].get<std::string>().size();
  }
  EXPECT_EQ(streamed, 200u * 1024);
  EXPECT_EQ(events.back().event, "response.completed");
  EXPECT_EQ(events.back().data["response"]["output"][0]["content"][0]["text"].get<std::string>(),
            std::string(200 * 1024, 'x'));
}

TEST(ResponsesTest, HugePadsAPlainResponse) {
  ServerOptions options = Scripted(testing::TextReply("short"));
  options.scenario = Scenario::Huge(100 * 1024);
  Server server(options);
  auto client = ClientOf(server);
  auto response = client.Post(kResponses, ResponsesBody("go"), "application/json");
  ASSERT_TRUE(response);
  const json body = json::parse(response->body);
  EXPECT_EQ(body["output"][0]["content"][0]["text"].get<std::string>().size(), 100u * 1024);
}

// --- Anthropic Messages ---

constexpr char kMessages[] = "/v1/messages";

json MessagesRequest(json content, bool stream = false, json extra = json::object()) {
  json body = {{"model", "m1"},
               {"max_tokens", 64},
               {"messages", {{{"role", "user"}, {"content", std::move(content)}}}}};
  if (stream) body["stream"] = true;
  body.update(extra);
  return body;
}

httplib::Headers AnthropicHeaders(const std::string& key = "") {
  httplib::Headers headers{{"anthropic-version", "2023-06-01"}};
  if (!key.empty()) headers.emplace("x-api-key", key);
  return headers;
}

TEST(MessagesTest, AnswersAMessageObject) {
  Server server(Scripted(testing::TextReply("hello there")));
  auto client = ClientOf(server);
  auto response = client.Post(kMessages, AnthropicHeaders(),
                              MessagesRequest("say hi", false, {{"system", "be kind"}}).dump(),
                              "application/json");
  ASSERT_TRUE(response);
  ASSERT_EQ(response->status, 200);
  const json body = json::parse(response->body);
  EXPECT_THAT(body["id"].get<std::string>(), ::testing::StartsWith("msg_"));
  EXPECT_EQ(body["type"], "message");
  EXPECT_EQ(body["role"], "assistant");
  EXPECT_EQ(body["model"], "m1");
  EXPECT_EQ(body["content"], json::parse(R"([{"type":"text","text":"hello there"}])"));
  EXPECT_EQ(body["stop_reason"], "end_turn");
  EXPECT_TRUE(body["stop_sequence"].is_null());
  EXPECT_EQ(body["usage"], json::parse(R"({"input_tokens":4,"output_tokens":2})"));
}

TEST(MessagesTest, EchoesTheLastUserTextAndSkipsToolResults) {
  ServerOptions options;
  options.models = {"m1"};
  Server server(options);
  auto client = ClientOf(server);
  json body = MessagesRequest("ignored");
  body["messages"] = json::parse(R"([
    {"role":"user","content":[{"type":"text","text":"what is"},{"type":"text","text":"the weather"}]},
    {"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"get_weather","input":{}}]},
    {"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"rain"}]}])");
  auto response = client.Post(kMessages, body.dump(), "application/json");
  ASSERT_TRUE(response);
  ASSERT_EQ(response->status, 200);
  const json answer = json::parse(response->body);
  EXPECT_EQ(answer["content"][0]["text"], "what is the weather");
  EXPECT_EQ(answer["usage"]["input_tokens"], 5);  // 4 words + "rain"
}

TEST(MessagesTest, ToolCallsAreToolUseBlocks) {
  Server server(Scripted(ToolReply()));
  auto client = ClientOf(server);
  auto response = client.Post(kMessages, MessagesRequest("weather?").dump(), "application/json");
  ASSERT_TRUE(response);
  const json body = json::parse(response->body);
  ASSERT_EQ(body["content"].size(), 1u);
  const json& block = body["content"][0];
  EXPECT_EQ(block["type"], "tool_use");
  EXPECT_THAT(block["id"].get<std::string>(), ::testing::StartsWith("toolu_"));
  EXPECT_EQ(block["name"], "get_weather");
  EXPECT_EQ(block["input"], json::parse(R"({"city":"Paris","unit":"c"})"));
  EXPECT_EQ(body["stop_reason"], "tool_use");
}

TEST(MessagesTest, ThinkingBlocksOnlyWhenThinkingIsEnabled) {
  Reply reply = testing::TextReply("answer");
  reply.reasoning = "let me think";
  ServerOptions options = Scripted(reply);
  options.script.loop = true;
  Server server(options);
  auto client = ClientOf(server);
  auto plain = client.Post(kMessages, MessagesRequest("q").dump(), "application/json");
  ASSERT_TRUE(plain);
  EXPECT_EQ(json::parse(plain->body)["content"].size(), 1u);
  auto thinking = client.Post(
      kMessages,
      MessagesRequest("q", false, {{"thinking", {{"type", "enabled"}, {"budget_tokens", 1024}}}})
          .dump(),
      "application/json");
  ASSERT_TRUE(thinking);
  const json content = json::parse(thinking->body)["content"];
  ASSERT_EQ(content.size(), 2u);
  EXPECT_EQ(content[0]["type"], "thinking");
  EXPECT_EQ(content[0]["thinking"], "let me think");
  EXPECT_FALSE(content[0]["signature"].get<std::string>().empty());
  EXPECT_EQ(content[1]["text"], "answer");
}

TEST(MessagesTest, StreamSendsNamedEventsInTheApisOrder) {
  Server server(Scripted(testing::TextReply("abcdefgh"), 4));
  auto client = ClientOf(server);
  const auto result = PostStream(client, kMessages, MessagesRequest("go", true).dump());
  ASSERT_EQ(result.error, httplib::Error::Success);
  EXPECT_EQ(result.content_type, "text/event-stream");
  const auto events = NamedEvents(result.body);
  EXPECT_THAT(Names(events), ElementsAre("message_start", "content_block_start", "ping",
                                         "content_block_delta", "content_block_delta",
                                         "content_block_stop", "message_delta", "message_stop"));
  for (const NamedEvent& event : events) EXPECT_EQ(event.data["type"], event.event);
  const json& message = events[0].data["message"];
  EXPECT_EQ(message["content"], json::array());
  EXPECT_TRUE(message["stop_reason"].is_null());
  EXPECT_EQ(events[1].data, json::parse(R"({"type":"content_block_start","index":0,
      "content_block":{"type":"text","text":""}})"));
  EXPECT_EQ(events[3].data, json::parse(R"({"type":"content_block_delta","index":0,
      "delta":{"type":"text_delta","text":"abcd"}})"));
  EXPECT_EQ(events[4].data["delta"]["text"], "efgh");
  EXPECT_EQ(events[6].data, json::parse(R"({"type":"message_delta",
      "delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":1}})"));
  EXPECT_EQ(result.body.find("[DONE]"), std::string::npos);
}

TEST(MessagesTest, StreamedToolInputAssemblesToTheScriptedArguments) {
  Reply reply = ToolReply();
  reply.text = "checking";
  reply.reasoning = "need weather";
  Server server(Scripted(reply, 6));
  auto client = ClientOf(server);
  const auto events = NamedEvents(
      PostStream(client, kMessages,
                 MessagesRequest("w", true, {{"thinking", {{"type", "enabled"}}}}).dump())
          .body);
  std::vector<std::string> expected = {
      "message_start",       "content_block_start", "ping",
      "content_block_delta", "content_block_delta", "content_block_delta",
      "content_block_stop",  "content_block_start", "content_block_delta",
      "content_block_delta", "content_block_stop",  "content_block_start"};
  for (int i = 0; i < 5; ++i) expected.push_back("content_block_delta");
  for (const char* name : {"content_block_stop", "message_delta", "message_stop"})
    expected.push_back(name);
  EXPECT_THAT(Names(events), ElementsAreArray(expected));
  std::map<int, json> blocks;
  for (const NamedEvent& event : events) {
    if (event.event == "content_block_start")
      blocks[event.data["index"]] = event.data["content_block"];
    if (event.event != "content_block_delta") continue;
    json& block = blocks[event.data["index"]];
    const json& delta = event.data["delta"];
    if (delta["type"] == "thinking_delta")
      block["thinking"] =
          block["thinking"].get<std::string>() + delta["thinking"].get<std::string>();
    if (delta["type"] == "signature_delta") block["signature"] = delta["signature"];
    if (delta["type"] == "text_delta")
      block["text"] = block["text"].get<std::string>() + delta["text"].get<std::string>();
    if (delta["type"] == "input_json_delta")
      block["partial"] = block.value("partial", "") + delta["partial_json"].get<std::string>();
  }
  EXPECT_EQ(blocks[0]["type"], "thinking");
  EXPECT_EQ(blocks[0]["thinking"], "need weather");
  EXPECT_FALSE(blocks[0]["signature"].get<std::string>().empty());
  EXPECT_EQ(blocks[1]["text"], "checking");
  EXPECT_EQ(blocks[2]["type"], "tool_use");
  EXPECT_EQ(blocks[2]["name"], "get_weather");
  EXPECT_EQ(blocks[2]["input"], json::object());
  EXPECT_EQ(blocks[2]["partial"], R"({"city":"Paris","unit":"c"})");
  EXPECT_EQ(events[events.size() - 2].data["delta"]["stop_reason"], "tool_use");
}

TEST(MessagesTest, MissingMaxTokensIsAnInvalidRequestError) {
  Server server(Scripted(testing::TextReply("x")));
  auto client = ClientOf(server);
  json body = MessagesRequest("hi");
  body.erase("max_tokens");
  auto response = client.Post(kMessages, body.dump(), "application/json");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 400);
  EXPECT_EQ(json::parse(response->body), json::parse(R"({"type":"error","error":{
      "type":"invalid_request_error","message":"max_tokens: Field required"}})"));
}

TEST(MessagesTest, UnknownModelIsANotFoundErrorInAnthropicsShape) {
  Server server(Scripted(testing::TextReply("x")));
  auto client = ClientOf(server);
  auto response = client.Post(kMessages, MessagesRequest("hi", false, {{"model", "nope"}}).dump(),
                              "application/json");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 404);
  const json body = json::parse(response->body);
  EXPECT_EQ(body["type"], "error");
  EXPECT_EQ(body["error"]["type"], "not_found_error");
  EXPECT_THAT(body["error"]["message"].get<std::string>(), ::testing::HasSubstr("nope"));
}

TEST(MessagesTest, AuthAcceptsXApiKeyAndRefusesInAnthropicsShape) {
  ServerOptions options = Scripted(testing::TextReply("x"));
  options.scenario = Scenario::Auth("sesame");
  Server server(options);
  auto client = ClientOf(server);
  const std::string body = MessagesRequest("hi").dump();
  auto missing = client.Post(kMessages, AnthropicHeaders(), body, "application/json");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 401);
  EXPECT_EQ(json::parse(missing->body)["error"]["type"], "authentication_error");
  auto wrong = client.Post(kMessages, AnthropicHeaders("open"), body, "application/json");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  auto right = client.Post(kMessages, AnthropicHeaders("sesame"), body, "application/json");
  ASSERT_TRUE(right);
  EXPECT_EQ(right->status, 200);
  // Chat Completions still takes only the bearer token on the openai profile.
  auto chat = client.Post("/v1/chat/completions", AnthropicHeaders("sesame"),
                          testing::ChatBody("m1", "hi"), "application/json");
  ASSERT_TRUE(chat);
  EXPECT_EQ(chat->status, 401);
}

TEST(MessagesTest, WrongMethodIsAnAnthropicError) {
  Server server(Scripted(testing::TextReply("x")));
  auto client = ClientOf(server);
  auto response = client.Get(kMessages, AnthropicHeaders());
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 405);
  const json body = json::parse(response->body);
  EXPECT_EQ(body["type"], "error");
  EXPECT_EQ(body["error"]["type"], "invalid_request_error");
}

TEST(MessagesTest, LoadingIsAnOverloadedErrorInAnthropicsShape) {
  ServerOptions options = Scripted(testing::TextReply("x"));
  options.scenario = Scenario::Loading(5);
  Server server(options);
  auto client = ClientOf(server);
  auto response = client.Post(kMessages, MessagesRequest("hi").dump(), "application/json");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 503);
  EXPECT_EQ(json::parse(response->body)["error"]["type"], "overloaded_error");
}

TEST(MessagesTest, StreamDropCutsTheStreamAfterNEvents) {
  ServerOptions options = Scripted(testing::TextReply("abcdefgh"), 2);
  options.scenario = Scenario::StreamDrop(4);
  Server server(options);
  auto client = ClientOf(server);
  const auto result = PostStream(client, kMessages, MessagesRequest("go", true).dump());
  EXPECT_THAT(Names(NamedEvents(result.body)),
              ElementsAre("message_start", "content_block_start", "ping", "content_block_delta"));
  EXPECT_EQ(server.journal().back().fault, "stream-drop");
}

TEST(MessagesTest, StreamErrorIsAnOverloadedErrorEvent) {
  ServerOptions options = Scripted(testing::TextReply("abcdefgh"), 2);
  options.scenario = Scenario::StreamError(3);
  Server server(options);
  auto client = ClientOf(server);
  const auto result = PostStream(client, kMessages, MessagesRequest("go", true).dump());
  const auto events = NamedEvents(result.body);
  EXPECT_THAT(Names(events), ElementsAre("message_start", "content_block_start", "ping", "error"));
  EXPECT_EQ(events.back().data, json::parse(R"({"type":"error",
      "error":{"type":"overloaded_error","message":"simulated failure"}})"));
}

TEST(MessagesTest, MalformedStreamSendsANamedBadEvent) {
  ServerOptions options = Scripted(testing::TextReply("abcdefgh"), 2);
  options.scenario = Scenario::Malformed(MalformedVariant::kNotJson);
  Server server(options);
  auto client = ClientOf(server);
  const std::string body = PostStream(client, kMessages, MessagesRequest("go", true).dump()).body;
  const auto events = NamedEvents(body);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[1].event, "content_block_start");
  EXPECT_EQ(events[2].event, "content_block_delta");
  EXPECT_EQ(events[2].data, json("this is not JSON"));
  EXPECT_EQ(body.find("[DONE]"), std::string::npos);
}

TEST(MessagesTest, StreamErrorLateInTheStreamComesBeforeMessageDelta) {
  ServerOptions options = Scripted(testing::TextReply("ab"), 2);
  options.scenario = Scenario::StreamError(100);
  Server server(options);
  auto client = ClientOf(server);
  const auto events =
      NamedEvents(PostStream(client, kMessages, MessagesRequest("go", true).dump()).body);
  EXPECT_THAT(Names(events), ElementsAre("message_start", "content_block_start", "ping",
                                         "content_block_delta", "content_block_stop", "error"));
}

TEST(MessagesTest, HugePadsTheTextBlock) {
  ServerOptions options = Scripted(ToolReply());
  options.scenario = Scenario::Huge(150 * 1024);
  Server server(options);
  auto client = ClientOf(server);
  const auto events =
      NamedEvents(PostStream(client, kMessages, MessagesRequest("go", true).dump()).body);
  std::size_t streamed = 0;
  for (const NamedEvent& event : events) {
    if (event.event == "content_block_delta" && event.data["delta"]["type"] == "text_delta")
      streamed += event.data["delta"]["text"].get<std::string>().size();
  }
  EXPECT_EQ(streamed, 150u * 1024);
  auto plain = client.Post(kMessages, MessagesRequest("go").dump(), "application/json");
  ASSERT_TRUE(plain);
  const json body = json::parse(plain->body);
  EXPECT_EQ(body["content"][0]["text"].get<std::string>().size(), 150u * 1024);
}

// --- legacy Completions ---

constexpr char kCompletions[] = "/v1/completions";

std::string CompletionBody(json prompt, bool stream = false) {
  json body = {{"model", "m1"}, {"prompt", std::move(prompt)}, {"max_tokens", 16}};
  if (stream) body["stream"] = true;
  return body.dump();
}

TEST(CompletionsTest, AnswersATextCompletion) {
  Server server(Scripted(testing::TextReply("once upon a time")));
  auto client = ClientOf(server);
  auto response = client.Post(kCompletions, CompletionBody("tell me"), "application/json");
  ASSERT_TRUE(response);
  ASSERT_EQ(response->status, 200);
  const json body = json::parse(response->body);
  EXPECT_THAT(body["id"].get<std::string>(), ::testing::StartsWith("cmpl-"));
  EXPECT_EQ(body["object"], "text_completion");
  EXPECT_EQ(body["model"], "m1");
  EXPECT_EQ(body["choices"], json::parse(R"([{"text":"once upon a time","index":0,
      "logprobs":null,"finish_reason":"stop"}])"));
  EXPECT_EQ(body["usage"], json::parse(R"({"prompt_tokens":2,"completion_tokens":4,
      "total_tokens":6})"));
}

TEST(CompletionsTest, EchoesThePrompt) {
  ServerOptions options;
  options.models = {"m1"};
  Server server(options);
  auto client = ClientOf(server);
  auto response =
      client.Post(kCompletions, CompletionBody(json::array({"a b", "c"})), "application/json");
  ASSERT_TRUE(response);
  EXPECT_EQ(json::parse(response->body)["choices"][0]["text"], "a b c");
}

TEST(CompletionsTest, StreamSendsTextCompletionChunksEndingWithDone) {
  Server server(Scripted(testing::TextReply("abcdefg"), 3));
  auto client = ClientOf(server);
  const auto result = PostStream(client, kCompletions, CompletionBody("go", true));
  ASSERT_EQ(result.error, httplib::Error::Success);
  EXPECT_EQ(result.content_type, "text/event-stream");
  const auto events = DataEvents(result.body);
  ASSERT_EQ(events.size(), 5u);
  std::vector<std::string> texts;
  for (std::size_t i = 0; i + 1 < events.size(); ++i) {
    const json chunk = json::parse(events[i]);
    EXPECT_EQ(chunk["object"], "text_completion");
    texts.push_back(chunk["choices"][0]["text"]);
    EXPECT_EQ(chunk["choices"][0]["finish_reason"].is_null(), i + 2 < events.size());
  }
  EXPECT_THAT(texts, ElementsAre("abc", "def", "g", ""));
  EXPECT_EQ(json::parse(events[3])["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(events.back(), "[DONE]");
}

TEST(CompletionsTest, MissingPromptIs400) {
  Server server(Scripted(testing::TextReply("x")));
  auto client = ClientOf(server);
  auto response = client.Post(kCompletions, R"({"model":"m1","prompt":7})", "application/json");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 400);
  EXPECT_THAT(json::parse(response->body)["error"]["message"].get<std::string>(),
              ::testing::HasSubstr("'prompt'"));
}

TEST(CompletionsTest, StreamErrorSendsTheEnvelopeThenNothing) {
  ServerOptions options = Scripted(testing::TextReply("abcdefg"), 2);
  options.scenario = Scenario::StreamError(2);
  Server server(options);
  auto client = ClientOf(server);
  const auto events = DataEvents(PostStream(client, kCompletions, CompletionBody("go", true)).body);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(json::parse(events[2])["error"]["message"], "simulated failure");
}

TEST(CompletionsTest, StreamDropCutsTheStream) {
  ServerOptions options = Scripted(testing::TextReply("abcdefg"), 2);
  options.scenario = Scenario::StreamDrop(1);
  Server server(options);
  auto client = ClientOf(server);
  const auto events = DataEvents(PostStream(client, kCompletions, CompletionBody("go", true)).body);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(json::parse(events[0])["choices"][0]["text"], "ab");
}

// --- embeddings ---

constexpr char kEmbeddings[] = "/v1/embeddings";

TEST(EmbeddingsTest, VectorsAreDeterministicAndNormalised) {
  ServerOptions options;
  options.models = {"m1"};
  Server server(options);
  auto client = ClientOf(server);
  const std::string body = json{{"model", "m1"}, {"input", {"alpha", "beta", "alpha"}}}.dump();
  auto response = client.Post(kEmbeddings, body, "application/json");
  ASSERT_TRUE(response);
  ASSERT_EQ(response->status, 200);
  const json list = json::parse(response->body);
  EXPECT_EQ(list["object"], "list");
  EXPECT_EQ(list["model"], "m1");
  EXPECT_EQ(list["usage"], json::parse(R"({"prompt_tokens":3,"total_tokens":3})"));
  ASSERT_EQ(list["data"].size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    const json& item = list["data"][i];
    EXPECT_EQ(item["object"], "embedding");
    EXPECT_EQ(item["index"], i);
    ASSERT_EQ(item["embedding"].size(), 8u);
    double norm = 0;
    for (const json& value : item["embedding"]) norm += value.get<double>() * value.get<double>();
    EXPECT_NEAR(norm, 1.0, 1e-9);
  }
  EXPECT_EQ(list["data"][0]["embedding"], list["data"][2]["embedding"]);
  EXPECT_NE(list["data"][0]["embedding"], list["data"][1]["embedding"]);
  auto again = client.Post(kEmbeddings, R"({"model":"m1","input":"alpha"})", "application/json");
  ASSERT_TRUE(again);
  EXPECT_EQ(json::parse(again->body)["data"][0]["embedding"], list["data"][0]["embedding"]);
}

TEST(EmbeddingsTest, Base64EncodingIsLittleEndianFloat32s) {
  ServerOptions options;
  options.models = {"m1"};
  Server server(options);
  auto client = ClientOf(server);
  auto floats = client.Post(kEmbeddings, R"({"model":"m1","input":"alpha"})", "application/json");
  auto encoded =
      client.Post(kEmbeddings, R"({"model":"m1","input":"alpha","encoding_format":"base64"})",
                  "application/json");
  ASSERT_TRUE(floats);
  ASSERT_TRUE(encoded);
  const json vector = json::parse(floats->body)["data"][0]["embedding"];
  const std::string text = json::parse(encoded->body)["data"][0]["embedding"];
  ASSERT_EQ(text.size(), 44u);  // 32 bytes
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string bytes;
  for (std::size_t i = 0; i < text.size(); i += 4) {
    std::uint32_t group = 0;
    for (std::size_t j = 0; j < 4; ++j)
      group = (group << 6) |
              static_cast<std::uint32_t>(text[i + j] == '=' ? 0 : alphabet.find(text[i + j]));
    for (int k = 2; k >= 0; --k) bytes += static_cast<char>((group >> (8 * k)) & 0xFF);
  }
  for (std::size_t i = 0; i < 8; ++i) {
    std::uint32_t bits = 0;
    for (int k = 3; k >= 0; --k) bits = (bits << 8) | static_cast<unsigned char>(bytes[4 * i + k]);
    float value = 0;
    std::memcpy(&value, &bits, sizeof value);
    EXPECT_FLOAT_EQ(value, static_cast<float>(vector[i].get<double>())) << i;
  }
}

TEST(EmbeddingsTest, RefusesInputThatIsNotStrings) {
  Server server(Scripted(testing::TextReply("x")));
  auto client = ClientOf(server);
  auto response = client.Post(kEmbeddings, R"({"model":"m1","input":[1,2]})", "application/json");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 400);
  EXPECT_EQ(json::parse(response->body)["error"]["type"], "invalid_request_error");
}

TEST(EmbeddingsTest, UnknownModelIsNotFound) {
  Server server(Scripted(testing::TextReply("x")));
  auto client = ClientOf(server);
  auto response = client.Post(kEmbeddings, R"({"model":"nope","input":"a"})", "application/json");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 404);
}

// --- every dialect is the chat endpoint to scenarios ---

TEST(DialectsTest, MissingModelHidesAModelFromEveryDialect) {
  ServerOptions options = Scripted(testing::TextReply("x"));
  options.script.loop = true;
  options.scenario = Scenario::MissingModel({"m1"});
  Server server(options);
  auto client = ClientOf(server);
  const std::vector<std::pair<std::string, std::string>> requests = {
      {kResponses, ResponsesBody("hi")},
      {kMessages, MessagesRequest("hi").dump()},
      {kCompletions, CompletionBody("hi")},
      {kEmbeddings, R"({"model":"m1","input":"hi"})"}};
  for (const auto& [path, body] : requests) {
    auto response = client.Post(path, body, "application/json");
    ASSERT_TRUE(response) << path;
    EXPECT_EQ(response->status, 404) << path;
    EXPECT_EQ(server.journal().back().fault, "missing-model") << path;
  }
}

TEST(DialectsTest, EveryProfileServesEveryDialect) {
  for (const Profile profile :
       {Profile::kOpenAi, Profile::kLlamaCpp, Profile::kVllm, Profile::kVllmLegacy,
        Profile::kOllama, Profile::kTgi, Profile::kLmStudio}) {
    SCOPED_TRACE(std::string(ProfileName(profile)));
    ServerOptions options = Scripted(testing::TextReply("abcdef"), 4);
    options.script.loop = true;
    options.profile = profile;
    Server server(options);
    auto client = ClientOf(server);
    const auto responses =
        NamedEvents(PostStream(client, kResponses, ResponsesBody("go", true)).body);
    ASSERT_FALSE(responses.empty());
    EXPECT_EQ(responses.back().event, "response.completed");
    const auto messages =
        NamedEvents(PostStream(client, kMessages, MessagesRequest("go", true).dump()).body);
    ASSERT_FALSE(messages.empty());
    EXPECT_EQ(messages.back().event, "message_stop");
    auto completion = client.Post(kCompletions, CompletionBody("go"), "application/json");
    ASSERT_TRUE(completion);
    EXPECT_EQ(json::parse(completion->body)["choices"][0]["text"], "abcdef");
    auto embedding = client.Post(kEmbeddings, R"({"model":"m1","input":"go"})", "application/json");
    ASSERT_TRUE(embedding);
    EXPECT_EQ(json::parse(embedding->body)["data"][0]["embedding"].size(), 8u);
  }
}

// --- what scripts see of each dialect's request ---

/// "role:text[tool,...]" per turn.
std::vector<std::string> Turns(const Conversation& conversation) {
  std::vector<std::string> turns;
  for (const Turn& turn : conversation.turns) {
    std::string line = turn.role + ":" + turn.text;
    if (!turn.tool_names.empty()) {
      line += "[";
      for (std::size_t i = 0; i < turn.tool_names.size(); ++i)
        line += (i > 0 ? "," : "") + turn.tool_names[i];
      line += "]";
    }
    turns.push_back(std::move(line));
  }
  return turns;
}

TEST(ResponsesRequestTest, MapsItemsToTurnsWithToolNames) {
  const ParsedChatRequest parsed = ReadResponsesRequest(json::parse(R"({
    "model":"m1","instructions":"be brief","input":[
      {"role":"developer","content":"dev note"},
      {"role":"user","content":[{"type":"input_text","text":"weather"},{"type":"input_image"}]},
      {"type":"reasoning","summary":[]},
      {"type":"function_call","call_id":"c1","name":"get_weather","arguments":"{}"},
      {"type":"function_call","call_id":"c2","name":"get_time","arguments":"{}"},
      {"type":"function_call_output","call_id":"c2","output":"noon"},
      {"type":"function_call_output","call_id":"c1","output":"rain"},
      {"type":"function_call_output","call_id":"unknown","output":"?"}]})"));
  ASSERT_EQ(parsed.error, "");
  EXPECT_EQ(parsed.request.model, "m1");
  EXPECT_EQ(parsed.request.conversation.model, "m1");
  EXPECT_THAT(Turns(parsed.request.conversation),
              ElementsAre("system:be brief", "system:dev note", "user:weather",
                          "assistant:[get_weather]", "assistant:[get_time]", "tool:noon[get_time]",
                          "tool:rain[get_weather]", "tool:?"));
  EXPECT_FALSE(parsed.request.stream);
}

TEST(ResponsesRequestTest, RefusesBadShapesNamingTheField) {
  EXPECT_THAT(ReadResponsesRequest(json::parse(R"({"input":3})")).error,
              ::testing::HasSubstr("'input'"));
  EXPECT_THAT(ReadResponsesRequest(json::parse(R"({"input":[1]})")).error,
              ::testing::HasSubstr("each item of 'input'"));
  EXPECT_THAT(ReadResponsesRequest(json::parse(R"({"input":"x","stream":"yes"})")).error,
              ::testing::HasSubstr("'stream'"));
  EXPECT_THAT(ReadResponsesRequest(json::parse(R"({"input":"x","model":7})")).error,
              ::testing::HasSubstr("'model'"));
  EXPECT_THAT(ReadResponsesRequest(json::parse(R"({"input":[{"content":"no role"}]})")).error,
              ::testing::HasSubstr("'role'"));
}

TEST(MessagesRequestTest, MapsBlocksToTurnsWithToolNames) {
  const ParsedChatRequest parsed = ReadMessagesRequest(json::parse(R"({
    "model":"m1","max_tokens":10,"stream":true,
    "system":[{"type":"text","text":"be"},{"type":"text","text":"kind"}],
    "thinking":{"type":"enabled","budget_tokens":1024},
    "messages":[
      {"role":"user","content":"weather?"},
      {"role":"assistant","content":[{"type":"text","text":"let me see"},
        {"type":"tool_use","id":"t1","name":"get_weather","input":{}}]},
      {"role":"user","content":[{"type":"tool_result","tool_use_id":"t1",
        "content":[{"type":"text","text":"rain"}]},{"type":"text","text":"thanks"}]}]})"));
  ASSERT_EQ(parsed.error, "");
  EXPECT_THAT(Turns(parsed.request.conversation),
              ElementsAre("system:be kind", "user:weather?", "assistant:let me see[get_weather]",
                          "tool:rain[get_weather]", "user:thanks"));
  EXPECT_TRUE(parsed.request.stream);
  EXPECT_TRUE(parsed.request.enable_thinking);
  EXPECT_EQ(parsed.request.conversation.LastUserText(), "thanks");
}

TEST(MessagesRequestTest, RefusesMissingFieldsInAnthropicsWords) {
  EXPECT_EQ(ReadMessagesRequest(json::parse(R"({"max_tokens":1,"messages":[]})")).error,
            "model: Field required");
  EXPECT_EQ(ReadMessagesRequest(json::parse(R"({"model":"m","messages":[]})")).error,
            "max_tokens: Field required");
  EXPECT_EQ(ReadMessagesRequest(json::parse(R"({"model":"m","max_tokens":1})")).error,
            "messages: Field required");
  EXPECT_THAT(
      ReadMessagesRequest(
          json::parse(
              R"({"model":"m","max_tokens":1,"messages":[{"role":"robot","content":"x"}]})"))
          .error,
      ::testing::HasSubstr("role"));
  EXPECT_FALSE(ReadMessagesRequest(json::parse(R"({"model":"m","max_tokens":1,"messages":[],
      "thinking":{"type":"disabled"}})"))
                   .request.enable_thinking);
}

// --- GET /models in Anthropic's shape ---

TEST(AnthropicModelsTest, ListingFollowsTheAnthropicVersionHeader) {
  ServerOptions options;
  options.models = {"m1", "m2"};
  Server server(options);
  auto client = ClientOf(server);
  auto anthropic = client.Get("/v1/models", AnthropicHeaders());
  ASSERT_TRUE(anthropic);
  ASSERT_EQ(anthropic->status, 200);
  EXPECT_EQ(json::parse(anthropic->body), json::parse(R"({"data":[
      {"type":"model","id":"m1","display_name":"m1","created_at":"2023-11-14T22:13:20.000000Z"},
      {"type":"model","id":"m2","display_name":"m2","created_at":"2023-11-14T22:13:20.000000Z"}],
      "has_more":false,"first_id":"m1","last_id":"m2"})"));
  auto openai = client.Get("/v1/models");
  ASSERT_TRUE(openai);
  EXPECT_EQ(json::parse(openai->body)["object"], "list");
}

}  // namespace
}  // namespace provkit::mock
