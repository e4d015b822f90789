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

// The element that starts at `id="..."`, up to the end of its opening tag.
std::string OpeningTag(const std::string& html, std::string_view id) {
  const std::size_t at = html.find("id=\"" + std::string(id) + "\"");
  if (at == std::string::npos) return "<missing " + std::string(id) + ">";
  const std::size_t start = html.rfind('<', at);
  return html.substr(start, html.find('>', at) - start + 1);
}

// The matrix cell of `clause` in column `run`.
std::string MatrixCell(const std::string& html, std::string_view clause, std::size_t run) {
  std::size_t at = html.find("<tr id=\"c-" + std::string(clause) + "\"");
  if (at == std::string::npos) return "<missing row>";
  for (std::size_t i = 0; i <= run; ++i) at = html.find("<td class=\"cell", at + 1);
  return html.substr(at, html.find("</td>", at) - at);
}

TEST(HtmlTest, BannerShowsTheOutcomeItsExitCodeAndTheGatingCount) {
  const std::string error = RenderHtml(ThreeSubjects(), GoldenOptions());
  EXPECT_EQ(OpeningTag(error, "verdict"),
            "<section id=\"verdict\" class=\"banner banner-error\" data-exit=\"2\" "
            "data-gating=\"4\">");
  EXPECT_THAT(error, HasSubstr("Fails the gate: harness error</p>"));
  EXPECT_THAT(error, HasSubstr("<li><b>exit 2</b>"));
  EXPECT_THAT(error, HasSubstr("<li><b>4</b> gating clauses</li>"));
  EXPECT_THAT(error, HasSubstr("<li><b>3</b> of 3 subjects failing</li>"));
  // The banner comes before everything else in <main>.
  EXPECT_LT(error.find("id=\"verdict\""), error.find("id=\"summary\""));

  const std::string fail =
      RenderHtml(std::vector<Results>{Fixture("server.results.json")}, GoldenOptions());
  EXPECT_EQ(OpeningTag(fail, "verdict"),
            "<section id=\"verdict\" class=\"banner banner-fail\" data-exit=\"1\" "
            "data-gating=\"1\">");
  EXPECT_THAT(fail, HasSubstr("<li><b>exit 1</b> contract failures</li>"));
  EXPECT_THAT(fail, HasSubstr("<li><b>1</b> gating clause</li>"));

  Results adapter = Fixture("adapter.results.json");
  adapter.Find("R16")->baseline_reason.reset();  // no stale entry left: R4 NON-STRICT only
  const std::string pass = RenderHtml(std::vector<Results>{adapter}, GoldenOptions());
  EXPECT_EQ(OpeningTag(pass, "verdict"),
            "<section id=\"verdict\" class=\"banner banner-pass\" data-exit=\"0\" "
            "data-gating=\"0\">");
  EXPECT_THAT(pass, HasSubstr("Passes the gate</p>"));
  EXPECT_THAT(pass, HasSubstr("<h2>Failures</h2>\n<p>Nothing gates.</p>"));
  ReportOptions strict = GoldenOptions();
  strict.strict = true;
  EXPECT_THAT(OpeningTag(RenderHtml(std::vector<Results>{adapter}, strict), "verdict"),
              HasSubstr("data-exit=\"1\""));
}

