// Tests of the API dialects beside Chat Completions: Responses, Anthropic Messages, legacy
// Completions, embeddings and the Anthropic models listing, with faults applied to each.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "provkit/mockserver/server.hpp"
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

TEST(ResponsesTest, MalformedStreamSendsOneBadEventAndNoDone) {
  ServerOptions options = Scripted(testing::TextReply("abcdefgh"), 2);
  options.scenario = Scenario::Malformed(MalformedVariant::kTruncated);
  options.scenario.after_chunks = 2;
  Server server(options);
  auto client = ClientOf(server);
  const auto events = NamedEvents(PostStream(client, kResponses, ResponsesBody("go", true)).body);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[2].event, "");
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

}  // namespace
}  // namespace provkit::mock
