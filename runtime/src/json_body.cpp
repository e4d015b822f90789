// Untrusted JSON bodies: parsing with a depth bound, error-envelope messages, printable text.
#include "json_body.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

namespace provkit::json_body {
namespace {

bool IsSpace(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::optional<std::string> NonEmpty(const std::string* text) {
  if (text == nullptr) return std::nullopt;
  const std::string_view trimmed = Trim(*text);
  if (trimmed.empty()) return std::nullopt;
  return Printable(trimmed);
}

}  // namespace

std::size_t Utf8SequenceLength(std::string_view text) noexcept {
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
    if (lead == 0xE0) min_second = 0xA0;
    if (lead == 0xED) max_second = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) min_second = 0x90;
    if (lead == 0xF4) max_second = 0x8F;
  } else {
    return 0;
  }
  if (text.size() < length) return 0;
  if (byte(1) < min_second || byte(1) > max_second) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
  }
  return length;
}

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

bool Parse(std::string_view text, nlohmann::json& out) noexcept {
  try {
    if (NestsDeeperThan(text, kMaxDepth)) {
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

std::optional<std::string> ErrorMessage(const nlohmann::json& body) {
  if (!body.is_object()) return std::nullopt;
  if (const nlohmann::json* error = Member(body, "error")) {
    if (error->is_string()) return NonEmpty(error->get_ptr<const std::string*>());
    if (error->is_object()) {
      if (const nlohmann::json* message = Member(*error, "message")) {
        if (message->is_string()) return NonEmpty(message->get_ptr<const std::string*>());
        if (!message->is_null())
          return Printable(message->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
      }
      if (auto nested = ErrorMessage(*error)) return nested;  // {"error":{"error":".."}}
    }
  }
  if (auto message = NonEmpty(StringMember(body, "message"))) return message;
  return NonEmpty(StringMember(body, "detail"));
}

std::optional<std::string> ErrorMessageOfBody(std::string_view body) {
  const std::string_view trimmed = Trim(body);
  if (trimmed.empty()) return std::nullopt;
  if (trimmed.front() == '{') {
    nlohmann::json parsed;
    if (Parse(trimmed, parsed)) {
      if (auto message = ErrorMessage(parsed)) return message;
    }
  }
  return Printable(trimmed);
}

std::string_view Trim(std::string_view text) noexcept {
  while (!text.empty() && IsSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsSpace(text.back())) text.remove_suffix(1);
  return text;
}

std::string Printable(std::string_view text, std::size_t max_bytes) {
  constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  std::string out;
  out.reserve(std::min(text.size(), max_bytes) + 3);
  while (!text.empty()) {
    std::size_t length = Utf8SequenceLength(text);
    const std::string_view piece = length == 0 ? kReplacement : text.substr(0, length);
    if (out.size() + piece.size() > max_bytes) {
      out.append("...");
      break;
    }
    out.append(piece);
    text.remove_prefix(length == 0 ? 1 : length);
  }
  return out;
}

const nlohmann::json* Member(const nlohmann::json& object, std::string_view key) noexcept {
  const auto* members = object.get_ptr<const nlohmann::json::object_t*>();
  if (members == nullptr) return nullptr;
  const auto it = members->find(key);
  return it == members->end() ? nullptr : &it->second;
}

const std::string* StringMember(const nlohmann::json& object, std::string_view key) noexcept {
  const nlohmann::json* member = Member(object, key);
  return member == nullptr ? nullptr : member->get_ptr<const std::string*>();
}

std::optional<long long> AsInteger(const nlohmann::json& value) noexcept {
  if (const auto* unsigned_value = value.get_ptr<const nlohmann::json::number_unsigned_t*>()) {
    if (*unsigned_value > static_cast<std::uint64_t>(std::numeric_limits<long long>::max())) {
      return std::nullopt;
    }
    return static_cast<long long>(*unsigned_value);
  }
  if (const auto* integer = value.get_ptr<const nlohmann::json::number_integer_t*>())
    return *integer;
  if (const auto* floating = value.get_ptr<const nlohmann::json::number_float_t*>()) {
    const double number = *floating;
    // 2^63 is exactly representable; anything at or above it does not fit.
    if (!std::isfinite(number) || number != std::trunc(number) || number >= 9223372036854775808.0 ||
        number < -9223372036854775808.0) {
      return std::nullopt;
    }
    return static_cast<long long>(number);
  }
  return std::nullopt;
}

}  // namespace provkit::json_body
