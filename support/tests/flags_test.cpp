// Tests FlagParser: every kind of flag, both value syntaxes, help, version, usage errors and
// "did you mean" suggestions.
#include "provkit/support/flags.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

namespace provkit::support {
namespace {

using Action = ParseResult::Action;

/// A parser over every kind of flag, with the values it fills.
struct Fixture {
  bool quiet = false;
  std::optional<std::string> host;
  std::string name = "default";
  std::optional<int> port;
  long long threads = 128;
  std::optional<double> delay;
  std::vector<std::string> params;
  std::string unit;
  std::optional<std::string> url;
  FlagParser parser{"provkit demo", "URL [options]"};

  Fixture() {
    parser.Description("Demonstrates every kind of flag.")
        .Version("provkit 9.9.9 (contract version 9)")
        .Bool({.name = "quiet", .help = "say nothing", .short_name = 'q'}, &quiet)
        .String({.name = "host", .value_name = "H", .help = "address to bind"}, &host)
        .String({.name = "name",
                 .value_name = "NAME",
                 .help = "first line\nsecond line",
                 .non_empty = true},
                &name)
        .Int({.name = "port", .value_name = "P", .help = "port"}, &port, 0, 65535)
        .Int({.name = "threads", .value_name = "N", .help = "threads"}, &threads, 1LL, 4096LL)
        .Number({.name = "delay-ms", .value_name = "MS", .help = "a delay"}, &delay, 0.0, 1000.0)
        .Repeated({.name = "param", .value_name = "KEY=VALUE", .help = "repeatable"}, &params)
        .Value({.name = "unit", .value_name = "U", .help = "s or ms"}, "s or ms",
               [this](std::string_view text) {
                 if (text != "s" && text != "ms") return false;
                 unit = std::string(text);
                 return true;
               })
        .Positional("URL", "the server's base URL", &url, /*required=*/true);
  }

  ParseResult Parse(std::vector<std::string> args) { return parser.Parse(args); }
};

TEST(Flags, EveryKindOfFlagInBothSyntaxes) {
  Fixture f;
  const ParseResult result = f.Parse({"--quiet", "--host", "0.0.0.0", "--name=me", "--port=8080",
                                      "--threads", "16", "--delay-ms", "2.5", "--param", "a=1",
                                      "--param=b=2", "--unit", "ms", "http://x/v1"});
  ASSERT_EQ(result.action, Action::kRun) << result.error;
  EXPECT_TRUE(f.quiet);
  EXPECT_EQ(f.host, "0.0.0.0");
  EXPECT_EQ(f.name, "me");
  EXPECT_EQ(f.port, 8080);
  EXPECT_EQ(f.threads, 16);
  EXPECT_EQ(f.delay, 2.5);
  EXPECT_EQ(f.params, (std::vector<std::string>{"a=1", "b=2"}));
  EXPECT_EQ(f.unit, "ms");
  EXPECT_EQ(f.url, "http://x/v1");
}

TEST(Flags, UnsetFlagsKeepTheirDefaults) {
  Fixture f;
  ASSERT_EQ(f.Parse({"http://x"}).action, Action::kRun);
  EXPECT_FALSE(f.quiet);
  EXPECT_EQ(f.host, std::nullopt);
  EXPECT_EQ(f.name, "default");
  EXPECT_EQ(f.threads, 128);
  EXPECT_TRUE(f.params.empty());
}

TEST(Flags, ShortAliasLastValueWinsAndValuesMayLookLikeFlags) {
  Fixture f;
  ASSERT_EQ(f.Parse({"-q", "--port", "1", "--port", "2", "--host", "--weird", "u"}).action,
            Action::kRun);
  EXPECT_TRUE(f.quiet);
  EXPECT_EQ(f.port, 2);
  EXPECT_EQ(f.host, "--weird");
  EXPECT_EQ(f.url, "u");
}

TEST(Flags, DoubleDashEndsTheFlags) {
  Fixture f;
  ASSERT_EQ(f.Parse({"--", "--quiet"}).action, Action::kRun);
  EXPECT_FALSE(f.quiet);
  EXPECT_EQ(f.url, "--quiet");
}

TEST(Flags, HelpAndVersion) {
  for (const std::string help : {"-h", "--help"}) {
    Fixture f;
    EXPECT_EQ(f.Parse({help}).action, Action::kHelp) << help;
  }
  Fixture f;
  EXPECT_EQ(f.Parse({"--version"}).action, Action::kVersion);
  FlagParser no_version("provkit x", "");
  EXPECT_EQ(no_version.Parse(std::vector<std::string>{"--version"}).action, Action::kUsageError);
}

TEST(Flags, UsageErrorsNameWhatWasWrong) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--port"}, "--port needs a value (P)"},
      {{"--port", "x", "u"}, "--port expects an integer from 0 to 65535, got 'x'"},
      {{"--port", "65536", "u"}, "--port expects an integer from 0 to 65535, got '65536'"},
      {{"--port", "1.5", "u"}, "--port expects an integer from 0 to 65535, got '1.5'"},
      {{"--port=", "u"}, "--port expects an integer from 0 to 65535, got ''"},
      {{"--threads", "0", "u"}, "--threads expects an integer from 1 to 4096, got '0'"},
      {{"--delay-ms", "nan", "u"}, "--delay-ms expects a number from 0 to 1000, got 'nan'"},
      {{"--delay-ms", "-1", "u"}, "--delay-ms expects a number from 0 to 1000, got '-1'"},
      {{"--unit", "h", "u"}, "--unit expects s or ms, got 'h'"},
      {{"--name", "", "u"}, "--name needs a non-empty value"},
      {{"--quiet=yes", "u"}, "--quiet takes no value"},
      {{"--bogus", "u"}, "unknown option '--bogus'"},
      {{"--bogus=1", "u"}, "unknown option '--bogus'"},
      {{"-x", "u"}, "unknown option '-x'"},
      {{"-qq", "u"}, "unknown option '-qq'"},
      {{"u", "v"}, "unexpected argument 'v'"},
      {{}, "URL is required"},
      {{"--port", "\x1b[2J"}, "--port expects an integer from 0 to 65535, got '\\x1b[2J'"},
  };
  for (const auto& [args, expected] : cases) {
    Fixture f;
    const ParseResult result = f.Parse(args);
    EXPECT_EQ(result.action, Action::kUsageError) << expected;
    EXPECT_EQ(result.error, expected);
  }
}

