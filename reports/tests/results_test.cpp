// Tests of the results model: builders, combining results, redaction, timestamps, round trips.
#include "provkit/reports/results.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "golden.hpp"
#include "provkit/runtime/error.hpp"

namespace provkit::reports {
namespace {

using testing::Fixture;
using ::testing::HasSubstr;
using testing::ScopedEnv;
using testing::ScratchDir;
using testing::Slurp;
using ::testing::StartsWith;

Results BuiltResults() {
  ScopedEnv epoch("SOURCE_DATE_EPOCH", "1741944413");
  Results results =
      NewResults({"built", SubjectKind::kAdapter, "made by the builder", {{"streaming", true}}},
                 {{"model", "m"}, {"api_key", "sk-secret"}});
  results.Add(ClauseBuilder("S5")
                  .Fail("4 turns opened\n4 connections")
                  .Expected("1 connection")
                  .Observed("4 connections")
                  .Invariant("4 turns over 4 connections (expected 1)")
                  .Request({.connection = 3,
                            .method = "POST",
                            .path = "/v1/chat/completions",
                            .status = 200,
                            .request_body = "{}"})
                  .Request({.connection = 4, .method = "GET", .path = "/health"})
                  .DurationMs(12.5));
  results.Add(ClauseBuilder("R1").Pass().DurationMs(0.25));
  results.Add(ClauseBuilder("W6").Info("median 0.4 ms").Baseline("measured only"));
  return results;
}

TEST(ResultsTest, NewResultsFillsVersionsTimeAndMachine) {
  const Results results = BuiltResults();
  EXPECT_EQ(results.schema_version, kResultsSchemaVersion);
  EXPECT_EQ(results.contract_version, kContractVersion);
  EXPECT_EQ(results.provkit_version, ProvkitVersion());
  EXPECT_FALSE(results.provkit_version.empty());
  EXPECT_EQ(results.generated_at, "2025-03-14T09:26:53Z");
  EXPECT_FALSE(results.machine.hostname.empty());
  EXPECT_FALSE(results.machine.os.empty());
  EXPECT_EQ(results.configuration["api_key"], "<redacted>");
}

TEST(ResultsTest, ClauseBuilderRejectsIdsOutsideTheCatalog) {
  EXPECT_THROW(ClauseBuilder("R99"), ConfigurationError);
  EXPECT_THROW(ClauseBuilder("r4"), ConfigurationError);
  EXPECT_NO_THROW(ClauseBuilder("W7"));
}

TEST(ResultsTest, ClauseBuilderKeepsReasonsToOneLine) {
  const ClauseResult clause = ClauseBuilder("S5").Fail("first\nsecond").Build();
  EXPECT_EQ(clause.reason, "first second");
  EXPECT_EQ(clause.verdict, Verdict::kFail);
}

TEST(ResultsTest, AddCombinesSeveralTestsOfOneClauseWorstVerdictFirst) {
  Results results;
  results.Add(ClauseBuilder("S2").Pass().Invariant("closed 1 time (expected 1)").DurationMs(2));
  results.Add(ClauseBuilder("S2")
                  .Fail("closed 2 times")
                  .Invariant("closed 2 times (expected 1)")
                  .DurationMs(3));
  results.Add(ClauseBuilder("S2").NonStrict("a lesser problem").DurationMs(1));
  ASSERT_EQ(results.clauses.size(), 1u);
  const ClauseResult& clause = results.clauses[0];
  EXPECT_EQ(clause.verdict, Verdict::kFail);
  EXPECT_EQ(clause.reason, "closed 2 times; a lesser problem");
  EXPECT_EQ(clause.duration_ms, 6);
  EXPECT_THAT(clause.evidence.invariants,
              ::testing::ElementsAre("closed 1 time (expected 1)", "closed 2 times (expected 1)"));
}

TEST(ResultsTest, RedactSecretsHidesSecretValuesAtAnyDepthButNotLookalikes) {
  const nlohmann::json redacted =
      RedactSecrets({{"api_key", "sk-1"},
                     {"max_tokens", 64},
                     {"headers", {{"Authorization", "Bearer sk-2"}, {"Accept", "x"}}},
                     {"providers", {{{"access_token", "t"}, {"API-KEY", "k"}}}},
                     {"password", nullptr}});
  EXPECT_EQ(redacted["api_key"], "<redacted>");
  EXPECT_EQ(redacted["max_tokens"], 64);
  EXPECT_EQ(redacted["headers"]["Authorization"], "<redacted>");
  EXPECT_EQ(redacted["headers"]["Accept"], "x");
  EXPECT_EQ(redacted["providers"][0]["access_token"], "<redacted>");
  EXPECT_EQ(redacted["providers"][0]["API-KEY"], "<redacted>");
  EXPECT_TRUE(redacted["password"].is_null());
}

TEST(ResultsTest, WritingRedactsSecretsEvenWhenTheModelHoldsThem) {
  Results results = BuiltResults();
  results.configuration["token"] = "sk-live";
  EXPECT_THAT(ToJsonText(results), ::testing::Not(HasSubstr("sk-live")));
}

TEST(ResultsTest, UtcTimestampIsRfc3339) {
  EXPECT_EQ(UtcTimestamp(std::chrono::system_clock::time_point(std::chrono::seconds(0))),
            "1970-01-01T00:00:00Z");
  ScopedEnv epoch("SOURCE_DATE_EPOCH", "86400");
  EXPECT_EQ(NowTimestamp(), "1970-01-02T00:00:00Z");
}

TEST(ResultsTest, JsonRoundTripKeepsEveryField) {
  const Results results = BuiltResults();
  const std::string json = ToJsonText(results);
  EXPECT_THAT(json, StartsWith("{\n  \"schema\": \"provkit-results\",\n  \"schema_version\": 2,"));
  Outcome<Results> read = ParseResults(json, "built.json");
  ASSERT_TRUE(read) << read.error().ToString();
  Results expected = results;
  expected.clauses[0].reason = "4 turns opened 4 connections";
  EXPECT_EQ(*read, expected);
  ASSERT_TRUE(read->clauses[0].evidence.requests[1].status == std::nullopt);
  EXPECT_EQ(read->clauses[2].baseline_reason, "measured only");
}

TEST(ResultsTest, FixtureRoundTripsThroughTheWriter) {
  const Results fixture = Fixture("cpp.results.json");
  Outcome<Results> again = ParseResults(ToJsonText(fixture), "again.json");
  ASSERT_TRUE(again) << again.error().ToString();
  EXPECT_EQ(*again, fixture);
}

TEST(ResultsTest, EvidenceItemsAreTheNonEmptyLines) {
  EXPECT_THAT(EvidenceItems(""), ::testing::IsEmpty());
  EXPECT_THAT(EvidenceItems("one"), ::testing::ElementsAre("one"));
  EXPECT_THAT(EvidenceItems("a\n\nb; c\n"), ::testing::ElementsAre("a", "b; c"));
}

TEST(ResultsTest, ExpectedItemAndObservedItemAppendOneLineEach) {
  const ClauseResult clause = ClauseBuilder("S5")
                                  .Fail("4 connections")
                                  .ExpectedItem("1 connection")
                                  .ExpectedItem("a body\nover two lines")
                                  .ExpectedItem("")
                                  .ObservedItem("4 connections; one per turn")
                                  .Build();
  EXPECT_EQ(clause.evidence.expected, "1 connection\na body over two lines");
  EXPECT_THAT(EvidenceItems(clause.evidence.expected),
              ::testing::ElementsAre("1 connection", "a body over two lines"));
  EXPECT_THAT(EvidenceItems(clause.evidence.observed),
              ::testing::ElementsAre("4 connections; one per turn"));
}

TEST(ResultsTest, WriterPutsExpectedAndObservedAsArraysOfItems) {
  Results results = BuiltResults();
  results.clauses[0].evidence.expected = "1 connection\n\nno new socket";
  results.clauses[0].evidence.observed = "4 connections; one per turn";
  const nlohmann::json json = nlohmann::json::parse(ToJsonText(results));
  EXPECT_EQ(json["schema_version"], 2);
  const nlohmann::json& evidence = json["clauses"][0]["evidence"];
  EXPECT_EQ(evidence["expected"], nlohmann::json::array({"1 connection", "no new socket"}));
  // Version 2 keeps "; " inside an item: only version 1 files are split there.
  EXPECT_EQ(evidence["observed"], nlohmann::json::array({"4 connections; one per turn"}));
  EXPECT_EQ(json["clauses"][1]["evidence"]["expected"], nlohmann::json::array());
  Outcome<Results> read = ParseResults(ToJsonText(results), "items.json");
  ASSERT_TRUE(read) << read.error().ToString();
  EXPECT_EQ(read->clauses[0].evidence.observed, "4 connections; one per turn");
  EXPECT_EQ(read->clauses[0].evidence.expected, "1 connection\nno new socket");
}

TEST(ResultsTest, InvalidUtf8IsWrittenAsReplacementCharacters) {
  Results results = BuiltResults();
  results.clauses[0].evidence.observed = "bytes \xFF\xFE from the server";
  Outcome<Results> read = ParseResults(ToJsonText(results), "utf8.json");
  ASSERT_TRUE(read) << read.error().ToString();
  EXPECT_EQ(read->clauses[0].evidence.observed, "bytes \xEF\xBF\xBD\xEF\xBF\xBD from the server");
}

TEST(ResultsTest, WriteResultsFileWritesWhatReadResultsFileReads) {
  ScratchDir dir;
  const Results results = BuiltResults();
  ASSERT_TRUE(WriteResultsFile(dir / "out/results.json", results));
  Outcome<Results> read = ReadResultsFile(dir / "out/results.json");
  ASSERT_TRUE(read) << read.error().ToString();
  EXPECT_EQ(read->subject.name, "built");
  EXPECT_EQ(read->clauses.size(), 3u);
}

TEST(ResultsTest, WriteResultsFileRefusesResultsItCouldNotReadBackAndKeepsTheOldFile) {
  ScratchDir dir;
  const auto path = dir / "results.json";
  ASSERT_TRUE(WriteResultsFile(path, BuiltResults()));
  const std::string good = Slurp(path);
  Results bad = BuiltResults();
  bad.clauses[0].reason.clear();  // a FAIL needs a reason
  const Outcome<void> written = WriteResultsFile(path, bad);
  ASSERT_FALSE(written);
  EXPECT_THAT(written.error().ToString(), HasSubstr("needs a reason"));
  EXPECT_EQ(Slurp(path), good);
}

TEST(ResultsTest, ShardComesFromGoogleTestEnvironment) {
  {
    ScopedEnv index("GTEST_SHARD_INDEX", "1");
    ScopedEnv total("GTEST_TOTAL_SHARDS", "3");
    EXPECT_EQ(ShardFromEnvironment(), (Shard{1, 3}));
  }
  {
    ScopedEnv index("GTEST_SHARD_INDEX", "3");
    ScopedEnv total("GTEST_TOTAL_SHARDS", "3");
    EXPECT_EQ(ShardFromEnvironment(), std::nullopt);
  }
  {
    ScopedEnv index("GTEST_SHARD_INDEX", "x");
    ScopedEnv total("GTEST_TOTAL_SHARDS", "3");
    EXPECT_EQ(ShardFromEnvironment(), std::nullopt);
  }
}

TEST(ResultsTest, OutcomeRefusesTheWrongAccess) {
  Outcome<int> error = FileError{"f", "bad"};
  EXPECT_THROW(static_cast<void>(error.value()), std::logic_error);
  Outcome<int> value = 3;
  EXPECT_THROW(static_cast<void>(value.error()), std::logic_error);
  EXPECT_EQ(FileError({"f.json", "broken", 3, 7}).ToString(), "f.json:3:7: broken");
}

}  // namespace
}  // namespace provkit::reports
