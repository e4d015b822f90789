// Clip and ClipPrintable: repair, escape and cut untrusted text, one character at a time.
#include "provkit/support/clip.hpp"

#include <algorithm>

#include "provkit/support/utf8.hpp"

namespace provkit::support {
namespace {

constexpr char kHex[] = "0123456789abcdef";

std::string HexByte(unsigned char byte) { return {'\\', 'x', kHex[byte >> 4], kHex[byte & 0xF]}; }

std::string Unicode(unsigned code_point) {
  std::string out = "\\u";
  for (int shift = 12; shift >= 0; shift -= 4) out.push_back(kHex[(code_point >> shift) & 0xF]);
  return out;
}

unsigned CodePoint(std::string_view sequence) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(sequence[i]); };
  switch (sequence.size()) {
    case 1:
      return byte(0);
    case 2:
      return ((byte(0) & 0x1Fu) << 6) | (byte(1) & 0x3Fu);
    case 3:
      return ((byte(0) & 0x0Fu) << 12) | ((byte(1) & 0x3Fu) << 6) | (byte(2) & 0x3Fu);
    default:
      return ((byte(0) & 0x07u) << 18) | ((byte(1) & 0x3Fu) << 12) | ((byte(2) & 0x3Fu) << 6) |
             (byte(3) & 0x3Fu);
  }
}

bool NeedsUnicodeEscape(unsigned code_point) {
  return (code_point >= 0x80 && code_point <= 0x9F) ||      // C1 controls
         code_point == 0x2028 || code_point == 0x2029 ||    // line and paragraph separators
         code_point == 0x061C ||                            // Arabic letter mark
         code_point == 0x200E || code_point == 0x200F ||    // LRM, RLM
         (code_point >= 0x202A && code_point <= 0x202E) ||  // embeddings and overrides
         (code_point >= 0x2066 && code_point <= 0x2069);    // isolates
}

// The text one input character stands for. `length` is Utf8SequenceLength (0: invalid byte).
std::string Piece(std::string_view sequence, std::size_t length, bool printable) {
  if (!printable) return length == 0 ? std::string(kReplacementCharacter) : std::string(sequence);
  const auto lead = static_cast<unsigned char>(sequence[0]);
  if (length == 0) return HexByte(lead);
  if (length == 1) {
    switch (lead) {
      case '\n':
        return "\\n";
      case '\r':
        return "\\r";
      case '\t':
        return "\\t";
      default:
        if (lead < 0x20 || lead == 0x7F) return HexByte(lead);
        return std::string(sequence);
    }
  }
  const unsigned code_point = CodePoint(sequence);
  return NeedsUnicodeEscape(code_point) ? Unicode(code_point) : std::string(sequence);
}

std::string ClipImpl(std::string_view text, std::size_t max_bytes, ClipMarker marker,
                     bool printable) {
  std::string out;
  out.reserve(std::min(text.size(), max_bytes) + 24);
  while (!text.empty()) {
    const std::size_t length = Utf8SequenceLength(text);
    const std::size_t used = length == 0 ? 1 : length;
    const std::string piece = Piece(text.substr(0, used), length, printable);
    if (out.size() + piece.size() > max_bytes) {
      if (marker == ClipMarker::kEllipsis) {
        out.append("...");
      } else {
        out.append("\xE2\x80\xA6 (" + std::to_string(text.size()) + " more bytes)");
      }
      break;
    }
    out.append(piece);
    text.remove_prefix(used);
  }
  return out;
}

}  // namespace

std::string Clip(std::string_view text, std::size_t max_bytes, ClipMarker marker) {
  return ClipImpl(text, max_bytes, marker, /*printable=*/false);
}

std::string ClipPrintable(std::string_view text, std::size_t max_bytes, ClipMarker marker) {
  return ClipImpl(text, max_bytes, marker, /*printable=*/true);
}

}  // namespace provkit::support
