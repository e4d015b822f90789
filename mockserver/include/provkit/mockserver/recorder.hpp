// RecordingProxy: a proxy in front of a real server that keeps every exchange for a cassette.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>

#include "provkit/mockserver/cassette.hpp"

namespace provkit::mock {

/// How to build a RecordingProxy. Plain data with working defaults but `upstream`.
struct RecorderOptions {
  /// The real server's root, "http://HOST:PORT" (plain HTTP). Every request is forwarded there
  /// with its path unchanged.
  std::string upstream;
  std::string host = "127.0.0.1";
  int port = 0;  ///< 0 picks a free port.
  /// Written into the cassette's header.
  std::string server = "unknown";
  std::string situation = "recorded";
  std::string description;
  std::chrono::milliseconds connect_timeout{5000};
  /// The longest wait for the next bytes of an upstream answer (a slow stream must fit).
  std::chrono::milliseconds read_timeout{300000};
  /// Bytes of one answer kept in the cassette; the rest is forwarded, not recorded, and the
  /// exchange's note says so.
  std::size_t max_recorded_bytes = std::size_t{64} << 20;
};

/// A running recording proxy. RAII like Server: listening once constructed, stopped and joined
/// by the destructor. Each request is forwarded to the upstream as it came (a GET's body too)
/// and its answer relayed as it arrives, streams event by event; once the answer is complete
/// the exchange is kept: method, path, query, the headers that matter, the request body,
/// status, response headers, the body, streams chunk by chunk with their time offsets. An
/// upstream that cannot be reached answers 502 naming it, and nothing is kept.
///
/// Secrets never leave memory: cassette() replaces Authorization and X-Api-Key values by
/// `<api-key>` (a value some request was accepted with) or `<rejected-key-N>`, and `sk-...`
/// tokens in bodies by `<redacted>`. Every member function is thread-safe.
class RecordingProxy {
 public:
  /// Throws ConfigError when `upstream` is not an http:// URL, std::system_error when the
  /// address cannot be bound.
  explicit RecordingProxy(RecorderOptions options);
  ~RecordingProxy();
  RecordingProxy(const RecordingProxy&) = delete;
  RecordingProxy& operator=(const RecordingProxy&) = delete;

  /// "http://127.0.0.1:PORT": point a client here instead of at the upstream.
  std::string url() const;
  int port() const;

  /// Every complete exchange so far, in the order they completed, secrets replaced.
  Cassette cassette() const;
  /// How many exchanges were kept.
  std::size_t recorded() const;
  /// Writes cassette() as JSON Lines to `path` (a temporary file renamed over it, so a reader
  /// never sees half a cassette). Throws ConfigError naming the path when it cannot.
  void Save(const std::filesystem::path& path) const;

  /// Stops accepting, ends the answers in flight and joins every thread. Idempotent.
  void Stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace provkit::mock
