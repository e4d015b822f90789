// Tests the Chat Completions codec: request bodies, completion decoding, chunk decoding (S7, S8)
// and hostile input.
#include "chat_codec.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "chat_answers.hpp"

namespace provkit::chat {
namespace {

using nlohmann::json;

constexpr const char* kProvider = "local";

using provkit::testing::AnswerChunks;
using provkit::testing::kCompletion;

std::vector<StreamEvent> DecodeAll(ChunkDecoder& decoder, const std::vector<std::string>& chunks) {
  std::vector<StreamEvent> events;
  for (const std::string& chunk : chunks) decoder.Decode(chunk, events);
  decoder.Finish(events);
  return events;
}

std::vector<EventType> Types(const std::vector<StreamEvent>& events) {
  std::vector<EventType> types;
  for (const StreamEvent& event : events) types.push_back(event.type);
  return types;
}

// ---- Request bodies ----

TEST(ChatCodec, RequestBodyCarriesInstructionsHistoryToolResultsAndUserText) {
  Environment environment{.instructions = "Be brief."};
  Input input;
  input.history.push_back({.role = "user", .content = "Weather?"});
  input.history.push_back(
      {.role = "assistant",
       .content = "",
       .tool_calls = {wire::MakeToolCall("call_1", "get_weather", R"({"city":"Paris"})")}});
  input.tool_results.push_back({.call_id = "call_1", .content = "sunny"});
  input.text = "Thanks";
  const json body = BuildRequestBody(environment, input, {}, std::string("llama3"), false);

  EXPECT_EQ(body["model"], "llama3");
  const json& messages = body["messages"];
  ASSERT_EQ(messages.size(), 5u);
  EXPECT_EQ(messages[0], json({{"role", "system"}, {"content", "Be brief."}}));
  EXPECT_EQ(messages[1], json({{"role", "user"}, {"content", "Weather?"}}));
  EXPECT_EQ(messages[2]["role"], "assistant");
  EXPECT_EQ(
      messages[2]["tool_calls"][0],
      json::parse(
          R"({"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}})"));
  EXPECT_EQ(messages[3],
            json({{"role", "tool"}, {"tool_call_id", "call_1"}, {"content", "sunny"}}));
  EXPECT_EQ(messages[4], json({{"role", "user"}, {"content", "Thanks"}}));
  EXPECT_FALSE(body.contains("stream"));
  EXPECT_FALSE(body.contains("tools"));
  EXPECT_FALSE(body.contains("temperature"));
}

TEST(ChatCodec, RequestBodyOmitsModelAndSystemWhenUnset) {
  const json body = BuildRequestBody({}, Input{.text = "hi"}, {}, std::nullopt, false);
  EXPECT_FALSE(body.contains("model"));
  EXPECT_EQ(body["messages"], json::parse(R"([{"role":"user","content":"hi"}])"));
}

TEST(ChatCodec, RequestBodyToolsAndSamplingFields) {
  Environment environment;
  environment.tools.push_back({.name = "get_time",
                               .description = "Current time",
                               .parameters = json::parse(R"({"type":"object","properties":{}})")});
  environment.tools.push_back({.name = "noop"});
  Requirements requirements{.temperature = 0.25,
                            .top_p = 0.5,
                            .max_tokens = 64,
                            .seed = 7,
                            .tool_choice = json("required")};
  const json body =
      BuildRequestBody(environment, Input{.text = "x"}, requirements, std::nullopt, false);
  EXPECT_EQ(
      body["tools"][0],
      json::parse(
          R"({"type":"function","function":{"name":"get_time","description":"Current time","parameters":{"type":"object","properties":{}}}})"));
  EXPECT_FALSE(body["tools"][1]["function"].contains("description"));
  EXPECT_EQ(body["temperature"], 0.25);
  EXPECT_EQ(body["top_p"], 0.5);
  EXPECT_EQ(body["max_tokens"], 64);
  EXPECT_EQ(body["seed"], 7);
  EXPECT_EQ(body["tool_choice"], "required");
}

TEST(ChatCodec, StreamingBodyAsksForUsage) {
  const json body = BuildRequestBody({}, Input{.text = "x"}, {}, std::nullopt, true);
  EXPECT_EQ(body["stream"], true);
  EXPECT_EQ(body["stream_options"], json({{"include_usage", true}}));
}

TEST(ChatCodec, S12MergesOnlyTheLocalProviderOptions) {
  RecordProperty("clause", "S12");
  Requirements requirements;
  requirements.provider_options = LocalReasoning(false);
  requirements.provider_options["local"]["top_k"] = 20;
  requirements.provider_options["local"]["chat_template_kwargs"]["custom"] = "x";
  requirements.provider_options["openai"] = {{"store", true}};
  const json streamed = BuildRequestBody({}, Input{.text = "x"}, requirements, std::nullopt, true);
  EXPECT_EQ(streamed["chat_template_kwargs"], json({{"enable_thinking", false}, {"custom", "x"}}));
  EXPECT_EQ(streamed["top_k"], 20);
  EXPECT_FALSE(streamed.contains("store"));
  EXPECT_FALSE(streamed.contains("openai"));
  EXPECT_EQ(streamed["stream_options"], json({{"include_usage", true}}));
  const json plain = BuildRequestBody({}, Input{.text = "x"}, requirements, std::nullopt, false);
  EXPECT_FALSE(plain.contains("stream"));
  requirements.provider_options = LocalReasoning(true);
  EXPECT_EQ(BuildRequestBody({}, Input{.text = "x"}, requirements, std::nullopt,
                             false)["chat_template_kwargs"]["enable_thinking"],
            true);
}

TEST(ChatCodec, S12ManagedFieldsInProviderOptionsAreConfigurationErrors) {
  RecordProperty("clause", "S12");
  for (const std::string_view field : kManagedFields) {
    Requirements requirements;
    requirements.provider_options = {{"local", {{std::string(field), true}}}};
    try {
      BuildRequestBody({}, Input{.text = "x"}, requirements, "m", true);
      ADD_FAILURE() << field << " was accepted";
    } catch (const ConfigurationError& error) {
      EXPECT_EQ(error.kind(), ErrorKind::kConfiguration);
      EXPECT_NE(std::string(error.what()).find(std::string(field)), std::string::npos)
          << error.what();
      EXPECT_EQ(error.field(), "provider_options.local." + std::string(field));
    }
  }
  // Another provider's scope may name the field: it never reaches this provider.
  Requirements foreign;
  foreign.provider_options = {{"openai", {{"model", "gpt"}}}};
  EXPECT_NO_THROW(BuildRequestBody({}, Input{.text = "x"}, foreign, "m", false));
}

TEST(ChatCodec, MalformedProviderOptionsAreConfigurationErrors) {
  Requirements requirements;
  requirements.provider_options = {{"local", "oops"}};
  EXPECT_THROW(BuildRequestBody({}, Input{.text = "x"}, requirements, std::nullopt, false),
               ConfigurationError);
  requirements.provider_options = json::array();
  EXPECT_THROW(BuildRequestBody({}, Input{.text = "x"}, requirements, std::nullopt, false),
               ConfigurationError);
  requirements.provider_options = {{"local", nullptr}};
  EXPECT_NO_THROW(BuildRequestBody({}, Input{.text = "x"}, requirements, std::nullopt, false));
}

// ---- Completions ----

TEST(ChatCodec, DecodesACompletion) {
  const Output output = DecodeCompletion(kCompletion, kProvider, Phase::kGenerate);
  EXPECT_EQ(output.text, "Hello world");
  EXPECT_EQ(output.reasoning, "think");
  ASSERT_EQ(output.tool_calls.size(), 2u);
  EXPECT_EQ(output.tool_calls[0].id, "call_1");
  EXPECT_EQ(output.tool_calls[0].name, "get_weather");
  EXPECT_EQ(output.tool_calls[0].arguments, json({{"city", "Paris"}}));
  EXPECT_EQ(output.tool_calls[0].arguments_text, R"({"city":"Paris"})");
  EXPECT_EQ(output.usage, (Usage{5, 7, 12}));
  EXPECT_EQ(output.finish_reason, "tool_calls");
  EXPECT_EQ(output.response_id, "chatcmpl-1");
}

TEST(ChatCodec, ReasoningFieldAndContentPartsAreRead) {
  const Output output = DecodeCompletion(
      R"({"choices":[{"message":{"content":[{"type":"text","text":"a"},{"type":"text","text":"b"}],"reasoning":"r"},"finish_reason":"stop"}]})",
      kProvider, Phase::kGenerate);
  EXPECT_EQ(output.text, "ab");
  EXPECT_EQ(output.reasoning, "r");
  EXPECT_FALSE(output.usage.has_value());
}

TEST(ChatCodec, InvalidToolArgumentsGiveNullAndKeepText) {
  const Output output = DecodeCompletion(
      R"({"choices":[{"message":{"tool_calls":[{"id":"c","function":{"name":"f","arguments":"{not json"}}]}}]})",
      kProvider, Phase::kGenerate);
  ASSERT_EQ(output.tool_calls.size(), 1u);
  EXPECT_TRUE(output.tool_calls[0].arguments.is_null());
  EXPECT_EQ(output.tool_calls[0].arguments_text, "{not json");
}

TEST(ChatCodec, WrongTypesInACompletionAreTolerated) {
  const Output output = DecodeCompletion(
      R"({"id":5,"choices":[{"message":{"content":7,"tool_calls":"x"},"finish_reason":null}],"usage":{"prompt_tokens":"9","completion_tokens":2.5}})",
      kProvider, Phase::kGenerate);
  EXPECT_EQ(output.text, "");
  EXPECT_EQ(output.response_id, "");
  EXPECT_TRUE(output.tool_calls.empty());
  EXPECT_EQ(output.usage, (Usage{0, 0, 0}));
}

TEST(ChatCodec, UnreadableCompletionsThrowMalformedResponse) {
  for (const char* body : {"", "not json", "[1,2]", R"({"choices":"x"})",
                           R"({"object":"chat.completion"})", R"({"error":{"message":"boom"}})"}) {
    try {
      DecodeCompletion(body, kProvider, Phase::kGenerate);
      ADD_FAILURE() << "no error for " << body;
    } catch (const APIError& error) {
      EXPECT_EQ(error.kind(), ErrorKind::kMalformedResponse) << body;
      EXPECT_EQ(error.phase(), Phase::kGenerate);
      EXPECT_EQ(error.provider(), kProvider);
    }
  }
}

TEST(ChatCodec, ErrorEnvelopeWithStatus200NamesTheServerMessage) {
  try {
    DecodeCompletion(R"({"error":"model is loading"})", kProvider, Phase::kGenerate);
    FAIL();
  } catch (const APIError& error) {
    EXPECT_NE(std::string(error.what()).find("model is loading"), std::string::npos);
  }
}

// ---- Chunks ----

TEST(ChunkDecoder, EmitsDeltasToolCallsFinishAndUsageInOrder) {
  ChunkDecoder decoder(kProvider);
  const std::vector<StreamEvent> events = DecodeAll(decoder, AnswerChunks());
  EXPECT_EQ(Types(events),
            (std::vector<EventType>{
                EventType::kReasoningDelta, EventType::kReasoningDelta, EventType::kTextDelta,
                EventType::kTextDelta, EventType::kToolCallDelta, EventType::kToolCallDelta,
                EventType::kToolCallDelta, EventType::kToolCallDelta, EventType::kToolCall,
                EventType::kToolCall, EventType::kFinish, EventType::kUsage}));
  EXPECT_EQ(events[0].delta, "thi");
  EXPECT_EQ(events[3].delta, " world");
  EXPECT_EQ(events[4].tool_index, 0);
  EXPECT_EQ(events[4].tool_call.name, "get_weather");
  EXPECT_EQ(events[6].delta, "{\"city\":");
  EXPECT_EQ(events[6].tool_call.id, "call_1");
  EXPECT_EQ(events[8].tool_call.arguments, json({{"city", "Paris"}}));
  EXPECT_EQ(events[9].tool_index, 1);
  EXPECT_EQ(events[10].finish_reason, "tool_calls");
  EXPECT_EQ(events[11].usage, (Usage{5, 7, 12}));
  EXPECT_TRUE(decoder.done());
  EXPECT_TRUE(decoder.finished());
}

TEST(ChunkDecoder, S8StreamAssemblesWhatTheCompletionDecodesTo) {
  RecordProperty("clause", "S8");
  ChunkDecoder decoder(kProvider);
  DecodeAll(decoder, AnswerChunks());
  const Output expected = DecodeCompletion(kCompletion, kProvider, Phase::kGenerate);
  const Output output = decoder.TakeOutput();
  EXPECT_TRUE(output.SameAnswer(expected)) << json(output).dump() << "\n" << json(expected).dump();
}

TEST(ChunkDecoder, EventsOnlyModeKeepsNoTextButStillAssemblesCalls) {
  ChunkDecoder decoder(kProvider, /*accumulate_text=*/false);
  const std::vector<StreamEvent> events = DecodeAll(decoder, AnswerChunks());
  EXPECT_EQ(events.size(), 12u);
  const Output output = decoder.TakeOutput();
  EXPECT_EQ(output.text, "");
  EXPECT_EQ(output.reasoning, "");
  EXPECT_EQ(output.tool_calls.size(), 2u);
  EXPECT_EQ(output.finish_reason, "tool_calls");
}

TEST(ChunkDecoder, PendingToolCallsAreEmittedAtFinishWithoutFinishReason) {
  ChunkDecoder decoder(kProvider);
  std::vector<StreamEvent> events;
  decoder.Decode(
      R"({"choices":[{"delta":{"tool_calls":[{"index":0,"id":"c","function":{"name":"f","arguments":"[1]"}}]}}]})",
      events);
  decoder.Decode("[DONE]", events);
  EXPECT_EQ(Types(events), (std::vector<EventType>{EventType::kToolCallDelta}));
  decoder.Finish(events);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].type, EventType::kToolCall);
  EXPECT_EQ(events[1].tool_call.arguments, json::array({1}));
  EXPECT_FALSE(decoder.finished());
}

