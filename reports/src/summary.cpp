// Totals and the gate of one results file.
#include "provkit/reports/summary.hpp"

#include <algorithm>

#include "provkit/reports/baseline.hpp"

namespace provkit::reports {

int VerdictCounts::Total() const {
  int total = 0;
  for (int count : counts_) total += count;
  return total;
}

ClauseGate GateOf(const ClauseResult& clause, bool strict) {
  if (IsStale(clause)) return ClauseGate::kStale;
  if (!Gates(clause.verdict, strict)) return ClauseGate::kClear;
  return clause.baseline_reason ? ClauseGate::kBaselined : ClauseGate::kGates;
}

std::vector<std::string> ExpectedClauses(const Results& results) {
  std::vector<std::string> expected;
  for (const Clause& clause : Clauses()) {
    const bool wanted =
        results.selection
            ? std::find(results.selection->begin(), results.selection->end(), clause.id) !=
                  results.selection->end()
            : clause.AppliesTo(results.subject.kind) && clause.InVersion(results.contract_version);
    if (wanted) expected.emplace_back(clause.id);
  }
  return expected;
}

Verdict Summary::Worst() const {
  if (Incomplete()) return Verdict::kError;
  Verdict worst = Verdict::kPass;
  for (Verdict verdict : kAllVerdicts) {
    if (counts[verdict] > 0) worst = verdict;
  }
  return worst;
}

int Summary::GatingClauses() const {
  return static_cast<int>(gating.size() + stale.size() + missing.size() + unexpected.size());
}

int Summary::ExitCode() const {
  if (Incomplete() || !harness_errors.empty()) return kExitHarnessError;
  return Gates() ? kExitGateFails : kExitGatePasses;
}

Summary Summarize(const Results& results, bool strict) {
  Summary summary;
  const std::vector<std::string> expected = ExpectedClauses(results);
  for (const Clause& catalog_clause : Clauses()) {
    const ClauseResult* clause = results.Find(catalog_clause.id);
    const bool is_expected =
        std::find(expected.begin(), expected.end(), catalog_clause.id) != expected.end();
    if (clause == nullptr) {
      if (is_expected && !results.shard) summary.missing.emplace_back(catalog_clause.id);
      continue;
    }
    if (!is_expected) summary.unexpected.emplace_back(catalog_clause.id);
    summary.counts.Add(clause->verdict);
    if (clause->verdict != Verdict::kSkip && clause->verdict != Verdict::kInfo) {
      ++summary.must_total;
      if (clause->verdict == Verdict::kPass || clause->verdict == Verdict::kNonStrict)
        ++summary.must_passed;
      if (catalog_clause.HasStrictPart()) {
        ++summary.should_total;
        if (clause->verdict == Verdict::kPass) ++summary.should_passed;
      }
    }
    switch (GateOf(*clause, strict)) {
      case ClauseGate::kGates:
        summary.gating.emplace_back(catalog_clause.id);
        if (clause->verdict == Verdict::kError)
          summary.harness_errors.emplace_back(catalog_clause.id);
        break;
      case ClauseGate::kBaselined:
        summary.baselined.emplace_back(catalog_clause.id);
        break;
      case ClauseGate::kStale:
        summary.stale.emplace_back(catalog_clause.id);
        break;
      case ClauseGate::kClear:
        break;
    }
  }
  summary.nothing_judged = summary.counts[Verdict::kPass] + summary.counts[Verdict::kNonStrict] +
                               summary.counts[Verdict::kFail] ==
                           0;
  return summary;
}

}  // namespace provkit::reports
