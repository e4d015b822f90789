// Tests the cloud wire dialects: OpenAI Responses and Anthropic Messages request bodies, answer
// decoding, and stream decoding into the events and the Output a non-streamed answer gives (S8).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "wire_dialect.hpp"

namespace provkit::wire {
namespace {

using nlohmann::json;

struct Event {
  std::string name;
  json data;
};

std::vector<StreamEvent> DecodeAll(const Dialect& dialect, const std::vector<Event>& stream,
                                   Output* output = nullptr, bool* done = nullptr) {
  const std::unique_ptr<StreamDecoder> decoder = dialect.new_decoder("subject", true);
  std::vector<StreamEvent> events;
  for (const Event& event : stream) decoder->Decode(event.data.dump(), events, event.name);
  decoder->Finish(events);
  if (done != nullptr) *done = decoder->done();
  if (output != nullptr) *output = decoder->TakeOutput();
  return events;
}

std::vector<EventType> Types(const std::vector<StreamEvent>& events) {
  std::vector<EventType> types;
  for (const StreamEvent& event : events) types.push_back(event.type);
  return types;
}

Environment WeatherEnvironment() {
  return {.instructions = "Be brief.",
          .tools = {{.name = "get_weather",
                     .description = "Weather by city",
                     .parameters = {{"type", "object"}}}}};
}

// A turn that continues a tool call: history with the call, its result, and a new question.
Input ToolTurn() {
  Input input;
  input.history = {
      {.role = "user", .content = "Weather in Paris?"},
      {.role = "assistant",
       .tool_calls = {MakeToolCall("call_1", "get_weather", R"({"city":"Paris"})")}}};
  input.tool_results = {{.call_id = "call_1", .content = "18 C"}};
  input.text = "And in Rome?";
  return input;
}

// --- OpenAI Responses ----------------------------------------------------------------------

TEST(ResponsesDialect, BuildsInputItemsInstructionsToolsAndScopedOptions) {
  Requirements requirements;
  requirements.max_tokens = 64;
  requirements.tool_choice = json{{"type", "function"}, {"function", {{"name", "get_weather"}}}};
  requirements.provider_options = {{"openai", {{"store", false}}}, {"local", {{"top_k", 3}}}};
  const json body =
      Responses().build_body(WeatherEnvironment(), ToolTurn(), requirements, "gpt-x", true);
  EXPECT_EQ(body["model"], "gpt-x");
  EXPECT_EQ(body["instructions"], "Be brief.");
  EXPECT_EQ(body["stream"], true);
  EXPECT_EQ(body["max_output_tokens"], 64);
  EXPECT_EQ(body["store"], false);
  EXPECT_FALSE(body.contains("top_k")) << "another provider's scope leaked in";
  EXPECT_EQ(body["tool_choice"], (json{{"type", "function"}, {"name", "get_weather"}}));
  EXPECT_EQ(body["tools"][0],
            (json{{"type", "function"},
                  {"name", "get_weather"},
                  {"description", "Weather by city"},
                  {"parameters", {{"type", "object"}}}}));
  const json expected_input = json::parse(R"([
    {"role":"user","content":"Weather in Paris?"},
    {"type":"function_call","call_id":"call_1","name":"get_weather","arguments":"{\"city\":\"Paris\"}"},
    {"type":"function_call_output","call_id":"call_1","output":"18 C"},
    {"role":"user","content":"And in Rome?"}])");
  EXPECT_EQ(body["input"], expected_input);
}

TEST(ResponsesDialect, S12RefusesOptionsThatReplaceManagedFields) {
  for (const char* field : {"model", "input", "stream"}) {
    Requirements requirements;
    requirements.provider_options = {{"openai", {{field, 1}}}};
    try {
      Responses().build_body({}, {.text = "hi"}, requirements, "m", false);
      ADD_FAILURE() << field << " was accepted";
    } catch (const ConfigurationError& error) {
      EXPECT_NE(std::string(error.what()).find(std::string("provider_options.openai.") + field),
                std::string::npos)
          << error.what();
    }
  }
}

const char* kResponse = R"({
  "id":"resp_1","object":"response","status":"completed","model":"gpt-x",
  "output":[
    {"type":"reasoning","id":"rs_1","summary":[{"type":"summary_text","text":"Think."}]},
    {"type":"message","id":"msg_1","role":"assistant","status":"completed",
     "content":[{"type":"output_text","text":"Hello ","annotations":[]},
                {"type":"output_text","text":"world","annotations":[]}]},
    {"type":"function_call","id":"fc_1","call_id":"call_9","name":"get_weather",
     "arguments":"{\"city\": \"Rome\"}","status":"completed"}],
  "usage":{"input_tokens":5,"output_tokens":7,"total_tokens":12}})";

