// Profile traits: the behaviours (not the shapes) in which the imitated servers differ, one row
// each.
#pragma once

#include <string_view>

#include "provkit/mockserver/profile.hpp"

namespace provkit::mock {

/// How one server family behaves where behaviour, not just a body's shape, differs.
/// docs/mockserver.md (Profiles, Fidelity) says where each value comes from.
struct ProfileTraits {
  /// A chat request without `model` is answered by the first model (else 400).
  bool model_optional = false;
  /// Any model name is accepted and answered (tgi; llama.cpp outside router mode, see
  /// AcceptsAnyModel).
  bool any_model = false;
  /// While loading, every endpoint the server serves answers 503 before anything else is
  /// looked at (llama.cpp), instead of /health and chat after the request was read.
  bool loading_blocks_everything = false;
  /// A chat body that is not JSON answers 500 server_error with the parser's message (llama.cpp).
  bool bad_json_is_server_error = false;
  /// `messages: []` is accepted (llama.cpp).
  bool empty_messages_ok = false;
  /// The first stream chunk says "content": null instead of "".
  bool role_chunk_content_null = false;
  /// `data: [DONE]` follows an error event in a stream.
  bool done_after_stream_error = false;
  /// A known path with the wrong method answers the profile's 404 (llama.cpp routes by method).
  bool wrong_method_is_not_found = false;
  /// The API key is also accepted bare in Authorization and in X-Api-Key (llama.cpp).
  bool lenient_api_key = false;
  /// The Content-Type of JSON answers.
  std::string_view json_type = "application/json";
  /// The Server header of every answer; empty: none.
  std::string_view server_header;
};

/// The row of `profile`.
const ProfileTraits& TraitsOf(Profile profile) noexcept;

}  // namespace provkit::mock
