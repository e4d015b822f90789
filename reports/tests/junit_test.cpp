// Tests of the JUnit report: golden, well-formed XML despite hostile text, verdict mapping.
#include "provkit/reports/junit.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cctype>
#include <regex>
#include <set>
#include <vector>

#include "golden.hpp"

namespace provkit::reports {
namespace {

using testing::Fixture;
using testing::GoldenOptions;
using ::testing::HasSubstr;
using testing::ThreeSubjects;

bool IsNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' ||
         c == ':';
}

// Checks `text` (character data or an attribute value) for raw markup and bad entities.
std::string CheckCharacterData(std::string_view text) {
  static const std::regex entity("^&(amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);");
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '<') return "raw '<' in text";
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') return "control character in text";
    if (c == '&' && !std::regex_search(std::string(text.substr(i, 12)), entity)) {
      return "bad entity at: " + std::string(text.substr(i, 12));
    }
  }
  return "";
}

// A small well-formedness checker: declaration, balanced elements, one root,
// quoted unique attributes, escaped text. Returns an empty string when fine.
std::string CheckXml(std::string_view xml) {
  std::size_t at = 0;
  if (xml.substr(0, 5) == "<?xml") {
    at = xml.find("?>");
    if (at == std::string_view::npos) return "unterminated declaration";
    at += 2;
  }
  std::vector<std::string> open;
  int roots = 0;
  while (at < xml.size()) {
    const std::size_t lt = xml.find('<', at);
    const std::string_view text =
        xml.substr(at, lt == std::string_view::npos ? std::string_view::npos : lt - at);
    if (std::string problem = CheckCharacterData(text); !problem.empty()) return problem;
    if (open.empty() && text.find_first_not_of(" \t\r\n") != std::string_view::npos)
      return "text outside the root";
    if (lt == std::string_view::npos) break;
    const std::size_t gt = xml.find('>', lt);
    if (gt == std::string_view::npos) return "unterminated tag";
    std::string_view tag = xml.substr(lt + 1, gt - lt - 1);
    at = gt + 1;
    if (!tag.empty() && tag[0] == '/') {
      if (open.empty() || open.back() != tag.substr(1))
        return "mismatched </" + std::string(tag.substr(1)) + ">";
      open.pop_back();
      continue;
    }
    const bool self_closing = !tag.empty() && tag.back() == '/';
    if (self_closing) tag.remove_suffix(1);
    std::size_t i = 0;
    while (i < tag.size() && IsNameChar(tag[i])) ++i;
    const std::string name(tag.substr(0, i));
    if (name.empty()) return "bad tag <" + std::string(tag) + ">";
    std::set<std::string> attributes;
    while (i < tag.size()) {
      while (i < tag.size() && tag[i] == ' ') ++i;
      if (i == tag.size()) break;
      const std::size_t name_start = i;
      while (i < tag.size() && IsNameChar(tag[i])) ++i;
      const std::string attribute(tag.substr(name_start, i - name_start));
      if (attribute.empty() || i + 1 >= tag.size() || tag[i] != '=' || tag[i + 1] != '"') {
        return "bad attribute in <" + name + ">";
      }
      if (!attributes.insert(attribute).second) return "duplicate attribute " + attribute;
      const std::size_t close = tag.find('"', i + 2);
      if (close == std::string_view::npos) return "unterminated attribute " + attribute;
      if (std::string problem = CheckCharacterData(tag.substr(i + 2, close - i - 2));
          !problem.empty()) {
        return problem + " in attribute " + attribute;
      }
      i = close + 1;
    }
    if (open.empty()) ++roots;
    if (!self_closing) open.push_back(name);
  }
  if (!open.empty()) return "unclosed <" + open.back() + ">";
  return roots == 1 ? "" : "expected one root element";
}

int CountOf(const std::string& text, const std::string& pattern) {
  const std::regex regex(pattern);
  return static_cast<int>(
      std::distance(std::sregex_iterator(text.begin(), text.end(), regex), std::sregex_iterator()));
}

TEST(JunitTest, CheckerRejectsBrokenXml) {
  EXPECT_EQ(CheckXml("<a x=\"1\"><b/>t &amp; u</a>"), "");
  EXPECT_NE(CheckXml("<a><b></a></b>"), "");
  EXPECT_NE(CheckXml("<a>x < y</a>"), "");
  EXPECT_NE(CheckXml("<a>AT&T</a>"), "");
  EXPECT_NE(CheckXml("<a x=\"1\" x=\"2\"/>"), "");
  EXPECT_NE(CheckXml("<a>\x01</a>"), "");
  EXPECT_NE(CheckXml("<a/><b/>"), "");
}

