// Tests Config validation, its defaults, the URL helpers and the redacted JSON form.
#include "provkit/runtime/config.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "provkit/runtime/error.hpp"

namespace provkit {
namespace {

std::string FieldOfError(const Config& config) {
  try {
    config.Validate();
  } catch (const ConfigurationError& error) {
    return error.field();
  }
  return "<valid>";
}

TEST(Config, DefaultsAreValid) {
  Config config;
  EXPECT_EQ(config.provider, "local");
  EXPECT_EQ(config.api_key, "local");
  EXPECT_EQ(config.probe_budget, std::chrono::seconds(2));
  EXPECT_NO_THROW(config.Validate());
}

TEST(Config, BaseUrlDefaultsFromEnvironment) {
  ::setenv("PROVKIT_LOCAL_BASE_URL", "http://10.1.2.3:1234/v1", 1);
  EXPECT_EQ(Config().base_url, "http://10.1.2.3:1234/v1");
  ::setenv("PROVKIT_LOCAL_BASE_URL", "", 1);
  EXPECT_EQ(Config().base_url, "http://127.0.0.1:8080/v1");
  ::unsetenv("PROVKIT_LOCAL_BASE_URL");
  EXPECT_EQ(Config().base_url, "http://127.0.0.1:8080/v1");
}

TEST(Config, InvalidValuesNameTheirField) {
  Config config;
  config.base_url = "";
  EXPECT_EQ(FieldOfError(config), "base_url");
  config.base_url = "127.0.0.1:8080/v1";  // No scheme.
  EXPECT_EQ(FieldOfError(config), "base_url");
  config.base_url = "http:///v1";  // No host.
  EXPECT_EQ(FieldOfError(config), "base_url");
  config.base_url = "http://h:99999/v1";  // Port out of range.
  EXPECT_EQ(FieldOfError(config), "base_url");
  config = Config();
  config.request_timeout = std::chrono::milliseconds(-1);
  EXPECT_EQ(FieldOfError(config), "request_timeout");
  config = Config();
  config.connect_timeout = std::chrono::milliseconds(0);
  EXPECT_EQ(FieldOfError(config), "connect_timeout");
  config = Config();
  config.probe_budget = std::chrono::milliseconds(-5);
  EXPECT_EQ(FieldOfError(config), "probe_budget");
  config = Config();
  config.model = "";
  EXPECT_EQ(FieldOfError(config), "model");
  config = Config();
  config.provider = "";
  EXPECT_EQ(FieldOfError(config), "provider");
}

TEST(Config, ErrorMessageQuotesTheBadValue) {
  Config config;
  config.base_url = "ftp://x/v1";
  try {
    config.Validate();
    FAIL() << "expected ConfigurationError";
  } catch (const ConfigurationError& error) {
    EXPECT_THAT(error.what(), ::testing::HasSubstr("ftp://x/v1"));
    EXPECT_FALSE(error.hint().empty());
  }
}

TEST(Url, ParsesHostPortAndPath) {
  const auto url = ParseUrl("http://127.0.0.1:8080/v1/");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->host, "127.0.0.1");
  EXPECT_EQ(url->port, 8080);
  EXPECT_EQ(url->path, "/v1");
  EXPECT_EQ(ParseUrl("https://example.com")->port, 443);
  EXPECT_EQ(ParseUrl("http://[::1]:9000/api/v1")->host, "::1");
  EXPECT_FALSE(ParseUrl("http://user@host/v1"));
  EXPECT_FALSE(ParseUrl("http://host:abc/v1"));
  EXPECT_EQ(ParseUrl("http://host:/v1")->port, 80);  // RFC 3986: an empty port means the default.
}

TEST(Url, ServerRootStripsLastPathSegment) {
  EXPECT_EQ(ServerRoot("http://127.0.0.1:8080/v1"), "http://127.0.0.1:8080");
  EXPECT_EQ(ServerRoot("http://127.0.0.1:8080/v1/"), "http://127.0.0.1:8080");
  EXPECT_EQ(ServerRoot("http://h/api/openai/v1"), "http://h/api/openai");
  EXPECT_EQ(ServerRoot("http://h:1"), "http://h:1");
}

TEST(Config, RedactedJsonHidesTheApiKey) {
  Config config;
  config.api_key = "sk-secret";
  config.model = "m";
  const nlohmann::json json = RedactedJson(config);
  EXPECT_EQ(json.dump().find("sk-secret"), std::string::npos);
  EXPECT_EQ(json["model"], "m");
  EXPECT_EQ(json["probe_budget_ms"], 2000);
}

TEST(ErrorKinds, TableIsInEnumOrderWithUniqueIds) {
  std::set<std::string_view> ids;
  std::size_t index = 0;
  for (const ErrorKindInfo& info : ErrorKinds()) {
    EXPECT_EQ(static_cast<std::size_t>(info.kind), index++);
    EXPECT_TRUE(ids.insert(info.id).second) << info.id;
  }
  EXPECT_EQ(ErrorKindId(ErrorKind::kSessionClosed), "session_closed");
}

}  // namespace
}  // namespace provkit
