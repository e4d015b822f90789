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

TEST(MarkdownTest, IconsAreGateAwareWithALegend) {
  const std::string md = RenderMarkdown(ThreeSubjects(), GoldenOptions());
  // A stale entry gates (red cross), a baselined FAIL does not (muted bell).
  EXPECT_THAT(md, HasSubstr("| \xE2\x9D\x8C STALE (PASS in baseline) |"));
  EXPECT_THAT(md, HasSubstr("| \xF0\x9F\x94\x95 FAIL (baselined) |"));
  EXPECT_THAT(md, HasSubstr("- \xF0\x9F\x94\x95 **FAIL (baselined)** cpp-example S5"));
  EXPECT_THAT(md, HasSubstr("- \xF0\x9F\x9B\x91 **ERROR** cpp-example R14"));
  EXPECT_THAT(md, HasSubstr("`\xC2\xB7` does not apply to this kind of subject"));
  EXPECT_THAT(md, HasSubstr("\xF0\x9F\x94\x95 known failure in the baseline: does not gate"));
  EXPECT_THAT(md, Not(HasSubstr("\xE2\x9C\x85 PASS (")));  // no green cell carries a note
}

TEST(MarkdownTest, HtmlUrlLinksEveryFailureToItsAnchor) {
  ReportOptions options = GoldenOptions();
  options.html_url = "https://ci.example/run(7)/report.html";
  const std::string md = RenderMarkdown(ThreeSubjects(), options);
  EXPECT_THAT(md, HasSubstr("[The full HTML report](https://ci.example/run%287%29/report.html)"));
  EXPECT_THAT(
      md,
      HasSubstr("**FAIL** cpp-example [R9](https://ci.example/run%287%29/report.html#e0-R9): "));
  EXPECT_THAT(md, HasSubstr("**STALE BASELINE** python-example "
                            "[R16](https://ci.example/run%287%29/report.html#e1-R16): "));
  EXPECT_THAT(md, HasSubstr("[W3](https://ci.example/run%287%29/report.html#e2-W3)"));
  EXPECT_THAT(md, HasSubstr("[S5](https://ci.example/run%287%29/report.html#e0-S5)"));
  // Not run: no evidence card, so the link goes to the matrix row.
  Results missing = Fixture("server.results.json");
  missing.clauses.erase(missing.clauses.begin());
  options.html_url = "report.html";
  EXPECT_THAT(RenderMarkdown(std::vector<Results>{missing}, options),
              HasSubstr("**NOT RUN** llama-server [W1](report.html#c-W1): "));
}

TEST(MarkdownTest, HostileHtmlUrlsCannotBreakOutOrRunScript) {
  ReportOptions options = GoldenOptions();
  options.html_url = "https://x.example/a)](javascript:alert(1))|<b>`";
  const std::string md = RenderMarkdown(ThreeSubjects(), options);
  EXPECT_THAT(
      md, HasSubstr("(https://x.example/a%29%5D%28javascript:alert%281%29%29%7C%3Cb%3E%60#e0-R9)"));
  EXPECT_THAT(md, Not(HasSubstr("<b>")));
  for (const char* bad : {"javascript:alert(1)", "data:text/html,x", "//evil.example/r.html",
                          "https://x.example/r.html#top", "https://", "https://x.example/a b"}) {
    options.html_url = bad;
    const std::string unlinked = RenderMarkdown(ThreeSubjects(), options);
    EXPECT_FALSE(std::regex_search(unlinked, std::regex(R"([^\\]\]\()"))) << bad;
    EXPECT_THAT(unlinked, HasSubstr("**FAIL** cpp-example R9: ")) << bad;
  }
}

TEST(MarkdownTest, SeveralRunsOfOneSubjectListTheChanges) {
  const std::vector<Results> runs{Fixture("cpp-old.results.json"), Fixture("cpp.results.json")};
  const std::string md = RenderMarkdown(runs, GoldenOptions());
  EXPECT_THAT(md,
              HasSubstr("**Changes**\n\n- cpp-example, 2025-03-10T08:00:00Z \xE2\x86\x92 "
                        "2025-03-14T09:26:53Z: R9 PASS \xE2\x86\x92 FAIL (regressed), R12 FAIL "
                        "\xE2\x86\x92 PASS (fixed), R14 PASS \xE2\x86\x92 ERROR (regressed), S5 "
                        "ERROR \xE2\x86\x92 FAIL, S9 not run \xE2\x86\x92 SKIP\n"));
  // Only the latest run gates: cpp-old's R12 is not among the failures.
  EXPECT_THAT(md, HasSubstr("(exit 2): 2 gating clauses in 1 of 1 subject\n"));
  EXPECT_THAT(md, Not(HasSubstr("**FAIL** cpp-example R12")));
  EXPECT_THAT(md,
              HasSubstr("| cpp-example (earlier run, 2025-03-10T08:00:00Z) | cpp | not gated: "));
  EXPECT_THAT(RenderMarkdown(ThreeSubjects(), GoldenOptions()), Not(HasSubstr("**Changes**")));
}

TEST(MarkdownTest, StaysShortForAPullRequestComment) {
  EXPECT_LT(RenderMarkdown(ThreeSubjects(), GoldenOptions()).size(), 12000u);
}

}  // namespace
}  // namespace provkit::reports
