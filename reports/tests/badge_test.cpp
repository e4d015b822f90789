// Tests of the badge: message, colour by worst verdict, SVG and shields.io endpoint forms.
#include "provkit/reports/badge.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "golden.hpp"

namespace provkit::reports {
namespace {

using testing::Fixture;
using ::testing::HasSubstr;

TEST(BadgeTest, SvgAndJsonMatchGoldens) {
  const Badge badge = MakeBadge(Summarize(Fixture("cpp.results.json"), false));
  EXPECT_EQ(badge.message, "MUST 23/26 \xC2\xB7 SHOULD 3/4");
  testing::ExpectGolden("badge.svg", RenderBadgeSvg(badge));
  testing::ExpectGolden("badge.json", RenderBadgeJson(badge));
}

TEST(BadgeTest, ColourFollowsTheWorstVerdict) {
  Results results = Fixture("shard-1.results.json");
  results.shard.reset();
  results.selection =
      std::vector<std::string>{"S1", "S2", "S3", "S4", "S5", "S6", "S7", "S8", "S9", "S10", "S11"};
  EXPECT_EQ(MakeBadge(Summarize(results, false)).color_name, "brightgreen");
  EXPECT_EQ(MakeBadge(Summarize(results, false)).message,
            "MUST 11/11 \xC2\xB7 SHOULD 1/1");  // S3's strict part
  results.Find("S9")->verdict = Verdict::kSkip;
  results.Find("S9")->reason = "no run_many";
  EXPECT_EQ(MakeBadge(Summarize(results, false)).color_name, "green");
  results.Find("S2")->verdict = Verdict::kNonStrict;
  results.Find("S2")->reason = "late";
  EXPECT_EQ(MakeBadge(Summarize(results, false)).color_name, "yellow");
  results.Find("S3")->verdict = Verdict::kFail;
  results.Find("S3")->reason = "worked after close";
  EXPECT_EQ(MakeBadge(Summarize(results, false)).color_name, "red");
}

TEST(BadgeTest, AnIncompleteRunIsRedAndSaysSo) {
  Results results = Fixture("server.results.json");
  results.clauses.erase(results.clauses.begin() + 2);  // W3, the failing one: the rest passes
  const Badge badge = MakeBadge(Summarize(results, false));
  EXPECT_EQ(badge.color_name, "red");
  EXPECT_THAT(badge.message, HasSubstr("incomplete"));
}

TEST(BadgeTest, LabelIsEscapedInSvgAndJson) {
  const Badge badge = MakeBadge(Summarize(Fixture("server.results.json"), false), "a<b>&\"c\"");
  const std::string svg = RenderBadgeSvg(badge);
  EXPECT_THAT(svg, HasSubstr("<title>a&lt;b&gt;&amp;&quot;c&quot;: MUST"));
  EXPECT_THAT(svg, ::testing::Not(HasSubstr("<b>")));
  const nlohmann::json json = nlohmann::json::parse(RenderBadgeJson(badge));
  EXPECT_EQ(json["schemaVersion"], 1);
  EXPECT_EQ(json["label"], "a<b>&\"c\"");
  EXPECT_EQ(json["color"], "red");
}

}  // namespace
}  // namespace provkit::reports
