// JUnit XML: one testsuite per subject, one testcase per clause, failures where the gate says so.
#include "provkit/reports/junit.hpp"

#include <vector>

#include "provkit/reports/summary.hpp"
#include "text.hpp"

namespace provkit::reports {
namespace {

using text::EscapeMarkup;

constexpr std::size_t kMaxDetailBytes = 16384;
constexpr std::size_t kMaxMessageBytes = 1024;
constexpr std::size_t kMaxBodyBytes = 512;

enum class CaseOutcome { kPassed, kFailure, kError, kSkipped };

struct Case {
  std::string name;
  std::string classname;
  double seconds = 0;
  CaseOutcome outcome = CaseOutcome::kPassed;
  std::string type;     // failure/error type attribute
  std::string message;  // one line
  std::string details;  // element body
  std::vector<std::pair<std::string, std::string>> properties;
};

std::string Seconds(double seconds) { return text::FormatNumber(seconds, 3); }

std::string Attribute(std::string_view raw) {
  return EscapeMarkup(text::Excerpt(text::OneLine(raw), kMaxMessageBytes));
}

std::string Details(const ClauseResult& clause) {
  std::string out;
  if (!clause.reason.empty()) out += clause.reason + "\n";
  for (const std::string& item : EvidenceItems(clause.evidence.expected))
    out += "expected: " + item + "\n";
  for (const std::string& item : EvidenceItems(clause.evidence.observed))
    out += "observed: " + item + "\n";
  for (const std::string& sentence : clause.evidence.invariants)
    out += "invariant: " + sentence + "\n";
  for (const RequestRecord& request : clause.evidence.requests) {
    out += "request: connection " + std::to_string(request.connection) + " " + request.method +
           " " + request.path + " -> " +
           (request.status ? std::to_string(*request.status) : std::string("no answer")) + "\n";
    if (request.response_body && !request.response_body->empty()) {
      out += "  response: " + text::Excerpt(text::OneLine(*request.response_body), kMaxBodyBytes) +
             "\n";
    }
  }
  return text::Excerpt(out, kMaxDetailBytes);
}

Case ClauseCase(const Results& results, const ClauseResult& clause, bool strict) {
  const Clause* catalog = FindClause(clause.clause_id);
  Case test;
  test.name = clause.clause_id + " " + std::string(catalog != nullptr ? catalog->title : "");
  test.classname = results.subject.name + "." +
                   std::string(catalog != nullptr ? GroupLetter(catalog->group) : "?");
  test.seconds = clause.duration_ms / 1000;
  test.properties = {{"clause", clause.clause_id},
                     {"verdict", std::string(VerdictName(clause.verdict))}};
  if (clause.baseline_reason) test.properties.emplace_back("baseline", *clause.baseline_reason);
  test.details = Details(clause);
  switch (GateOf(clause, strict)) {
    case ClauseGate::kStale:
      test.outcome = CaseOutcome::kFailure;
      test.type = "STALE-BASELINE";
      test.message = "listed in the baseline (" + *clause.baseline_reason +
                     ") but now passes: remove it from the baseline";
      return test;
    case ClauseGate::kBaselined:
      test.outcome = CaseOutcome::kSkipped;
      test.message = "known failure in the baseline (" + *clause.baseline_reason +
                     "): " + std::string(VerdictName(clause.verdict)) + ": " + clause.reason;
      return test;
    case ClauseGate::kGates:
      test.outcome =
          clause.verdict == Verdict::kError ? CaseOutcome::kError : CaseOutcome::kFailure;
      test.type = std::string(VerdictName(clause.verdict));
      test.message = clause.reason;
      return test;
    case ClauseGate::kClear:
      break;
  }
  if (clause.verdict == Verdict::kSkip) {
    test.outcome = CaseOutcome::kSkipped;
    test.message = clause.reason;
  }
  return test;
}

void WriteCase(std::string& out, const Case& test) {
  out += "    <testcase name=\"" + EscapeMarkup(test.name) + "\" classname=\"" +
         EscapeMarkup(test.classname) + "\" time=\"" + Seconds(test.seconds) + "\">\n";
  if (!test.properties.empty()) {
    out += "      <properties>\n";
    for (const auto& [name, value] : test.properties) {
      out += "        <property name=\"" + EscapeMarkup(name) + "\" value=\"" + Attribute(value) +
             "\"/>\n";
    }
    out += "      </properties>\n";
  }
  switch (test.outcome) {
    case CaseOutcome::kFailure:
    case CaseOutcome::kError: {
      const std::string element = test.outcome == CaseOutcome::kFailure ? "failure" : "error";
      out += "      <" + element + " message=\"" + Attribute(test.message) + "\" type=\"" +
             EscapeMarkup(test.type) + "\">" + EscapeMarkup(test.details) + "</" + element + ">\n";
      break;
    }
    case CaseOutcome::kSkipped:
      out += "      <skipped message=\"" + Attribute(test.message) + "\"/>\n";
      break;
    case CaseOutcome::kPassed:
      if (!test.details.empty())
        out += "      <system-out>" + EscapeMarkup(test.details) + "</system-out>\n";
      break;
  }
  out += "    </testcase>\n";
}

struct Suite {
  std::vector<Case> cases;
  int failures = 0;
  int errors = 0;
  int skipped = 0;
  double seconds = 0;
};

Suite MakeSuite(const Results& results, bool strict) {
  Suite suite;
  const Summary summary = Summarize(results, strict);
  if (summary.Incomplete()) {
    Case coverage;
    coverage.name = "coverage";
    coverage.classname = results.subject.name + ".run";
    coverage.outcome = CaseOutcome::kError;
    coverage.type = "ERROR";
    std::string message;
    if (summary.nothing_judged) message = "nothing was judged";
    auto list = [&message](std::string_view what, const std::vector<std::string>& ids) {
      if (ids.empty()) return;
      if (!message.empty()) message += "; ";
      message += std::string(what) + ":";
      for (const std::string& id : ids) message += " " + id;
    };
    list("expected but not run", summary.missing);
    list("run but not expected", summary.unexpected);
    coverage.message = "the executed clauses differ from the expected ones: " + message;
    coverage.details = coverage.message;
    suite.cases.push_back(std::move(coverage));
  }
  for (const Clause& clause : Clauses()) {
    if (const ClauseResult* result = results.Find(clause.id)) {
      suite.cases.push_back(ClauseCase(results, *result, strict));
      suite.seconds += result->duration_ms / 1000;
    }
  }
  for (const Case& test : suite.cases) {
    suite.failures += test.outcome == CaseOutcome::kFailure ? 1 : 0;
    suite.errors += test.outcome == CaseOutcome::kError ? 1 : 0;
    suite.skipped += test.outcome == CaseOutcome::kSkipped ? 1 : 0;
  }
  return suite;
}

}  // namespace

std::string RenderJunit(std::span<const Results> runs, const ReportOptions& options) {
  std::vector<Suite> suites;
  Suite totals;
  std::size_t tests = 0;
  for (const Results& results : runs) {
    suites.push_back(MakeSuite(results, options.strict));
    totals.failures += suites.back().failures;
    totals.errors += suites.back().errors;
    totals.skipped += suites.back().skipped;
    totals.seconds += suites.back().seconds;
    tests += suites.back().cases.size();
  }
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"" +
                    EscapeMarkup(options.title) + "\" tests=\"" + std::to_string(tests) +
                    "\" failures=\"" + std::to_string(totals.failures) + "\" errors=\"" +
                    std::to_string(totals.errors) + "\" skipped=\"" +
                    std::to_string(totals.skipped) + "\" time=\"" + Seconds(totals.seconds) +
                    "\">\n";
  for (std::size_t run = 0; run < runs.size(); ++run) {
    const Results& results = runs[run];
    const Suite& suite = suites[run];
    out += "  <testsuite name=\"" + EscapeMarkup(results.subject.name) + "\" tests=\"" +
           std::to_string(suite.cases.size()) + "\" failures=\"" + std::to_string(suite.failures) +
           "\" errors=\"" + std::to_string(suite.errors) + "\" skipped=\"" +
           std::to_string(suite.skipped) + "\" time=\"" + Seconds(suite.seconds) +
           "\" timestamp=\"" + EscapeMarkup(results.generated_at) + "\" hostname=\"" +
           EscapeMarkup(results.machine.hostname) + "\">\n    <properties>\n";
    std::vector<std::pair<std::string, std::string>> properties = {
        {"subject_kind", std::string(SubjectKindName(results.subject.kind))},
        {"subject_description", results.subject.description},
        {"provkit_version", results.provkit_version},
        {"contract_version", std::to_string(results.contract_version)},
        {"strict", options.strict ? "true" : "false"},
    };
    for (const auto& [name, supported] : results.subject.capabilities) {
      properties.emplace_back("capability." + name, supported ? "true" : "false");
    }
    for (const auto& [name, value] : properties) {
      out +=
          "      <property name=\"" + Attribute(name) + "\" value=\"" + Attribute(value) + "\"/>\n";
    }
    out += "    </properties>\n";
    for (const Case& test : suite.cases) WriteCase(out, test);
    out += "  </testsuite>\n";
  }
  out += "</testsuites>\n";
  return out;
}

}  // namespace provkit::reports
