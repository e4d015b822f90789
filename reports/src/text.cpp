// Text helpers shared by the renderers: UTF-8 repair, one-line and excerpt, and escaping.
#include "text.hpp"

#include <cctype>
#include <cmath>
#include <cstdio>

#include "provkit/support/utf8.hpp"

namespace provkit::reports::text {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

bool IsAsciiControl(unsigned char byte) { return byte < 0x20 || byte == 0x7F; }

}  // namespace

std::string ValidUtf8(std::string_view input) { return support::RepairUtf8(input); }

std::string OneLine(std::string_view input) {
  const std::string valid = ValidUtf8(input);
  std::string output;
  output.reserve(valid.size());
  for (char c : valid) {
    const char normal = IsAsciiControl(static_cast<unsigned char>(c)) ? ' ' : c;
    if (normal == ' ' && (output.empty() || output.back() == ' ')) continue;
    output += normal;
  }
  while (!output.empty() && output.back() == ' ') output.pop_back();
  return output;
}

std::string Excerpt(std::string_view input, std::size_t max_bytes) {
  if (input.size() <= max_bytes) return std::string(input);
  const std::size_t cut = support::Utf8CutPoint(input, max_bytes);
  std::string output(input.substr(0, cut));
  output += "\xE2\x80\xA6 (" + std::to_string(input.size() - cut) + " more bytes)";
  return output;
}

std::string EscapeMarkup(std::string_view input) {
  std::string output;
  output.reserve(input.size() + input.size() / 8);
  for (std::size_t at = 0; at < input.size();) {
    const std::size_t length = support::Utf8SequenceLength(input.substr(at));
    const std::string_view sequence = input.substr(at, length == 0 ? 1 : length);
    at += sequence.size();
    if (length == 0 || sequence == "\xEF\xBF\xBE" || sequence == "\xEF\xBF\xBF") {
      output += kReplacement;  // invalid UTF-8, or U+FFFE/U+FFFF which XML forbids
      continue;
    }
    const char c = sequence[0];
    switch (c) {
      case '&':
        output += "&amp;";
        break;
      case '<':
        output += "&lt;";
        break;
      case '>':
        output += "&gt;";
        break;
      case '"':
        output += "&quot;";
        break;
      case '\'':
        output += "&#39;";
        break;
      case '\t':
      case '\n':
        output += c;
        break;
      case '\r':
        output += "&#13;";
        break;
      default:
        if (length == 1 && IsAsciiControl(static_cast<unsigned char>(c))) {
          output += kReplacement;
        } else {
          output.append(sequence);
        }
    }
  }
  return output;
}

std::string EscapeMarkdown(std::string_view input) {
  const std::string line = OneLine(input);
  std::string output;
  output.reserve(line.size() + line.size() / 4);
  for (char c : line) {
    switch (c) {
      case '<':
        output += "&lt;";
        break;
      case '>':
        output += "&gt;";
        break;
      case '&':
        output += "&amp;";
        break;
      case '\\':
      case '`':
      case '*':
      case '_':
      case '[':
      case ']':
      case '|':
      case '~':
      case '$':
        output += '\\';
        output += c;
        break;
      default:
        output += c;
    }
  }
  return output;
}

bool IsLinkableBaseUrl(std::string_view url) {
  if (url.empty()) return false;
  for (char c : url) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7F || c == '#') return false;
  }
  const std::size_t colon = url.find(':');
  const std::size_t slash = url.find('/');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon < slash)) {
    std::string scheme(url.substr(0, colon));
    for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return (scheme == "http" || scheme == "https") && url.substr(colon).starts_with("://") &&
           url.size() > colon + 3;
  }
  return !url.starts_with("//");
}

std::string EncodeUrl(std::string_view url) {
  constexpr std::string_view kKept = "-._~:/?#@!$&+,;=%";
  std::string output;
  output.reserve(url.size());
  for (char c : url) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) != 0 && byte < 0x80) {
      output += c;
    } else if (kKept.find(c) != std::string_view::npos) {
      output += c;
    } else {
      constexpr std::string_view kHex = "0123456789ABCDEF";
      output += '%';
      output += kHex[byte >> 4];
      output += kHex[byte & 0x0F];
    }
  }
  return output;
}

std::string FormatNumber(double value, int decimals) {
  if (!std::isfinite(value)) return "?";
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  std::string output = buffer;
  if (output.find('.') != std::string::npos) {
    while (output.back() == '0') output.pop_back();
    if (output.back() == '.') output.pop_back();
  }
  if (output == "-0") output = "0";
  return output;
}

std::string FormatMs(double milliseconds) {
  if (milliseconds >= 1000) return FormatNumber(milliseconds / 1000, 2) + " s";
  if (milliseconds >= 10) return FormatNumber(milliseconds, 0) + " ms";
  return FormatNumber(milliseconds, 1) + " ms";
}

}  // namespace provkit::reports::text
