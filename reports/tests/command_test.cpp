// Tests of `provkit report`: each subcommand end to end, help, bad flags, bad input, exit codes.
#include "provkit/reports/command.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <vector>

#include "golden.hpp"
#include "provkit/reports/html.hpp"

namespace provkit::reports {
namespace {

using testing::DataPath;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::ScopedEnv;
using testing::ScratchDir;
using testing::Slurp;
using ::testing::StartsWith;

struct Invocation {
  int exit_code;
  std::string out;
  std::string err;
};

Invocation Report(std::vector<std::string> args) {
  args.insert(args.begin(), "report");
  std::ostringstream out;
  std::ostringstream err;
  const int code = RunReportCommand(args, out, err);
  return {code, out.str(), err.str()};
}

std::string Data(const char* name) { return DataPath(name).string(); }

class CommandTest : public ::testing::Test {
 protected:
  ScopedEnv epoch_{"SOURCE_DATE_EPOCH", "1741953600"};  // 2025-03-14T12:00:00Z, the goldens' time
  ScratchDir dir_;
};

TEST_F(CommandTest, HtmlWritesTheSameReportAsTheLibrary) {
  const std::string path = (dir_ / "out/report.html").string();
  const Invocation run = Report({"html", Data("cpp.results.json"), Data("adapter.results.json"),
                                 Data("server.results.json"), "-o", path});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, IsEmpty());
  EXPECT_THAT(run.err, HasSubstr("wrote the HTML report of 3 subjects to " + path));
  ReportOptions options;
  options.generated_at = "2025-03-14T12:00:00Z";
  EXPECT_EQ(Slurp(path), RenderHtml(testing::ThreeSubjects(), options));
}

TEST_F(CommandTest, MarkdownGoesToStdoutByDefault) {
  const Invocation run = Report({"md", Data("server.results.json")});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, StartsWith("## provkit contract report: "));
  EXPECT_THAT(run.out, HasSubstr("2025-03-14T12:00:00Z"));
}

TEST_F(CommandTest, JunitWithOptionEqualsValueAndStrict) {
  const Invocation run = Report(
      {"junit", "--strict", "--output=" + (dir_ / "j.xml").string(), Data("adapter.results.json")});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(Slurp(dir_ / "j.xml"), HasSubstr("type=\"NON-STRICT\""));
}

TEST_F(CommandTest, BadgeSvgAndJson) {
  Invocation run = Report({"badge", Data("cpp.results.json"), "-o", (dir_ / "badge.svg").string()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(Slurp(dir_ / "badge.svg"), StartsWith("<svg "));
  run = Report({"badge", "--json", "--label", "provkit", Data("cpp.results.json")});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("\"label\":\"provkit\""));
  EXPECT_THAT(run.out, HasSubstr("\"color\":\"red\""));
}

TEST_F(CommandTest, BaselineFlagAppliesToEveryInput) {
  const Invocation run =
      Report({"md", "--baseline", Data("cpp.baseline"), Data("cpp.results.json")});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("**STALE BASELINE** cpp-example R1"));
}

TEST_F(CommandTest, DiffExitsOneOnRegressionAndZeroOtherwise) {
  Invocation run = Report({"diff", Data("cpp-old.results.json"), Data("cpp.results.json")});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.out, HasSubstr("Regressions:\n  R9  PASS -> FAIL"));
  run = Report({"diff", Data("cpp.results.json"), Data("cpp-old.results.json")});
  EXPECT_EQ(run.exit_code, 1);  // the other way round R12 regressed
  run = Report({"diff", Data("cpp.results.json"), Data("cpp.results.json"), "--format", "md"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("0 regressed"));
  run = Report({"diff", "--threshold", "1000", "--min-ms", "0.5", Data("cpp-old.results.json"),
                Data("cpp.results.json")});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.out, HasSubstr("0 timing"));
}

TEST_F(CommandTest, MergeWritesResultsThatReadBack) {
  const auto path = dir_ / "merged.json";
  const Invocation run = Report(
      {"merge", Data("shard-1.results.json"), Data("shard-0.results.json"), "-o", path.string()});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const Outcome<Results> merged = ReadResultsFile(path);
  ASSERT_TRUE(merged) << merged.error().ToString();
  EXPECT_EQ(merged->clauses.size(), 27u);
}

TEST_F(CommandTest, MergeErrorsLeaveNoOutput) {
  const auto path = dir_ / "merged.json";
  const Invocation run = Report({"merge", Data("shard-0.results.json"), "-o", path.string()});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr("shard(s) 1 of 2 missing"));
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_EQ(Report({"merge", Data("shard-0.results.json")}).exit_code, 2);  // -o is required
}

TEST_F(CommandTest, MarkdownHtmlUrlLinksFailuresAndRefusesUnusableUrls) {
  Invocation run = Report({"md", "--html-url", "https://ci.example/7/report.html",
                           Data("cpp.results.json"), Data("server.results.json")});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("[R9](https://ci.example/7/report.html#e0-R9)"));
  EXPECT_THAT(run.out, HasSubstr("[W3](https://ci.example/7/report.html#e1-W3)"));
  for (const char* bad : {"javascript:alert(1)", "https://ci.example/r.html#x", "", "a b"}) {
    run = Report({"md", "--html-url", bad, Data("server.results.json")});
    EXPECT_EQ(run.exit_code, 2) << bad;
    EXPECT_THAT(run.err, HasSubstr("--html-url wants an http:// or https:// URL")) << bad;
    EXPECT_THAT(run.out, IsEmpty()) << bad;
  }
}

