// Untrusted JSON bodies: the runtime's names for provkit::support's parsing, envelopes and text.
#include "json_body.hpp"

#include <cmath>
#include <cstdint>
#include <limits>

#include "provkit/support/clip.hpp"
#include "provkit/support/error_envelope.hpp"
#include "provkit/support/json_text.hpp"
#include "provkit/support/utf8.hpp"

namespace provkit::json_body {
namespace {

bool IsSpace(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

}  // namespace

std::size_t Utf8SequenceLength(std::string_view text) noexcept {
  return support::Utf8SequenceLength(text);
}

bool NestsDeeperThan(std::string_view text, int max_depth) noexcept {
  return support::NestsDeeperThan(text, max_depth);
}

bool Parse(std::string_view text, nlohmann::json& out) noexcept {
  return support::ParseUntrusted(text, out, kMaxDepth);
}

std::optional<std::string> ErrorMessage(const nlohmann::json& body) {
  return support::ErrorEnvelopeMessage(body, kMaxMessageBytes);
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
  return support::Clip(text, max_bytes);
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