TEST(ResponsesDialect, DecodesTextReasoningToolCallsAndUsage) {
  const Output output = Responses().decode(kResponse, "subject", Phase::kGenerate);
  EXPECT_EQ(output.response_id, "resp_1");
  EXPECT_EQ(output.text, "Hello world");
  EXPECT_EQ(output.reasoning, "Think.");
  ASSERT_EQ(output.tool_calls.size(), 1u);
  EXPECT_EQ(output.tool_calls[0].id, "call_9");
  EXPECT_EQ(output.tool_calls[0].arguments_text, R"({"city": "Rome"})");
  EXPECT_EQ(output.tool_calls[0].arguments["city"], "Rome");
  EXPECT_EQ(output.finish_reason, "tool_calls");
  ASSERT_TRUE(output.usage);
  EXPECT_EQ(output.usage->prompt_tokens, 5);
  EXPECT_EQ(output.usage->completion_tokens, 7);
  EXPECT_EQ(output.usage->total_tokens, 12);
}

TEST(ResponsesDialect, AnErrorBodyOrAnotherShapeIsMalformed) {
  for (const char* body : {R"({"error":{"message":"bad key","type":"invalid_request_error"}})",
                           R"({"choices":[]})", "[1]", "not json"}) {
    try {
      Responses().decode(body, "subject", Phase::kGenerate);
      ADD_FAILURE() << body << " decoded";
    } catch (const APIError& error) {
      EXPECT_EQ(error.kind(), ErrorKind::kMalformedResponse) << body;
    }
  }
}

// The events OpenAI sends for kResponse, named and numbered.
std::vector<Event> ResponseEvents() {
  const json response = json::parse(kResponse);
  json created = response;
  created["status"] = "in_progress";
  created["output"] = json::array();
  std::vector<Event> events;
  int sequence = 0;
  auto add = [&](const std::string& type, json data) {
    data["type"] = type;
    data["sequence_number"] = sequence++;
    events.push_back({type, std::move(data)});
  };
  add("response.created", {{"response", created}});
  add("response.in_progress", {{"response", created}});
  add("response.output_item.added", {{"output_index", 0}, {"item", {{"type", "reasoning"}}}});
  add("response.reasoning_summary_text.delta", {{"output_index", 0}, {"delta", "Think."}});
  add("response.output_item.added", {{"output_index", 1}, {"item", {{"type", "message"}}}});
  add("response.content_part.added", {{"output_index", 1}, {"content_index", 0}});
  add("response.output_text.delta", {{"output_index", 1}, {"delta", "Hello "}});
  add("response.output_text.delta", {{"output_index", 1}, {"delta", "world"}});
  add("response.output_text.done", {{"output_index", 1}, {"text", "Hello world"}});
  add("response.output_item.done", {{"output_index", 1}, {"item", response["output"][1]}});
  add("response.output_item.added",
      {{"output_index", 2},
       {"item",
        {{"type", "function_call"}, {"call_id", "call_9"}, {"name", "get_weather"}, {"arguments", ""}}}});
  add("response.function_call_arguments.delta", {{"output_index", 2}, {"delta", R"({"city": )"}});
  add("response.function_call_arguments.delta", {{"output_index", 2}, {"delta", R"("Rome"})"}});
  add("response.function_call_arguments.done",
      {{"output_index", 2}, {"arguments", R"({"city": "Rome"})"}});
  add("response.output_item.done", {{"output_index", 2}, {"item", response["output"][2]}});
  add("response.completed", {{"response", response}});
  return events;
}

TEST(ResponsesDialect, S8StreamGivesTheEventsAndTheOutputOfTheResponse) {
  Output streamed;
  bool done = false;
  const std::vector<StreamEvent> events =
      DecodeAll(Responses(), ResponseEvents(), &streamed, &done);
  EXPECT_TRUE(done);
  EXPECT_EQ(Types(events),
            (std::vector<EventType>{EventType::kReasoningDelta, EventType::kTextDelta,
                                    EventType::kTextDelta, EventType::kToolCallDelta,
                                    EventType::kToolCallDelta, EventType::kToolCallDelta,
                                    EventType::kToolCall, EventType::kUsage, EventType::kFinish}));
  EXPECT_EQ(events[3].tool_call.name, "get_weather");
  EXPECT_EQ(events[3].tool_call.id, "call_9");
  const Output decoded = Responses().decode(kResponse, "subject", Phase::kGenerate);
  EXPECT_TRUE(streamed.SameAnswer(decoded)) << json(streamed).dump() << "\n" << json(decoded).dump();
}

