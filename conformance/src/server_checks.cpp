// The public face of the W checks: URL validation, one clause by URL, a whole run with its model
// and probe.
#include "provkit/conformance/server_checks.hpp"

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>

#include "provkit/conformance/interrupt.hpp"
#include "provkit/runtime/config.hpp"
#include "provkit/runtime/session.hpp"
#include "provkit/support/redact.hpp"
#include "wire_checks.hpp"

namespace provkit::conformance {
namespace {

using nlohmann::json;

bool HostCharacter(unsigned char c) {
  return std::isalnum(c) != 0 || c == '.' || c == '-' || c == '_' || c == ':' || c == '%';
}

bool PathCharacter(unsigned char c) { return c > 0x20 && c < 0x7F; }

double MsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

reports::ClauseResult ErrorResult(std::string_view clause_id, const std::string& reason) {
  return reports::ClauseBuilder(clause_id).Error(reason);
}

}  // namespace

std::optional<std::string> ValidateServerUrl(std::string_view base_url) {
  const std::string shown = "'" + wire::Printable(support::RedactUrls(base_url), 200) + "'";
  const std::size_t scheme_end = base_url.find("://");
  const std::string_view rest =
      scheme_end == std::string_view::npos ? std::string_view() : base_url.substr(scheme_end + 3);
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.find('@') != std::string_view::npos) {
    return shown +
           ": credentials in the URL are not sent; give the token with --api-key or "
           "$PROVKIT_API_KEY";
  }
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return shown +
           ": a base URL has no query or fragment (they would not be sent); give a token "
           "with --api-key or $PROVKIT_API_KEY";
  }
  const std::optional<Url> url = ParseUrl(base_url);
  if (!url) {
    return shown + " is not an http:// URL with a host (expected e.g. http://127.0.0.1:8080/v1)";
  }
  if (!authority.empty() && authority.back() == ':') {
    return shown + ": the port after ':' is empty";
  }
  if (url->scheme != "http") {
    return shown +
           ": https is not supported (the wire checks speak plain HTTP/1.1, TLS is not "
           "implemented); check the server on an http:// address";
  }
  if (!std::all_of(url->host.begin(), url->host.end(),
                   [](char c) { return HostCharacter(static_cast<unsigned char>(c)); })) {
    return shown + ": the host holds characters a host name cannot have";
  }
  if (!std::all_of(url->path.begin(), url->path.end(),
                   [](char c) { return PathCharacter(static_cast<unsigned char>(c)); })) {
    return shown + ": the path holds spaces or control characters (percent-encode them)";
  }
  return std::nullopt;
}

namespace {

/// The listing a whole run fetched once, shared by its clauses.
struct Listing {
  std::optional<std::vector<std::string>> ids;
  std::string problem;
};

reports::ClauseResult Judge(std::string_view clause_id, const ServerTarget& target,
                            const Listing* listing) {
  const auto start = std::chrono::steady_clock::now();
  reports::ClauseResult result;
  const Clause* clause = FindClause(clause_id);
  if (clause == nullptr) {
    result.clause_id = std::string(clause_id);
    result.reason = "clause '" + std::string(clause_id) + "' is not in the contract catalog";
    return result;
  }
  const internal::WireCheckFn check = internal::WireCheck(clause_id);
  if (check == nullptr) {
    result = ErrorResult(clause_id, "no server check for " + std::string(clause_id));
  } else if (const std::optional<std::string> invalid = ValidateServerUrl(target.base_url)) {
    result = ErrorResult(clause_id, *invalid);
  } else if (target.request_timeout.count() <= 0 || target.clause_budget.count() <= 0) {
    result = ErrorResult(clause_id, "the request timeout and the clause budget must be positive");
  } else {
    try {
      internal::WireRun run(clause_id, target, *ParseUrl(target.base_url));
      if (listing != nullptr) run.UseListing(listing->ids, listing->problem);
      check(run);
      result = run.Finish(0);
    } catch (const std::exception& error) {
      result = ErrorResult(clause_id,
                           std::string("harness failure: ") + wire::Printable(error.what(), 300));
    }
  }
  result.duration_ms = MsSince(start);
  return result;
}

}  // namespace

reports::ClauseResult JudgeServerClause(std::string_view clause_id, const ServerTarget& target) {
  return Judge(clause_id, target, nullptr);
}

ProviderReadiness ReferenceProbe(const ServerTarget& target) {
  Config config;
  config.base_url = target.base_url;
  config.model = target.model;
  config.api_key = target.api_key;
  try {
    return CheckReady(config);
  } catch (const std::exception& error) {
    return {.ready = false,
            .provider = "local",
            .message = std::string("reference probe failed: ") + error.what()};
  }
}

reports::Results RunServerChecks(const ServerTarget& target,
                                 const std::optional<std::vector<std::string>>& clauses,
                                 const ProgressCallback& progress) {
  reports::Subject subject;
  subject.name = target.base_url;
  subject.kind = SubjectKind::kServer;
  subject.description = "live server checked by URL";
  json configuration = {{"base_url", target.base_url},
                        {"model", target.model ? json(*target.model) : json(nullptr)},
                        {"api_key", target.api_key},
                        {"request_timeout_ms", target.request_timeout.count()},
                        {"clause_budget_ms", target.clause_budget.count()}};

  // The listing, fetched once for every clause, and the model the chat checks and the
  // reference probe use: the given one, else the first listed.
  ServerTarget used = target;
  std::optional<Listing> listing;
  if (!ValidateServerUrl(target.base_url) && target.request_timeout.count() > 0) {
    ServerTarget listing_target = target;
    listing_target.clause_budget = target.request_timeout;
    internal::WireRun fetch("W2", listing_target, *ParseUrl(target.base_url));
    listing = Listing{fetch.ListedIds(), fetch.listing_problem()};
    if (!target.model && listing->ids && !listing->ids->empty()) {
      used.model = listing->ids->front();
    }
  }
  if (target.model) {
    configuration["model_used"] = *target.model;
    configuration["model_source"] = "given";
  } else if (used.model) {
    configuration["model_used"] = wire::Printable(*used.model, 200);
    configuration["model_source"] = "first listed";
  } else {
    configuration["model_used"] = nullptr;
    configuration["model_source"] =
        "none: " + (listing ? listing->problem : std::string("the URL cannot be checked"));
  }

  reports::Results results = reports::NewResults(subject, configuration);
  results.selection = clauses;
  const std::vector<std::string> ids = clauses ? *clauses : ClausesFor(SubjectKind::kServer);
  int done = 0;
  for (const std::string& id : ids) {
    if (InterruptSignal() != 0) break;
    reports::ClauseResult result = Judge(id, used, listing ? &*listing : nullptr);
    ++done;
    if (progress) progress(result, done, static_cast<int>(ids.size()));
    results.Add(std::move(result));
  }
  if (const int signal = InterruptSignal()) {
    results.configuration["interrupted_by"] = SignalName(signal);
    return results;
  }
  ProviderReadiness probe = ReferenceProbe(used);
  // The record is printed by `provkit conform`: the server's words go there printable.
  if (probe.message) probe.message = wire::Printable(*probe.message, 1024);
  results.configuration["reference_probe"] = probe;
  return results;
}

}  // namespace provkit::conformance
