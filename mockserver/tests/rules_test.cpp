// Tests of script rules: each condition key, AND within a rule, order, fall-through, JSON errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "provkit/mockserver/config.hpp"
#include "provkit/mockserver/script.hpp"
#include "provkit/mockserver/server.hpp"
#include "test_support.hpp"

namespace provkit::mock {
namespace {

using nlohmann::json;
using testing::ClientOf;
using ::testing::HasSubstr;
using testing::TextReply;

Turn T(std::string role, std::string text, std::vector<std::string> tool_names = {}) {
  return {std::move(role), std::move(text), std::move(tool_names)};
}

/// system, user question, assistant calling get_weather, its tool result.
Conversation ToolRound() {
  Conversation conversation;
  conversation.model = "qwen3-8b";
  conversation.turns = {T("system", "You are a weather bot."), T("user", "Weather in Paris?"),
                        T("assistant", "", {"get_weather"}),
                        T("tool", R"({"celsius":18})", {"get_weather"})};
  return conversation;
}

Conversation Question(std::string text) {
  Conversation conversation;
  conversation.turns = {T("user", std::move(text))};
  return conversation;
}

Rule RuleFrom(const std::string& text) {
  const Script script = ScriptFromJson(json::parse(R"({"rules":[)" + text + "]}"));
  return script.rules.at(0);
}

ConfigError ScriptError(const std::string& text) {
  try {
    ScriptFromJson(json::parse(text));
  } catch (const ConfigError& error) {
    return error;
  }
  ADD_FAILURE() << "expected ConfigError for " << text;
  return ConfigError("none");
}

TEST(RulesTest, ARuleWithoutConditionsMatchesEveryRequest) {
  const Rule rule = RuleFrom(R"({"reply":"x"})");
  EXPECT_TRUE(rule.Matches(Question("anything")));
  EXPECT_TRUE(rule.Matches(ToolRound()));
  EXPECT_TRUE(rule.Matches(Conversation{}));
}

TEST(RulesTest, ContainsLooksAtTheLastUserMessageOnly) {
  const Rule rule = RuleFrom(R"({"contains":"Paris","reply":"x"})");
  EXPECT_TRUE(rule.Matches(Question("Weather in Paris?")));
  EXPECT_FALSE(rule.Matches(Question("Weather in Rome?")));
  EXPECT_TRUE(rule.Matches(ToolRound()));  // the last user message, not the last message
  Conversation later = ToolRound();
  later.turns.push_back(T("user", "And Rome?"));
  EXPECT_FALSE(rule.Matches(later));
}

TEST(RulesTest, LastRoleIsTheRoleOfTheLastMessage) {
  EXPECT_TRUE(RuleFrom(R"({"last_role":"tool","reply":"x"})").Matches(ToolRound()));
  EXPECT_FALSE(RuleFrom(R"({"last_role":"user","reply":"x"})").Matches(ToolRound()));
  EXPECT_TRUE(RuleFrom(R"({"last_role":"user","reply":"x"})").Matches(Question("hi")));
  EXPECT_FALSE(RuleFrom(R"({"last_role":"user","reply":"x"})").Matches(Conversation{}));
}

TEST(RulesTest, ToolIsTheToolWhoseResultIsTheLastMessage) {
  EXPECT_TRUE(RuleFrom(R"({"tool":"get_weather","reply":"x"})").Matches(ToolRound()));
  EXPECT_FALSE(RuleFrom(R"({"tool":"convert_units","reply":"x"})").Matches(ToolRound()));
  Conversation answered = ToolRound();
  answered.turns.push_back(T("user", "thanks"));
  EXPECT_FALSE(RuleFrom(R"({"tool":"get_weather","reply":"x"})").Matches(answered));
  // An assistant turn that calls the tool is no tool result.
  Conversation calling = ToolRound();
  calling.turns.pop_back();
  EXPECT_FALSE(RuleFrom(R"({"tool":"get_weather","reply":"x"})").Matches(calling));
}

TEST(RulesTest, CalledIsAToolSomeAssistantTurnCalled) {
  Conversation conversation = ToolRound();
  conversation.turns.push_back(T("assistant", "", {"convert_units"}));
  conversation.turns.push_back(T("tool", "64.4", {"convert_units"}));
  EXPECT_TRUE(RuleFrom(R"({"called":"get_weather","reply":"x"})").Matches(conversation));
  EXPECT_TRUE(RuleFrom(R"({"called":"convert_units","reply":"x"})").Matches(conversation));
  EXPECT_FALSE(RuleFrom(R"({"called":"get_time","reply":"x"})").Matches(conversation));
  // A tool turn naming a tool is not a call of it.
  Conversation orphan;
  orphan.turns = {T("user", "q"), T("tool", "r", {"get_time"})};
  EXPECT_FALSE(RuleFrom(R"({"called":"get_time","reply":"x"})").Matches(orphan));
}

TEST(RulesTest, ModelIsTheModelTheRequestNamed) {
  EXPECT_TRUE(RuleFrom(R"({"model":"qwen3-8b","reply":"x"})").Matches(ToolRound()));
  EXPECT_FALSE(RuleFrom(R"({"model":"qwen3","reply":"x"})").Matches(ToolRound()));
  EXPECT_FALSE(RuleFrom(R"({"model":"qwen3-8b","reply":"x"})").Matches(Question("no model")));
}

TEST(RulesTest, SystemContainsLooksAtSystemMessagesOnly) {
  EXPECT_TRUE(RuleFrom(R"({"system_contains":"weather bot","reply":"x"})").Matches(ToolRound()));
  EXPECT_FALSE(RuleFrom(R"({"system_contains":"Paris","reply":"x"})").Matches(ToolRound()));
  EXPECT_FALSE(RuleFrom(R"({"system_contains":"bot","reply":"x"})").Matches(Question("bot")));
}

TEST(RulesTest, TurnCountsTheUserMessages) {
  const Rule first = RuleFrom(R"({"turn":1,"reply":"x"})");
  const Rule second = RuleFrom(R"({"turn":2,"reply":"x"})");
  EXPECT_TRUE(first.Matches(Question("hi")));
  EXPECT_TRUE(first.Matches(ToolRound()));  // tool rounds do not count
  EXPECT_FALSE(second.Matches(ToolRound()));
  Conversation later = ToolRound();
  later.turns.push_back(T("user", "And Rome?"));
  EXPECT_FALSE(first.Matches(later));
  EXPECT_TRUE(second.Matches(later));
  EXPECT_TRUE(RuleFrom(R"({"turn":0,"reply":"x"})").Matches(Conversation{}));
}

TEST(RulesTest, MatchesSearchesTheLastUserMessage) {
  const Rule rule = RuleFrom(R"({"matches":"in (Paris|Rome)\\?$","reply":"x"})");
  EXPECT_TRUE(rule.Matches(Question("Weather in Rome?")));
  EXPECT_FALSE(rule.Matches(Question("Weather in Rome? Now.")));
  EXPECT_FALSE(rule.Matches(Question("Weather in Oslo?")));
  EXPECT_TRUE(rule.Matches(ToolRound()));
  EXPECT_FALSE(RuleFrom(R"({"matches":"celsius","reply":"x"})").Matches(ToolRound()));
}

TEST(RulesTest, AnyContainsAndAnyMatchesLookAtEveryMessage) {
  EXPECT_TRUE(RuleFrom(R"({"any_contains":"celsius","reply":"x"})").Matches(ToolRound()));
  EXPECT_TRUE(RuleFrom(R"({"any_contains":"weather bot","reply":"x"})").Matches(ToolRound()));
  EXPECT_FALSE(RuleFrom(R"({"any_contains":"fahrenheit","reply":"x"})").Matches(ToolRound()));
  EXPECT_TRUE(RuleFrom(R"({"any_matches":"\"celsius\":[0-9]+","reply":"x"})").Matches(ToolRound()));
  EXPECT_FALSE(RuleFrom(R"({"any_matches":"^Paris","reply":"x"})").Matches(ToolRound()));
}

TEST(RulesTest, EveryConditionOfARuleMustHold) {
  const Rule rule = RuleFrom(
      R"({"tool":"get_weather","model":"qwen3-8b","contains":"Paris","turn":1,"reply":"x"})");
  EXPECT_TRUE(rule.Matches(ToolRound()));
  Conversation other_model = ToolRound();
  other_model.model = "llama3";
  EXPECT_FALSE(rule.Matches(other_model));
  Conversation other_city = ToolRound();
  other_city.turns[1].text = "Weather in Rome?";
  EXPECT_FALSE(rule.Matches(other_city));
}

TEST(RulesTest, APatternSeesTheFirstWindowOfALongMessageAndDoesNotOverflow) {
  const Rule early = RuleFrom(R"({"matches":"^start","reply":"x"})");
  const Rule late = RuleFrom(R"({"matches":"end$","reply":"x"})");
  const Rule nested = RuleFrom(R"({"any_matches":"(a|b)*c","reply":"x"})");
  // 1 MiB would overflow std::regex's recursion on (a|b)*; the window keeps it bounded.
  const std::string text = "start" + std::string(1 << 20, 'a') + "end";
  EXPECT_TRUE(early.Matches(Question(text)));
  EXPECT_FALSE(late.Matches(Question(text)));
  EXPECT_FALSE(nested.Matches(Question(text)));
  // The window never cuts a UTF-8 sequence in two: "é" straddling the limit is left out whole.
  const std::string accented = std::string(kPatternWindow - 1, 'a') + "\xC3\xA9";
  EXPECT_FALSE(RuleFrom(R"({"matches":"\\xC3","reply":"x"})").Matches(Question(accented)));
  EXPECT_TRUE(RuleFrom(R"({"matches":"a$","reply":"x"})").Matches(Question(accented)));
}

TEST(RulesTest, ARuleBuiltInCppMatchesLikeOneReadFromJson) {
  Rule answer;
  answer.tool = "get_weather";
  answer.matches = Pattern("[Ww]eather");
  answer.reply.text = "Sunny, 18 °C.";
  EXPECT_TRUE(answer.Matches(ToolRound()));
  answer.matches = Pattern("^Rome");
  EXPECT_FALSE(answer.Matches(ToolRound()));
  EXPECT_THROW(Pattern("a{2,1}"), std::regex_error);
  Script script;
  script.rules = {answer};
  EXPECT_EQ(ToJson(ScriptFromJson(ToJson(script))), ToJson(script));
}

TEST(RulesTest, TheFirstMatchingRuleWinsThenTheSequenceThenTheEcho) {
  Server server;
  server.SetScript(ScriptFromJson(json::parse(R"({
    "rules": [{"last_role": "tool", "tool": "lookup", "reply": "from the tool rule"},
              {"contains": "hello", "reply": "first hello rule"},
              {"contains": "hello", "reply": "second hello rule"}],
    "sequence": ["from the sequence"]})")));
  auto client = ClientOf(server);
  const auto text_of = [&client](const json& messages) {
    auto response = client.Post("/v1/chat/completions",
                                json{{"model", "provkit-mock"}, {"messages", messages}}.dump(),
                                "application/json");
    EXPECT_TRUE(response && response->status == 200);
    if (!response) return std::string();
    const json message = json::parse(response->body)["choices"][0]["message"];
    return message["content"].is_string() ? message["content"].get<std::string>() : "";
  };
  const json hello = {{{"role", "user"}, {"content", "hello there"}}};
  EXPECT_EQ(text_of(hello), "first hello rule");
  json tool_round = hello;
  tool_round.push_back({{"role", "assistant"},
                        {"content", nullptr},
                        {"tool_calls",
                         {{{"id", "call_0"},
                           {"type", "function"},
                           {"function", {{"name", "lookup"}, {"arguments", "{}"}}}}}}});
  tool_round.push_back({{"role", "tool"}, {"tool_call_id", "call_0"}, {"content", "found"}});
  EXPECT_EQ(text_of(tool_round), "from the tool rule");
  EXPECT_EQ(text_of({{{"role", "user"}, {"content", "bye"}}}), "from the sequence");
  EXPECT_EQ(text_of({{{"role", "user"}, {"content", "bye again"}}}), "bye again");
}

TEST(RulesTest, AToolResultNamesTheLatestCallWithItsId) {
  // Servers number calls per reply, so every round of a loop reuses "call_0".
  Server server;
  server.SetScript(ScriptFromJson(json::parse(R"({
    "rules": [{"tool": "first", "reply": "after first"},
              {"tool": "second", "reply": "after second"}]})")));
  auto client = ClientOf(server);
  const auto call = [](const std::string& name) {
    return json{{"role", "assistant"},
                {"tool_calls",
                 {{{"id", "call_0"},
                   {"type", "function"},
                   {"function", {{"name", name}, {"arguments", "{}"}}}}}}};
  };
  const json result = {{"role", "tool"}, {"tool_call_id", "call_0"}, {"content", "ok"}};
  const json messages = {
      {{"role", "user"}, {"content", "go"}}, call("first"), result, call("second"), result};
  auto response = client.Post("/v1/chat/completions",
                              json{{"model", "provkit-mock"}, {"messages", messages}}.dump(),
                              "application/json");
  ASSERT_TRUE(response);
  ASSERT_EQ(response->status, 200);
  EXPECT_EQ(json::parse(response->body)["choices"][0]["message"]["content"], "after second");
}

TEST(RulesTest, EveryKeyRoundTripsThroughToJsonAndTheAdminApi) {
  const json rule = {{"contains", "c"},
                     {"last_role", "tool"},
                     {"tool", "get_weather"},
                     {"called", "get_weather"},
                     {"model", "qwen3-8b"},
                     {"system_contains", "bot"},
                     {"turn", 1},
                     {"matches", "P.ris"},
                     {"any_contains", "18"},
                     {"any_matches", "[0-9]+"},
                     {"reply", {{"text", "done"}}}};
  const json script = {{"rules", {rule}}, {"sequence", json::array()}, {"loop", false}};
  const json out = ToJson(ScriptFromJson(script));
  EXPECT_EQ(out, script);
  EXPECT_EQ(ToJson(ScriptFromJson(out)), out);
  EXPECT_FALSE(ScriptFromJson(out).rules[0].Matches(ToolRound()));  // no "c" in the question

  Server server;
  auto client = ClientOf(server);
  auto posted = client.Post("/__provkit/script", script.dump(), "application/json");
  ASSERT_TRUE(posted);
  EXPECT_EQ(posted->status, 200);
  auto served = client.Get("/__provkit/script");
  ASSERT_TRUE(served);
  EXPECT_EQ(json::parse(served->body)["rules"], script["rules"]);

  // A bad rule is refused whole and the script served stays the one before.
  auto refused = client.Post("/__provkit/script",
                             R"({"rules":[{"reply":"a"},{"any_matches":"*","reply":"b"}]})",
                             "application/json");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 400);
  EXPECT_THAT(refused->body, HasSubstr("rule 1 'any_matches'"));
  served = client.Get("/__provkit/script");
  ASSERT_TRUE(served);
  EXPECT_EQ(json::parse(served->body)["rules"], script["rules"]);
}

TEST(RulesTest, ErrorsNameTheRuleIndexAndKey) {
  struct Case {
    const char* rules;
    const char* pointer;
    const char* message;
  };
  std::vector<Case> cases = {
      {R"([{"reply":"a"},{"matches":"(unclosed","reply":"b"}])", "/rules/1/matches",
       "rule 1 'matches': not a valid regular expression (ECMAScript)"},
      {R"([{"any_matches":"[z-a]","reply":"b"}])", "/rules/0/any_matches",
       "rule 0 'any_matches': not a valid regular expression"},
      {R"([{"last_role":"developer","reply":"b"}])", "/rules/0/last_role",
       R"(rule 0 'last_role': expected "user", "assistant", "tool" or "system", not "developer")"},
      {R"([{"turn":-1,"reply":"b"}])", "/rules/0/turn", "rule 0 'turn': expected the number"},
      {R"([{"turn":"2","reply":"b"}])", "/rules/0/turn", "rule 0 'turn': expected the number"},
      {R"([{"tool":7,"reply":"b"}])", "/rules/0/tool", "rule 0 'tool': expected a string"},
      {R"([{"called":"","reply":"b"}])", "/rules/0/called", "rule 0 'called': must not be empty"},
      {R"([{"contains":true,"reply":"b"}])", "/rules/0/contains",
       "rule 0 'contains': expected a string"},
      {R"([{"reply":"a"},{"reply":"b"},{"model":"m"}])", "/rules/2/reply",
       "rule 2 'reply': a rule needs a reply"},
      {R"([{"tools":"get_weather","reply":"b"}])", "/rules/0/tools",
       "rule 0 'tools': unknown key; a rule takes reply, contains, last_role, tool, called"},
  };
  const std::string deep = std::string(600, '(') + std::string(600, ')');
  const std::string too_long = R"([{"matches":")" + deep + R"(","reply":"b"}])";
  const Case long_case{too_long.c_str(), "/rules/0/matches",
                       "rule 0 'matches': a regular expression may be at most 1024 bytes long, "
                       "not 1200"};
  EXPECT_THROW(Pattern{deep}, std::regex_error);
  EXPECT_NO_THROW(Pattern(deep.substr(0, 500) + deep.substr(700)));
  cases.push_back(long_case);
  for (const Case& test : cases) {
    SCOPED_TRACE(test.rules);
    const ConfigError error = ScriptError(std::string(R"({"rules":)") + test.rules + "}");
    EXPECT_EQ(error.pointer(), test.pointer);
    EXPECT_THAT(error.what(), HasSubstr(test.message));
  }
}

TEST(RulesTest, AConfigFileErrorGivesFileLineAndColumn) {
  const std::string text =
      "{\n  \"script\": {\"rules\": [\n    {\"reply\": \"a\"},\n"
      "    {\"matches\": \"a(\", \"reply\": \"b\"}]}\n}\n";
  try {
    ParseConfig(text, "agent.json");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& error) {
    EXPECT_EQ(error.pointer(), "/script/rules/1/matches");
    EXPECT_EQ(error.file(), "agent.json");
    EXPECT_EQ(error.line(), 4);
    EXPECT_GT(error.column(), 0);
    EXPECT_THAT(error.what(), HasSubstr("agent.json:4:"));
    EXPECT_THAT(error.what(), HasSubstr("rule 1 'matches'"));
  }
}

}  // namespace
}  // namespace provkit::mock
