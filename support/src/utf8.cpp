// UTF-8 validation, repair and cut points.
#include "provkit/support/utf8.hpp"

namespace provkit::support {
namespace {

bool IsContinuation(char c) noexcept { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

}  // namespace

std::size_t Utf8SequenceLength(std::string_view text) noexcept {
  if (text.empty()) return 0;
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(0);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  unsigned char min_second = 0x80;
  unsigned char max_second = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) min_second = 0xA0;  // overlong
    if (lead == 0xED) max_second = 0x9F;  // UTF-16 surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) min_second = 0x90;  // overlong
    if (lead == 0xF4) max_second = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (text.size() < length) return 0;
  if (byte(1) < min_second || byte(1) > max_second) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if (!IsContinuation(text[i])) return 0;
  }
  return length;
}

bool IsValidUtf8(std::string_view text) noexcept {
  while (!text.empty()) {
    const std::size_t length = Utf8SequenceLength(text);
    if (length == 0) return false;
    text.remove_prefix(length);
  }
  return true;
}

std::string RepairUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    const std::size_t length = Utf8SequenceLength(text);
    if (length == 0) {
      out.append(kReplacementCharacter);
      text.remove_prefix(1);
    } else {
      out.append(text.substr(0, length));
      text.remove_prefix(length);
    }
  }
  return out;
}

std::size_t Utf8CutPoint(std::string_view text, std::size_t max_bytes) noexcept {
  if (max_bytes >= text.size()) return text.size();
  std::size_t cut = max_bytes;
  // Back off over the continuation bytes of the character that text[cut] belongs to, but never
  // further than one sequence (at most 3 bytes): a run of stray continuation bytes is invalid
  // text, each byte a character of its own.
  std::size_t backed = 0;
  while (cut > 0 && backed < 3 && IsContinuation(text[cut])) {
    --cut;
    ++backed;
  }
  if (backed == 0) return cut;
  // text[cut] is now the lead byte candidate; keep the cut there only if it starts a sequence
  // that would have been split, else the continuation bytes were stray and max_bytes was fine.
  const std::size_t length = Utf8SequenceLength(text.substr(cut));
  return length > backed ? cut : max_bytes;
}

std::size_t Utf8PrefixBytes(std::string_view text, std::size_t characters) noexcept {
  std::size_t i = 0;
  while (i < text.size() && characters > 0) {
    ++i;
    while (i < text.size() && IsContinuation(text[i])) ++i;
    --characters;
  }
  return i;
}

}  // namespace provkit::support