TEST(HtmlTest, CellsAreGateAwareAndNotApplicableCellsAreQuiet) {
  const std::string html = RenderHtml(ThreeSubjects(), GoldenOptions());
  // A stale baseline entry gates and looks it; a baselined FAIL does not and is muted.
  EXPECT_THAT(MatrixCell(html, "R16", 1),
              HasSubstr("data-gate=\"gates\"><a class=\"v m-gates\" href=\"#e1-R16\""));
  EXPECT_THAT(MatrixCell(html, "R16", 1), HasSubstr("STALE</a>"));
  EXPECT_THAT(MatrixCell(html, "S5", 0),
              HasSubstr("data-gate=\"baselined\"><a class=\"v m-baselined\" href=\"#e0-S5\""));
  EXPECT_THAT(MatrixCell(html, "R9", 0), HasSubstr("data-gate=\"gates\"><a class=\"v m-gates\""));
  EXPECT_THAT(MatrixCell(html, "R14", 0), HasSubstr("data-gate=\"gates\"><a class=\"v m-error\""));
  EXPECT_THAT(MatrixCell(html, "R7", 0), HasSubstr("data-gate=\"clear\"><a class=\"v m-warning\""));
  // n/a: a quiet dot, no chip.
  EXPECT_THAT(MatrixCell(html, "W1", 0), HasSubstr("data-gate=\"na\"><span class=\"na\""));
  EXPECT_THAT(MatrixCell(html, "W1", 0), Not(HasSubstr("class=\"v")));
  // Failing rows are highlighted and say in how many subjects they fail.
  EXPECT_THAT(html, HasSubstr("<tr id=\"c-R9\" class=\"row-gates\"><th scope=\"row\" "
                              "class=\"clause\">R9<span class=\"fails\">fails in 1 of 3 "
                              "subjects</span>"));
  EXPECT_THAT(html, HasSubstr("<tr id=\"c-S5\"><th"));  // baselined: not a failing row
  EXPECT_THAT(html, HasSubstr("<ul class=\"legend\" id=\"legend\">"));
  EXPECT_THAT(html, HasSubstr("known failure in the baseline: does not gate"));
}

TEST(HtmlTest, FailuresAreOpenPassesFoldedAndEveryCardLinksBackToTheMatrix) {
  const std::string html = RenderHtml(ThreeSubjects(), GoldenOptions());
  EXPECT_THAT(OpeningTag(html, "e0-R9"), HasSubstr(" open>"));
  EXPECT_THAT(OpeningTag(html, "e0-R14"), HasSubstr(" open>"));
  EXPECT_THAT(OpeningTag(html, "e0-S5"), HasSubstr(" open>"));   // baselined: still a failure
  EXPECT_THAT(OpeningTag(html, "e1-R16"), HasSubstr(" open>"));  // stale: gates
  EXPECT_THAT(OpeningTag(html, "e0-R1"), Not(HasSubstr(" open")));
  EXPECT_THAT(OpeningTag(html, "e0-S9"), Not(HasSubstr(" open")));  // SKIP
  EXPECT_THAT(OpeningTag(html, "e2-W6"), Not(HasSubstr(" open")));  // INFO
  EXPECT_EQ(Count(html, "<details class=\"card"), 27u + 26u + 7u);
  EXPECT_EQ(Count(html, "in the matrix</a></p>"), 27u + 26u + 7u);
  EXPECT_THAT(html, HasSubstr("<a href=\"#c-R9\">&uarr; R9 in the matrix</a>"));
}

TEST(HtmlTest, ExpectedAndObservedAreLists) {
  const std::string html = RenderHtml(ThreeSubjects(), GoldenOptions());
  // cpp.results.json is schema version 1: R1's expected is "one GET /health; ready iff ...".
  EXPECT_THAT(html, HasSubstr("<dt>Expected</dt><dd><ul class=\"items\"><li>one GET "
                              "/health</li><li>ready iff status &lt; 400</li></ul></dd>"));
  EXPECT_THAT(html, HasSubstr("<dt>Observed</dt><dd><ul class=\"items\"><li>returned after 5012 "
                              "ms</li><li>message: &lt;/pre&gt;&lt;img"));
}

TEST(HtmlTest, TheTimeColumnShowsOnlyWhenARequestWasTimed) {
  Results results = Fixture("cpp.results.json");
  const std::string html = RenderHtml(std::vector<Results>{results}, GoldenOptions());
  const std::string r1 = html.substr(html.find("id=\"e0-R1\""), 3000);
  EXPECT_THAT(r1.substr(0, r1.find("</details>")), HasSubstr("<th class=\"num\">Time</th>"));
  EXPECT_THAT(r1, HasSubstr("<td class=\"num\">0.4 ms</td>"));
  const std::string r9 = html.substr(html.find("id=\"e0-R9\""));
  EXPECT_THAT(r9.substr(0, r9.find("</details>")), Not(HasSubstr(">Time</th>")));
  EXPECT_THAT(r9.substr(0, r9.find("</details>")), HasSubstr("<table class=\"requests\">"));
}