TEST(ChunkDecoder, IgnoresEverythingAfterDone) {
  ChunkDecoder decoder(kProvider);
  std::vector<StreamEvent> events;
  decoder.Decode(" [DONE] ", events);
  decoder.Decode("garbage", events);
  decoder.Decode(R"({"error":"late"})", events);
  EXPECT_TRUE(events.empty());
  EXPECT_TRUE(decoder.done());
}

TEST(ChunkDecoder, IgnoresChoicesOtherThanTheFirstAndNamedEvents) {
  ChunkDecoder decoder(kProvider);
  std::vector<StreamEvent> events;
  decoder.Decode(
      R"({"choices":[{"index":1,"delta":{"content":"other"}},{"index":0,"delta":{"content":"mine"}}]})",
      events);
  decoder.Decode(R"({"choices":[{"index":0,"delta":{"content":"ping"}}]})", events, "ping");
  decoder.Decode("", events);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].delta, "mine");
}

void ExpectStreamFailure(std::string_view data, std::string_view expected_words,
                         std::string_view event = {}) {
  ChunkDecoder decoder(kProvider);
  std::vector<StreamEvent> events;
  decoder.Decode(R"({"choices":[{"delta":{"content":"partial"}}]})", events);
  try {
    decoder.Decode(data, events, event);
    ADD_FAILURE() << "no failure for " << data;
  } catch (const APIError& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kStreamFailure) << data;
    EXPECT_EQ(error.phase(), Phase::kStream);
    EXPECT_NE(std::string(error.what()).find(expected_words), std::string::npos) << error.what();
  }
}

