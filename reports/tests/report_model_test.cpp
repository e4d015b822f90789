// Tests of the shared report model: timestamps, current runs, the outcome, gate-aware cells,
// history.
#include "report_model.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "golden.hpp"

namespace provkit::reports::model {
namespace {

using ::testing::ElementsAre;
using testing::Fixture;
using testing::ThreeSubjects;

const Clause& C(std::string_view id) { return *FindClause(id); }

TEST(ReportModelTest, TimestampSecondsReadsRfc3339WithFractionsAndOffsets) {
  EXPECT_EQ(TimestampSeconds("1970-01-01T00:00:00Z"), 0.0);
  EXPECT_EQ(TimestampSeconds("2025-03-14T12:00:00Z"), 1741953600.0);
  EXPECT_EQ(TimestampSeconds("2025-03-14T13:30:00+01:30"), 1741953600.0);
  EXPECT_EQ(TimestampSeconds("2025-03-14T10:00:00-02:00"), 1741953600.0);
  EXPECT_EQ(TimestampSeconds("2025-03-14T12:00:00.5Z"), 1741953600.5);
  EXPECT_EQ(TimestampSeconds("2025-03-14 12:00"), std::nullopt);
  EXPECT_EQ(TimestampSeconds("2025-13-14T12:00:00Z"), std::nullopt);
  EXPECT_EQ(TimestampSeconds("2025-03-14T12:00:00+0100"), std::nullopt);
  EXPECT_EQ(TimestampSeconds(""), std::nullopt);
}

TEST(ReportModelTest, TheLatestRunOfEachSubjectIsCurrent) {
  // cpp-old (2025-03-10) is given after cpp (2025-03-14): time decides, not the order.
  const std::vector<Results> runs{Fixture("cpp.results.json"), Fixture("adapter.results.json"),
                                  Fixture("cpp-old.results.json")};
  EXPECT_THAT(CurrentRuns(runs), ElementsAre(true, true, false));
  // The same time twice: the one given later wins.
  const std::vector<Results> twice{Fixture("server.results.json"), Fixture("server.results.json")};
  EXPECT_THAT(CurrentRuns(twice), ElementsAre(false, true));
  // Another kind under the same name is another subject.
  Results other = Fixture("server.results.json");
  other.subject.kind = SubjectKind::kAdapter;
  const std::vector<Results> kinds{Fixture("server.results.json"), other};
  EXPECT_THAT(CurrentRuns(kinds), ElementsAre(true, true));
}

TEST(ReportModelTest, OutcomeIsTheWorstExitCodeOfTheCurrentRuns) {
  const std::vector<Results> runs{Fixture("cpp-old.results.json"), Fixture("server.results.json"),
                                  Fixture("adapter.results.json")};
  std::vector<Summary> summaries;
  for (const Results& run : runs) summaries.push_back(Summarize(run, false));
  GateOutcome outcome = OutcomeOf(summaries, CurrentRuns(runs));
  EXPECT_EQ(outcome.exit_code, kExitHarnessError);  // cpp-old misses S9: incomplete
  EXPECT_EQ(outcome.gating_clauses, 2 + 1 + 1);     // R12 + S9 not run, W3, R16 stale
  EXPECT_EQ(outcome.failing_subjects, 3);
  // With the later cpp run given too, cpp-old is history and does not count.
  const std::vector<Results> with_new{Fixture("cpp-old.results.json"),
                                      Fixture("server.results.json")};
  summaries = {Summarize(with_new[0], false), Summarize(with_new[1], false)};
  outcome = OutcomeOf(summaries, {false, true});
  EXPECT_EQ(outcome.exit_code, kExitGateFails);
  EXPECT_EQ(outcome.gating_clauses, 1);
  EXPECT_EQ(outcome.subjects, 1);
  EXPECT_EQ(outcome.earlier_runs, 1);
}

TEST(ReportModelTest, CellsSayWhatTheyDoToTheGate) {
  const std::vector<Results> runs = ThreeSubjects();
  const Results& cpp = runs[0];
  const Results& adapter = runs[1];
  EXPECT_EQ(CellOf(cpp, C("R1"), false).mark, Mark::kPass);
  EXPECT_EQ(CellOf(cpp, C("R9"), false).mark, Mark::kGates);
  EXPECT_EQ(CellOf(cpp, C("R14"), false).mark, Mark::kHarnessError);
  EXPECT_EQ(CellOf(cpp, C("R7"), false).mark, Mark::kWarning);
  EXPECT_EQ(CellOf(cpp, C("R7"), true).mark, Mark::kGates);
  EXPECT_EQ(CellOf(cpp, C("S9"), false).mark, Mark::kSkip);
  EXPECT_EQ(CellOf(cpp, C("W1"), false).mark, Mark::kNotApplicable);
  // A baselined FAIL is muted; a stale entry (PASS, listed) gates and says STALE.
  const Cell baselined = CellOf(cpp, C("S5"), false);
  EXPECT_EQ(baselined.mark, Mark::kBaselined);
  EXPECT_FALSE(MarkGates(baselined.mark));
  EXPECT_EQ(CellNote(baselined), "baselined");
  const Cell stale = CellOf(adapter, C("R16"), false);
  EXPECT_EQ(stale.mark, Mark::kGates);
  EXPECT_EQ(CellLabel(stale), "STALE");
  EXPECT_EQ(CellNote(stale), "PASS in baseline");
  // Not run and unexpected make the run incomplete: harness errors.
  Results missing = cpp;
  missing.clauses.erase(missing.clauses.begin());
  EXPECT_EQ(CellOf(missing, C("R1"), false).mark, Mark::kHarnessError);
  EXPECT_EQ(CellLabel(CellOf(missing, C("R1"), false)), "not run");
  Results unexpected = cpp;
  unexpected.Add(ClauseBuilder("W1").Pass());
  const Cell extra = CellOf(unexpected, C("W1"), false);
  EXPECT_TRUE(extra.unexpected);
  EXPECT_EQ(extra.mark, Mark::kHarnessError);
  EXPECT_EQ(CellNote(extra), "unexpected");
  // A shard holds part of a run: a clause it lacks is not "not run" and does not gate.
  Results shard = Fixture("shard-0.results.json");
  for (const Clause& clause : Clauses()) {
    if (shard.Find(clause.id) == nullptr) {
      EXPECT_FALSE(MarkGates(CellOf(shard, clause, false).mark)) << clause.id;
    }
  }
}

TEST(ReportModelTest, FindingsLeaveOutEarlierRunsAndCarryGateAwareMarks) {
  const std::vector<Results> runs{Fixture("cpp-old.results.json"), Fixture("cpp.results.json")};
  const std::vector<Summary> summaries{Summarize(runs[0], false), Summarize(runs[1], false)};
  const std::vector<Finding> findings = Findings(runs, summaries, CurrentRuns(runs), false);
  ASSERT_FALSE(findings.empty());
  for (const Finding& finding : findings) EXPECT_EQ(finding.run, 1u) << finding.clause_id;
  EXPECT_EQ(findings[0].clause_id, "R9");
  EXPECT_EQ(findings[0].mark, Mark::kGates);
  EXPECT_EQ(FindingAnchor(findings[0]), "e1-R9");
  EXPECT_EQ(findings[1].clause_id, "R14");
  EXPECT_EQ(findings[1].mark, Mark::kHarnessError);
  const auto s5 = std::find_if(findings.begin(), findings.end(),
                               [](const Finding& finding) { return finding.clause_id == "S5"; });
  ASSERT_NE(s5, findings.end());
  EXPECT_EQ(s5->mark, Mark::kBaselined);
  EXPECT_FALSE(s5->gates);
  // A clause that is not run has no evidence: its finding links to the matrix row.
  Results missing = runs[1];
  missing.clauses.erase(missing.clauses.begin());
  const std::vector<Results> one{missing};
  const std::vector<Summary> one_summary{Summarize(missing, false)};
  const std::vector<Finding> not_run = Findings(one, one_summary, {true}, false);
  EXPECT_EQ(not_run[0].label, "NOT RUN");
  EXPECT_EQ(FindingAnchor(not_run[0]), "c-R1");
}

TEST(ReportModelTest, HistoryListsTheClausesWhoseVerdictChanged) {
  // Given newest first: the history still runs earliest first.
  const std::vector<Results> runs{Fixture("cpp.results.json"), Fixture("server.results.json"),
                                  Fixture("cpp-old.results.json")};
  const std::vector<History> histories = Histories(runs);
  ASSERT_EQ(histories.size(), 1u);
  const History& history = histories[0];
  EXPECT_EQ(history.subject, "cpp-example");
  EXPECT_THAT(history.runs, ElementsAre(2u, 0u));
  std::vector<std::string> changed;
  for (const History::Row& row : history.rows) changed.emplace_back(row.clause->id);
  EXPECT_THAT(changed, ElementsAre("R9", "R12", "R14", "S5", "S9"));
  EXPECT_EQ(history.unchanged, 22);
  EXPECT_EQ(history.rows[0].verdicts[0], Verdict::kPass);
  EXPECT_EQ(history.rows[0].verdicts[1], Verdict::kFail);
  EXPECT_THAT(history.rows[0].changed, ElementsAre(true));
  EXPECT_EQ(history.rows[4].verdicts[0], std::nullopt);  // S9 not in the old run
  EXPECT_TRUE(Histories(ThreeSubjects()).empty());
}

TEST(ReportModelTest, DirectionFollowsTheDiffOrder) {
  EXPECT_EQ(Direction(Verdict::kPass, Verdict::kFail), 1);
  EXPECT_EQ(Direction(Verdict::kFail, Verdict::kPass), -1);
  EXPECT_EQ(Direction(Verdict::kFail, Verdict::kError), 0);
  EXPECT_EQ(Direction(Verdict::kPass, std::nullopt), 1);
  EXPECT_EQ(Direction(std::nullopt, Verdict::kSkip), 0);
  EXPECT_EQ(Direction(std::nullopt, Verdict::kNonStrict), 1);
  EXPECT_EQ(Direction(Verdict::kInfo, Verdict::kInfo), 0);
}

}  // namespace
}  // namespace provkit::reports::model
