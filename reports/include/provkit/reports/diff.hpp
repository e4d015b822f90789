// What changed between two runs of one subject: regressions first, then fixes, then timing.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "provkit/reports/results.hpp"

namespace provkit::reports {

/// When a duration change is worth reporting.
struct DiffOptions {
  /// Report a clause whose duration changed by more than this percentage...
  double timing_threshold_percent = 50;
  /// ...and by more than this many milliseconds (tiny durations are noise).
  double timing_min_ms = 5;
};

/// One clause that differs between the runs. A clause absent from a run has
/// no verdict there.
struct ClauseChange {
  std::string clause_id;
  std::optional<Verdict> old_verdict;
  std::optional<Verdict> new_verdict;
  std::string old_reason;
  std::string new_reason;
  double old_ms = 0;
  double new_ms = 0;
};

/// The differences between an old and a new run.
struct Diff {
  std::string old_subject;
  std::string new_subject;
  /// Worse than before: a verdict that became worse (PASS and INFO < SKIP <
  /// NON-STRICT < FAIL and ERROR), a new clause that is NON-STRICT, FAIL or
  /// ERROR, or a clause the new run no longer has.
  std::vector<ClauseChange> regressions;
  /// Better than before.
  std::vector<ClauseChange> fixes;
  /// Different but neither better nor worse (FAIL <-> ERROR, PASS <-> INFO),
  /// and clauses newly run with PASS, INFO or SKIP.
  std::vector<ClauseChange> changes;
  /// Same verdict, duration changed beyond DiffOptions.
  std::vector<ClauseChange> timing;
  int unchanged = 0;

  /// Whether anything regressed: what `provkit report diff` exits 1 for.
  bool Regressed() const { return !regressions.empty(); }
};

/// Compares `old_results` with `new_results`, clause by clause in catalog order.
Diff DiffResults(const Results& old_results, const Results& new_results,
                 const DiffOptions& options = {});

/// The diff for a terminal or a CI log: regressions, fixes, changes, timing.
std::string RenderDiffText(const Diff& diff);
/// The same as GitHub-flavoured Markdown, text escaped.
std::string RenderDiffMarkdown(const Diff& diff);

}  // namespace provkit::reports
