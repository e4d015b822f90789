// Byte offsets as "file:line:column" positions, for errors that point into a file.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace provkit::support {

/// A 1-based line and column. The column counts bytes from the start of the line (as GCC's
/// `-fdiagnostics-column-unit=byte` and most editors' "go to" do).
struct TextPosition {
  int line = 1;
  int column = 1;
  friend bool operator==(const TextPosition&, const TextPosition&) = default;
};

/// The position of byte `offset` of `text`; an offset past the end is the position just after
/// the last byte. Lines end at '\n' (a "\r\n" pair is one break). Values that would not fit an
/// int saturate at INT_MAX. Thread-safe (pure), linear in `offset`.
TextPosition PositionAt(std::string_view text, std::size_t offset) noexcept;

/// "file:line:column", or "line:column" when `file` is empty.
std::string FormatPosition(std::string_view file, TextPosition position);

}  // namespace provkit::support
