// Profile-shaped answers: health, listings, error envelopes, and the malformed and huge variants.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "provkit/mockserver/config.hpp"
#include "provkit/mockserver/profile.hpp"
#include "provkit/mockserver/scenario.hpp"

namespace provkit::mock {

/// A complete, small answer.
struct Body {
  int status = 200;
  std::string content_type = "application/json";
  std::string text;
  std::vector<std::pair<std::string, std::string>> headers;  ///< Sent beside Content-Type.
};

/// An error envelope in the profile's shape: nested {"error":{...}} (openai,
/// llama.cpp, vllm, ollama), flat {"object":"error",...} (vllm-legacy), or a
/// string error (tgi with error_type, lmstudio).
Body ErrorAnswer(Profile profile, int status, std::string_view message, std::string_view type,
                 std::string_view code = {});
/// The error envelope as a stream event payload (no "data:" framing).
std::string StreamErrorPayload(Profile profile, std::string_view message);
/// Whether the profile sends data: [DONE] after a mid-stream error.
bool DoneAfterStreamError(Profile profile);

Body HealthOk(Profile profile);
Body HealthLoading(Profile profile);
/// What a path the server does not serve answers (also /health without health).
Body NotFound(Profile profile, std::string_view method, std::string_view path);
Body Root(Profile profile);
/// The 503 a chat request gets while the server loads.
Body ChatLoading(Profile profile);
Body ModelNotFound(Profile profile, std::string_view model);
/// LM Studio with no model loaded; other profiles answer ModelNotFound.
Body NoModelLoaded(Profile profile, std::string_view model);
/// A router-mode model whose status is not "loaded".
Body ModelNotLoaded(Profile profile, std::string_view model, std::string_view status);

/// The models listing of `models` (already filtered) in the profile's shape. llama.cpp has two:
/// one model loaded (models[] beside data[], meta per entry), and router mode (any model has a
/// status: status per entry, meta for loaded ones only).
std::string Listing(Profile profile, const std::vector<Model>& models, std::int64_t created);

/// Whether `models` put the llama.cpp profile in router mode (some model has a status).
bool RouterMode(const std::vector<Model>& models);

/// The 401 (or `status`) for a missing or wrong API key.
Body AuthError(Profile profile, int status);

/// llama.cpp's GET /props for `model`.
Body LlamaCppProps(std::string_view model);
/// llama.cpp's answer to an endpoint it was started without (/metrics without --metrics).
Body LlamaCppNotSupported(std::string_view message);
/// llama.cpp's answer to a CORS preflight from `origin`.
Body LlamaCppPreflight(std::string_view origin);

/// The malformed variant of a normal body for `endpoint`.
Body MalformedAnswer(MalformedVariant variant, Endpoint endpoint, const Body& normal);

/// Generates a body of about `bytes` bytes piece by piece: a JSON listing padded
/// with filler models, or a JSON object whose one string field is padded.
class HugeBody {
 public:
  /// For the listing: the real entries first, then filler entries.
  static HugeBody Listing(const std::vector<Model>& models, std::int64_t created,
                          std::size_t bytes);
  /// `prefix` + `bytes` times 'x' + `suffix`.
  static HugeBody Padded(std::string prefix, std::size_t bytes, std::string suffix);

  /// Appends the next piece (at most about 64 KiB) to `out`; false once everything was produced.
  bool Next(std::string& out);

 private:
  std::string prefix_;
  std::string suffix_;
  std::size_t remaining_ = 0;
  bool listing_ = false;
  std::int64_t created_ = 0;
  std::uint64_t filler_index_ = 0;
  int stage_ = 0;
};

}  // namespace provkit::mock
