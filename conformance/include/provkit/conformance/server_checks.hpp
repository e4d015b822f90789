// Server checks: the W clauses, judged against a live OpenAI-compatible server by URL.
#pragma once

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
};

/// Judges one W clause against `target`. Never throws: an unreachable server
/// FAILs the clauses that need an answer, with the URL in the reason.
reports::ClauseResult JudgeServerClause(std::string_view clause_id, const ServerTarget& target);

/// Runs the selected W clauses (nullopt: all), then the reference probe
/// (LocalProvider's check_ready) whose record lands in the configuration as
/// "reference_probe". Never throws.
reports::Results RunServerChecks(const ServerTarget& target,
                                 const std::optional<std::vector<std::string>>& clauses,
                                 const ProgressCallback& progress = {});

/// The reference probe's verdict on `target` (the local provider's check_ready).
ProviderReadiness ReferenceProbe(const ServerTarget& target);

}  // namespace provkit::conformance
