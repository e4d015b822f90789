// Tests of the JSON config loader: the documented example and file:line:column errors.
#include "provkit/mockserver/config.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

namespace provkit::mock {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

// The full example of docs/mockserver.md.
constexpr char kExample[] = R"({
  "host": "127.0.0.1",
  "port": 0,
  "base_path": "/v1",
  "profile": "llama.cpp",
  "models": ["qwen3-4b", {"id": "llama3:8b", "status": "sleeping", "owned_by": "me"}],
  "scenario": {"name": "loading", "requests": 3, "endpoint": "all"},
  "timing": {"chunk_chars": 4, "first_chunk_delay_ms": 50, "chunk_interval_ms": 2.5},
  "script": {
    "loop": true,
    "sequence": [
      "Hello!",
      {"text": "It is sunny.", "reasoning": "Check the weather first.",
       "tool_calls": [{"id": "call_1", "name": "get_weather", "arguments": {"city": "Paris"}}],
       "usage": {"prompt_tokens": 12, "completion_tokens": 8}, "finish_reason": "tool_calls"}
    ],
    "rules": [{"contains": "ping", "reply": {"text": "pong"}}]
  },
  "threads": 96,
  "max_connections": 2048,
  "header_timeout_ms": 5000,
  "keep_alive_timeout_s": 10,
  "journal_size": 2000,
  "journal_body_limit": 4096,
  "max_request_bytes": 1048576,
  "max_header_bytes": 16384,
  "listen_delay_ms": 0,
  "model_load_ms": 1500,
  "created": 1712345678
})";

ConfigError ErrorOf(const std::string& text) {
  try {
    ParseConfig(text, "mock.json");
  } catch (const ConfigError& error) {
    return error;
  }
  ADD_FAILURE() << "expected ConfigError for " << text;
  return ConfigError("none");
}

TEST(ConfigTest, TheDocumentedExampleParses) {
  const ServerOptions options = ParseConfig(kExample, "example.json");
  EXPECT_EQ(options.profile, Profile::kLlamaCpp);
  ASSERT_EQ(options.models.size(), 2u);
  EXPECT_EQ(options.models[1], Model("llama3:8b", "sleeping", "me"));
  EXPECT_EQ(options.scenario.kind, ScenarioKind::kLoading);
  EXPECT_EQ(options.scenario.loading_requests, 3);
  EXPECT_EQ(options.timing.chunk_chars, 4u);
  EXPECT_EQ(options.timing.first_chunk_delay, 50ms);
  EXPECT_EQ(options.timing.chunk_interval, 2500us);
  EXPECT_TRUE(options.script.loop);
  ASSERT_EQ(options.script.sequence.size(), 2u);
  EXPECT_EQ(options.script.sequence[1].tool_calls[0].arguments, R"({"city":"Paris"})");
  EXPECT_EQ(options.script.rules[0].reply.text, "pong");
  EXPECT_EQ(options.threads, 96u);
  EXPECT_EQ(options.max_connections, 2048u);
  EXPECT_EQ(options.header_timeout, 5s);
  EXPECT_EQ(options.keep_alive_timeout, 10s);
  EXPECT_EQ(options.journal_size, 2000u);
  EXPECT_EQ(options.created, 1712345678);
  EXPECT_EQ(options.model_load_time, std::chrono::milliseconds(1500));
}

TEST(ConfigTest, KeysLeftOutKeepTheDefaults) {
  ServerOptions defaults;
  defaults.models = {"kept"};
  const ServerOptions options = ParseConfig(R"({"port": 8081})", "x.json", defaults);
  EXPECT_EQ(options.port, 8081);
  EXPECT_EQ(options.models, std::vector<Model>{"kept"});
  EXPECT_EQ(options.base_path, "/v1");
}

TEST(ConfigTest, SyntaxErrorNamesFileLineAndColumn) {
  const ConfigError error = ErrorOf("{\n  \"port\": 1,\n  \"host\" \"x\"\n}");
  EXPECT_EQ(error.file(), "mock.json");
  EXPECT_EQ(error.line(), 3);
  EXPECT_EQ(error.column(), 10);
  EXPECT_THAT(error.what(), ::testing::StartsWith("mock.json:3:10: "));
  EXPECT_THAT(error.what(), HasSubstr("syntax error"));
}

TEST(ConfigTest, TruncatedFileNamesTheEnd) {
  const ConfigError error = ErrorOf("{\n  \"port\": 1,\n");
  EXPECT_EQ(error.line(), 3);
}

TEST(ConfigTest, UnknownKeyNamesItsLineAndColumn) {
  const ConfigError error = ErrorOf("{\n  \"port\": 1,\n    \"prot\": 2\n}");
  EXPECT_EQ(error.pointer(), "/prot");
  EXPECT_EQ(error.line(), 3);
  EXPECT_EQ(error.column(), 5);
  EXPECT_THAT(error.what(), HasSubstr("unknown key 'prot'"));
}

TEST(ConfigTest, BadNestedValueNamesItsPosition) {
  const ConfigError scenario =
      ErrorOf("{\"models\": [\"a\"],\n \"scenario\": {\"name\": \"lodaing\"}}");
  EXPECT_EQ(scenario.pointer(), "/scenario/name");
  EXPECT_EQ(scenario.line(), 2);
  EXPECT_EQ(scenario.column(), 15);
  EXPECT_THAT(scenario.what(), HasSubstr("unknown scenario 'lodaing'"));

  const ConfigError model = ErrorOf("{\"models\": [\"a\",\n  7]}");
  EXPECT_EQ(model.pointer(), "/models/1");
  EXPECT_EQ(model.line(), 2);

  const ConfigError port = ErrorOf("{\"port\": 70000}");
  EXPECT_EQ(port.pointer(), "/port");
  EXPECT_EQ(port.line(), 1);
  EXPECT_EQ(port.column(), 2);

  const ConfigError profile = ErrorOf("{\"profile\": \"vllm2\"}");
  EXPECT_THAT(profile.what(), HasSubstr("known: openai, llama.cpp"));
}

TEST(ConfigTest, LoadConfigFileReadsAFileAndNamesAMissingOne) {
  const auto path = std::filesystem::temp_directory_path() / "provkit_mock_config_test.json";
  {
    std::ofstream out(path);
    out << R"({"profile": "tgi"})";
  }
  EXPECT_EQ(LoadConfigFile(path).profile, Profile::kTgi);
  std::filesystem::remove(path);
  try {
    LoadConfigFile(path);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& error) {
    EXPECT_EQ(error.file(), path.string());
    EXPECT_THAT(error.what(), HasSubstr("cannot read"));
  }
}

TEST(ConfigTest, OptionsFromJsonValidatesRanges) {
  EXPECT_THROW(OptionsFromJson(nlohmann::json::parse(R"({"base_path":"/v1/"})")), ConfigError);
  EXPECT_THROW(OptionsFromJson(nlohmann::json::parse(R"({"threads":0})")), ConfigError);
  EXPECT_THROW(OptionsFromJson(nlohmann::json::parse(R"({"max_connections":0})")), ConfigError);
  EXPECT_THROW(OptionsFromJson(nlohmann::json::parse(R"({"header_timeout_ms":0})")), ConfigError);
  EXPECT_THROW(OptionsFromJson(nlohmann::json::parse(R"({"models":[{"id":""}]})")), ConfigError);
  EXPECT_THROW(OptionsFromJson(nlohmann::json::parse(R"([])")), ConfigError);
}

}  // namespace
}  // namespace provkit::mock
