// Tests the untrusted-body helpers: error-envelope messages in every shape (R15), depth bound,
// printable text.
#include "json_body.hpp"

#include <gtest/gtest.h>

#include <string>

namespace provkit::json_body {
namespace {

using nlohmann::json;

TEST(JsonBody, R15NestedErrorEnvelope) {
  RecordProperty("clause", "R15");
  EXPECT_EQ(ErrorMessage(json::parse(
                R"({"error":{"code":503,"message":"Loading model","type":"unavailable_error"}})")),
            "Loading model");
}

TEST(JsonBody, R15FlatErrorObject) {
  RecordProperty("clause", "R15");
  EXPECT_EQ(
      ErrorMessage(json::parse(
          R"({"object":"error","message":"The model `x` does not exist.","type":"NotFoundError","code":404})")),
      "The model `x` does not exist.");
}

TEST(JsonBody, R15StringErrorWithAndWithoutErrorType) {
  RecordProperty("clause", "R15");
  EXPECT_EQ(ErrorMessage(json::parse(R"({"error":"model 'llama3' not found"})")),
            "model 'llama3' not found");
  EXPECT_EQ(
      ErrorMessage(json::parse(R"({"error":"Input validation error","error_type":"validation"})")),
      "Input validation error");
}

TEST(JsonBody, R15OtherCommonShapes) {
  RecordProperty("clause", "R15");
  EXPECT_EQ(ErrorMessage(json::parse(R"({"detail":"Not Found"})")), "Not Found");
  EXPECT_EQ(ErrorMessage(json::parse(R"({"error":{"error":"nested twice"}})")), "nested twice");
  EXPECT_EQ(ErrorMessage(json::parse(R"({"error":{"message":42}})")), "42");
}

TEST(JsonBody, R15NoMessageInOtherBodies) {
  RecordProperty("clause", "R15");
  EXPECT_EQ(ErrorMessage(json::parse(R"({"status":"ok"})")), std::nullopt);
  EXPECT_EQ(ErrorMessage(json::parse(R"({"object":"list","data":[]})")), std::nullopt);
  EXPECT_EQ(ErrorMessage(json::parse(R"({"error":{"message":"   "}})")), std::nullopt);
  EXPECT_EQ(ErrorMessage(json::parse(R"({"error":null})")), std::nullopt);
  EXPECT_EQ(ErrorMessage(json::parse(R"(["error"])")), std::nullopt);
  EXPECT_EQ(ErrorMessage(json::parse("17")), std::nullopt);
}

TEST(JsonBody, ErrorMessageOfBodyFallsBackToTrimmedText) {
  EXPECT_EQ(ErrorMessageOfBody("  404 page not found\n"), "404 page not found");
  EXPECT_EQ(ErrorMessageOfBody(R"({"error":"busy"})"), "busy");
  EXPECT_EQ(ErrorMessageOfBody("{not json"), "{not json");
  EXPECT_EQ(ErrorMessageOfBody(" \r\n"), std::nullopt);
}

TEST(JsonBody, ParseRejectsDeepNestingAndInvalidJson) {
  json out;
  EXPECT_TRUE(Parse(R"({"a":[1,2,{"b":null}]})", out));
  EXPECT_FALSE(Parse(std::string(kMaxDepth + 1, '[') + std::string(kMaxDepth + 1, ']'), out));
  EXPECT_TRUE(Parse(std::string(kMaxDepth, '[') + std::string(kMaxDepth, ']'), out));
  EXPECT_FALSE(Parse("{\"a\":", out));
  EXPECT_FALSE(Parse("", out));
  EXPECT_FALSE(Parse("{\"bad utf8\":\"\xFF\"}", out));
  EXPECT_TRUE(out.is_discarded());
}

TEST(JsonBody, NestingCountIgnoresBracketsInStrings) {
  EXPECT_FALSE(NestsDeeperThan(R"({"a":"[[[[[[[[[[\"[[[["})", 2));
  EXPECT_TRUE(NestsDeeperThan("[[[", 2));
}

TEST(JsonBody, PrintableReplacesInvalidUtf8AndCutsAtCharacterBoundary) {
  EXPECT_EQ(Printable("ok \xFF end"), "ok \xEF\xBF\xBD end");
  EXPECT_EQ(Printable("\xC3\xA9t\xC3\xA9"), "\xC3\xA9t\xC3\xA9");
  EXPECT_EQ(Printable("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // UTF-16 surrogate
  EXPECT_EQ(Printable("\xC3\xA9\xC3\xA9", 3), "\xC3\xA9...");
  EXPECT_NO_THROW(json(Printable("\x80\x81\xFE")).dump());
}

TEST(JsonBody, AsIntegerAcceptsOnlyIntegralValuesInRange) {
  EXPECT_EQ(AsInteger(json(12)), 12);
  EXPECT_EQ(AsInteger(json(-3)), -3);
  EXPECT_EQ(AsInteger(json(7.0)), 7);
  EXPECT_EQ(AsInteger(json(7.5)), std::nullopt);
  EXPECT_EQ(AsInteger(json(1e300)), std::nullopt);
  EXPECT_EQ(AsInteger(json(18446744073709551615ull)), std::nullopt);
  EXPECT_EQ(AsInteger(json("12")), std::nullopt);
  EXPECT_EQ(AsInteger(json(nullptr)), std::nullopt);
}

TEST(JsonBody, MembersOfNonObjectsAreAbsent) {
  EXPECT_EQ(Member(json::array(), "a"), nullptr);
  EXPECT_EQ(StringMember(json::parse(R"({"a":1})"), "a"), nullptr);
  ASSERT_NE(StringMember(json::parse(R"({"a":"x"})"), "a"), nullptr);
}

}  // namespace
}  // namespace provkit::json_body
