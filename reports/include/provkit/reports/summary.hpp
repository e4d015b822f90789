// Totals and gate of one results file: verdict counts, MUST/SHOULD scores, what gates and why.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "provkit/reports/results.hpp"

namespace provkit::reports {

/// How many clauses got each verdict.
class VerdictCounts {
 public:
  void Add(Verdict verdict) { ++counts_[static_cast<std::size_t>(verdict)]; }
  int operator[](Verdict verdict) const { return counts_[static_cast<std::size_t>(verdict)]; }
  int Total() const;

 private:
  std::array<int, 6> counts_{};
};

/// Every verdict, best first (the display and severity order of provkit::Verdict).
inline constexpr std::array<Verdict, 6> kAllVerdicts = {Verdict::kPass, Verdict::kInfo,
                                                        Verdict::kSkip, Verdict::kNonStrict,
                                                        Verdict::kFail, Verdict::kError};

/// What one clause result does to the gate.
enum class ClauseGate {
  kClear,      ///< Does not gate.
  kGates,      ///< FAIL or ERROR (or NON-STRICT under --strict), not in the baseline.
  kBaselined,  ///< Would gate, but the baseline lists it: does not gate.
  kStale,      ///< The baseline lists it and it now PASSes: gates.
};

/// The gate of one clause result under `strict`.
ClauseGate GateOf(const ClauseResult& clause, bool strict);

/// The summary of one results file. Clause ID lists are in catalog order.
struct Summary {
  VerdictCounts counts;
  /// Judged clauses (any verdict but SKIP and INFO) and those whose required
  /// part held (PASS or NON-STRICT).
  int must_passed = 0;
  int must_total = 0;
  /// Judged clauses that have a strict part, and those that PASSed.
  int should_passed = 0;
  int should_total = 0;

  std::vector<std::string> gating;  ///< ClauseGate::kGates.
  /// The ERROR verdicts among `gating`: the harness could not judge them.
  std::vector<std::string> harness_errors;
  std::vector<std::string> baselined;  ///< ClauseGate::kBaselined.
  std::vector<std::string> stale;      ///< ClauseGate::kStale.
  /// Expected (the selection, else every catalog clause for the subject's
  /// kind) but absent. Always empty for a shard, which holds part of a run.
  std::vector<std::string> missing;
  /// Present but not expected: not in the selection, or not for this kind.
  std::vector<std::string> unexpected;
  /// No clause got PASS, NON-STRICT or FAIL.
  bool nothing_judged = false;

  /// Nothing judged, or the executed clauses differ from the expected ones:
  /// the run as a whole is an ERROR.
  bool Incomplete() const { return nothing_judged || !missing.empty() || !unexpected.empty(); }
  /// Whether this run fails CI: a gating or stale clause, or Incomplete().
  bool Gates() const { return !gating.empty() || !stale.empty() || Incomplete(); }
  /// The worst verdict among the clauses; ERROR when Incomplete().
  Verdict Worst() const;
  /// How many clauses fail the gate: gating, stale, missing and unexpected
  /// ones (a run that judged nothing gates without a clause to count).
  int GatingClauses() const;
  /// The exit code `provkit conform` gives this run: kExitHarnessError when
  /// Incomplete() or a gating clause is an ERROR, else kExitGateFails when
  /// Gates(), else kExitGatePasses.
  int ExitCode() const;
};

/// Exit codes of `provkit conform` (docs/conformance.md), as Summary::ExitCode() gives them.
inline constexpr int kExitGatePasses = 0;    ///< Nothing gates.
inline constexpr int kExitGateFails = 1;     ///< Contract failures gate (FAIL, stale baseline...).
inline constexpr int kExitHarnessError = 2;  ///< A gating ERROR, or an incomplete run.

/// Summarizes `results`; `strict` makes NON-STRICT gate (--strict).
Summary Summarize(const Results& results, bool strict);

/// The clause IDs a run of `results` was expected to execute, in catalog
/// order: its selection, else every clause that applies to its subject kind.
std::vector<std::string> ExpectedClauses(const Results& results);

}  // namespace provkit::reports
