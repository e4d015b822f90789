// Tests of the Markdown report: golden, failures first, intact tables, hostile text escaped.
#include "provkit/reports/markdown.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>
#include <sstream>

#include "golden.hpp"

namespace provkit::reports {
namespace {

using testing::Fixture;
using testing::GoldenOptions;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::ThreeSubjects;

// Cell separators of a table row: pipes not escaped by a backslash.
int Separators(const std::string& line) {
  int count = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '\\') {
      ++i;
    } else if (line[i] == '|') {
      ++count;
    }
  }
  return count;
}

TEST(MarkdownTest, MatchesGoldenForThreeSubjects) {
  testing::ExpectGolden("report.md", RenderMarkdown(ThreeSubjects(), GoldenOptions()));
}

TEST(MarkdownTest, EveryTableRowHasTheColumnsOfItsHeader) {
  std::istringstream lines(RenderMarkdown(ThreeSubjects(), GoldenOptions()));
  std::string line;
  int columns = -1;
  int rows = 0;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] != '|') {
      columns = -1;
      continue;
    }
    if (columns < 0) columns = Separators(line);
    EXPECT_EQ(Separators(line), columns) << line;
    ++rows;
  }
  EXPECT_GT(rows, 40);
}

TEST(MarkdownTest, HostileTextRendersLiterally) {
  const std::string md = RenderMarkdown(ThreeSubjects(), GoldenOptions());
  // R9's reason carries <script>, a pipe, backticks, **bold** and a javascript: link.
  EXPECT_THAT(
      md,
      HasSubstr("&lt;script&gt;alert(\"owned\")&lt;/script&gt; \\| \\`whoami\\` \\*\\*bold\\*\\* "
                "\\[link\\](javascript:alert(1))"));
  EXPECT_THAT(md, Not(HasSubstr("<script")));
  EXPECT_THAT(md, Not(HasSubstr("`whoami`")));
  EXPECT_FALSE(std::regex_search(md, std::regex(R"([^\\]\]\()"))) << "an unescaped ](: a link";
}

TEST(MarkdownTest, FailuresComeFirstThenTheRestThenTheMatrix) {
  const std::string md = RenderMarkdown(ThreeSubjects(), GoldenOptions());
  const std::size_t failures = md.find("**Failures**");
  const std::size_t r9 = md.find("**FAIL** cpp-example R9");
  const std::size_t stale = md.find("**STALE BASELINE** python-example R16");
  const std::size_t w3 = md.find("**FAIL** llama-server W3");
  const std::size_t notes = md.find("**Not gating**");
  const std::size_t r7 = md.find("**NON-STRICT** cpp-example R7");
  const std::size_t matrix = md.find("<details><summary>Clause matrix");
  ASSERT_NE(failures, std::string::npos);
  ASSERT_NE(r9, std::string::npos) << md;
  EXPECT_LT(failures, r9);
  EXPECT_LT(r9, stale);
  EXPECT_LT(stale, w3);
  EXPECT_LT(w3, notes);
  EXPECT_LT(notes, r7);
  EXPECT_LT(r7, matrix);
}

TEST(MarkdownTest, APassingRunSaysSoWithoutAFailuresList) {
  Results results = Fixture("shard-1.results.json");
  results.shard.reset();
  results.selection =
      std::vector<std::string>{"S1", "S2", "S3", "S4", "S5", "S6", "S7", "S8", "S9", "S10", "S11"};
  const std::string md = RenderMarkdown(std::vector<Results>{results}, GoldenOptions());
  EXPECT_THAT(md, HasSubstr(": \xE2\x9C\x85 passes the gate (exit 0): the subject passes"));
  EXPECT_THAT(md, Not(HasSubstr("**Failures**")));
}

TEST(MarkdownTest, StaysShortForAPullRequestComment) {
  EXPECT_LT(RenderMarkdown(ThreeSubjects(), GoldenOptions()).size(), 12000u);
}

}  // namespace
}  // namespace provkit::reports
