// Untrusted JSON text: a nesting bound checked before parsing, parsing that never throws, and
// nlohmann's error messages without their machine prefix.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace provkit::support {

/// Deepest nesting ParseUntrusted accepts by default. Deeper documents are refused before
/// parsing: copying, printing or destroying them would recurse once per level.
inline constexpr int kMaxJsonDepth = 128;

/// True when `text` nests arrays or objects deeper than `max_depth` (brackets inside strings do
/// not count). Works on any bytes, JSON or not; linear, no allocation.
bool NestsDeeperThan(std::string_view text, int max_depth) noexcept;

/// Parses `text` into `out`. Returns false, with `out` discarded, when `text` is not JSON (or not
/// valid UTF-8 inside strings) or nests deeper than `max_depth`. Never throws.
bool ParseUntrusted(std::string_view text, nlohmann::json& out,
                    int max_depth = kMaxJsonDepth) noexcept;

/// The reason in a nlohmann::json exception's what(), for people: without the
/// "[json.exception.parse_error.101] " tag and the "parse error at line L, column C: " prefix
/// (callers print their own file:line:column). Text without either comes back unchanged.
std::string JsonErrorReason(std::string_view what);

}  // namespace provkit::support
