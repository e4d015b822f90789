// `provkit report`: argument parsing, help, and the subcommands over the report functions.
#include "provkit/reports/command.hpp"

#include <cctype>
#include <cstdlib>
#include <exception>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "provkit/reports/badge.hpp"
#include "provkit/reports/baseline.hpp"
#include "provkit/reports/diff.hpp"
#include "provkit/reports/file.hpp"
#include "provkit/reports/html.hpp"
#include "provkit/reports/junit.hpp"
#include "provkit/reports/markdown.hpp"
#include "provkit/reports/merge.hpp"
#include "provkit/reports/results.hpp"
#include "provkit/reports/summary.hpp"
#include "text.hpp"

namespace provkit::reports {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitRegressed = 1;
constexpr int kExitUsage = 2;

struct OptionSpec {
  std::string_view name;        // "--output"
  std::string_view short_name;  // "-o" or empty
  std::string_view value;       // "FILE"; empty for a flag
  std::string_view help;
};

struct Parsed {
  std::map<std::string, std::string, std::less<>> values;
  std::set<std::string, std::less<>> flags;
  std::vector<std::string> operands;

  std::string Value(std::string_view name) const {
    const auto found = values.find(name);
    return found == values.end() ? std::string() : found->second;
  }
  bool Flag(std::string_view name) const { return flags.count(name) != 0; }
};

struct Context;
using Runner = int (*)(const Parsed& parsed, Context& context);

struct SubcommandSpec {
  std::string_view name;
  std::string_view operands;  // "RESULTS..."
  std::string_view summary;
  std::string_view details;
  std::size_t min_operands;
  std::size_t max_operands;  // SIZE_MAX: any number
  std::vector<OptionSpec> options;
  Runner run;
};

struct Context {
  const SubcommandSpec& spec;
  std::ostream& out;
  std::ostream& err;

  int Error(const std::string& message) {
    err << "provkit report " << spec.name << ": " << message << "\n";
    return kExitUsage;
  }
};

const OptionSpec kHelp{"--help", "-h", "", "print this help and exit"};
const OptionSpec kOutput{"--output", "-o", "FILE",
                         "write to FILE (through a temporary file and a rename) instead of stdout"};
const OptionSpec kStrict{"--strict", "", "",
                         "NON-STRICT gates too, as with 'provkit conform --strict'"};
const OptionSpec kBaseline{
    "--baseline", "", "FILE",
    "known failures, one 'CLAUSE-ID reason' per line (replaces the run's own baseline)"};
const OptionSpec kHtmlUrl{
    "--html-url", "", "URL",
    "where the HTML report of the same RESULTS is published: each failure links to its anchor"};
const OptionSpec kTitle{"--title", "", "TEXT",
                        "the report's title (default: provkit contract report)"};

// ---- shared steps ------------------------------------------------------------------------------

std::optional<std::vector<Results>> LoadRuns(const Parsed& parsed, Context& context) {
  std::optional<Baseline> baseline;
  if (const std::string path = parsed.Value("--baseline"); !path.empty()) {
    Outcome<Baseline> read = ReadBaselineFile(path);
    if (!read) {
      context.Error(read.error().ToString());
      return std::nullopt;
    }
    baseline = std::move(*read);
  }
  std::vector<Results> runs;
  for (const std::string& path : parsed.operands) {
    Outcome<Results> read = ReadResultsFile(path);
    if (!read) {
      context.Error(read.error().ToString());
      return std::nullopt;
    }
    if (baseline) ApplyBaseline(*read, *baseline);
    runs.push_back(std::move(*read));
  }
  return runs;
}

ReportOptions MakeReportOptions(const Parsed& parsed) {
  ReportOptions options;
  options.strict = parsed.Flag("--strict");
  options.generated_at = NowTimestamp();
  if (const std::string title = parsed.Value("--title"); !title.empty()) options.title = title;
  return options;
}

int Emit(const Parsed& parsed, Context& context, const std::string& content,
         std::string_view what) {
  const std::string path = parsed.Value("--output");
  if (path.empty() || path == "-") {
    context.out << content;
    context.out.flush();
    return context.out ? kExitOk : context.Error("cannot write to stdout");
  }
  if (Outcome<void> written = WriteFileAtomically(path, content); !written) {
    return context.Error(written.error().ToString());
  }
  context.err << "provkit report " << context.spec.name << ": wrote " << what << " to " << path
              << "\n";
  return kExitOk;
}

std::optional<double> ParseNonNegative(const std::string& text) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (end == nullptr || *end != '\0' || !(value >= 0) || value > 1e12) return std::nullopt;
  return value;
}