TEST(ChunkDecoder, S7ErrorEnvelopesInEveryShapeFailTheStream) {
  RecordProperty("clause", "S7");
  ExpectStreamFailure(R"({"error":{"message":"Context size exceeded","code":400}})",
                      "Context size exceeded");
  ExpectStreamFailure(R"({"object":"error","message":"vLLM failed","code":500})", "vLLM failed");
  ExpectStreamFailure(R"({"error":"TGI failed","error_type":"generation"})", "TGI failed");
  ExpectStreamFailure(R"({"message":"from error event"})", "from error event", "error");
}

TEST(ChunkDecoder, S7MalformedChunksFailTheStream) {
  RecordProperty("clause", "S7");
  ExpectStreamFailure("{not json", "malformed");
  ExpectStreamFailure("[1,2,3]", "malformed");
  ExpectStreamFailure(R"({"choices":{"0":{}}})", "not a list");
  ExpectStreamFailure(
      R"({"choices":[{"delta":{"tool_calls":[{"index":99999,"function":{"name":"f"}}]}}]})",
      "out of range");
  ExpectStreamFailure(std::string(200, '[') + std::string(200, ']'), "malformed");
}

TEST(ChunkDecoder, WrongTypesInsideAChunkAreSkipped) {
  ChunkDecoder decoder(kProvider);
  std::vector<StreamEvent> events;
  decoder.Decode(
      R"({"id":3,"choices":[7,{"delta":"x"},{"delta":{"content":5,"tool_calls":{"a":1}},"finish_reason":3}],"usage":"x"})",
      events);
  decoder.Decode(
      R"({"choices":[{"delta":{"tool_calls":[5,{"index":"0","function":{"arguments":7}}]}}]})",
      events);
  EXPECT_EQ(Types(events), (std::vector<EventType>{EventType::kToolCallDelta}));
  EXPECT_EQ(events[0].delta, "7");
}

