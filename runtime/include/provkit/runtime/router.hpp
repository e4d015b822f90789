// llama.cpp router mode: asking a server to load a model, for `provkit check --load`.
#pragma once

#include <optional>
#include <string>

#include "provkit/runtime/config.hpp"

namespace provkit {

/// What a server said to one load request.
struct ModelLoadAnswer {
  /// The server took the request: 200 (loading starts), or 400 saying the model already runs.
  bool accepted = false;
  std::optional<int> status;  ///< Nullopt when no answer arrived (the message says why).
  std::string message;        ///< For a person: the server's words, clipped and printable.
};

/// Sends `POST <server root>/models/load {"model": model}` once, as a llama.cpp router expects
/// (tools/server/server-models.cpp: the model moves from "unloaded" to "loading" to "loaded").
/// This changes the server, so it is never part of the readiness probe (contract R11): only an
/// explicit request, such as `provkit check --load`, sends it. Uses `config`'s base URL, key
/// (bearer), connect timeout and request timeout; reads at most 64 KiB of the answer. Never
/// throws for the server's answer or a transport failure; throws ConfigurationError for an
/// invalid `config`. Thread-safe (one connection per call).
ModelLoadAnswer RequestModelLoad(const Config& config, const std::string& model);

}  // namespace provkit