TEST_F(CommandTest, AnEmptyBaselineTurnsAStaleEntryBackIntoAPass) {
  const Invocation run =
      Report({"html", "--baseline", Data("empty.baseline"), Data("adapter.results.json")});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_THAT(run.out, HasSubstr("class=\"banner banner-pass\" data-exit=\"0\""));
}

TEST_F(CommandTest, HelpForEverySubcommandListsEveryOption) {
  const std::map<std::string, std::vector<std::string>> options = {
      {"html", {"--output", "-o", "--strict", "--baseline", "--title", "--help"}},
      {"md", {"--output", "--strict", "--baseline", "--title", "--html-url"}},
      {"junit", {"--output", "--strict", "--baseline", "--title"}},
      {"diff", {"--output", "--threshold", "--min-ms", "--format"}},
      {"badge", {"--output", "--json", "--label", "--baseline"}},
      {"merge", {"--output", "--allow-partial"}},
  };
  for (const auto& [subcommand, names] : options) {
    const Invocation run = Report({subcommand, "--help"});
    EXPECT_EQ(run.exit_code, 0) << subcommand;
    EXPECT_THAT(run.out, StartsWith("usage: provkit report " + subcommand)) << subcommand;
    for (const std::string& name : names)
      EXPECT_THAT(run.out, HasSubstr(name)) << subcommand << " " << name;
  }
  const Invocation top = Report({"--help"});
  EXPECT_EQ(top.exit_code, 0);
  for (const char* subcommand : {"html", "md", "junit", "diff", "badge", "merge"}) {
    EXPECT_THAT(top.out, HasSubstr(std::string("  ") + subcommand));
  }
}

TEST_F(CommandTest, BadFlagsPrintAMessageAndUsageAndExitTwo) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"html", "--colour", Data("cpp.results.json")},
           {"html"},
           {"diff", Data("cpp.results.json")},
           {"badge", Data("cpp.results.json"), Data("server.results.json")},
           {"md", "--strict=yes", Data("cpp.results.json")},
           {"junit", Data("cpp.results.json"), "-o"},
           {"diff", "--threshold", "lots", Data("cpp.results.json"), Data("cpp.results.json")},
           {"diff", "--format", "html", Data("cpp.results.json"), Data("cpp.results.json")},
       }) {
    const Invocation run = Report(args);
    EXPECT_EQ(run.exit_code, 2) << args[0] << " " << (args.size() > 1 ? args[1] : "");
    EXPECT_THAT(run.err, StartsWith("provkit report " + args[0] + ": ")) << run.err;
    EXPECT_THAT(run.out, IsEmpty());
  }
  EXPECT_EQ(Report({"html", "--colour", "x"}).err,
            "provkit report html: unknown option '--colour'\n"
            "usage: provkit report html [options] RESULTS...\n");
  EXPECT_THAT(Report({"md", "--titel", "x", "y"}).err,
              StartsWith("provkit report md: unknown option '--titel' (did you mean --title?)\n"));
  EXPECT_EQ(Report({"html", "-o", Data("cpp.results.json")}).err,
            "provkit report html: RESULTS is required\n"
            "usage: provkit report html [options] RESULTS...\n");
  EXPECT_EQ(Report({"diff", "--format", "html", "a", "b"}).err,
            "provkit report diff: --format expects text or md, got 'html'\n"
            "usage: provkit report diff [options] OLD NEW\n");
  EXPECT_EQ(
      Report({"pdf"}).err,
      "provkit report: unknown subcommand 'pdf'\nusage: provkit report <subcommand> [options]\n");
  EXPECT_EQ(Report({"mrege"}).exit_code, 2);
  EXPECT_THAT(Report({"mrege"}).err, HasSubstr("(did you mean merge?)"));
  EXPECT_EQ(Report({}).exit_code, 2);
}

TEST_F(CommandTest, UnreadableOrMalformedResultsNameTheFileAndKeepTheOldReport) {
  const auto report = dir_ / "report.html";
  std::ofstream(report) << "the good report";
  std::ofstream(dir_ / "broken.json") << "{\"schema\": \"provkit-results\",";
  Invocation run = Report(
      {"html", Data("cpp.results.json"), (dir_ / "broken.json").string(), "-o", report.string()});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr((dir_ / "broken.json").string() + ":1:"));
  EXPECT_THAT(run.err, HasSubstr("malformed JSON"));
  EXPECT_EQ(Slurp(report), "the good report");
  run = Report({"md", (dir_ / "absent.json").string()});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr("absent.json: cannot read"));
}

TEST_F(CommandTest, BadBaselineIsNamedWithItsLine) {
  std::ofstream(dir_ / "baseline.txt") << "# ok\nS5\n";
  const Invocation run =
      Report({"md", "--baseline", (dir_ / "baseline.txt").string(), Data("cpp.results.json")});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_THAT(run.err, HasSubstr("baseline.txt:2: clause S5 needs a reason"));
}

}  // namespace
}  // namespace provkit::reports
