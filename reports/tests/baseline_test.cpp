// Tests of baseline files: parsing and its errors, applying a baseline, stale entries.
#include "provkit/reports/baseline.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "golden.hpp"
#include "provkit/reports/summary.hpp"

namespace provkit::reports {
namespace {

using testing::DataPath;
using testing::Fixture;
using ::testing::HasSubstr;

TEST(BaselineTest, ParsesIdsReasonsCommentsBlankLinesAndCrlf) {
  const Outcome<Baseline> baseline = ParseBaseline(
      "# known failures\r\n\r\nS5   opens a connection per turn  \r\n  # indented comment\nR7 "
      "loads\tslowly\n",
      "b.txt");
  ASSERT_TRUE(baseline) << baseline.error().ToString();
  ASSERT_EQ(baseline->entries.size(), 2u);
  EXPECT_EQ(baseline->entries[0].clause_id, "S5");
  EXPECT_EQ(baseline->entries[0].reason, "opens a connection per turn");
  EXPECT_EQ(baseline->entries[0].line, 3);
  EXPECT_EQ(baseline->entries[1].reason, "loads\tslowly");
  EXPECT_EQ(baseline->Find("R7"), &baseline->entries[1]);
  EXPECT_EQ(baseline->Find("R1"), nullptr);
}

TEST(BaselineTest, UnknownIdIsAnErrorWithFileAndLine) {
  const Outcome<Baseline> baseline =
      ParseBaseline("S5 reason\n\nR99 no such clause\n", "ci/baseline.txt");
  ASSERT_FALSE(baseline);
  EXPECT_EQ(baseline.error().ToString(),
            "ci/baseline.txt:3: 'R99' is not a clause of contract version 2");
}

TEST(BaselineTest, ReasonIsMandatory) {
  const Outcome<Baseline> baseline = ParseBaseline("# c\nS5   \n", "b.txt");
  ASSERT_FALSE(baseline);
  EXPECT_EQ(baseline.error().line, 2);
  EXPECT_THAT(baseline.error().message, HasSubstr("clause S5 needs a reason"));
}

TEST(BaselineTest, ListingAClauseTwiceIsAnError) {
  const Outcome<Baseline> baseline = ParseBaseline("S5 one\nR1 two\nS5 three\n", "b.txt");
  ASSERT_FALSE(baseline);
  EXPECT_EQ(baseline.error().ToString(), "b.txt:3: clause S5 is listed twice (also on line 1)");
}

TEST(BaselineTest, ApplyReplacesTheRecordedBaseline) {
  Results results = Fixture("cpp.results.json");
  ASSERT_TRUE(results.Find("S5")->baseline_reason.has_value());
  const Outcome<Baseline> baseline = ReadBaselineFile(DataPath("cpp.baseline"));
  ASSERT_TRUE(baseline) << baseline.error().ToString();
  ApplyBaseline(results, *baseline);
  EXPECT_EQ(results.Find("S5")->baseline_reason,
            "HTTP client opens a connection per turn until #12 lands");
  EXPECT_EQ(results.Find("R1")->baseline_reason, "flaky health check on old builds");
  ApplyBaseline(results, Baseline{});
  EXPECT_FALSE(results.Find("S5")->baseline_reason.has_value());
}

TEST(BaselineTest, AListedClauseThatNowPassesIsStaleAndGates) {
  Results results = Fixture("cpp.results.json");
  ApplyBaseline(results, *ReadBaselineFile(DataPath("cpp.baseline")));
  EXPECT_TRUE(IsStale(*results.Find("R1")));
  EXPECT_FALSE(IsStale(*results.Find("S5")));  // still fails: baselined, not stale
  const Summary summary = Summarize(results, false);
  EXPECT_THAT(summary.stale, ::testing::ElementsAre("R1"));
  EXPECT_THAT(summary.baselined, ::testing::ElementsAre("S5"));
  EXPECT_TRUE(summary.Gates());
}

TEST(BaselineTest, ListedNonStrictIsNeitherStaleNorGatingWithoutStrict) {
  Results results = Fixture("cpp.results.json");
  ApplyBaseline(results, *ParseBaseline("R7 loading state not read yet\n", "b.txt"));
  EXPECT_FALSE(IsStale(*results.Find("R7")));
  EXPECT_EQ(GateOf(*results.Find("R7"), false), ClauseGate::kClear);
  EXPECT_EQ(GateOf(*results.Find("R7"), true), ClauseGate::kBaselined);
}

}  // namespace
}  // namespace provkit::reports
