// The profile table: names and one-line summaries of the servers the mock imitates.
#include "provkit/mockserver/profile.hpp"

namespace provkit::mock {
namespace {

constexpr ProfileInfo kProfiles[] = {
    {Profile::kOpenAi, "openai", "plain OpenAI shapes (default)"},
    {Profile::kLlamaCpp, "llama.cpp",
     "as recorded from llama-server: every endpoint 503 'Loading model' while loading, any model "
     "name with one model, router mode (status, load on request), no [DONE] after a stream "
     "error"},
    {Profile::kVllm, "vllm",
     "port closed while loading, empty 200 health, 'The model `X` does not exist.', [DONE] after a "
     "stream error"},
    {Profile::kVllmLegacy, "vllm-legacy", "vllm with the flat {\"object\":\"error\",...} envelope"},
    {Profile::kOllama, "ollama",
     "no /health (404), 'Ollama is running' at /, not_found_error, data null when no model is "
     "pulled"},
    {Profile::kTgi, "tgi",
     "'data:' without a space, keep-alive comments, {\"error\",\"error_type\"} errors, any model "
     "name accepted"},
    {Profile::kLmStudio, "lmstudio",
     "unknown endpoints, /health included, answer 200 {\"error\":\"Unexpected endpoint...\"}, "
     "plain-string errors, 'No models loaded'"},
};

}  // namespace

std::span<const ProfileInfo> Profiles() noexcept { return kProfiles; }

std::string_view ProfileName(Profile profile) noexcept {
  for (const ProfileInfo& info : kProfiles) {
    if (info.profile == profile) return info.name;
  }
  return "openai";
}

std::optional<Profile> ParseProfile(std::string_view name) noexcept {
  for (const ProfileInfo& info : kProfiles) {
    if (info.name == name) return info.profile;
  }
  return std::nullopt;
}

}  // namespace provkit::mock
