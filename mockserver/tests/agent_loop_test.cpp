// Tests the shipped agent-loop example config: the reference runtime runs a two-tool loop to its
// end.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <provkit/runtime/session.hpp>
#include <string>
#include <vector>

#include "provkit/mockserver/config.hpp"
#include "provkit/mockserver/server.hpp"

namespace provkit::mock {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;

constexpr int kMaxTurns = 6;

ServerOptions ExampleOptions() {
  ServerOptions defaults;
  defaults.port = 0;  // the example leaves the port to the caller
  return LoadConfigFile(PROVKIT_AGENT_LOOP_EXAMPLE, defaults);
}

provkit::Config ConfigFor(const Server& server) {
  provkit::Config config;
  config.base_url = server.base_url();
  config.model = "qwen3-8b";
  config.request_timeout = std::chrono::seconds(10);
  return config;
}

provkit::Environment WeatherTools() {
  provkit::Environment environment;
  environment.instructions = "You answer weather questions with the tools.";
  environment.tools = {
      {"get_weather", "The weather in a city, in Celsius.",
       json::parse(R"({"type":"object","properties":{"city":{"type":"string"}}})")},
      {"convert_units", "Converts a temperature.",
       json::parse(R"({"type":"object","properties":{"value":{"type":"number"}}})")}};
  return environment;
}

/// What a tool returns in this test; an unknown tool is an error result.
std::string RunTool(const provkit::ToolCall& call) {
  if (call.name == "get_weather") return R"({"city":"Paris","celsius":18})";
  if (call.name == "convert_units") return R"({"fahrenheit":64.4})";
  return R"({"error":"unknown tool"})";
}

struct LoopResult {
  std::vector<std::string> calls;  ///< Tool names in the order the model called them.
  std::vector<std::string> call_arguments;
  std::string final_text;
  int turns = 0;
  bool ended = false;
};

/// The loop an agent runs: ask, run every tool the model calls, send the results back, until the
/// model answers without a tool call or kMaxTurns turns have passed.
LoopResult RunLoop(provkit::Session& session, const std::string& question, bool stream) {
  const provkit::Environment environment = WeatherTools();
  LoopResult result;
  provkit::Input input{.text = question};
  while (result.turns < kMaxTurns) {
    ++result.turns;
    provkit::Output output;
    if (stream) {
      provkit::EventStream events = session.Stream(environment, input);
      output = events.Collect();
    } else {
      output = session.Interact(environment, input);
    }
    if (output.tool_calls.empty()) {
      result.final_text = output.text;
      result.ended = true;
      break;
    }
    std::vector<provkit::ToolResult> tool_results;
    for (const provkit::ToolCall& call : output.tool_calls) {
      result.calls.push_back(call.name);
      result.call_arguments.push_back(call.arguments.dump());
      tool_results.push_back({.call_id = call.id, .content = RunTool(call)});
    }
    input = provkit::Continue(input, output, std::move(tool_results));
  }
  return result;
}

TEST(AgentLoopTest, TheExampleLoopCallsBothToolsThenAnswers) {
  Server server(ExampleOptions());
  provkit::Session session(ConfigFor(server));
  const LoopResult loop = RunLoop(session, "What is the weather in Paris, in Fahrenheit?", false);
  EXPECT_TRUE(loop.ended) << "no final answer within " << kMaxTurns << " turns";
  EXPECT_THAT(loop.calls, ElementsAre("get_weather", "convert_units"));
  EXPECT_THAT(
      loop.call_arguments,
      ElementsAre(R"({"city":"Paris"})", R"({"from":"celsius","to":"fahrenheit","value":18})"));
  EXPECT_EQ(loop.final_text, "It is 18 °C (64.4 °F) in Paris.");
  EXPECT_EQ(loop.turns, 3);
}

TEST(AgentLoopTest, TheExampleLoopEndsWhenStreamed) {
  Server server(ExampleOptions());
  provkit::Session session(ConfigFor(server));
  const LoopResult loop = RunLoop(session, "Weather in Paris?", true);
  EXPECT_TRUE(loop.ended) << "no final answer within " << kMaxTurns << " turns";
  EXPECT_THAT(loop.calls, ElementsAre("get_weather", "convert_units"));
  EXPECT_EQ(loop.final_text, "It is 18 °C (64.4 °F) in Paris.");
  EXPECT_EQ(loop.turns, 3);
}

TEST(AgentLoopTest, TheSecondQuestionOfTheConversationFallsThroughToTheSequence) {
  Server server(ExampleOptions());
  provkit::Session session(ConfigFor(server));
  const provkit::Environment environment = WeatherTools();
  provkit::Input first{.text = "And the weather?"};
  const provkit::Output answer = session.Interact(environment, first);
  ASSERT_EQ(answer.tool_calls.size(), 1u);
  // A second user message: turn 2, so the first rule no longer applies.
  provkit::Input second = provkit::Continue(
      first, answer, {{.call_id = answer.tool_calls[0].id, .content = "{}"}}, "weather again?");
  const provkit::Output next = session.Interact(environment, second);
  EXPECT_TRUE(next.tool_calls.empty());
  EXPECT_EQ(next.text, "Ask me about the weather.");
}

TEST(AgentLoopTest, AnUnrelatedQuestionGetsTheSequence) {
  Server server(ExampleOptions());
  provkit::Session session(ConfigFor(server));
  const provkit::Output answer = session.Interact(WeatherTools(), {.text = "Hello"});
  EXPECT_TRUE(answer.tool_calls.empty());
  EXPECT_EQ(answer.text, "Ask me about the weather.");
}

}  // namespace
}  // namespace provkit::mock