void ExpectSameEvents(const std::vector<StreamEvent>& fast, const std::vector<StreamEvent>& general,
                      const std::string& chunk) {
  ASSERT_EQ(fast.size(), general.size()) << chunk;
  for (std::size_t i = 0; i < fast.size(); ++i) {
    EXPECT_EQ(fast[i].type, general[i].type) << chunk;
    EXPECT_EQ(fast[i].delta, general[i].delta) << chunk;
    EXPECT_EQ(fast[i].tool_index, general[i].tool_index) << chunk;
    EXPECT_EQ(fast[i].tool_call, general[i].tool_call) << chunk;
    EXPECT_EQ(fast[i].usage, general[i].usage) << chunk;
    EXPECT_EQ(fast[i].finish_reason, general[i].finish_reason) << chunk;
  }
}

// The fast chunk reader and the nlohmann::json path give the same events,
// outputs and failures for real chunks and random mutations of them.
TEST(ChunkDecoder, FastPathAgreesWithTheGeneralPath) {
  std::mt19937 random(4242);
  std::vector<std::string> chunks = AnswerChunks();
  chunks.push_back(
      R"({"choices":[{"index":0,"delta":{"reasoning":"r","content":null,"tool_calls":null},"finish_reason":"stop"}],"usage":null})");
  chunks.push_back(
      R"({"choices":[{"delta":{"reasoning_content":"rc","reasoning":"r"}},{"index":2,"delta":{"content":"x"}}],"usage":{"prompt_tokens":1,"completion_tokens":2}})");
  chunks.push_back(
      R"({"id":"x","choices":[{"index":0,"delta":{"tool_calls":[{"id":"a","function":{"name":"f","arguments":"{\"k\":\"\u00e9\"}"}},{"function":null}]}}]})");
  const std::string alphabet = "{}[]\":,0123456789.-eE truefalsnul\\";
  for (int round = 0; round < 4000; ++round) {
    ChunkDecoder fast(kProvider, true, true);
    ChunkDecoder general(kProvider, true, false);
    for (std::string chunk : chunks) {
      if (round > 0) {
        const int edits = static_cast<int>(random() % 3);
        for (int i = 0; i < edits && !chunk.empty(); ++i) {
          const std::size_t at = random() % chunk.size();
          if (random() % 2) {
            chunk[at] = alphabet[random() % alphabet.size()];
          } else {
            chunk.erase(at, 1 + random() % 4);
          }
        }
      }
      std::vector<StreamEvent> fast_events;
      std::vector<StreamEvent> general_events;
      std::string fast_error;
      std::string general_error;
      try {
        fast.Decode(chunk, fast_events);
      } catch (const APIError& error) {
        fast_error = error.what();
      }
      try {
        general.Decode(chunk, general_events);
      } catch (const APIError& error) {
        general_error = error.what();
      }
      ASSERT_EQ(fast_error, general_error) << chunk;
      if (!fast_error.empty()) break;
      ExpectSameEvents(fast_events, general_events, chunk);
    }
    std::vector<StreamEvent> fast_tail;
    std::vector<StreamEvent> general_tail;
    fast.Finish(fast_tail);
    general.Finish(general_tail);
    ExpectSameEvents(fast_tail, general_tail, "Finish()");
    ASSERT_TRUE(fast.TakeOutput().SameAnswer(general.TakeOutput())) << round;
  }
}