std::string Subjects(std::size_t count) {
  return std::to_string(count) + (count == 1 ? " subject" : " subjects");
}

// ---- subcommands -------------------------------------------------------------------------------

int RunHtml(const Parsed& parsed, Context& context) {
  const auto runs = LoadRuns(parsed, context);
  if (!runs) return kExitUsage;
  return Emit(parsed, context, RenderHtml(*runs, MakeReportOptions(parsed)),
              "the HTML report of " + Subjects(runs->size()));
}

int RunMarkdown(const Parsed& parsed, Context& context) {
  ReportOptions options = MakeReportOptions(parsed);
  if (parsed.values.count("--html-url") != 0) {
    options.html_url = parsed.Value("--html-url");
    if (!text::IsLinkableBaseUrl(options.html_url)) {
      return context.Error(
          "--html-url wants an http:// or https:// URL or a relative path, "
          "without spaces or a #fragment (the report adds the anchors), not '" +
          text::OneLine(options.html_url) + "'");
    }
  }
  const auto runs = LoadRuns(parsed, context);
  if (!runs) return kExitUsage;
  return Emit(parsed, context, RenderMarkdown(*runs, options),
              "the Markdown report of " + Subjects(runs->size()));
}

int RunJunit(const Parsed& parsed, Context& context) {
  const auto runs = LoadRuns(parsed, context);
  if (!runs) return kExitUsage;
  return Emit(parsed, context, RenderJunit(*runs, MakeReportOptions(parsed)),
              "JUnit XML of " + Subjects(runs->size()));
}

int RunBadge(const Parsed& parsed, Context& context) {
  const auto runs = LoadRuns(parsed, context);
  if (!runs) return kExitUsage;
  const std::string label = parsed.Value("--label");
  const Badge badge =
      MakeBadge(Summarize(runs->front(), false), label.empty() ? "contract" : label);
  const bool json = parsed.Flag("--json");
  return Emit(parsed, context, json ? RenderBadgeJson(badge) : RenderBadgeSvg(badge),
              json ? "the badge endpoint JSON" : "the badge");
}

int RunDiff(const Parsed& parsed, Context& context) {
  DiffOptions options;
  if (const std::string value = parsed.Value("--threshold"); !value.empty()) {
    const auto number = ParseNonNegative(value);
    if (!number)
      return context.Error("--threshold wants a percentage, 0 or more, not '" + value + "'");
    options.timing_threshold_percent = *number;
  }
  if (const std::string value = parsed.Value("--min-ms"); !value.empty()) {
    const auto number = ParseNonNegative(value);
    if (!number)
      return context.Error("--min-ms wants a number of milliseconds, 0 or more, not '" + value +
                           "'");
    options.timing_min_ms = *number;
  }
  const std::string format = parsed.Value("--format");
  if (!format.empty() && format != "text" && format != "md") {
    return context.Error("--format is text or md, not '" + format + "'");
  }
  const auto runs = LoadRuns(parsed, context);
  if (!runs) return kExitUsage;
  const Diff diff = DiffResults((*runs)[0], (*runs)[1], options);
  const int written =
      Emit(parsed, context, format == "md" ? RenderDiffMarkdown(diff) : RenderDiffText(diff),
           "the diff");
  if (written != kExitOk) return written;
  return diff.Regressed() ? kExitRegressed : kExitOk;
}

