// Tests error-envelope message extraction in every common shape (R15).
#include "provkit/support/error_envelope.hpp"

#include <gtest/gtest.h>

#include <string>

#include "provkit/support/utf8.hpp"

namespace provkit::support {
namespace {

using nlohmann::json;

std::optional<std::string> Of(std::string_view body) { return ErrorEnvelopeMessageOfBody(body); }

TEST(ErrorEnvelope, R15NestedFlatAndStringShapes) {
  RecordProperty("clause", "R15");
  EXPECT_EQ(Of(R"({"error":{"code":503,"message":"Loading model","type":"unavailable_error"}})"),
            "Loading model");
  EXPECT_EQ(Of(R"({"object":"error","message":"The model `x` does not exist.","code":404})"),
            "The model `x` does not exist.");
  EXPECT_EQ(Of(R"({"error":"model 'llama3' not found"})"), "model 'llama3' not found");
  EXPECT_EQ(Of(R"({"error":"Input validation error","error_type":"validation"})"),
            "Input validation error");
  EXPECT_EQ(Of(R"({"detail":"Not Found"})"), "Not Found");
}

TEST(ErrorEnvelope, R15LessCommonShapes) {
  RecordProperty("clause", "R15");
  EXPECT_EQ(Of(R"({"error":{"error":"nested twice"}})"), "nested twice");
  EXPECT_EQ(Of(R"({"error":{"error":{"message":"three deep"}}})"), "three deep");
  EXPECT_EQ(Of(R"({"error":{"message":42}})"), "42");
  EXPECT_EQ(Of(R"({"error":{"message":{"why":"x"}}})"), R"({"why":"x"})");
  EXPECT_EQ(Of(R"({"error":{"type":"x","message":"  padded \n"}})"), "padded");
}

TEST(ErrorEnvelope, R15BlankCandidatesGiveWayToTheNext) {
  RecordProperty("clause", "R15");
  EXPECT_EQ(Of(R"({"error":"","message":"flat one"})"), "flat one");
  EXPECT_EQ(Of(R"({"error":{"message":"  "},"detail":"the detail"})"), "the detail");
  EXPECT_EQ(Of(R"({"error":{"message":"   "}})"), std::nullopt);
}

TEST(ErrorEnvelope, R15NoMessageInOtherBodies) {
  RecordProperty("clause", "R15");
  EXPECT_EQ(Of(R"({"status":"ok"})"), std::nullopt);
  EXPECT_EQ(Of(R"({"object":"list","data":[]})"), std::nullopt);
  EXPECT_EQ(Of(R"({"error":null})"), std::nullopt);
  EXPECT_EQ(Of(R"({"error":{"message":null}})"), std::nullopt);
  EXPECT_EQ(Of(R"({"detail":[{"loc":["body"],"msg":"field required"}]})"), std::nullopt);
  EXPECT_EQ(Of(R"(["error"])"), std::nullopt);
  EXPECT_EQ(Of("17"), std::nullopt);
  EXPECT_EQ(Of("404 page not found"), std::nullopt);
  EXPECT_EQ(Of(""), std::nullopt);
  EXPECT_EQ(ErrorEnvelopeMessage(json("just a string")), std::nullopt);
}

TEST(ErrorEnvelope, HostileBodiesGiveBoundedValidMessages) {
  const std::string long_message(100000, 'x');
  const auto clipped = Of(R"({"error":{"message":")" + long_message + R"("}})");
  ASSERT_TRUE(clipped.has_value());
  EXPECT_EQ(clipped->size(), kMaxErrorMessageBytes + 3);
  EXPECT_EQ(Of(R"({"error":"abcdef"})").value(), "abcdef");
  EXPECT_EQ(ErrorEnvelopeMessage(json::parse(R"({"error":"abcdef"})"), 3), "abc...");
  // A message holding invalid UTF-8 (built in C++, not parsed) comes back repaired.
  const auto repaired = ErrorEnvelopeMessage(json{{"error", std::string("bad \xFF byte")}});
  ASSERT_TRUE(repaired.has_value());
  EXPECT_TRUE(IsValidUtf8(*repaired));
  // Deep nesting is refused before parsing, never a crash.
  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += R"({"error":)";
  EXPECT_EQ(Of(deep), std::nullopt);
}

}  // namespace
}  // namespace provkit::support
