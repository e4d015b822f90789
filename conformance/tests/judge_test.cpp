// Tests of the judge and the server checks: the check table matches the catalog, selections parse,
// W checks can fail.
#include "provkit/conformance/judge.hpp"

#include <gtest/gtest.h>

#include "provkit/conformance/server_checks.hpp"
#include "provkit/mockserver/server.hpp"

namespace provkit::conformance {
namespace {

TEST(ClauseCheckTable, EveryCatalogClauseHasExactlyOneCheck) {
  for (const Clause& clause : Clauses()) {
    int checks = 0;
    for (const ClauseCheck& check : ClauseChecks()) checks += check.clause_id == clause.id ? 1 : 0;
    EXPECT_EQ(checks, 1) << clause.id;
  }
  for (const ClauseCheck& check : ClauseChecks())
    EXPECT_NE(FindClause(check.clause_id), nullptr) << check.clause_id;
}

TEST(JudgeClause, UnknownClauseIsAnError) {
  const reports::ClauseResult result = JudgeClause("R99", [] { return nullptr; });
  EXPECT_EQ(result.verdict, Verdict::kError);
  EXPECT_NE(result.reason.find("not in the contract catalog"), std::string::npos) << result.reason;
}

TEST(ParseSelection, OnlyAndGroup) {
  EXPECT_FALSE(ParseSelection("", "", SubjectKind::kCpp).has_value());
  EXPECT_EQ(*ParseSelection("S5,R4", "", SubjectKind::kCpp),
            (std::vector<std::string>{"R4", "S5"}));
  EXPECT_EQ(ParseSelection("", "S", SubjectKind::kAdapter)->size(), 12u);
  EXPECT_THROW(ParseSelection("R99", "", SubjectKind::kCpp), std::invalid_argument);
  EXPECT_THROW(ParseSelection("W1", "", SubjectKind::kCpp), std::invalid_argument);
  EXPECT_THROW(ParseSelection("", "X", SubjectKind::kCpp), std::invalid_argument);
}

}  // namespace
}  // namespace provkit::conformance

// The W checks against the embedded mock: it behaves like a good server; stopped, it fails.
namespace provkit::conformance {
namespace {

TEST(ServerChecks, MockServerPassesTheWireClauses) {
  mock::Server server;
  const reports::Results results =
      RunServerChecks({.base_url = server.base_url(), .model = {}, .api_key = ""}, std::nullopt);
  ASSERT_EQ(results.clauses.size(), 7u);
  for (const reports::ClauseResult& clause : results.clauses) {
    RecordProperty("clause", clause.clause_id);
    const Verdict expected = clause.clause_id == "W6" ? Verdict::kInfo : Verdict::kPass;
    EXPECT_EQ(clause.verdict, expected) << clause.clause_id << ": " << clause.reason;
  }
  EXPECT_TRUE(results.configuration.contains("reference_probe"));
}

TEST(ServerChecks, W1FailsWhenTheServerIsDown) {
  mock::Server server;
  const std::string url = server.base_url();
  server.Stop();
  const reports::ClauseResult result =
      JudgeServerClause("W1", {.base_url = url, .model = {}, .api_key = ""});
  EXPECT_EQ(result.verdict, Verdict::kFail) << result.reason;
  EXPECT_NE(result.reason.find("running"), std::string::npos) << result.reason;
}

TEST(ServerChecks, W4FailsWithoutUsageChunkWhenStreamBreaks) {
  mock::Server server;
  server.SetScenario(mock::Scenario::StreamDrop(1).On(mock::Endpoint::kChat));
  const reports::ClauseResult result = JudgeServerClause(
      "W4", {.base_url = server.base_url(), .model = std::string("provkit-mock"), .api_key = ""});
  EXPECT_EQ(result.verdict, Verdict::kFail) << result.reason;
}

}  // namespace
}  // namespace provkit::conformance
