// UTF-8 for untrusted bytes: sequence validation (RFC 3629), repair, and character-safe cut points.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace provkit::support {

/// U+FFFD REPLACEMENT CHARACTER, encoded.
inline constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";

/// Length (1-4) of the valid UTF-8 sequence that starts `text`, or 0 when `text` is empty or
/// starts with an invalid, truncated or overlong sequence, a UTF-16 surrogate or a code point
/// above U+10FFFF. Thread-safe (pure).
std::size_t Utf8SequenceLength(std::string_view text) noexcept;

/// True when every byte of `text` belongs to a valid UTF-8 sequence.
bool IsValidUtf8(std::string_view text) noexcept;

/// `text` with each byte that does not start a valid sequence (see Utf8SequenceLength) replaced
/// by U+FFFD, one replacement per byte; valid text is returned unchanged. The result is always
/// valid UTF-8, so it can be serialised as JSON or shown on a terminal.
std::string RepairUtf8(std::string_view text);

/// The largest n <= max_bytes such that text[0, n) does not end inside a multi-byte sequence:
/// where to cut valid UTF-8 so that no character is split (invalid bytes count as one character).
std::size_t Utf8CutPoint(std::string_view text, std::size_t max_bytes) noexcept;

/// Byte length of the first `characters` characters of `text` (all of it when shorter); a lead
/// byte and its continuation bytes are one character, whatever their validity.
std::size_t Utf8PrefixBytes(std::string_view text, std::size_t characters) noexcept;

}  // namespace provkit::support
