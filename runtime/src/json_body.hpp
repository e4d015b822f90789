// Reading untrusted server bodies: bounded JSON parsing, error-envelope messages (R15), text
// helpers.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace provkit::json_body {

/// Deepest nesting accepted from a server. Deeper documents are rejected before
/// parsing: copying or printing them would recurse once per level.
inline constexpr int kMaxDepth = 128;

/// Longest message taken from a body, in bytes.
inline constexpr std::size_t kMaxMessageBytes = 1024;

/// True when `text` nests arrays or objects deeper than `max_depth` (strings are skipped).
bool NestsDeeperThan(std::string_view text, int max_depth) noexcept;

/// Parses `text` into `out`. Returns false, leaving `out` discarded, when it is
/// not JSON or nests deeper than kMaxDepth. Never throws for any input.
bool Parse(std::string_view text, nlohmann::json& out) noexcept;

/// The message of an error body in any common shape (R15): nested
/// `{"error":{"message":..}}`, string `{"error":".."}` (with or without
/// `error_type`), flat `{"object":"error","message":..}` or `{"message":..}`,
/// and FastAPI's `{"detail":".."}`. Nullopt for anything else.
std::optional<std::string> ErrorMessage(const nlohmann::json& body);

/// ErrorMessage of a raw body when it is JSON, else its trimmed text; nullopt when empty.
std::optional<std::string> ErrorMessageOfBody(std::string_view body);

/// Length of the valid UTF-8 sequence that starts `text` (1-4), or 0 when it is
/// invalid, truncated, overlong or a surrogate. `text` must not be empty.
std::size_t Utf8SequenceLength(std::string_view text) noexcept;

/// `text` without leading and trailing ASCII whitespace.
std::string_view Trim(std::string_view text) noexcept;

/// `text` as valid UTF-8 (each invalid byte becomes U+FFFD), cut at a character
/// boundary to at most `max_bytes` (plus "...") so it can be shown and serialised.
std::string Printable(std::string_view text, std::size_t max_bytes = kMaxMessageBytes);

/// The string member `key` of `object`, or nullptr when `object` is not an
/// object or the member is missing or not a string.
const std::string* StringMember(const nlohmann::json& object, std::string_view key) noexcept;

/// The member `key` of `object`, or nullptr when `object` is not an object or lacks it.
const nlohmann::json* Member(const nlohmann::json& object, std::string_view key) noexcept;

/// An integral JSON number as long long; nullopt for other types, fractions and
/// values out of range.
std::optional<long long> AsInteger(const nlohmann::json& value) noexcept;

}  // namespace provkit::json_body
