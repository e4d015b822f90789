// The profile traits table: one row per imitated server family.
#include "traits.hpp"

namespace provkit::mock {
namespace {

ProfileTraits OpenAi() { return {}; }

ProfileTraits LlamaCpp() {
  ProfileTraits traits;
  traits.model_optional = true;
  return traits;
}

ProfileTraits Vllm() {
  ProfileTraits traits;
  traits.done_after_stream_error = true;
  return traits;
}

ProfileTraits Ollama() { return {}; }

ProfileTraits Tgi() {
  ProfileTraits traits;
  traits.model_optional = true;
  traits.any_model = true;
  traits.done_after_stream_error = true;
  return traits;
}

ProfileTraits LmStudio() {
  ProfileTraits traits;
  traits.model_optional = true;
  return traits;
}

}  // namespace

const ProfileTraits& TraitsOf(Profile profile) noexcept {
  static const ProfileTraits kOpenAi = OpenAi();
  static const ProfileTraits kLlamaCpp = LlamaCpp();
  static const ProfileTraits kVllm = Vllm();
  static const ProfileTraits kOllama = Ollama();
  static const ProfileTraits kTgi = Tgi();
  static const ProfileTraits kLmStudio = LmStudio();
  switch (profile) {
    case Profile::kLlamaCpp:
      return kLlamaCpp;
    case Profile::kVllm:
    case Profile::kVllmLegacy:
      return kVllm;
    case Profile::kOllama:
      return kOllama;
    case Profile::kTgi:
      return kTgi;
    case Profile::kLmStudio:
      return kLmStudio;
    case Profile::kOpenAi:
      break;
  }
  return kOpenAi;
}

}  // namespace provkit::mock
