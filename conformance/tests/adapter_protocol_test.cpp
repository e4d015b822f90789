// Tests of the adapter protocol reader: numbers an adapter sends are read whole or refused.
#include "adapter_protocol.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace provkit::conformance::adapter_protocol {
namespace {

using nlohmann::json;
using testing::HasSubstr;

TEST(AdapterProtocol, ErrorStatusCodeIsReadWhole) {
  const Line line =
      ParseLine(R"({"id":3,"error":{"kind":"http_status","message":"busy","status_code":503}})");
  ASSERT_EQ(line.kind, Line::Kind::kError) << line.violation;
  ASSERT_TRUE(line.error.has_value());
  EXPECT_EQ(line.error->status_code, 503);
}

TEST(AdapterProtocol, ErrorStatusCodeWiderThanAnIntIsAViolation) {
  // 2^32 + 503: cut to an int it would read as 503.
  const Line line = ParseLine(
      R"({"id":3,"error":{"kind":"http_status","message":"busy","status_code":4294967799}})");
  EXPECT_EQ(line.kind, Line::Kind::kViolation);
  EXPECT_THAT(line.violation, HasSubstr("'status_code' is out of range"));
  EXPECT_FALSE(line.error.has_value());
}

TEST(AdapterProtocol, ToolIndexWiderThanAnIntIsAViolation) {
  const json event = {{"type", "tool_call_delta"}, {"tool_index", 4294967296LL}, {"delta", "{"}};
  EXPECT_THROW(EventFromJson(event), HarnessError);
  EXPECT_EQ(EventFromJson({{"type", "tool_call_delta"}, {"tool_index", 2}}).tool_index, 2);
}

TEST(AdapterProtocol, ReadinessStatusCodeMustBeAnIntToBeRead) {
  // Found by the adapter_protocol fuzzer: a status code of 1.1e59 was converted to int (undefined
  // behaviour). Now a fraction or a number out of range is a protocol violation.
  for (const char* status : {"1.11e59", "503.5", "4294967799", "-4294967296", "\"503\""}) {
    SCOPED_TRACE(status);
    const json readiness = json::parse(
        std::string(R"({"ready":false,"provider":"local","status_code":)") + status + "}");
    EXPECT_THROW(ReadinessFromJson(readiness), HarnessError);
  }
  const json ok = json::parse(R"({"ready":false,"provider":"local","status_code":503})");
  EXPECT_EQ(ReadinessFromJson(ok).status_code, 503);
}

}  // namespace
}  // namespace provkit::conformance::adapter_protocol
