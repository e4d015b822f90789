// Legacy Completions (POST <base>/completions) and embeddings (POST <base>/embeddings).
#pragma once

#include "routes.hpp"

namespace provkit::mock {

/// OpenAI's legacy Completions: `prompt` (a string, or an array whose strings are joined), plain
/// or streamed as `text_completion` chunks ending with `data: [DONE]`. Tool calls and reasoning
/// of a scripted reply are left out.
class Completions final : public Dialect {
 public:
  std::string_view name() const override { return "completions"; }
  std::string_view path() const override { return "/completions"; }
  Plan Answer(Exchange& exchange, const Checkpoint& checkpoint) const override;
};

/// Embeddings: `input` a string or an array of strings; each gets a deterministic, normalised
/// vector of kDimensions floats derived from a hash of its text, as a JSON array or, with
/// `"encoding_format":"base64"`, as base64 of little-endian float32s. Not scripted.
class Embeddings final : public Dialect {
 public:
  static constexpr std::size_t kDimensions = 8;
  std::string_view name() const override { return "embeddings"; }
  std::string_view path() const override { return "/embeddings"; }
  Plan Answer(Exchange& exchange, const Checkpoint& checkpoint) const override;
};

}  // namespace provkit::mock