// Random mutations of a real stream: decoding never throws anything but APIError, never crashes.
TEST(ChunkDecoder, MutatedChunksThrowOnlyApiError) {
  std::mt19937 random(12345);
  const std::vector<std::string> chunks = AnswerChunks();
  const std::string alphabet = "{}[]\":,0123456789.-eE truefalsnul\\\x80\xFF";
  for (int round = 0; round < 3000; ++round) {
    ChunkDecoder decoder(kProvider);
    std::vector<StreamEvent> events;
    for (std::string chunk : chunks) {
      const int edits = static_cast<int>(random() % 4);
      for (int i = 0; i < edits && !chunk.empty(); ++i) {
        const std::size_t at = random() % chunk.size();
        switch (random() % 3) {
          case 0:
            chunk[at] = alphabet[random() % alphabet.size()];
            break;
          case 1:
            chunk.erase(at, 1 + random() % 8);
            break;
          default:
            chunk.insert(at, 1, alphabet[random() % alphabet.size()]);
            break;
        }
      }
      try {
        decoder.Decode(chunk, events);
      } catch (const APIError&) {
        break;
      } catch (...) {
        FAIL() << "non-APIError for chunk " << chunk;
      }
    }
    EXPECT_NO_THROW(decoder.Finish(events));
  }
}

}  // namespace
}  // namespace provkit::chat
