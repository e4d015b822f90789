// The profile traits table: one row per imitated server family.
#include "traits.hpp"

namespace provkit::mock {
namespace {

ProfileTraits OpenAi() { return {}; }

// Every value recorded from llama-server (mockserver/tests/data/llama.cpp/).
ProfileTraits LlamaCpp() {
  ProfileTraits traits;
  traits.model_optional = true;
  traits.any_model = true;  // outside router mode only: see AcceptsAnyModel
  traits.loading_blocks_everything = true;
  traits.bad_json_is_server_error = true;
  traits.empty_messages_ok = true;
  traits.role_chunk_content_null = true;
  traits.wrong_method_is_not_found = true;
  traits.lenient_api_key = true;
  traits.json_type = "application/json; charset=utf-8";
  traits.server_header = "llama.cpp";
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
