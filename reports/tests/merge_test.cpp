// Tests of MergeShards: joining shard results, and refusing conflicting or incomplete sets.
#include "provkit/reports/merge.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "golden.hpp"
#include "provkit/reports/summary.hpp"

namespace provkit::reports {
namespace {

using testing::Fixture;
using ::testing::HasSubstr;

std::vector<ResultsFile> TwoShards() {
  return {{"shard-0.json", Fixture("shard-0.results.json")},
          {"shard-1.json", Fixture("shard-1.results.json")}};
}

TEST(MergeTest, JoinsShardsIntoOneCompleteRun) {
  const Outcome<Results> merged = MergeShards(TwoShards());
  ASSERT_TRUE(merged) << merged.error().ToString();
  EXPECT_FALSE(merged->shard.has_value());
  EXPECT_EQ(merged->clauses.size(), 27u);
  EXPECT_EQ(merged->clauses.front().clause_id, "R1");  // catalog order, whatever the shards' order
  EXPECT_EQ(merged->clauses.back().clause_id, "S11");
  EXPECT_EQ(merged->generated_at, "2025-03-14T10:01:00Z");  // the latest shard
  EXPECT_FALSE(Summarize(*merged, true).Gates());
  testing::ExpectGolden("merged.results.json", ToJsonText(*merged));
}

TEST(MergeTest, ShardOrderDoesNotMatter) {
  std::vector<ResultsFile> shards = TwoShards();
  std::swap(shards[0], shards[1]);
  const Outcome<Results> merged = MergeShards(shards);
  ASSERT_TRUE(merged);
  EXPECT_EQ(merged->clauses, MergeShards(TwoShards())->clauses);
}

TEST(MergeTest, ConflictingDuplicateClauseIsAnErrorNamingBothFiles) {
  std::vector<ResultsFile> shards = TwoShards();
  shards[1].results.Add(ClauseBuilder("R3").Fail("listing ignored"));
  const Outcome<Results> merged = MergeShards(shards);
  ASSERT_FALSE(merged);
  EXPECT_EQ(merged.error().ToString(),
            "shard-1.json: conflicting results for clause R3: FAIL here, PASS in shard-0.json");
}

TEST(MergeTest, IdenticalDuplicateClauseIsKeptOnce) {
  std::vector<ResultsFile> shards = TwoShards();
  shards[1].results.clauses.push_back(*shards[0].results.Find("R3"));
  const Outcome<Results> merged = MergeShards(shards);
  ASSERT_TRUE(merged) << merged.error().ToString();
  EXPECT_EQ(merged->clauses.size(), 27u);
}

TEST(MergeTest, MissingShardIsAnErrorUnlessPartialIsAllowed) {
  const std::vector<ResultsFile> one{TwoShards()[0]};
  const Outcome<Results> merged = MergeShards(one);
  ASSERT_FALSE(merged);
  EXPECT_THAT(merged.error().message, HasSubstr("shard(s) 1 of 2 missing"));
  const Outcome<Results> partial = MergeShards(one, {.allow_partial = true});
  ASSERT_TRUE(partial);
  EXPECT_TRUE(Summarize(*partial, false).Incomplete());  // still gates: S clauses not run
}

TEST(MergeTest, RepeatedShardIndexIsAnError) {
  std::vector<ResultsFile> shards = TwoShards();
  shards[1].results.shard->index = 0;
  const Outcome<Results> merged = MergeShards(shards);
  ASSERT_FALSE(merged);
  EXPECT_EQ(merged.error().ToString(), "shard-1.json: shard 0 is also in shard-0.json");
}

TEST(MergeTest, ShardsOfDifferentSubjectsOrTotalsAreRefused) {
  std::vector<ResultsFile> shards = TwoShards();
  shards[1].results.subject.name = "other";
  EXPECT_THAT(MergeShards(shards).error().message,
              HasSubstr("merge joins the shards of one subject"));
  shards = TwoShards();
  shards[1].results.shard->total = 3;
  EXPECT_THAT(MergeShards(shards).error().message,
              HasSubstr("is shard 1 of 3 but shard-0.json is of 2"));
  EXPECT_FALSE(MergeShards({}));
}

}  // namespace
}  // namespace provkit::reports
