// Tests of the HTML report: golden, self-contained, working anchors, hostile text escaped.
#include "provkit/reports/html.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <regex>
#include <set>

#include "golden.hpp"

namespace provkit::reports {
namespace {

using testing::Fixture;
using testing::GoldenOptions;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::ThreeSubjects;

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return text;
}

std::size_t Count(const std::string& text, std::string_view needle) {
  std::size_t count = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
    ++count;
  return count;
}

TEST(HtmlTest, MatchesGoldenForThreeSubjects) {
  testing::ExpectGolden("report.html", RenderHtml(ThreeSubjects(), GoldenOptions()));
}

TEST(HtmlTest, HasHeaderSummaryFailuresMatrixAndEvidenceInThatOrder) {
  const std::string html = RenderHtml(ThreeSubjects(), GoldenOptions());
  const std::size_t header = html.find("<header>");
  const std::size_t summary = html.find("id=\"summary\"");
  const std::size_t failures = html.find("id=\"failures\"");
  const std::size_t matrix = html.find("<table id=\"matrix\">");
  const std::size_t evidence = html.find("id=\"evidence\"");
  ASSERT_NE(matrix, std::string::npos);
  EXPECT_LT(header, summary);
  EXPECT_LT(summary, failures);
  EXPECT_LT(failures, matrix);
  EXPECT_LT(matrix, evidence);
  EXPECT_THAT(html, HasSubstr("provkit 0.1.0"));
  EXPECT_THAT(html, HasSubstr("generated 2025-03-14T12:00:00Z"));
  EXPECT_THAT(html, HasSubstr("R &middot; Readiness probe"));
  EXPECT_THAT(html, HasSubstr("W &middot; Wire behaviour of a live server"));
}

TEST(HtmlTest, IsSelfContainedAndForbidsScripts) {
  const std::string html = Lower(RenderHtml(ThreeSubjects(), GoldenOptions()));
  EXPECT_THAT(
      html,
      HasSubstr(
          "content-security-policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\""));
  EXPECT_THAT(html, Not(HasSubstr("<link")));
  // A real element (its '<' unescaped) carrying a src attribute would fetch something.
  EXPECT_FALSE(std::regex_search(html, std::regex("<[a-z]+[^<>]*\\ssrc\\s*=")));
  EXPECT_THAT(html, Not(HasSubstr("url(")));
  EXPECT_THAT(html, Not(HasSubstr("@import")));
}

TEST(HtmlTest, EveryInternalLinkHasItsTarget) {
  const std::string html = RenderHtml(ThreeSubjects(), GoldenOptions());
  std::set<std::string> ids;
  const std::regex id_pattern("id=\"([^\"]+)\"");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), id_pattern);
       it != std::sregex_iterator(); ++it) {
    EXPECT_TRUE(ids.insert((*it)[1]).second) << "duplicate id " << (*it)[1];
  }
  const std::regex href_pattern("href=\"#([^\"]+)\"");
  int links = 0;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), href_pattern);
       it != std::sregex_iterator(); ++it) {
    EXPECT_EQ(ids.count((*it)[1]), 1u) << "link to missing #" << (*it)[1];
    ++links;
  }
  // Every verdict of the 27 + 26 + 7 clause results links to its evidence.
  EXPECT_GE(links, 60);
  EXPECT_THAT(html, HasSubstr("href=\"#e0-R9\""));
  EXPECT_THAT(html, HasSubstr("<details class=\"card m-gates\" id=\"e0-R9\""));
}

TEST(HtmlTest, HostileTextFromResultsCannotInjectMarkup) {
  const std::string html = RenderHtml(ThreeSubjects(), GoldenOptions());
  const std::string lower = Lower(html);
  // The fixtures carry <script>, <img onerror>, </pre>, javascript: links and ]]> in reasons and
  // bodies.
  EXPECT_EQ(Count(lower, "<script"), 0u);
  EXPECT_EQ(Count(lower, "<img"), 0u);
  EXPECT_THAT(html, HasSubstr("&lt;b&gt;bold&lt;/b&gt;"));
  EXPECT_EQ(Count(lower, "href=\"javascript"), 0u);
  EXPECT_THAT(html, HasSubstr("&lt;script&gt;alert(&quot;owned&quot;)&lt;/script&gt;"));
  EXPECT_THAT(html, HasSubstr("&lt;/pre&gt;&lt;img src=x onerror=alert(1)&gt;"));
  EXPECT_EQ(Count(html, "<pre>"), Count(html, "</pre>"));
  EXPECT_EQ(Count(html, "<details "), Count(html, "</details>"));
  EXPECT_EQ(Count(html, "<li>"), Count(html, "</li>"));
  EXPECT_EQ(Count(html, "<tr"), Count(html, "</tr>"));
}

TEST(HtmlTest, HostileSubjectNameAndTitleAreEscapedToo) {
  Results results = Fixture("server.results.json");
  results.subject.name = "<svg onload=alert(1)>\"'";
  ReportOptions options = GoldenOptions();
  options.title = "</title><script>x()</script>";
  const std::string html = RenderHtml(std::vector<Results>{results}, options);
  EXPECT_THAT(Lower(html), Not(HasSubstr("<svg")));
  EXPECT_THAT(Lower(html), Not(HasSubstr("<script")));
  EXPECT_THAT(html, HasSubstr("&lt;svg onload=alert(1)&gt;&quot;&#39;"));
}

TEST(HtmlTest, MarksBaselinedStaleAndMissingCells) {
  Results adapter = Fixture("adapter.results.json");
  adapter.clauses.erase(adapter.clauses.begin());  // R1 not run
  const std::string html =
      RenderHtml(std::vector<Results>{Fixture("cpp.results.json"), adapter}, GoldenOptions());
  EXPECT_THAT(html, HasSubstr("<span class=\"note\">baselined</span>"));
  EXPECT_THAT(html, HasSubstr("<span class=\"note\">PASS in baseline</span>"));
  EXPECT_THAT(html, HasSubstr(">not run</span>"));
  EXPECT_THAT(html, HasSubstr("NOT RUN"));
}

TEST(HtmlTest, StrictMovesNonStrictAmongTheGatingFailures) {
  ReportOptions options = GoldenOptions();
  const std::vector<Results> runs{Fixture("adapter.results.json")};
  const std::string relaxed = RenderHtml(runs, options);
  options.strict = true;
  const std::string strict = RenderHtml(runs, options);
  // Without --strict R4 is listed under "Not gating"; with it, before that heading.
  const auto r4_before_notes = [](const std::string& html) {
    const std::size_t notes = html.find("<h3>Not gating</h3>");
    return html.find("href=\"#e0-R4\"") < notes;
  };
  EXPECT_FALSE(r4_before_notes(relaxed));
  EXPECT_TRUE(r4_before_notes(strict));
}

}  // namespace
}  // namespace provkit::reports
