// Tests the clause catalog against CONTRACT.md's numbering, and readiness JSON conversion.
#include "provkit/runtime/contract.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "provkit/runtime/readiness.hpp"

namespace provkit {
namespace {

TEST(Catalog, HasEveryClauseOfContractVersion1InOrder) {
  std::vector<std::string> expected;
  for (int i = 1; i <= 16; ++i) expected.push_back("R" + std::to_string(i));
  for (int i = 1; i <= 11; ++i) expected.push_back("S" + std::to_string(i));
  for (int i = 1; i <= 7; ++i) expected.push_back("W" + std::to_string(i));
  std::vector<std::string> actual;
  for (const Clause& clause : Clauses()) {
    actual.emplace_back(clause.id);
    EXPECT_EQ(GroupLetter(clause.group), clause.id.substr(0, 1)) << clause.id;
    EXPECT_FALSE(clause.title.empty()) << clause.id;
  }
  EXPECT_EQ(actual, expected);
}

TEST(Catalog, StrictPartsAreR4R7R16) {
  std::set<std::string_view> strict;
  for (const Clause& clause : Clauses()) {
    if (clause.has_strict_part) strict.insert(clause.id);
  }
  EXPECT_EQ(strict, (std::set<std::string_view>{"R4", "R7", "R16"}));
}

TEST(Catalog, WireClausesApplyOnlyToServers) {
  for (const Clause& clause : Clauses()) {
    EXPECT_EQ(clause.AppliesTo(SubjectKind::kServer), clause.group == ClauseGroup::kWire)
        << clause.id;
  }
  EXPECT_TRUE(FindClause("W6")->info_only);
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
