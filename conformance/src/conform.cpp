// Conform: judging a subject, writing its results and JUnit, and the exit policy of a run.
#include "provkit/conformance/conform.hpp"

#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <system_error>

#include "provkit/conformance/interrupt.hpp"
#include "provkit/conformance/provider_subject.hpp"
#include "provkit/reports/file.hpp"
#include "provkit/reports/junit.hpp"
#include "provkit/runtime/provider.hpp"
#include "provkit/support/redact.hpp"

namespace provkit::conformance {
namespace {

// The reference provider of `dialect`, from the runtime's registry: "local-reference" for chat,
// "openai-reference" for Responses, "anthropic-reference" for Messages.
SubjectFactory ReferenceFactory(const std::string& dialect) {
  const Dialect* spoken = FindDialect(dialect);
  const std::string provider(spoken != nullptr ? spoken->provider : "local");
  Capabilities capabilities;
  capabilities.readiness = capabilities.cancellation = spoken == nullptr || spoken->has_probe;
  return [provider, capabilities] {
    return std::make_unique<ProviderSubject>(
        provider + "-reference", ProviderRegistry::Default().Find(provider), capabilities);
  };
}

reports::Results Judge(const ConformRequest& request, const ProgressCallback& progress,
                       std::optional<std::string>& reference_probe) {
  switch (request.kind) {
    case SubjectKind::kServer: {
      reports::Results results = RunServerChecks(request.server, request.selection, progress);
      const auto probe = results.configuration.find("reference_probe");
      if (probe != results.configuration.end() && probe->is_object()) {
        reference_probe = std::string(probe->value("ready", false) ? "READY" : "NOT READY") + " " +
                          probe->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      }
      return results;
    }
    case SubjectKind::kAdapter: {
      reports::Results results = RunSubject(AdapterSubjectFactory(request.adapter), request.kind,
                                            request.selection, request.options, progress);
      results.configuration["adapter"] = request.adapter.command;
      if (results.subject.name == "unknown") results.subject.name = request.adapter.command;
      return results;
    }
    case SubjectKind::kCpp:
      break;
  }
  return RunSubject(
      request.cpp_factory ? request.cpp_factory : ReferenceFactory(request.options.dialect),
      request.kind, request.selection, request.options, progress);
}

// The secrets a run knows of: the API key and $PROVKIT_API_KEY, the secret-named values of the
// adapter's command line, the server URL's credentials and query values.
support::Redactor RunRedactor(const ConformRequest& request) {
  support::Redactor redactor;
  redactor.Add(request.server.api_key);
  if (const char* key = std::getenv("PROVKIT_API_KEY")) redactor.Add(key);
  redactor.AddCommandLine(request.adapter.command);
  redactor.AddUrl(request.server.base_url);
  return redactor;
}

void RedactJson(nlohmann::json& value, const support::Redactor& redactor) {
  if (value.is_string()) {
    value = redactor.Apply(value.get_ref<const std::string&>());
  } else if (value.is_structured()) {
    for (auto& item : value) RedactJson(item, redactor);
  }
}

void Redact(reports::ClauseResult& clause, const support::Redactor& redactor) {
  const auto apply = [&redactor](std::string& text) { text = redactor.Apply(text); };
  apply(clause.reason);
  apply(clause.evidence.expected);
  apply(clause.evidence.observed);
  for (std::string& invariant : clause.evidence.invariants) apply(invariant);
  for (reports::RequestRecord& request : clause.evidence.requests) {
    apply(request.path);
    if (request.request_body) apply(*request.request_body);
    if (request.response_body) apply(*request.response_body);
  }
  if (clause.baseline_reason) apply(*clause.baseline_reason);
}

void Redact(reports::Results& results, const support::Redactor& redactor) {
  results.subject.name = redactor.Apply(results.subject.name);
  results.subject.description = redactor.Apply(results.subject.description);
  RedactJson(results.configuration, redactor);
  for (reports::ClauseResult& clause : results.clauses) Redact(clause, redactor);
}

}  // namespace

std::optional<std::string> CheckOutputs(const ConformRequest& request) {
  std::vector<std::pair<std::string, std::filesystem::path>> dirs;
  if (request.results_path.empty()) {
    dirs.emplace_back("--out", request.out_dir);
  } else {
    dirs.emplace_back("--results", request.results_path.parent_path());
  }
  if (!request.junit_path.empty()) dirs.emplace_back("--junit", request.junit_path.parent_path());
  for (const auto& [flag, dir] : dirs) {
    const std::filesystem::path where = dir.empty() ? "." : dir;
    std::error_code error;
    std::filesystem::create_directories(where, error);
    const std::filesystem::path probe =
        where / (".provkit-write-check-" + std::to_string(::getpid()));
    if (!error) {
      std::ofstream file(probe);
      if (!file) error = std::error_code(errno, std::generic_category());
    }
    if (error) {
      return flag + ": cannot write in '" + where.string() + "': " + error.message();
    }
    std::filesystem::remove(probe, error);
  }
  return std::nullopt;
}

std::string SubjectFileName(const std::string& name) {
  std::string file;
  for (const char c : name) {
    const bool keep =
        std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '.';
    const char next = keep ? c : '-';
    if (next == '-' && !file.empty() && file.back() == '-') continue;
    file += next;
  }
  while (!file.empty() && (file.front() == '-' || file.front() == '.')) file.erase(0, 1);
  while (!file.empty() && file.back() == '-') file.pop_back();
  return file.empty() ? "subject" : file;
}

ConformOutcome Conform(const ConformRequest& request, const ProgressCallback& progress) {
  ConformOutcome outcome;
  const support::Redactor redactor = RunRedactor(request);
  ProgressCallback redacted_progress;
  if (progress) {
    redacted_progress = [&](const reports::ClauseResult& result, int done, int total) {
      reports::ClauseResult shown = result;
      Redact(shown, redactor);
      progress(shown, done, total);
    };
  }
  outcome.results = Judge(request, redacted_progress, outcome.reference_probe);
  if (!request.name.empty()) outcome.results.subject.name = request.name;
  Redact(outcome.results, redactor);
  if (outcome.reference_probe) outcome.reference_probe = redactor.Apply(*outcome.reference_probe);
  if (request.baseline) reports::ApplyBaseline(outcome.results, *request.baseline);

  const std::filesystem::path results_path =
      !request.results_path.empty()
          ? request.results_path
          : request.out_dir / (SubjectFileName(outcome.results.subject.name) + ".json");
  if (auto written = reports::WriteResultsFile(results_path, outcome.results); written.ok()) {
    outcome.written.emplace_back("results", results_path);
  } else {
    outcome.write_error = written.error().ToString();
  }
  if (!request.junit_path.empty() && !outcome.write_error) {
    reports::ReportOptions report_options;
    report_options.strict = request.strict;
    report_options.generated_at = outcome.results.generated_at;
    const std::vector<reports::Results> runs = {outcome.results};
    if (auto written = reports::WriteFileAtomically(request.junit_path,
                                                    reports::RenderJunit(runs, report_options));
        written.ok()) {
      outcome.written.emplace_back("junit", request.junit_path);
    } else {
      outcome.write_error = written.error().ToString();
    }
  }

  outcome.summary = reports::Summarize(outcome.results, request.strict);
  bool harness_error = outcome.summary.Incomplete() || outcome.write_error.has_value();
  for (const reports::ClauseResult& clause : outcome.results.clauses) {
    if (clause.verdict == Verdict::kError &&
        reports::GateOf(clause, request.strict) == reports::ClauseGate::kGates) {
      harness_error = true;
    }
  }
  outcome.interrupted_by = InterruptSignal();
  outcome.status = harness_error             ? ConformStatus::kHarnessError
                   : outcome.summary.Gates() ? ConformStatus::kFailures
                                             : ConformStatus::kClean;
  return outcome;
}

std::string ConformOutcome::SummaryLine() const {
  std::string totals;
  for (const Verdict verdict : reports::kAllVerdicts) {
    if (summary.counts[verdict] == 0) continue;
    totals += (totals.empty() ? "" : ", ") + std::to_string(summary.counts[verdict]) + " " +
              std::string(VerdictName(verdict));
  }
  std::string line = results.subject.name + ": " + (totals.empty() ? "nothing judged" : totals);
  if (!summary.stale.empty())
    line += "; stale baseline entries gate: " + std::to_string(summary.stale.size());
  if (interrupted_by != 0) {
    line += "; interrupted by " + SignalName(interrupted_by) + " after " +
            std::to_string(results.clauses.size()) + " clause(s)";
  } else if (summary.Incomplete()) {
    line += "; the run is incomplete (an ERROR)";
  }
  if (write_error) line += "; " + *write_error;
  return line + " -> exit " + std::to_string(ExitCode());
}

int ConformOutcome::ExitCode() const {
  return interrupted_by != 0 ? 128 + interrupted_by : static_cast<int>(status);
}

}  // namespace provkit::conformance
