// Error types: misuse throws ConfigurationError, provider failures throw APIError.
#pragma once

#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

namespace provkit {

/// Stable kinds of error. The `id` strings in ErrorKinds() never change; results
/// files and reports key off them.
enum class ErrorKind {
  kConfiguration,      ///< A bad Config value or API misuse.
  kSessionClosed,      ///< A call on a closed Session (clause S3).
  kConnection,         ///< The server could not be reached or dropped the connection.
  kTimeout,            ///< The server did not answer within the configured time.
  kHttpStatus,         ///< The server answered with an HTTP error status.
  kMalformedResponse,  ///< The server's answer could not be read.
  kStreamFailure,      ///< The stream failed midway (error event, drop, malformed chunk).
  kCancelled,          ///< The caller cancelled the call.
};

/// One row of the error-kind table.
struct ErrorKindInfo {
  ErrorKind kind;
  std::string_view id;       ///< Stable identifier, e.g. "session_closed".
  std::string_view summary;  ///< One line for people.
};

/// The whole error-kind table, in enum order.
std::span<const ErrorKindInfo> ErrorKinds() noexcept;
/// The stable id of `kind`.
std::string_view ErrorKindId(ErrorKind kind) noexcept;

/// Base of every provkit exception: a message, a kind and a hint a person can act on.
class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message, std::string hint);
  ErrorKind kind() const noexcept { return kind_; }
  const std::string& hint() const noexcept { return hint_; }

 private:
  ErrorKind kind_;
  std::string hint_;
};

/// Misuse or an invalid configuration: a bad Config field, an unknown provider,
/// a call on a closed Session. `field` names the offending Config field, if any.
class ConfigurationError : public Error {
 public:
  explicit ConfigurationError(const std::string& message, std::string hint = {},
                              std::string field = {}, ErrorKind kind = ErrorKind::kConfiguration);
  const std::string& field() const noexcept { return field_; }

 private:
  std::string field_;
};

/// The phase of provider work an APIError happened in.
enum class Phase { kProbe, kGenerate, kStream };
std::string_view PhaseName(Phase phase) noexcept;

/// A provider failure: which provider, in which phase, the HTTP status if one
/// was received, whether retrying may help, and a hint a person can act on.
class APIError : public Error {
 public:
  APIError(ErrorKind kind, std::string provider, Phase phase, const std::string& message,
           std::string hint = {}, std::optional<int> status_code = std::nullopt,
           bool retryable = false);
  const std::string& provider() const noexcept { return provider_; }
  Phase phase() const noexcept { return phase_; }
  std::optional<int> status_code() const noexcept { return status_code_; }
  bool retryable() const noexcept { return retryable_; }

 private:
  std::string provider_;
  Phase phase_;
  std::optional<int> status_code_;
  bool retryable_;
};

}  // namespace provkit
