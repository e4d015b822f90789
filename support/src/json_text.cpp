// NestsDeeperThan, ParseUntrusted and JsonErrorReason.
#include "provkit/support/json_text.hpp"

namespace provkit::support {

bool NestsDeeperThan(std::string_view text, int max_depth) noexcept {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        break;
      case '[':
      case '{':
        if (++depth > max_depth) return true;
        break;
      case ']':
      case '}':
        --depth;
        break;
      default:
        break;
    }
  }
  return false;
}

bool ParseUntrusted(std::string_view text, nlohmann::json& out, int max_depth) noexcept {
  try {
    if (NestsDeeperThan(text, max_depth)) {
      out = nlohmann::json(nlohmann::json::value_t::discarded);
      return false;
    }
    out = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    return !out.is_discarded();
  } catch (...) {
    // Only allocation can fail here.
    out = nlohmann::json(nlohmann::json::value_t::discarded);
    return false;
  }
}

std::string JsonErrorReason(std::string_view what) {
  if (what.rfind("[json.exception.", 0) == 0) {
    if (const std::size_t tag_end = what.find("] "); tag_end != std::string_view::npos) {
      what.remove_prefix(tag_end + 2);
    }
  }
  constexpr std::string_view kParseError = "parse error";
  if (what.rfind(kParseError, 0) == 0) {
    // "parse error at line 3, column 7: syntax error ..." or "parse error: ...".
    std::size_t colon = what.find(": ", kParseError.size());
    if (const std::size_t column = what.find("column "); column != std::string_view::npos) {
      colon = what.find(": ", column);
    }
    if (colon != std::string_view::npos) what.remove_prefix(colon + 2);
  }
  return std::string(what);
}

}  // namespace provkit::support