TEST(Flags, UnknownOptionsGetASuggestion) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"--prot", "unknown option '--prot' (did you mean --port?)"},
      {"--treads=3", "unknown option '--treads' (did you mean --threads?)"},
      {"--delay", "unknown option '--delay' (did you mean --delay-ms?)"},
      {"--verison", "unknown option '--verison' (did you mean --version?)"},
      {"--hlep", "unknown option '--hlep' (did you mean --help?)"},
  };
  for (const auto& [arg, expected] : cases) {
    Fixture f;
    EXPECT_EQ(f.Parse({arg, "u"}).error, expected);
  }
}

TEST(Flags, ClosestMatchOnlySuggestsLikelyTypos) {
  const std::vector<std::string> commands = {"mock", "report", "conform", "check"};
  EXPECT_EQ(ClosestMatch("conform", commands), "conform");
  EXPECT_EQ(ClosestMatch("confrom", commands), "conform");
  EXPECT_EQ(ClosestMatch("chekc", commands), "check");
  EXPECT_EQ(ClosestMatch("rep", commands), "report");
  EXPECT_EQ(ClosestMatch("xyz", commands), std::nullopt);
  EXPECT_EQ(ClosestMatch("c", commands), std::nullopt);
  EXPECT_EQ(ClosestMatch("", commands), std::nullopt);
  EXPECT_EQ(ClosestMatch(std::string(10000, 'a'), commands), std::nullopt);
  EXPECT_EQ(ClosestMatch("thr", std::vector<std::string>{"threads", "three"}), std::nullopt);
}

TEST(Flags, RestTakesEverythingFromTheFirstExtraPositional) {
  std::optional<std::string> command;
  std::vector<std::string> rest;
  bool verbose = false;
  FlagParser parser("provkit", "<command> [options]");
  parser.Bool({.name = "verbose", .help = "more"}, &verbose)
      .Positional("command", "", &command, /*required=*/false)
      .Rest(&rest);
  ASSERT_EQ(
      parser.Parse(std::vector<std::string>{"--verbose", "mock", "--port", "1", "--help"}).action,
      Action::kRun);
  EXPECT_TRUE(verbose);
  EXPECT_EQ(command, "mock");
  EXPECT_EQ(rest, (std::vector<std::string>{"--port", "1", "--help"}));
}

