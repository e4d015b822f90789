// Clipping untrusted text for messages and evidence: valid UTF-8, bounded, optionally printable.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace provkit::support {

/// What a clipped text ends with.
enum class ClipMarker {
  kEllipsis,   ///< "..."
  kCountRest,  ///< "… (N more bytes)", N counting the input bytes left out.
};

/// `text` as valid UTF-8 (each invalid byte becomes U+FFFD) and at most `max_bytes` bytes long,
/// cut between characters; when something was cut, `marker` follows (beyond `max_bytes`). Text
/// that fits is returned repaired but otherwise unchanged. Thread-safe (pure).
std::string Clip(std::string_view text, std::size_t max_bytes,
                 ClipMarker marker = ClipMarker::kEllipsis);

/// Clip for terminals and one-line evidence: besides being valid UTF-8 and bounded the same way,
/// the result holds no control characters. Line feed, carriage return and tab become `\n`, `\r`,
/// `\t`; other C0 controls, DEL and each invalid byte become `\xNN`; C1 controls, the line and
/// paragraph separators and the bidirectional controls become `\uNNNN`. Backslashes are kept as
/// they are: the result is for people to read, not to be unescaped.
std::string ClipPrintable(std::string_view text, std::size_t max_bytes,
                          ClipMarker marker = ClipMarker::kEllipsis);

}  // namespace provkit::support