TEST(JunitTest, MatchesGoldenForThreeSubjects) {
  testing::ExpectGolden("junit.xml", RenderJunit(ThreeSubjects(), GoldenOptions()));
}

TEST(JunitTest, IsWellFormedDespiteHostileText) {
  const std::string xml = RenderJunit(ThreeSubjects(), GoldenOptions());
  EXPECT_EQ(CheckXml(xml), "");
  EXPECT_THAT(xml, HasSubstr("&lt;script&gt;"));
  EXPECT_THAT(xml, HasSubstr("]]&gt;"));
}

TEST(JunitTest, OneSuitePerSubjectOneCasePerClause) {
  const std::string xml = RenderJunit(ThreeSubjects(), GoldenOptions());
  EXPECT_EQ(CountOf(xml, "<testsuite "), 3);
  EXPECT_EQ(CountOf(xml, "<testcase "), 27 + 26 + 7);
  EXPECT_THAT(
      xml,
      HasSubstr(
          "<testsuites name=\"provkit contract report\" tests=\"60\" failures=\"3\" errors=\"1\" "
          "skipped=\"2\""));
  EXPECT_THAT(xml, HasSubstr("<testsuite name=\"cpp-example\" tests=\"27\" failures=\"1\" "
                             "errors=\"1\" skipped=\"2\""));
  EXPECT_THAT(xml, HasSubstr("<testsuite name=\"python-example\" tests=\"26\" failures=\"1\" "
                             "errors=\"0\" skipped=\"0\""));
}

TEST(JunitTest, VerdictsMapToJunitOutcomes) {
  const std::string xml = RenderJunit(ThreeSubjects(), GoldenOptions());
  EXPECT_THAT(xml, HasSubstr("<failure message=\"probe did not return within its 2000 ms budget"));
  EXPECT_THAT(xml, HasSubstr("type=\"FAIL\""));
  EXPECT_THAT(xml, HasSubstr("<error message=\"harness error: the cancelling thread did not start "
                             "within 1 s\" type=\"ERROR\">"));
  EXPECT_THAT(xml, HasSubstr("<skipped message=\"provider declares no run_many\"/>"));
  EXPECT_THAT(xml, HasSubstr("<skipped message=\"known failure in the baseline (HTTP client opens "
                             "a connection per turn until #12 lands): FAIL: "));
  EXPECT_THAT(xml, HasSubstr("type=\"STALE-BASELINE\""));
  // NON-STRICT passes, carrying its verdict as a property.
  const std::regex non_strict(
      "<testcase name=\"R7 [^\"]*\"[^>]*>\\s*<properties>\\s*<property name=\"clause\" "
      "value=\"R7\"/>\\s*"
      "<property name=\"verdict\" value=\"NON-STRICT\"/>\\s*</properties>\\s*<system-out>");
  EXPECT_TRUE(std::regex_search(xml, non_strict));
}

TEST(JunitTest, StrictTurnsNonStrictIntoAFailure) {
  ReportOptions options = GoldenOptions();
  options.strict = true;
  const std::string xml = RenderJunit(std::vector<Results>{Fixture("cpp.results.json")}, options);
  EXPECT_THAT(xml, HasSubstr("tests=\"27\" failures=\"2\""));
  EXPECT_THAT(xml, HasSubstr("type=\"NON-STRICT\""));
}

TEST(JunitTest, AnIncompleteRunGetsACoverageError) {
  Results results = Fixture("server.results.json");
  results.clauses.pop_back();  // W7 not run
  const std::string xml = RenderJunit(std::vector<Results>{results}, GoldenOptions());
  EXPECT_EQ(CheckXml(xml), "");
  EXPECT_THAT(xml, HasSubstr("<testcase name=\"coverage\" classname=\"llama-server.run\""));
  EXPECT_THAT(xml, HasSubstr("expected but not run: W7"));
  EXPECT_THAT(xml, HasSubstr("tests=\"7\" failures=\"1\" errors=\"1\""));
}

}  // namespace
}  // namespace provkit::reports
