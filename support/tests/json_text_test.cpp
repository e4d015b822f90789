// Tests the untrusted-JSON helpers: nesting bound, parsing that never throws, error reasons.
#include "provkit/support/json_text.hpp"

#include <gtest/gtest.h>

#include <string>

namespace provkit::support {
namespace {

TEST(JsonText, NestingCountIgnoresBracketsInStrings) {
  EXPECT_FALSE(NestsDeeperThan(R"({"a":"[[[[[[[[[[\"[[[["})", 2));
  EXPECT_TRUE(NestsDeeperThan("[[[", 2));
  EXPECT_FALSE(NestsDeeperThan("[[]]", 2));
}

TEST(JsonText, ParseUntrustedRefusesDeepNestingAndInvalidJson) {
  nlohmann::json out;
  EXPECT_TRUE(ParseUntrusted(R"({"a":[1,2,{"b":null}]})", out));
  EXPECT_EQ(out["a"][2].size(), 1u);
  EXPECT_FALSE(ParseUntrusted(
      std::string(kMaxJsonDepth + 1, '[') + std::string(kMaxJsonDepth + 1, ']'), out));
  EXPECT_TRUE(out.is_discarded());
  EXPECT_TRUE(
      ParseUntrusted(std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']'), out));
  EXPECT_FALSE(ParseUntrusted("[[[]]]", out, 2));
  EXPECT_FALSE(ParseUntrusted("{\"a\":", out));
  EXPECT_FALSE(ParseUntrusted("", out));
  EXPECT_FALSE(ParseUntrusted("{\"bad utf8\":\"\xFF\"}", out));
  EXPECT_TRUE(out.is_discarded());
}

TEST(JsonText, ErrorReasonDropsTagAndPosition) {
  std::string what;
  try {
    const nlohmann::json parsed = nlohmann::json::parse("{\n  \"a\": tru }");
    ADD_FAILURE() << "parsed: " << parsed.dump();
  } catch (const nlohmann::json::parse_error& error) {
    what = error.what();
  }
  ASSERT_NE(what.find("column"), std::string::npos) << what;
  const std::string reason = JsonErrorReason(what);
  EXPECT_EQ(reason.find("[json.exception"), std::string::npos) << reason;
  EXPECT_EQ(reason.find("line 2"), std::string::npos) << reason;
  EXPECT_EQ(reason.rfind("syntax error while parsing value", 0), 0u) << reason;

  EXPECT_EQ(JsonErrorReason("[json.exception.out_of_range.406] number overflow parsing '1e309'"),
            "number overflow parsing '1e309'");
  EXPECT_EQ(JsonErrorReason("[json.exception.parse_error.101] parse error: unexpected end"),
            "unexpected end");
  EXPECT_EQ(JsonErrorReason("plain text"), "plain text");
}

}  // namespace
}  // namespace provkit::support
