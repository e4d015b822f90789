// PositionAt and FormatPosition: byte offset to line and column.
#include "provkit/support/text_position.hpp"

#include <algorithm>
#include <climits>

namespace provkit::support {
namespace {

int Saturated(std::size_t value) noexcept {
  return value > static_cast<std::size_t>(INT_MAX) ? INT_MAX : static_cast<int>(value);
}

}  // namespace

TextPosition PositionAt(std::string_view text, std::size_t offset) noexcept {
  offset = std::min(offset, text.size());
  std::size_t line = 1;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  return {Saturated(line), Saturated(offset - line_start + 1)};
}

std::string FormatPosition(std::string_view file, TextPosition position) {
  std::string out(file);
  if (!out.empty()) out.push_back(':');
  out += std::to_string(position.line) + ":" + std::to_string(position.column);
  return out;
}

}  // namespace provkit::support