int RunMerge(const Parsed& parsed, Context& context) {
  const std::string output = parsed.Value("--output");
  if (output.empty() || output == "-")
    return context.Error("merge needs -o RESULTS: the merged results file");
  std::vector<ResultsFile> shards;
  for (const std::string& path : parsed.operands) {
    Outcome<Results> read = ReadResultsFile(path);
    if (!read) return context.Error(read.error().ToString());
    shards.push_back({path, std::move(*read)});
  }
  MergeOptions options;
  options.allow_partial = parsed.Flag("--allow-partial");
  Outcome<Results> merged = MergeShards(shards, options);
  if (!merged) return context.Error(merged.error().ToString());
  if (Outcome<void> written = WriteResultsFile(output, *merged); !written) {
    return context.Error(written.error().ToString());
  }
  context.err << "provkit report merge: wrote " << merged->clauses.size() << " clause results from "
              << shards.size() << " files to " << output << "\n";
  return kExitOk;
}

const std::vector<SubcommandSpec>& Subcommands() {
  static const std::vector<SubcommandSpec> kSubcommands = {
      {"html",
       "RESULTS...",
       "one self-contained HTML page comparing the subjects, with evidence",
       "A banner with the outcome and its exit code, clauses as rows (grouped R, S, W), one "
       "column\n"
       "per results file, gate-aware verdicts linking to their evidence; several runs of one "
       "subject\n"
       "add a history of the verdicts that changed, and the latest run of each subject gates.",
       1,
       SIZE_MAX,
       {kOutput, kStrict, kBaseline, kTitle, kHelp},
       RunHtml},
      {"md",
       "RESULTS...",
       "short GitHub-flavoured Markdown for a PR comment or $GITHUB_STEP_SUMMARY",
       "The outcome and exit code, totals per subject, failures first with one-line reasons "
       "(linked\n"
       "to the HTML report with --html-url), changes between runs of one subject, then the matrix\n"
       "folded in <details>. Give the same RESULTS in the same order as to 'report html'.",
       1,
       SIZE_MAX,
       {kOutput, kStrict, kBaseline, kTitle, kHtmlUrl, kHelp},
       RunMarkdown},
      {"junit",
       "RESULTS...",
       "JUnit XML: one testsuite per subject, one testcase per clause",
       "FAIL is a failure, ERROR an error, SKIP skipped, NON-STRICT a pass with a 'verdict' "
       "property\n"
       "(a failure with --strict); baselined failures are skipped, stale baseline entries fail.",
       1,
       SIZE_MAX,
       {kOutput, kStrict, kBaseline, kTitle, kHelp},
       RunJunit},
      {"diff",
       "OLD NEW",
       "what changed between two runs of one subject; exit 1 when anything regressed",
       "Regressions first (worse verdicts, new failing clauses, clauses no longer run), then "
       "fixes,\n"
       "other changes and duration changes beyond the threshold. Only regressions set the exit "
       "code.",
       2,
       2,
       {kOutput,
        {"--threshold", "", "PERCENT",
         "report duration changes above this percentage (default 50)"},
        {"--min-ms", "", "MS", "...and above this many milliseconds (default 5)"},
        {"--format", "", "FORMAT", "text (default) or md"},
        kHelp},
       RunDiff},
      {"badge",
       "RESULTS",
       "an SVG badge 'contract: MUST 25/25 \xC2\xB7 SHOULD 3/4' coloured by the worst verdict",
       "Green for PASS, yellow for NON-STRICT, red for FAIL, ERROR or an incomplete run.",
       1,
       1,
       {kOutput,
        {"--json", "", "", "write a shields.io endpoint JSON instead of SVG"},
        {"--label", "", "TEXT", "the badge's left-hand text (default: contract)"},
        kBaseline,
        kHelp},
       RunBadge},
      {"merge",
       "SHARDS...",
       "join the results files of a sharded run of one subject",
       "Inputs must name the same subject; a clause found twice with different verdicts is an "
       "error;\n"
       "every shard index must be present.",
       1,
       SIZE_MAX,
       {{"--output", "-o", "RESULTS", "the merged results file to write (required)"},
        {"--allow-partial", "", "",
         "merge although shards are missing (the run then gates as incomplete)"},
        kHelp},
       RunMerge},
  };
  return kSubcommands;
}

