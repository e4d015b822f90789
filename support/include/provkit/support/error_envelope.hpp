// The message of an HTTP error body in every shape OpenAI-compatible servers send (R15).
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace provkit::support {

/// Longest message ErrorEnvelopeMessage returns by default, in bytes (before the "..." marker).
inline constexpr std::size_t kMaxErrorMessageBytes = 1024;

/// The message of an error body, looked for in this order:
///  - nested `{"error":{"message":".."}}` (OpenAI, vLLM, llama.cpp); a non-string, non-null
///    message is given as its JSON text; an error object without one is looked into as a body
///    of its own (`{"error":{"error":".."}}`, up to 16 levels);
///  - string `{"error":".."}` (Ollama, LM Studio, TGI with `error_type`);
///  - flat `{"message":".."}`, as in `{"object":"error","message":".."}` (older vLLM);
///  - FastAPI's `{"detail":".."}`.
/// A blank candidate is skipped in favour of the next. The message is trimmed of ASCII
/// whitespace and returned as Clip(message, max_bytes): valid UTF-8, bounded. Nullopt when
/// `body` is not an object or holds no non-blank message. Thread-safe (pure).
std::optional<std::string> ErrorEnvelopeMessage(const nlohmann::json& body,
                                                std::size_t max_bytes = kMaxErrorMessageBytes);

/// ErrorEnvelopeMessage of raw body text, parsed with ParseUntrusted (bounded nesting, never
/// throws); nullopt when the text is not JSON or carries no message.
std::optional<std::string> ErrorEnvelopeMessageOfBody(
    std::string_view body, std::size_t max_bytes = kMaxErrorMessageBytes);

}  // namespace provkit::support
