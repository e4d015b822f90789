// Fuzzes the adapter protocol reader: ParseLine classifies any stdout line without throwing, and
// the values it carries convert to provkit values or fail with HarnessError only.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>

#include "adapter_protocol.hpp"
#include "fuzz_check.hpp"

namespace {

namespace protocol = provkit::conformance::adapter_protocol;
using Kind = protocol::Line::Kind;

constexpr std::string_view kViolationPrefix = "protocol violation: ";

bool IsViolation(std::string_view message) {
  return message.substr(0, kViolationPrefix.size()) == kViolationPrefix;
}

// Runs `convert` on `value`; only HarnessError("protocol violation: ...") may come out.
template <typename Convert>
void Converts(const nlohmann::json& value, Convert convert, const char* what) {
  try {
    (void)convert(value);
  } catch (const provkit::conformance::HarnessError& error) {
    FUZZ_CHECK(IsViolation(error.what()), what);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "%s threw %s\n", what, error.what());
    FUZZ_CHECK(false, what);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  protocol::Line line;
  try {
    line = protocol::ParseLine(text);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "ParseLine threw %s\n", error.what());
    FUZZ_CHECK(false, "ParseLine never throws");
  }
  const bool blank = text.empty() || text == "\r";
  FUZZ_CHECK((line.kind == Kind::kBlank) == blank, "blank exactly for an empty line or a lone CR");
  switch (line.kind) {
    case Kind::kBlank:
      FUZZ_CHECK(!line.id && line.violation.empty(), "a blank line carries nothing");
      break;
    case Kind::kViolation:
      FUZZ_CHECK(IsViolation(line.violation), "a violation says it is one");
      FUZZ_CHECK(!line.error, "a violation carries no error");
      break;
    case Kind::kEvent:
    case Kind::kResult:
      FUZZ_CHECK(line.id.has_value() && line.violation.empty(), "an answer has an id");
      break;
    case Kind::kError:
      FUZZ_CHECK(line.id.has_value() && line.violation.empty(), "an error answer has an id");
      FUZZ_CHECK(line.error.has_value(), "an error answer carries the error");
      break;
  }
  // What the harness then does with the payload, by op: every converter on every payload.
  if (line.kind == Kind::kEvent || line.kind == Kind::kResult) {
    Converts(line.payload, protocol::EventFromJson, "EventFromJson throws only a violation");
    Converts(line.payload, protocol::OutputFromJson, "OutputFromJson throws only a violation");
    Converts(line.payload, protocol::ReadinessFromJson,
             "ReadinessFromJson throws only a violation");
    Converts(line.payload, protocol::ErrorFromJson, "ErrorFromJson throws only a violation");
  }
  return 0;
}
