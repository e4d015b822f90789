// Tests of DiffResults and its text and Markdown forms: regressions, fixes, changes, timing.
#include "provkit/reports/diff.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "golden.hpp"

namespace provkit::reports {
namespace {

using ::testing::ElementsAre;
using testing::Fixture;
using ::testing::IsEmpty;

std::vector<std::string> Ids(const std::vector<ClauseChange>& changes) {
  std::vector<std::string> ids;
  for (const ClauseChange& change : changes) ids.push_back(change.clause_id);
  return ids;
}

TEST(DiffTest, SortsChangesBetweenTwoRuns) {
  const Diff diff = DiffResults(Fixture("cpp-old.results.json"), Fixture("cpp.results.json"));
  EXPECT_THAT(Ids(diff.regressions), ElementsAre("R9", "R14"));  // PASS -> FAIL, PASS -> ERROR
  EXPECT_THAT(Ids(diff.fixes), ElementsAre("R12"));              // FAIL -> PASS
  EXPECT_THAT(Ids(diff.changes), ElementsAre("S5", "S9"));       // ERROR -> FAIL, newly run SKIP
  EXPECT_THAT(Ids(diff.timing), ElementsAre("S10"));             // 20 ms -> 95 ms
  EXPECT_EQ(diff.unchanged, 27 - 2 - 1 - 2 - 1);
  EXPECT_TRUE(diff.Regressed());
}

TEST(DiffTest, TextAndMarkdownMatchGoldens) {
  const Diff diff = DiffResults(Fixture("cpp-old.results.json"), Fixture("cpp.results.json"));
  testing::ExpectGolden("diff.txt", RenderDiffText(diff));
  testing::ExpectGolden("diff.md", RenderDiffMarkdown(diff));
}

TEST(DiffTest, ARunComparedWithItselfHasNoChanges) {
  const Results results = Fixture("cpp.results.json");
  const Diff diff = DiffResults(results, results);
  EXPECT_FALSE(diff.Regressed());
  EXPECT_THAT(diff.fixes, IsEmpty());
  EXPECT_THAT(diff.changes, IsEmpty());
  EXPECT_THAT(diff.timing, IsEmpty());
  EXPECT_EQ(diff.unchanged, 27);
}

TEST(DiffTest, AClauseNoLongerRunIsARegression) {
  const Results before = Fixture("server.results.json");
  Results after = before;
  after.clauses.erase(after.clauses.begin() + 1);  // W2
  const Diff diff = DiffResults(before, after);
  EXPECT_THAT(Ids(diff.regressions), ElementsAre("W2"));
  EXPECT_FALSE(diff.regressions[0].new_verdict.has_value());
  EXPECT_THAT(RenderDiffText(diff),
              ::testing::HasSubstr("W2  PASS -> not run  no longer in the results"));
}

TEST(DiffTest, PassToNonStrictRegressesAndNonStrictToPassIsAFix) {
  Results before = Fixture("adapter.results.json");
  Results after = before;
  after.Find("R7")->verdict = Verdict::kNonStrict;
  after.Find("R7")->reason = "listing trusted over a 503";
  after.Find("R4")->verdict = Verdict::kPass;
  const Diff diff = DiffResults(before, after);
  EXPECT_THAT(Ids(diff.regressions), ElementsAre("R7"));
  EXPECT_THAT(Ids(diff.fixes), ElementsAre("R4"));
}

TEST(DiffTest, TimingThresholdAndFloorAreHonoured) {
  Results before = Fixture("server.results.json");
  Results after = before;
  after.Find("W6")->duration_ms = 61.0 * 1.3;  // +30 %, +18 ms
  after.Find("W1")->duration_ms = 1.2 * 3;     // +200 % but only +2.4 ms
  EXPECT_THAT(DiffResults(before, after).timing, IsEmpty());
  EXPECT_THAT(
      Ids(DiffResults(before, after, {.timing_threshold_percent = 20, .timing_min_ms = 5}).timing),
      ElementsAre("W6"));
  EXPECT_THAT(
      Ids(DiffResults(before, after, {.timing_threshold_percent = 20, .timing_min_ms = 1}).timing),
      ElementsAre("W1", "W6"));
}

TEST(DiffTest, DifferentSubjectsAreNoted) {
  const Diff diff = DiffResults(Fixture("cpp.results.json"), Fixture("server.results.json"));
  EXPECT_THAT(RenderDiffText(diff), ::testing::StartsWith("note: comparing different subjects"));
}

}  // namespace
}  // namespace provkit::reports