TEST(Flags, OperandsCollectEveryExtraPositionalAmongTheFlags) {
  std::optional<std::string> first;
  std::vector<std::string> files;
  std::string output;
  FlagParser parser("provkit report html", "[options] RESULTS...");
  parser.String({.name = "output", .value_name = "FILE", .short_name = 'o'}, &output)
      .Positional("FIRST", "", &first, /*required=*/true)
      .Operands("RESULTS", "results files", &files, 1);
  ASSERT_EQ(parser.Parse(std::vector<std::string>{"a", "b", "-o", "out", "c", "--", "-d"}).action,
            Action::kRun);
  EXPECT_EQ(first, "a");
  EXPECT_EQ(files, (std::vector<std::string>{"b", "c", "-d"}));
  EXPECT_EQ(output, "out");
  EXPECT_NE(parser.Help().find("RESULTS..."), std::string::npos) << parser.Help();

  files.clear();
  EXPECT_EQ(parser.Parse(std::vector<std::string>{"a", "-o", "out"}).error, "RESULTS is required");
  std::vector<std::string> pair;
  FlagParser two("provkit demo", "OLD NEW");
  two.Operands("RESULTS", "", &pair, 2);
  EXPECT_EQ(two.Parse(std::vector<std::string>{"x"}).error,
            "at least 2 RESULTS arguments are required");
}

TEST(Flags, ParseOrExitPrintsHelpVersionAndOneLineUsageErrors) {
  const auto run = [](std::vector<const char*> argv, std::string& out, std::string& err) {
    Fixture f;
    std::ostringstream out_stream;
    std::ostringstream err_stream;
    const std::optional<int> code =
        f.parser.ParseOrExit(static_cast<int>(argv.size()), argv.data(), out_stream, err_stream);
    out = out_stream.str();
    err = err_stream.str();
    return code;
  };
  std::string out;
  std::string err;
  EXPECT_EQ(run({"demo", "--help"}, out, err), 0);
  EXPECT_EQ(out.rfind("usage: provkit demo URL [options]\n", 0), 0u) << out;
  EXPECT_EQ(err, "");

  EXPECT_EQ(run({"demo", "--version"}, out, err), 0);
  EXPECT_EQ(out, "provkit 9.9.9 (contract version 9)\n");
  EXPECT_EQ(err, "");

  EXPECT_EQ(run({"demo", "--prot", "1"}, out, err), kExitUsage);
  EXPECT_EQ(out, "");
  EXPECT_EQ(err,
            "provkit demo: unknown option '--prot' (did you mean --port?)\n"
            "usage: provkit demo URL [options]\n");

  EXPECT_EQ(run({"demo", "http://x"}, out, err), std::nullopt);
  EXPECT_EQ(out + err, "");
}

TEST(Flags, HelpListsEveryFlagAligned) {
  Fixture f;
  f.parser.Section("more").Bool({.name = "strict", .help = "be strict"}, &f.quiet);
  f.parser.Epilogue("exit: 0 fine, 2 usage errors.\n");
  const std::string expected =
      "usage: provkit demo URL [options]\n"
      "\n"
      "Demonstrates every kind of flag.\n"
      "\n"
      "arguments:\n"
      "  URL                the server's base URL\n"
      "\n"
      "options:\n"
      "  -q, --quiet        say nothing\n"
      "  --host H           address to bind\n"
      "  --name NAME        first line\n"
      "                     second line\n"
      "  --port P           port\n"
      "  --threads N        threads\n"
      "  --delay-ms MS      a delay\n"
      "  --param KEY=VALUE  repeatable\n"
      "  --unit U           s or ms\n"
      "\n"
      "more:\n"
      "  --strict           be strict\n"
      "  -h, --help         print this help and exit\n"
      "  --version          print the version and exit\n"
      "\n"
      "exit: 0 fine, 2 usage errors.\n";
  EXPECT_EQ(f.parser.Help(), expected);
}

TEST(Flags, LongSpellingsWrapTheirHelp) {
  std::string value;
  FlagParser parser("provkit x", "[options]");
  parser.String({.name = "a-very-long-flag-name-indeed", .value_name = "VALUE", .help = "text"},
                &value);
  const std::string help = parser.Help();
  EXPECT_NE(help.find("  --a-very-long-flag-name-indeed VALUE\n              text\n"),
            std::string::npos)
      << help;
}

}  // namespace
}  // namespace provkit::support
