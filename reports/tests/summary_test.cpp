// Tests of Summarize: verdict counts, MUST and SHOULD scores, gating, baselines, coverage.
#include "provkit/reports/summary.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "golden.hpp"

namespace provkit::reports {
namespace {

using ::testing::ElementsAre;
using testing::Fixture;
using ::testing::IsEmpty;

// Every clause for `kind`, all PASS.
Results AllPass(SubjectKind kind) {
  Results results;
  results.subject = {"all-pass", kind, "", {}};
  for (const Clause& clause : Clauses()) {
    if (clause.AppliesTo(kind))
      results.Add(ClauseBuilder(clause.id).Judge(clause.info_only ? Verdict::kInfo : Verdict::kPass,
                                                 clause.info_only ? "measured" : ""));
  }
  return results;
}

TEST(SummaryTest, CountsEveryVerdictOfTheFixture) {
  const Summary summary = Summarize(Fixture("cpp.results.json"), false);
  EXPECT_EQ(summary.counts[Verdict::kPass], 22);
  EXPECT_EQ(summary.counts[Verdict::kNonStrict], 1);
  EXPECT_EQ(summary.counts[Verdict::kFail], 2);
  EXPECT_EQ(summary.counts[Verdict::kError], 1);
  EXPECT_EQ(summary.counts[Verdict::kSkip], 1);
  EXPECT_EQ(summary.counts[Verdict::kInfo], 0);
  EXPECT_EQ(summary.counts.Total(), 27);
}

TEST(SummaryTest, MustCountsJudgedClausesAndShouldCountsStrictParts) {
  const Summary summary = Summarize(Fixture("cpp.results.json"), false);
  // 27 clauses less one SKIP are judged; PASS and NON-STRICT keep the required part.
  EXPECT_EQ(summary.must_total, 26);
  EXPECT_EQ(summary.must_passed, 23);
  // R4, R7, R16 and S3 have strict parts (the catalog's, whatever version the file names); R7
  // is NON-STRICT.
  EXPECT_EQ(summary.should_total, 4);
  EXPECT_EQ(summary.should_passed, 3);
}

TEST(SummaryTest, FailAndErrorGateABaselinedFailureDoesNot) {
  const Summary summary = Summarize(Fixture("cpp.results.json"), false);
  EXPECT_THAT(summary.gating, ElementsAre("R9", "R14"));
  EXPECT_THAT(summary.baselined, ElementsAre("S5"));
  EXPECT_THAT(summary.stale, IsEmpty());
  EXPECT_FALSE(summary.Incomplete());
  EXPECT_TRUE(summary.Gates());
  EXPECT_EQ(summary.Worst(), Verdict::kError);
}

TEST(SummaryTest, StrictMakesNonStrictGate) {
  EXPECT_THAT(Summarize(Fixture("cpp.results.json"), true).gating, ElementsAre("R7", "R9", "R14"));
  const Summary adapter = Summarize(Fixture("adapter.results.json"), false);
  EXPECT_THAT(adapter.gating, IsEmpty());
  EXPECT_THAT(adapter.stale, ElementsAre("R16"));
  EXPECT_THAT(Summarize(Fixture("adapter.results.json"), true).gating, ElementsAre("R4"));
}

TEST(SummaryTest, ACompletePassingRunDoesNotGate) {
  for (SubjectKind kind : {SubjectKind::kCpp, SubjectKind::kAdapter, SubjectKind::kServer}) {
    const Summary summary = Summarize(AllPass(kind), true);
    EXPECT_FALSE(summary.Gates()) << SubjectKindName(kind);
    EXPECT_THAT(summary.Worst(), ::testing::AnyOf(Verdict::kPass, Verdict::kInfo));  // W6 is INFO
  }
}

TEST(SummaryTest, ExitCodeIsWhatProvkitConformGives) {
  // 2: a gating ERROR (R14), whatever else fails.
  const Summary cpp = Summarize(Fixture("cpp.results.json"), false);
  EXPECT_THAT(cpp.harness_errors, ElementsAre("R14"));
  EXPECT_EQ(cpp.ExitCode(), kExitHarnessError);
  EXPECT_EQ(cpp.GatingClauses(), 2);
  // 1: only contract failures: a stale baseline entry, a FAIL.
  const Summary adapter = Summarize(Fixture("adapter.results.json"), false);
  EXPECT_EQ(adapter.ExitCode(), kExitGateFails);
  EXPECT_EQ(adapter.GatingClauses(), 1);
  EXPECT_EQ(Summarize(Fixture("server.results.json"), false).ExitCode(), kExitGateFails);
  // 0: nothing gates; NON-STRICT gates only under --strict, and then as a contract failure.
  Results passing = AllPass(SubjectKind::kAdapter);
  passing.Add(ClauseBuilder("R4").NonStrict("no suggestion"));
  EXPECT_EQ(Summarize(passing, false).ExitCode(), kExitGatePasses);
  EXPECT_EQ(Summarize(passing, false).GatingClauses(), 0);
  EXPECT_EQ(Summarize(passing, true).ExitCode(), kExitGateFails);
  // A baselined ERROR does not gate, so it is no harness error.
  Results baselined = AllPass(SubjectKind::kAdapter);
  baselined.Find("S5")->verdict = Verdict::kError;
  baselined.Find("S5")->reason = "adapter crashed";
  baselined.Find("S5")->baseline_reason = "known crash";
  EXPECT_EQ(Summarize(baselined, false).ExitCode(), kExitGatePasses);
  // 2: an incomplete run, even when every clause present passes; the missing clause counts.
  Results missing = AllPass(SubjectKind::kAdapter);
  missing.clauses.pop_back();
  EXPECT_EQ(Summarize(missing, false).ExitCode(), kExitHarnessError);
  EXPECT_EQ(Summarize(missing, false).GatingClauses(), 1);
}

TEST(SummaryTest, AMissingClauseMakesTheRunIncomplete) {
  Results results = AllPass(SubjectKind::kCpp);
  results.clauses.erase(results.clauses.begin() + 4);  // R5
  const Summary summary = Summarize(results, false);
  EXPECT_THAT(summary.missing, ElementsAre("R5"));
  EXPECT_TRUE(summary.Incomplete());
  EXPECT_TRUE(summary.Gates());
  EXPECT_EQ(summary.Worst(), Verdict::kError);
}

TEST(SummaryTest, AClauseForAnotherKindIsUnexpected) {
  Results results = AllPass(SubjectKind::kAdapter);
  results.Add(ClauseBuilder("R14").Pass());  // cancellation is judged for C++ subjects only
  const Summary summary = Summarize(results, false);
  EXPECT_THAT(summary.unexpected, ElementsAre("R14"));
  EXPECT_TRUE(summary.Gates());
}

TEST(SummaryTest, OnlySkipsMeansNothingWasJudged) {
  Results results;
  results.subject.kind = SubjectKind::kServer;
  for (const char* id : {"W1", "W2", "W3", "W4", "W5", "W6", "W7"})
    results.Add(ClauseBuilder(id).Skip("unreachable"));
  const Summary summary = Summarize(results, false);
  EXPECT_TRUE(summary.nothing_judged);
  EXPECT_THAT(summary.gating, IsEmpty());
  EXPECT_TRUE(summary.Gates());
  EXPECT_TRUE(Summarize(Results{}, false).Gates());  // an empty run is never a success
}

TEST(SummaryTest, SelectionDefinesTheExpectedClauses) {
  Results results;
  results.subject.kind = SubjectKind::kCpp;
  results.selection = std::vector<std::string>{"R4", "S5"};
  results.Add(ClauseBuilder("R4").Pass());
  EXPECT_THAT(Summarize(results, false).missing, ElementsAre("S5"));
  results.Add(ClauseBuilder("S5").Pass());
  results.Add(ClauseBuilder("S6").Pass());
  const Summary summary = Summarize(results, false);
  EXPECT_THAT(summary.missing, IsEmpty());
  EXPECT_THAT(summary.unexpected, ElementsAre("S6"));
}

TEST(SummaryTest, AShardIsNotIncompleteForHoldingPartOfTheRun) {
  const Summary summary = Summarize(Fixture("shard-0.results.json"), false);
  EXPECT_THAT(summary.missing, IsEmpty());
  EXPECT_FALSE(summary.Gates());
}

}  // namespace
}  // namespace provkit::reports
