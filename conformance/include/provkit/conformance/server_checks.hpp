// Server checks: the W clauses, judged against a live OpenAI-compatible server by URL.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "provkit/conformance/judge.hpp"
#include "provkit/reports/results.hpp"
#include "provkit/runtime/readiness.hpp"

namespace provkit::conformance {

/// Where the live server is and how to talk to it.
struct ServerTarget {
  std::string base_url;              ///< The API root, e.g. http://127.0.0.1:8080/v1.
  std::optional<std::string> model;  ///< For chat requests; else the first listed id.
  std::string api_key;               ///< Sent as a bearer token when non-empty.
  /// Time for one whole exchange (connect, send, headers and body or stream).
  std::chrono::milliseconds request_timeout{10000};
  /// Time for all the exchanges of one clause together.
  std::chrono::milliseconds clause_budget{60000};
};

/// Nullopt when `base_url` is something the W checks can talk to: an http://
/// URL with a host (and optional port and path) free of spaces and control
/// characters. Otherwise a one-line error a CLI can print as a usage error:
/// not a URL, https (TLS is not supported), or characters that cannot go on
/// the wire.
std::optional<std::string> ValidateServerUrl(std::string_view base_url);

/// Judges one W clause against `target`. Never throws, never hangs: every
/// exchange is bounded by target.request_timeout, the clause by
/// target.clause_budget, and answers by size caps (64 KiB of headers, 4 MiB of
/// body, 10,000 events or 4 MiB of stream). A server that cannot be reached or
/// breaks HTTP FAILs the clauses that need an answer, with the problem named;
/// a target ValidateServerUrl refuses is an ERROR with its reason. Evidence
/// quotes server text only as clipped, printable excerpts.
reports::ClauseResult JudgeServerClause(std::string_view clause_id, const ServerTarget& target);

/// Runs the selected W clauses (nullopt: all of the catalog's), then the
/// reference probe (LocalProvider's check_ready) whose record lands in the
/// configuration as "reference_probe". Without target.model, the first id the
/// listing names is used by the chat checks and the probe alike; the
/// configuration says which model was used and where it came from
/// ("model_used", "model_source"). Never throws.
reports::Results RunServerChecks(const ServerTarget& target,
                                 const std::optional<std::vector<std::string>>& clauses,
                                 const ProgressCallback& progress = {});

/// The reference probe's verdict on `target` (the local provider's check_ready
/// with target.model). Never throws: a failure becomes a not-ready record.
ProviderReadiness ReferenceProbe(const ServerTarget& target);

}  // namespace provkit::conformance
