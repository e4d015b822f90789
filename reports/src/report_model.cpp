// The matrix rows, cells and findings the human reports share.
#include "report_model.hpp"

#include <algorithm>

namespace provkit::reports::model {
namespace {

bool IsExpected(const Results& run, std::string_view clause_id) {
  const std::vector<std::string> expected = ExpectedClauses(run);
  return std::find(expected.begin(), expected.end(), clause_id) != expected.end();
}

// Position in the catalog, after the run-wide findings (empty ID) that come first.
std::size_t SortKey(std::string_view clause_id) {
  if (clause_id.empty()) return 0;
  const auto clauses = Clauses();
  for (std::size_t i = 0; i < clauses.size(); ++i) {
    if (clauses[i].id == clause_id) return i + 1;
  }
  return clauses.size() + 1;
}

}  // namespace

std::vector<MatrixGroup> MatrixGroups(std::span<const Results> runs) {
  std::vector<MatrixGroup> groups;
  for (const Clause& clause : Clauses()) {
    const bool shown = std::any_of(runs.begin(), runs.end(), [&](const Results& run) {
      return run.Find(clause.id) != nullptr || IsExpected(run, clause.id);
    });
    if (!shown) continue;
    if (groups.empty() || groups.back().group != clause.group) groups.push_back({clause.group, {}});
    groups.back().clauses.push_back(&clause);
  }
  return groups;
}

Cell CellOf(const Results& run, const Clause& clause, bool strict) {
  Cell cell;
  if (const ClauseResult* result = run.Find(clause.id)) {
    cell.state = Cell::State::kVerdict;
    cell.result = result;
    cell.gate = GateOf(*result, strict);
  } else if (IsExpected(run, clause.id)) {
    cell.state = Cell::State::kNotRun;
  }
  return cell;
}

std::string CellLabel(const Cell& cell) {
  switch (cell.state) {
    case Cell::State::kVerdict:
      return std::string(VerdictName(cell.result->verdict));
    case Cell::State::kNotRun:
      return "not run";
    case Cell::State::kNotApplicable:
      return "n/a";
  }
  return "?";
}

std::string CellNote(const Cell& cell) {
  if (cell.gate == ClauseGate::kStale) return "stale baseline";
  if (cell.state == Cell::State::kVerdict && cell.result->baseline_reason) return "baseline";
  return "";
}

std::string_view VerdictSlug(Verdict verdict) {
  switch (verdict) {
    case Verdict::kPass:
      return "pass";
    case Verdict::kInfo:
      return "info";
    case Verdict::kSkip:
      return "skip";
    case Verdict::kNonStrict:
      return "nonstrict";
    case Verdict::kFail:
      return "fail";
    case Verdict::kError:
      return "error";
  }
  return "error";
}

std::string_view VerdictEmoji(Verdict verdict) {
  switch (verdict) {
    case Verdict::kPass:
      return "\xE2\x9C\x85";  // white heavy check mark
    case Verdict::kInfo:
      return "\xE2\x84\xB9\xEF\xB8\x8F";  // information source
    case Verdict::kSkip:
      return "\xE2\x8F\xAD\xEF\xB8\x8F";  // next track
    case Verdict::kNonStrict:
      return "\xE2\x9A\xA0\xEF\xB8\x8F";  // warning sign
    case Verdict::kFail:
      return "\xE2\x9D\x8C";  // cross mark
    case Verdict::kError:
      return "\xF0\x9F\x9B\x91";  // octagonal sign
  }
  return "";
}

std::vector<Finding> Findings(std::span<const Results> runs, std::span<const Summary> summaries,
                              bool strict) {
  std::vector<Finding> findings;
  for (std::size_t run = 0; run < runs.size(); ++run) {
    const Results& results = runs[run];
    const Summary& summary = summaries[run];
    if (summary.nothing_judged) {
      findings.push_back(
          {run, "", "NOTHING JUDGED",
           "no clause got PASS, NON-STRICT or FAIL: a run that judged nothing is an ERROR", true,
           Verdict::kError});
    }
    for (const std::string& id : summary.missing) {
      findings.push_back({run, id, "NOT RUN",
                          "expected of this subject but absent from the results", true,
                          Verdict::kError});
    }
    for (const std::string& id : summary.unexpected) {
      findings.push_back(
          {run, id, "UNEXPECTED",
           results.selection ? "run although not in the run's selection"
                             : "run although it does not apply to " +
                                   std::string(SubjectKindName(results.subject.kind)) + " subjects",
           true, Verdict::kError});
    }
    for (const ClauseResult& clause : results.clauses) {
      const ClauseGate gate = GateOf(clause, strict);
      if (gate == ClauseGate::kGates) {
        findings.push_back({run, clause.clause_id, std::string(VerdictName(clause.verdict)),
                            clause.reason, true, clause.verdict});
      } else if (gate == ClauseGate::kStale) {
        findings.push_back({run, clause.clause_id, "STALE BASELINE",
                            "listed in the baseline (" + *clause.baseline_reason +
                                ") but now passes: remove it from the baseline",
                            true, Verdict::kFail});
      } else if (gate == ClauseGate::kBaselined) {
        findings.push_back({run, clause.clause_id,
                            std::string(VerdictName(clause.verdict)) + " (baseline)",
                            clause.reason + " [baseline: " + *clause.baseline_reason + "]", false,
                            clause.verdict});
      } else if (clause.verdict == Verdict::kNonStrict) {
        findings.push_back(
            {run, clause.clause_id, "NON-STRICT", clause.reason, false, clause.verdict});
      }
    }
  }
  std::stable_sort(findings.begin(), findings.end(), [](const Finding& a, const Finding& b) {
    if (a.gates != b.gates) return a.gates;
    if (a.run != b.run) return a.run < b.run;
    return SortKey(a.clause_id) < SortKey(b.clause_id);
  });
  return findings;
}

}  // namespace provkit::reports::model
