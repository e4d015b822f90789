// Error types and the stable error-kind table.
#include "provkit/runtime/error.hpp"

#include <array>
#include <utility>

namespace provkit {
namespace {

constexpr std::array kErrorKinds = {
    ErrorKindInfo{ErrorKind::kConfiguration, "configuration",
                  "a bad configuration value or API misuse"},
    ErrorKindInfo{ErrorKind::kSessionClosed, "session_closed", "a call on a closed Session"},
    ErrorKindInfo{ErrorKind::kConnection, "connection",
                  "the server could not be reached or dropped the connection"},
    ErrorKindInfo{ErrorKind::kTimeout, "timeout", "the server did not answer in time"},
    ErrorKindInfo{ErrorKind::kHttpStatus, "http_status",
                  "the server answered with an HTTP error status"},
    ErrorKindInfo{ErrorKind::kMalformedResponse, "malformed_response",
                  "the server's answer could not be read"},
    ErrorKindInfo{ErrorKind::kStreamFailure, "stream_failure", "the stream failed midway"},
    ErrorKindInfo{ErrorKind::kCancelled, "cancelled", "the caller cancelled the call"},
};

}  // namespace

std::span<const ErrorKindInfo> ErrorKinds() noexcept { return kErrorKinds; }

std::string_view ErrorKindId(ErrorKind kind) noexcept {
  return kErrorKinds[static_cast<std::size_t>(kind)].id;
}

Error::Error(ErrorKind kind, const std::string& message, std::string hint)
    : std::runtime_error(message), kind_(kind), hint_(std::move(hint)) {}

ConfigurationError::ConfigurationError(const std::string& message, std::string hint,
                                       std::string field, ErrorKind kind)
    : Error(kind, message, std::move(hint)), field_(std::move(field)) {}

std::string_view PhaseName(Phase phase) noexcept {
  switch (phase) {
    case Phase::kProbe:
      return "probe";
    case Phase::kGenerate:
      return "generate";
    case Phase::kStream:
      return "stream";
  }
  return "?";
}

APIError::APIError(ErrorKind kind, std::string provider, Phase phase, const std::string& message,
                   std::string hint, std::optional<int> status_code, bool retryable)
    : Error(kind, message, std::move(hint)),
      provider_(std::move(provider)),
      phase_(phase),
      status_code_(status_code),
      retryable_(retryable) {}

}  // namespace provkit