TEST(ResponsesDialect, S7ErrorEventsAndFailedResponsesFailTheStream) {
  const std::vector<Event> failures = {
      {"error", {{"type", "error"}, {"code", "server_error"}, {"message", "boom"}}},
      {"response.failed",
       {{"type", "response.failed"},
        {"response", {{"status", "failed"}, {"error", {{"code", "x"}, {"message", "boom"}}}}}}}};
  for (const Event& failure : failures) {
    std::vector<Event> stream = {ResponseEvents().front(), failure};
    try {
      DecodeAll(Responses(), stream);
      ADD_FAILURE() << failure.name << " passed";
    } catch (const APIError& error) {
      EXPECT_EQ(error.kind(), ErrorKind::kStreamFailure);
      EXPECT_NE(std::string(error.what()).find("boom"), std::string::npos) << error.what();
    }
  }
}

TEST(ResponsesDialect, AStreamWithoutItsCompletedEventIsNotDone) {
  std::vector<Event> stream = ResponseEvents();
  stream.pop_back();
  bool done = true;
  Output output;
  DecodeAll(Responses(), stream, &output, &done);
  EXPECT_FALSE(done);
  EXPECT_TRUE(output.finish_reason.empty());
}

TEST(ResponsesDialect, HostileEventsFailTheStreamWithABoundedMessage) {
  const std::unique_ptr<StreamDecoder> decoder = Responses().new_decoder("subject", true);
  std::vector<StreamEvent> events;
  EXPECT_THROW(decoder->Decode(std::string(100000, '{'), events, ""), APIError);
  const std::unique_ptr<StreamDecoder> other = Responses().new_decoder("subject", true);
  try {
    other->Decode(R"({"type":"response.function_call_arguments.delta","output_index":99999,"delta":"x"})",
                  events, "");
    ADD_FAILURE() << "an output_index out of range was accepted";
  } catch (const APIError& error) {
    EXPECT_LT(std::string(error.what()).size(), 2000u);
  }
}

// --- Anthropic Messages --------------------------------------------------------------------

TEST(MessagesDialect, BuildsAlternatingTurnsWithToolBlocksAndARequiredMaxTokens) {
  Requirements requirements;
  requirements.tool_choice = "required";
  requirements.provider_options = {{"anthropic", {{"thinking", {{"type", "enabled"}}}}}};
  const json body =
      Messages().build_body(WeatherEnvironment(), ToolTurn(), requirements, "claude-x", false);
  EXPECT_EQ(body["model"], "claude-x");
  EXPECT_EQ(body["max_tokens"], 4096);
  EXPECT_EQ(body["system"], "Be brief.");
  EXPECT_FALSE(body.contains("stream"));
  EXPECT_EQ(body["tool_choice"], (json{{"type", "any"}}));
  EXPECT_EQ(body["thinking"]["type"], "enabled");
  EXPECT_EQ(body["tools"][0]["input_schema"], (json{{"type", "object"}}));
  const json expected = json::parse(R"([
    {"role":"user","content":[{"type":"text","text":"Weather in Paris?"}]},
    {"role":"assistant","content":[{"type":"tool_use","id":"call_1","name":"get_weather","input":{"city":"Paris"}}]},
    {"role":"user","content":[{"type":"tool_result","tool_use_id":"call_1","content":"18 C"},
                              {"type":"text","text":"And in Rome?"}]}])");
  EXPECT_EQ(body["messages"], expected);
}

TEST(MessagesDialect, S12RefusesOptionsThatReplaceManagedFields) {
  Requirements requirements;
  requirements.provider_options = {{"anthropic", {{"messages", json::array()}}}};
  EXPECT_THROW(Messages().build_body({}, {.text = "hi"}, requirements, "m", true),
               ConfigurationError);
}

const char* kMessage = R"({
  "id":"msg_1","type":"message","role":"assistant","model":"claude-x",
  "content":[{"type":"thinking","thinking":"Think.","signature":"sig"},
             {"type":"text","text":"Hello world"},
             {"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Rome"}}],
  "stop_reason":"tool_use","stop_sequence":null,
  "usage":{"input_tokens":5,"output_tokens":7}})";

TEST(MessagesDialect, DecodesBlocksStopReasonAndUsage) {
  const Output output = Messages().decode(kMessage, "subject", Phase::kGenerate);
  EXPECT_EQ(output.response_id, "msg_1");
  EXPECT_EQ(output.text, "Hello world");
  EXPECT_EQ(output.reasoning, "Think.");
  ASSERT_EQ(output.tool_calls.size(), 1u);
  EXPECT_EQ(output.tool_calls[0].id, "toolu_1");
  EXPECT_EQ(output.tool_calls[0].arguments_text, R"({"city":"Rome"})");
  EXPECT_EQ(output.finish_reason, "tool_calls");
  ASSERT_TRUE(output.usage);
  EXPECT_EQ(output.usage->total_tokens, 12);
}

