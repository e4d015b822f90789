// The adapter protocol reader: one stdout line, and the JSON values in it, to provkit values
// (docs/adapter-protocol.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "provkit/conformance/subject.hpp"
#include "provkit/runtime/interaction.hpp"
#include "provkit/runtime/readiness.hpp"
#include "provkit/runtime/stream.hpp"

namespace provkit::conformance::adapter_protocol {

/// `text` cut to `limit` bytes, with "..." when it was cut.
std::string Clip(std::string_view text, std::size_t limit = 300);

/// Throws HarnessError("protocol violation: <what> in <value, clipped>").
[[noreturn]] void Violation(const std::string& what, const nlohmann::json& value);

// A wrong shape is the adapter breaking the protocol: each of these throws HarnessError for it,
// never anything else (std::bad_alloc aside).
Output OutputFromJson(const nlohmann::json& value);
ProviderReadiness ReadinessFromJson(const nlohmann::json& value);
StreamEvent EventFromJson(const nlohmann::json& value);
SubjectError ErrorFromJson(const nlohmann::json& value);

/// What one line of the adapter's stdout says.
struct Line {
  enum class Kind {
    kBlank,      ///< An empty line (or a lone CR): ignored.
    kViolation,  ///< Breaks the protocol; `violation` says how. `id` is set when the line had one.
    kEvent,      ///< A stream event for request `id`: `payload` is the event object.
    kResult,     ///< The final result for request `id`: `payload`.
    kError,      ///< The final error for request `id`: `error`.
  };
  Kind kind = Kind::kBlank;
  std::optional<std::int64_t> id;
  nlohmann::json payload;
  std::optional<SubjectError> error;
  std::string violation;
};

/// Reads one line (without its '\n'). Never throws (std::bad_alloc aside). Thread-safe.
Line ParseLine(std::string_view text);

}  // namespace provkit::conformance::adapter_protocol
