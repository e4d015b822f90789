// What the human reports share: the matrix's rows and cells, and the findings listed before it.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "provkit/reports/results.hpp"
#include "provkit/reports/summary.hpp"

namespace provkit::reports::model {

/// The clauses of one group shown in the matrix, in catalog order.
struct MatrixGroup {
  ClauseGroup group;
  std::vector<const Clause*> clauses;
};

/// The clauses to show for `runs`: those expected of or present in at least
/// one run, grouped R, S, W; empty groups are left out.
std::vector<MatrixGroup> MatrixGroups(std::span<const Results> runs);

/// One cell of the matrix.
struct Cell {
  enum class State { kVerdict, kNotRun, kNotApplicable };
  State state = State::kNotApplicable;
  const ClauseResult* result = nullptr;  ///< Set for kVerdict.
  ClauseGate gate = ClauseGate::kClear;
};

Cell CellOf(const Results& run, const Clause& clause, bool strict);

/// The short label of a cell: "PASS", "FAIL", "not run", "n/a".
std::string CellLabel(const Cell& cell);
/// What the label leaves out: "baseline", "stale baseline", or empty.
std::string CellNote(const Cell& cell);
/// CSS class suffix and Markdown emoji of a verdict.
std::string_view VerdictSlug(Verdict verdict);
std::string_view VerdictEmoji(Verdict verdict);

/// One thing to list before the matrix.
struct Finding {
  std::size_t run = 0;
  std::string clause_id;  ///< Empty for run-wide findings (nothing judged).
  std::string label;      ///< "FAIL", "STALE BASELINE", "NOT RUN", ...
  std::string reason;     ///< One line, not escaped.
  bool gates = false;
  Verdict severity = Verdict::kError;  ///< Colour of the label.
};

/// Gating findings of every run first, then the others (NON-STRICT that does
/// not gate, baselined failures); within each, by run, then catalog order.
std::vector<Finding> Findings(std::span<const Results> runs, std::span<const Summary> summaries,
                              bool strict);

}  // namespace provkit::reports::model
