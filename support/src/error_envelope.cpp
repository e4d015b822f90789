// ErrorEnvelopeMessage: the message of an error body in the nested, string, flat and FastAPI
// shapes.
#include "provkit/support/error_envelope.hpp"

#include "provkit/support/clip.hpp"
#include "provkit/support/json_text.hpp"

namespace provkit::support {
namespace {

// {"error":{"error":{...}}}: how many error objects inside error objects are looked into.
constexpr int kMaxErrorNesting = 16;

bool IsSpace(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view Trim(std::string_view text) noexcept {
  while (!text.empty() && IsSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsSpace(text.back())) text.remove_suffix(1);
  return text;
}

const nlohmann::json* Member(const nlohmann::json& object, std::string_view key) noexcept {
  const auto* members = object.get_ptr<const nlohmann::json::object_t*>();
  if (members == nullptr) return nullptr;
  const auto it = members->find(key);
  return it == members->end() ? nullptr : &it->second;
}

std::optional<std::string> NonBlank(const nlohmann::json* value, std::size_t max_bytes) {
  if (value == nullptr) return std::nullopt;
  const auto* text = value->get_ptr<const std::string*>();
  if (text == nullptr) return std::nullopt;
  const std::string_view trimmed = Trim(*text);
  if (trimmed.empty()) return std::nullopt;
  return Clip(trimmed, max_bytes);
}

std::optional<std::string> MessageOf(const nlohmann::json& body, std::size_t max_bytes,
                                     int nesting_left) {
  if (!body.is_object()) return std::nullopt;
  if (const nlohmann::json* error = Member(body, "error")) {
    if (error->is_object()) {
      if (const nlohmann::json* message = Member(*error, "message")) {
        if (auto text = NonBlank(message, max_bytes)) return text;
        if (!message->is_string() && !message->is_null()) {
          // Bounded: the dump of a huge structure is cut by Clip, but built first; servers send
          // numbers or small objects here.
          return Clip(message->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                      max_bytes);
        }
      }
      if (nesting_left > 0) {
        if (auto nested = MessageOf(*error, max_bytes, nesting_left - 1)) return nested;
      }
    } else if (auto text = NonBlank(error, max_bytes)) {
      return text;
    }
  }
  if (auto text = NonBlank(Member(body, "message"), max_bytes)) return text;
  return NonBlank(Member(body, "detail"), max_bytes);
}

}  // namespace

std::optional<std::string> ErrorEnvelopeMessage(const nlohmann::json& body, std::size_t max_bytes) {
  return MessageOf(body, max_bytes, kMaxErrorNesting);
}

std::optional<std::string> ErrorEnvelopeMessageOfBody(std::string_view body,
                                                      std::size_t max_bytes) {
  nlohmann::json parsed;
  if (!ParseUntrusted(Trim(body), parsed)) return std::nullopt;
  return ErrorEnvelopeMessage(parsed, max_bytes);
}

}  // namespace provkit::support