void PrintTopUsage(std::ostream& stream) {
  stream << "usage: provkit report <subcommand> [options]\n\nsubcommands:\n";
  for (const SubcommandSpec& spec : Subcommands()) {
    std::string head = std::string(spec.name);
    head.resize(7, ' ');
    stream << "  " << head << spec.summary << "\n";
  }
  stream << "\n'provkit report <subcommand> --help' lists its options. Exit codes: 0 done, 1 diff "
            "found a\n"
            "regression, 2 bad arguments or unreadable input.\n";
}

void PrintUsage(const SubcommandSpec& spec, std::ostream& stream) {
  std::string summary(spec.summary);
  summary[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(summary[0])));
  stream << "usage: provkit report " << spec.name << " [options] " << spec.operands << "\n\n"
         << summary << ".\n"
         << spec.details << "\n\noptions:\n";
  for (const OptionSpec& option : spec.options) {
    std::string head = option.short_name.empty() ? "    " : std::string(option.short_name) + ", ";
    head += std::string(option.name);
    if (!option.value.empty()) head += " " + std::string(option.value);
    if (head.size() < 24) head.resize(24, ' ');
    stream << "  " << head << " " << option.help << "\n";
  }
}

const OptionSpec* FindOption(const SubcommandSpec& spec, std::string_view name) {
  for (const OptionSpec& option : spec.options) {
    if (option.name == name || (!option.short_name.empty() && option.short_name == name))
      return &option;
  }
  return nullptr;
}

// Parses `args` (after the subcommand name); a message on error.
std::optional<std::string> Parse(const SubcommandSpec& spec, std::span<const std::string> args,
                                 Parsed& parsed) {
  bool options_done = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (options_done || arg == "-" || arg.empty() || arg[0] != '-') {
      parsed.operands.push_back(arg);
      continue;
    }
    if (arg == "--") {
      options_done = true;
      continue;
    }
    const std::size_t equals = arg.find('=');
    const std::string name = arg.substr(0, equals);
    const OptionSpec* option = FindOption(spec, name);
    if (option == nullptr) return "unknown option '" + name + "'";
    const std::string key(option->name);
    if (option->value.empty()) {
      if (equals != std::string::npos) return "option " + key + " takes no value";
      parsed.flags.insert(key);
    } else if (equals != std::string::npos) {
      parsed.values[key] = arg.substr(equals + 1);
    } else if (i + 1 < args.size()) {
      parsed.values[key] = args[++i];
    } else {
      return "option " + key + " needs a value (" + std::string(option->value) + ")";
    }
  }
  if (parsed.Flag("--help")) return std::nullopt;
  if (parsed.operands.size() < spec.min_operands || parsed.operands.size() > spec.max_operands) {
    return "expected " + std::string(spec.operands) + ", got " +
           std::to_string(parsed.operands.size()) + " argument" +
           (parsed.operands.size() == 1 ? "" : "s");
  }
  return std::nullopt;
}

}  // namespace

int RunReportCommand(std::span<const std::string> args, std::ostream& out, std::ostream& err) {
  if (args.size() < 2) {
    PrintTopUsage(err);
    return kExitUsage;
  }
  const std::string& name = args[1];
  if (name == "--help" || name == "-h" || name == "help") {
    PrintTopUsage(out);
    return kExitOk;
  }
  for (const SubcommandSpec& spec : Subcommands()) {
    if (spec.name != name) continue;
    Parsed parsed;
    if (const auto problem = Parse(spec, args.subspan(2), parsed)) {
      err << "provkit report " << spec.name << ": " << *problem << "\n\n";
      PrintUsage(spec, err);
      return kExitUsage;
    }
    if (parsed.Flag("--help")) {
      PrintUsage(spec, out);
      return kExitOk;
    }
    Context context{spec, out, err};
    try {
      return spec.run(parsed, context);
    } catch (const std::exception& error) {
      return context.Error(std::string("internal error: ") + error.what());
    }
  }
  err << "provkit report: unknown subcommand '" << name << "'\n\n";
  PrintTopUsage(err);
  return kExitUsage;
}

}  // namespace provkit::reports
