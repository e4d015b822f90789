// Tests the clause catalog against the contract's numbering (version 2), and readiness JSON
// conversion.
#include "provkit/runtime/contract.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "provkit/runtime/readiness.hpp"

namespace provkit {
namespace {

TEST(Catalog, HasEveryClauseOfContractVersion2InOrder) {
  EXPECT_EQ(kContractVersion, 2);
  std::vector<std::string> expected;
  for (int i = 1; i <= 16; ++i) expected.push_back("R" + std::to_string(i));
  for (int i = 1; i <= 12; ++i) expected.push_back("S" + std::to_string(i));
  for (int i = 1; i <= 7; ++i) expected.push_back("W" + std::to_string(i));
  std::vector<std::string> actual;
  for (const Clause& clause : Clauses()) {
    actual.emplace_back(clause.id);
    EXPECT_EQ(GroupLetter(clause.group), clause.id.substr(0, 1)) << clause.id;
    EXPECT_FALSE(clause.title.empty()) << clause.id;
    EXPECT_FALSE(clause.requirement.empty()) << clause.id;
  }
  EXPECT_EQ(actual, expected);
}

TEST(Catalog, StrictPartsAreR4R7R16S3W3) {
  std::set<std::string_view> strict;
  for (const Clause& clause : Clauses()) {
    if (clause.HasStrictPart()) strict.insert(clause.id);
  }
  EXPECT_EQ(strict, (std::set<std::string_view>{"R4", "R7", "R16", "S3", "W3"}));
}

TEST(Catalog, S12IsNewInVersion2AndEveryOtherClauseIsFromVersion1) {
  for (const Clause& clause : Clauses()) {
    EXPECT_EQ(clause.since, clause.id == "S12" ? 2 : 1) << clause.id;
    EXPECT_TRUE(clause.InVersion(kContractVersion)) << clause.id;
  }
  EXPECT_FALSE(FindClause("S12")->InVersion(1));
}

TEST(Catalog, WireClausesApplyOnlyToServers) {
  for (const Clause& clause : Clauses()) {
    EXPECT_EQ(clause.AppliesTo(SubjectKind::kServer), clause.group == ClauseGroup::kWire)
        << clause.id;
  }
  EXPECT_TRUE(FindClause("W6")->info_only);
  EXPECT_FALSE(FindClause("R14")->AppliesTo(SubjectKind::kAdapter));
  EXPECT_TRUE(FindClause("S12")->AppliesTo(SubjectKind::kAdapter));
  EXPECT_EQ(FindClause("R99"), nullptr);
}

TEST(Verdicts, NamesRoundTripAndGatingFollowsTheContract) {
  for (auto verdict : {Verdict::kPass, Verdict::kInfo, Verdict::kSkip, Verdict::kNonStrict,
                       Verdict::kFail, Verdict::kError}) {
    EXPECT_EQ(ParseVerdict(VerdictName(verdict)), verdict);
  }
  EXPECT_FALSE(ParseVerdict("pass"));
  EXPECT_TRUE(Gates(Verdict::kFail, false));
  EXPECT_TRUE(Gates(Verdict::kError, false));
  EXPECT_FALSE(Gates(Verdict::kNonStrict, false));
  EXPECT_TRUE(Gates(Verdict::kNonStrict, true));
  EXPECT_FALSE(Gates(Verdict::kSkip, true));
}

TEST(ProviderReadiness, JsonKeepsNullsAndRoundTrips) {
  const ProviderReadiness readiness{
      .ready = false, .provider = "local", .message = "Loading model"};
  const nlohmann::json json = readiness;
  EXPECT_TRUE(json["status_code"].is_null());
  EXPECT_TRUE(json["model_verified"].is_null());
  EXPECT_EQ(json["message"], "Loading model");
  EXPECT_EQ(json.get<ProviderReadiness>(), readiness);
  EXPECT_THROW(nlohmann::json::parse(R"({"provider":"x"})").get<ProviderReadiness>(),
               nlohmann::json::exception);
}

TEST(ProviderReadiness, JsonStatusCodeIsAnIntOrAnError) {
  const auto parse = [](const std::string& status) {
    return nlohmann::json::parse(R"({"ready":false,"provider":"local","status_code":)" + status +
                                 "}")
        .get<ProviderReadiness>();
  };
  EXPECT_EQ(parse("503").status_code, 503);
  EXPECT_EQ(parse("null").status_code, std::nullopt);
  // Never cut to fit: a fraction, a number beyond int or a string throws.
  for (const char* status : {"1.11e59", "503.5", "4294967799", "-4294967296", "\"503\""}) {
    SCOPED_TRACE(status);
    EXPECT_THROW(parse(status), nlohmann::json::exception);
  }
}

}  // namespace
}  // namespace provkit