TEST(MessagesDialect, AnErrorBodyIsMalformedAndNamesTheErrorType) {
  try {
    Messages().decode(R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})",
                      "subject", Phase::kGenerate);
    ADD_FAILURE() << "an error body decoded";
  } catch (const APIError& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kMalformedResponse);
    EXPECT_NE(std::string(error.what()).find("overloaded_error: Overloaded"), std::string::npos)
        << error.what();
  }
}

std::vector<Event> MessageEvents() {
  std::vector<Event> events;
  auto add = [&](const std::string& type, json data) {
    data["type"] = type;
    events.push_back({type, std::move(data)});
  };
  add("message_start",
      {{"message",
        {{"id", "msg_1"}, {"type", "message"}, {"role", "assistant"}, {"content", json::array()},
         {"usage", {{"input_tokens", 5}, {"output_tokens", 1}}}}}});
  add("content_block_start", {{"index", 0}, {"content_block", {{"type", "thinking"}, {"thinking", ""}}}});
  add("content_block_delta", {{"index", 0}, {"delta", {{"type", "thinking_delta"}, {"thinking", "Think."}}}});
  add("content_block_delta", {{"index", 0}, {"delta", {{"type", "signature_delta"}, {"signature", "sig"}}}});
  add("content_block_stop", {{"index", 0}});
  add("ping", json::object());
  add("content_block_start", {{"index", 1}, {"content_block", {{"type", "text"}, {"text", ""}}}});
  add("content_block_delta", {{"index", 1}, {"delta", {{"type", "text_delta"}, {"text", "Hello "}}}});
  add("content_block_delta", {{"index", 1}, {"delta", {{"type", "text_delta"}, {"text", "world"}}}});
  add("content_block_stop", {{"index", 1}});
  add("content_block_start",
      {{"index", 2},
       {"content_block",
        {{"type", "tool_use"}, {"id", "toolu_1"}, {"name", "get_weather"}, {"input", json::object()}}}});
  add("content_block_delta",
      {{"index", 2}, {"delta", {{"type", "input_json_delta"}, {"partial_json", R"({"city": )"}}}});
  add("content_block_delta",
      {{"index", 2}, {"delta", {{"type", "input_json_delta"}, {"partial_json", R"("Rome"})"}}}});
  add("content_block_stop", {{"index", 2}});
  add("message_delta",
      {{"delta", {{"stop_reason", "tool_use"}, {"stop_sequence", nullptr}}},
       {"usage", {{"output_tokens", 7}}}});
  add("message_stop", json::object());
  return events;
}

TEST(MessagesDialect, S8StreamAssemblesInputJsonDeltasIntoTheMessagesToolCall) {
  Output streamed;
  bool done = false;
  const std::vector<StreamEvent> events = DecodeAll(Messages(), MessageEvents(), &streamed, &done);
  EXPECT_TRUE(done);
  EXPECT_EQ(Types(events),
            (std::vector<EventType>{EventType::kReasoningDelta, EventType::kTextDelta,
                                    EventType::kTextDelta, EventType::kToolCallDelta,
                                    EventType::kToolCallDelta, EventType::kToolCallDelta,
                                    EventType::kToolCall, EventType::kUsage, EventType::kFinish}));
  EXPECT_EQ(events[6].tool_call.arguments_text, R"({"city":"Rome"})");
  const Output decoded = Messages().decode(kMessage, "subject", Phase::kGenerate);
  EXPECT_TRUE(streamed.SameAnswer(decoded)) << json(streamed).dump() << "\n" << json(decoded).dump();
}

TEST(MessagesDialect, S7AnErrorEventFailsTheStreamWithItsType) {
  std::vector<Event> stream = MessageEvents();
  stream.resize(3);
  stream.push_back({"error", {{"type", "error"}, {"error", {{"type", "overloaded_error"}, {"message", "Overloaded"}}}}});
  try {
    DecodeAll(Messages(), stream);
    ADD_FAILURE() << "the error event passed";
  } catch (const APIError& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kStreamFailure);
    EXPECT_NE(std::string(error.what()).find("overloaded_error: Overloaded"), std::string::npos)
        << error.what();
  }
}

TEST(MessagesDialect, AStreamCutBeforeMessageStopIsNotDoneNorFinished) {
  std::vector<Event> stream = MessageEvents();
  stream.pop_back();  // message_stop
  bool done = true;
  Output output;
  DecodeAll(Messages(), stream, &output, &done);
  EXPECT_FALSE(done);
  EXPECT_TRUE(output.finish_reason.empty());
  ASSERT_EQ(output.tool_calls.size(), 1u) << "a complete tool_use block is kept";
}

}  // namespace
}  // namespace provkit::wire
