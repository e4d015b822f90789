// What the human reports share: current runs and history, matrix rows and gate-aware cells,
// findings.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "provkit/reports/results.hpp"
#include "provkit/reports/summary.hpp"

namespace provkit::reports::model {

/// Seconds since 1970 of an RFC 3339 timestamp as the reader accepts it
/// ("2025-01-31T12:00:00Z", fractions, "+hh:mm" offsets); empty otherwise.
std::optional<double> TimestampSeconds(std::string_view timestamp);

/// Which runs are current: for each run, whether no other run of the same
/// subject (name and kind) is later (by generated_at; on a tie, the one given
/// later wins). The gate, the banner and the findings are about current runs;
/// earlier runs of a subject are its history.
std::vector<bool> CurrentRuns(std::span<const Results> runs);

/// The outcome of a set of runs, over the current ones.
struct GateOutcome {
  int exit_code = kExitGatePasses;  ///< The worst Summary::ExitCode() of the current runs.
  int gating_clauses = 0;           ///< Summary::GatingClauses() summed over the current runs.
  int subjects = 0;                 ///< Current runs.
  int failing_subjects = 0;         ///< Current runs whose Summary::Gates().
  int earlier_runs = 0;             ///< Runs that are not current (history).
};

GateOutcome OutcomeOf(std::span<const Summary> summaries, const std::vector<bool>& current);

/// The clauses of one group shown in the matrix, in catalog order.
struct MatrixGroup {
  ClauseGroup group;
  std::vector<const Clause*> clauses;
};

/// The clauses to show for `runs`: those expected of or present in at least
/// one run, grouped R, S, W; empty groups are left out.
std::vector<MatrixGroup> MatrixGroups(std::span<const Results> runs);

/// What a cell (or a finding) means for the gate, the basis of its icon and style.
enum class Mark {
  kGates,         ///< Fails the gate: FAIL, NON-STRICT under --strict, a stale baseline entry.
  kHarnessError,  ///< Fails the gate as exit 2: a gating ERROR, a clause not run or unexpected.
  kBaselined,     ///< Would gate, but the baseline lists it: does not gate (muted).
  kWarning,       ///< NON-STRICT without --strict: does not gate.
  kPass,
  kInfo,
  kSkip,
  kNotApplicable,  ///< The clause does not apply to this kind of subject.
};

/// Whether a mark fails the gate.
inline bool MarkGates(Mark mark) { return mark == Mark::kGates || mark == Mark::kHarnessError; }

/// One cell of the matrix.
struct Cell {
  enum class State { kVerdict, kNotRun, kNotApplicable };
  State state = State::kNotApplicable;
  const ClauseResult* result = nullptr;  ///< Set for kVerdict.
  ClauseGate gate = ClauseGate::kClear;
  bool unexpected = false;  ///< Present but not expected of the run: it makes the run incomplete.
  Mark mark = Mark::kNotApplicable;
};

Cell CellOf(const Results& run, const Clause& clause, bool strict);

/// The short label of a cell: "PASS", "FAIL", "STALE", "not run", "n/a".
std::string CellLabel(const Cell& cell);
/// What the label leaves out: "baselined", "PASS in baseline", "unexpected", or empty.
std::string CellNote(const Cell& cell);
/// CSS class suffix of a verdict.
std::string_view VerdictSlug(Verdict verdict);
/// How bad a verdict is when two runs are compared: PASS and INFO 0, SKIP 1, NON-STRICT 2, FAIL
/// and ERROR 3. A change to 2 or more is a regression.
int ChangeRank(Verdict verdict);
/// CSS class suffix of a mark: "gates", "error", "baselined", "warning", "pass", ...
std::string_view MarkSlug(Mark mark);
/// The plain-text glyph the HTML shows for a mark (no emoji font needed).
std::string_view MarkGlyph(Mark mark);
/// The Markdown emoji of a mark; "·" for kNotApplicable.
std::string_view MarkEmoji(Mark mark);
/// The mark of a verdict that does not gate and has no baseline.
Mark ClearMark(Verdict verdict);

/// One thing to list before the matrix.
struct Finding {
  std::size_t run = 0;
  std::string clause_id;  ///< Empty for run-wide findings (nothing judged).
  std::string label;      ///< "FAIL", "STALE BASELINE", "NOT RUN", ...
  std::string reason;     ///< One line, not escaped.
  bool gates = false;
  Verdict severity = Verdict::kError;  ///< Colour of the label.
  Mark mark = Mark::kGates;
  bool has_evidence = false;  ///< The run has a result for clause_id (an evidence card).
};

/// Gating findings of the current runs first, then the others (NON-STRICT
/// that does not gate, baselined failures); within each, by run, then catalog
/// order. Runs that are not current are left out.
std::vector<Finding> Findings(std::span<const Results> runs, std::span<const Summary> summaries,
                              const std::vector<bool>& current, bool strict);

/// The anchor of a verdict's evidence in the HTML report: "e<run>-<clause>".
std::string EvidenceId(std::size_t run, std::string_view clause_id);
/// The anchor of a clause's matrix row: "c-<clause>".
std::string MatrixRowId(std::string_view clause_id);
/// The anchor of a run's evidence section: "s<run>".
std::string SubjectId(std::size_t run);
/// Where a finding links to in the HTML report: its evidence, else its matrix
/// row, else (run-wide) its subject.
std::string FindingAnchor(const Finding& finding);

/// Several runs of one subject, in time order, and the clauses whose verdict changed.
struct History {
  std::string subject;
  SubjectKind kind = SubjectKind::kCpp;
  std::vector<std::size_t> runs;  ///< Indices into the runs, earliest first.

  /// A clause whose verdict differs between two consecutive runs.
  struct Row {
    const Clause* clause = nullptr;
    /// Its verdict in each run of `runs`; empty where the run has no result.
    std::vector<std::optional<Verdict>> verdicts;
    /// For each run of `runs` but the first: whether the verdict differs from the run before.
    std::vector<bool> changed;
  };
  std::vector<Row> rows;  ///< Catalog order.
  int unchanged = 0;      ///< Clauses with the same verdict in every run.
};

/// One History for every subject given more than once, in the order subjects first appear.
std::vector<History> Histories(std::span<const Results> runs);

/// -1 when `after` is better than `before`, 1 when worse, 0 otherwise (the
/// order of `provkit report diff`: PASS and INFO < SKIP < NON-STRICT < FAIL and
/// ERROR; a missing verdict counts as worst).
int Direction(const std::optional<Verdict>& before, const std::optional<Verdict>& after);

}  // namespace provkit::reports::model
