// Config: everything needed to build a provider and a Session, validated up front.
#pragma once

#include <chrono>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace provkit {

/// The parts of an http(s) URL provkit needs.
struct Url {
  std::string scheme;  ///< "http" or "https".
  std::string host;
  int port = 0;      ///< Explicit port, else 80 or 443 from the scheme.
  std::string path;  ///< Without a trailing slash; empty for the root.
};

/// Parses an http(s) URL; returns nullopt when it has no scheme or host or a bad port.
std::optional<Url> ParseUrl(std::string_view text);

/// The base URL without its last path segment: `http://h:8080/v1` -> `http://h:8080`.
std::string ServerRoot(std::string_view base_url);

/// Configuration of one provider instance. Plain data: fill it in, then let a
/// Session (or Validate()) check it.
struct Config {
  /// Registry name of the provider to build ("local" is built in).
  std::string provider = "local";
  /// Model to use and to verify in CheckReady; unset skips verification (R1).
  std::optional<std::string> model;
  /// OpenAI-compatible API root; defaults to $PROVKIT_LOCAL_BASE_URL, else
  /// http://127.0.0.1:8080/v1.
  std::string base_url = DefaultBaseUrl();
  /// Sent as `Authorization: Bearer <api_key>`; empty sends no header.
  std::string api_key = "local";
  /// Time allowed to open a TCP connection.
  std::chrono::milliseconds connect_timeout{2000};
  /// Time allowed for a whole non-streaming turn, and between two reads of a stream.
  std::chrono::milliseconds request_timeout{120000};
  /// Time allowed for a whole readiness probe, both requests included (R9).
  std::chrono::milliseconds probe_budget{2000};

  /// $PROVKIT_LOCAL_BASE_URL when set and non-empty, else http://127.0.0.1:8080/v1.
  static std::string DefaultBaseUrl();

  /// Throws ConfigurationError naming the field when a value is invalid: empty
  /// provider, empty or unparsable base_url, empty model, negative or zero timeouts.
  void Validate() const;
};

/// The config as JSON with the API key redacted, for results files and logs.
nlohmann::json RedactedJson(const Config& config);

}  // namespace provkit