TEST(HtmlTest, SeveralRunsOfOneSubjectAddAHistoryAndOnlyTheLatestGates) {
  // The earlier run is given last: the report still knows it is history.
  const std::vector<Results> runs{Fixture("cpp.results.json"), Fixture("server.results.json"),
                                  Fixture("cpp-old.results.json")};
  const std::string html = RenderHtml(runs, GoldenOptions());
  ASSERT_THAT(html, HasSubstr("<section id=\"history\">"));
  EXPECT_LT(html.find("id=\"matrix\""), html.find("id=\"history\""));
  EXPECT_LT(html.find("id=\"history\""), html.find("id=\"evidence\""));
  EXPECT_THAT(html, HasSubstr("5 clauses changed verdict, 22 unchanged."));
  const std::string history = html.substr(html.find("id=\"history\""));
  const std::string r9 = history.substr(history.find("<a href=\"#c-R9\">"));
  // R9: PASS in the old run (column 2), FAIL in the new one (column 0), outlined as changed.
  EXPECT_THAT(r9.substr(0, r9.find("</tr>")),
              HasSubstr("<td class=\"cell\" data-gate=\"clear\"><a class=\"v m-pass\" "
                        "href=\"#e2-R9\""));
  EXPECT_THAT(r9.substr(0, r9.find("</tr>")),
              HasSubstr("<td class=\"cell changed\" data-gate=\"gates\"><a class=\"v m-gates\" "
                        "href=\"#e0-R9\""));
  EXPECT_THAT(r9.substr(0, r9.find("</tr>")),
              HasSubstr("<span class=\"worse\">regressed</span> PASS &rarr; FAIL <span "
                        "class=\"muted\">2025-03-14T09:26:53Z</span>"));
  EXPECT_THAT(history, HasSubstr("<span class=\"better\">fixed</span> FAIL &rarr; PASS"));
  // The gate is that of cpp (exit 2) and the server: cpp-old's R12 and S9 are not counted.
  EXPECT_THAT(OpeningTag(html, "verdict"), HasSubstr("data-exit=\"2\" data-gating=\"3\""));
  EXPECT_THAT(html, HasSubstr("1 earlier run of the same subjects shown as"));
  EXPECT_THAT(html, HasSubstr("<a href=\"#s2\">cpp-example</a> <span class=\"earlier-tag\">"));
  const std::string failures = html.substr(html.find("id=\"failures\""));
  EXPECT_THAT(failures.substr(0, failures.find("</section>")), Not(HasSubstr("#e2-")));
  EXPECT_THAT(RenderHtml(ThreeSubjects(), GoldenOptions()), Not(HasSubstr("id=\"history\"")));
}

TEST(HtmlTest, HostileNamesInTheHistoryAreEscaped) {
  Results old_run = Fixture("server.results.json");
  Results new_run = Fixture("server.results.json");
  old_run.subject.name = new_run.subject.name = "<img src=x onerror=alert(1)>";
  new_run.generated_at = "2025-03-15T00:00:00Z";
  new_run.Find("W1")->verdict = Verdict::kFail;
  new_run.Find("W1")->reason = "</td><script>x()</script>";
  const std::string html = RenderHtml(std::vector<Results>{old_run, new_run}, GoldenOptions());
  ASSERT_THAT(html, HasSubstr("<section id=\"history\">"));
  EXPECT_THAT(Lower(html), Not(HasSubstr("<img")));
  EXPECT_THAT(Lower(html), Not(HasSubstr("<script")));
  EXPECT_THAT(html, HasSubstr("<h3>&lt;img src=x onerror=alert(1)&gt; <span"));
  EXPECT_EQ(Count(html, "<tr"), Count(html, "</tr>"));
  EXPECT_EQ(Count(html, "<td"), Count(html, "</td>"));
}

}  // namespace
}  // namespace provkit::reports
