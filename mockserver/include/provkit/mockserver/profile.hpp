// Server profiles: which real server (llama.cpp, vLLM, Ollama, TGI, LM Studio) to imitate.
#pragma once

#include <optional>
#include <span>
#include <string_view>

namespace provkit::mock {

/// The wire dialect the mock speaks. Profiles differ exactly where readiness
/// probes and stream readers break: health shapes, error envelopes, listing
/// extras and stream framing. docs/mockserver.md lists every difference.
enum class Profile {
  kOpenAi,      ///< Plain OpenAI shapes (the default).
  kLlamaCpp,    ///< llama.cpp server: 503 "Loading model", models[] and meta, router status.
  kVllm,        ///< vLLM: listens late while loading, empty health body, [DONE] after errors.
  kVllmLegacy,  ///< Older vLLM: like kVllm with the flat {"object":"error",...} envelope.
  kOllama,      ///< Ollama: no /health, "Ollama is running" at /, data null when empty.
  kTgi,         ///< Text Generation Inference: data: without a space, keep-alive comments.
  kLmStudio,    ///< LM Studio: no /health, plain-string error envelopes.
};

/// One row of the profile table.
struct ProfileInfo {
  Profile profile;
  std::string_view name;     ///< Stable name used by --profile and config files, e.g. "llama.cpp".
  std::string_view summary;  ///< One line for --help.
};

/// Every profile, in enum order.
std::span<const ProfileInfo> Profiles() noexcept;

/// The stable name of `profile`.
std::string_view ProfileName(Profile profile) noexcept;

/// The profile called `name` (exact match), or nullopt.
std::optional<Profile> ParseProfile(std::string_view name) noexcept;

}  // namespace provkit::mock
