// `provkit report`: argument parsing, help, and the subcommands over the report functions.
#include "provkit/reports/command.hpp"

#include <cctype>
#include <exception>
#include <optional>
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
#include "provkit/support/flags.hpp"
#include "text.hpp"

namespace provkit::reports {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitRegressed = 1;
using support::kExitUsage;

// Every flag and argument of every subcommand; each subcommand declares the ones it takes.
struct Options {
  std::string output;
  bool strict = false;
  std::string baseline;
  std::string title;
  std::optional<std::string> html_url;
  std::optional<double> threshold_percent;
  std::optional<double> min_ms;
  std::string format = "text";
  bool json = false;
  std::string label;
  bool allow_partial = false;
  std::vector<std::string> inputs;      // RESULTS... / SHARDS...
  std::optional<std::string> old_path;  // diff OLD, badge RESULTS
  std::optional<std::string> new_path;  // diff NEW
};

struct Context;
using Runner = int (*)(const Options& options, Context& context);
using Declarer = void (*)(support::FlagParser& parser, Options& options);

struct SubcommandSpec {
  std::string_view name;
  std::string_view usage;  // "[options] RESULTS..."
  std::string_view summary;
  std::string_view details;
  Declarer declare;
  Runner run;
};

struct Context {
  const SubcommandSpec& spec;
  const support::FlagParser& parser;
  std::ostream& out;
  std::ostream& err;

  // An input that cannot be used (an unreadable file, a failed write): the message alone.
  int Error(const std::string& message) {
    err << "provkit report " << spec.name << ": " << message << "\n";
    return kExitUsage;
  }
  // A bad command line found after parsing: the message and the usage line.
  int UsageError(const std::string& message) { return parser.PrintUsageError(message, err); }
};

// ---- flags shared by several subcommands -------------------------------------------------------

void AddOutput(support::FlagParser& parser, Options& options) {
  parser.String({.name = "output",
                 .value_name = "FILE",
                 .help = "write to FILE (through a temporary file and a rename) instead of stdout",
                 .short_name = 'o',
                 .non_empty = true},
                &options.output);
}

void AddBaseline(support::FlagParser& parser, Options& options) {
  parser.String(
      {.name = "baseline",
       .value_name = "FILE",
       .help = "known failures, one 'CLAUSE-ID reason' per line (replaces the run's own baseline)",
       .non_empty = true},
      &options.baseline);
}

// The flags of the three renderings of RESULTS... (html, md, junit).
void AddReportFlags(support::FlagParser& parser, Options& options) {
  AddOutput(parser, options);
  parser.Bool(
      {.name = "strict", .help = "NON-STRICT gates too, as with 'provkit conform --strict'"},
      &options.strict);
  AddBaseline(parser, options);
  parser.String({.name = "title",
                 .value_name = "TEXT",
                 .help = "the report's title (default: provkit contract report)"},
                &options.title);
  parser.Operands("RESULTS", "results files written by 'provkit conform'", &options.inputs, 1);
}

// ---- shared steps ------------------------------------------------------------------------------

std::optional<std::vector<Results>> LoadRuns(const Options& options,
                                             const std::vector<std::string>& paths,
                                             Context& context) {
  std::optional<Baseline> baseline;
  if (!options.baseline.empty()) {
    Outcome<Baseline> read = ReadBaselineFile(options.baseline);
    if (!read) {
      context.Error(read.error().ToString());
      return std::nullopt;
    }
    baseline = std::move(*read);
  }
  std::vector<Results> runs;
  for (const std::string& path : paths) {
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

ReportOptions MakeReportOptions(const Options& options) {
  ReportOptions report;
  report.strict = options.strict;
  report.generated_at = NowTimestamp();
  if (!options.title.empty()) report.title = options.title;
  return report;
}

int Emit(const Options& options, Context& context, const std::string& content,
         std::string_view what) {
  if (options.output.empty() || options.output == "-") {
    context.out << content;
    context.out.flush();
    return context.out ? kExitOk : context.Error("cannot write to stdout");
  }
  if (Outcome<void> written = WriteFileAtomically(options.output, content); !written) {
    return context.Error(written.error().ToString());
  }
  context.err << "provkit report " << context.spec.name << ": wrote " << what << " to "
              << options.output << "\n";
  return kExitOk;
}

std::string Subjects(std::size_t count) {
  return std::to_string(count) + (count == 1 ? " subject" : " subjects");
}

// ---- subcommands -------------------------------------------------------------------------------

int RunHtml(const Options& options, Context& context) {
  const auto runs = LoadRuns(options, options.inputs, context);
  if (!runs) return kExitUsage;
  return Emit(options, context, RenderHtml(*runs, MakeReportOptions(options)),
              "the HTML report of " + Subjects(runs->size()));
}

void DeclareMarkdown(support::FlagParser& parser, Options& options) {
  AddReportFlags(parser, options);
  parser.String({.name = "html-url",
                 .value_name = "URL",
                 .help = "where the HTML report of the same RESULTS is published: each failure\n"
                         "links to its anchor"},
                &options.html_url);
}

int RunMarkdown(const Options& options, Context& context) {
  ReportOptions report = MakeReportOptions(options);
  if (options.html_url) {
    report.html_url = *options.html_url;
    if (!text::IsLinkableBaseUrl(report.html_url)) {
      return context.UsageError(
          "--html-url wants an http:// or https:// URL or a relative path, "
          "without spaces or a #fragment (the report adds the anchors), not '" +
          text::OneLine(report.html_url) + "'");
    }
  }
  const auto runs = LoadRuns(options, options.inputs, context);
  if (!runs) return kExitUsage;
  return Emit(options, context, RenderMarkdown(*runs, report),
              "the Markdown report of " + Subjects(runs->size()));
}

int RunJunit(const Options& options, Context& context) {
  const auto runs = LoadRuns(options, options.inputs, context);
  if (!runs) return kExitUsage;
  return Emit(options, context, RenderJunit(*runs, MakeReportOptions(options)),
              "JUnit XML of " + Subjects(runs->size()));
}

void DeclareBadge(support::FlagParser& parser, Options& options) {
  AddOutput(parser, options);
  parser.Bool({.name = "json", .help = "write a shields.io endpoint JSON instead of SVG"},
              &options.json);
  parser.String({.name = "label",
                 .value_name = "TEXT",
                 .help = "the badge's left-hand text (default: contract)"},
                &options.label);
  AddBaseline(parser, options);
  parser.Positional("RESULTS", "a results file written by 'provkit conform'", &options.old_path,
                    /*required=*/true);
}

int RunBadge(const Options& options, Context& context) {
  const auto runs = LoadRuns(options, {*options.old_path}, context);
  if (!runs) return kExitUsage;
  const Badge badge = MakeBadge(Summarize(runs->front(), false),
                                options.label.empty() ? "contract" : options.label);
  return Emit(options, context, options.json ? RenderBadgeJson(badge) : RenderBadgeSvg(badge),
              options.json ? "the badge endpoint JSON" : "the badge");
}

void DeclareDiff(support::FlagParser& parser, Options& options) {
  AddOutput(parser, options);
  parser.Number({.name = "threshold",
                 .value_name = "PERCENT",
                 .help = "report duration changes above this percentage (default 50)"},
                &options.threshold_percent, 0, 1e12);
  parser.Number({.name = "min-ms",
                 .value_name = "MS",
                 .help = "...and above this many milliseconds (default 5)"},
                &options.min_ms, 0, 1e12);
  parser.Value({.name = "format", .value_name = "FORMAT", .help = "text (default) or md"},
               "text or md", [&options](std::string_view value) {
                 if (value != "text" && value != "md") return false;
                 options.format = std::string(value);
                 return true;
               });
  parser.Positional("OLD", "the earlier results file", &options.old_path, /*required=*/true)
      .Positional("NEW", "the later results file of the same subject", &options.new_path,
                  /*required=*/true);
}

int RunDiff(const Options& options, Context& context) {
  DiffOptions diff_options;
  if (options.threshold_percent) diff_options.timing_threshold_percent = *options.threshold_percent;
  if (options.min_ms) diff_options.timing_min_ms = *options.min_ms;
  const auto runs = LoadRuns(options, {*options.old_path, *options.new_path}, context);
  if (!runs) return kExitUsage;
  const Diff diff = DiffResults((*runs)[0], (*runs)[1], diff_options);
  const int written =
      Emit(options, context,
           options.format == "md" ? RenderDiffMarkdown(diff) : RenderDiffText(diff), "the diff");
  if (written != kExitOk) return written;
  return diff.Regressed() ? kExitRegressed : kExitOk;
}

void DeclareMerge(support::FlagParser& parser, Options& options) {
  parser.String({.name = "output",
                 .value_name = "RESULTS",
                 .help = "the merged results file to write (required)",
                 .short_name = 'o',
                 .non_empty = true},
                &options.output);
  parser.Bool({.name = "allow-partial",
               .help = "merge although shards are missing (the run then gates as incomplete)"},
              &options.allow_partial);
  parser.Operands("SHARDS", "the results files of the shards", &options.inputs, 1);
}

int RunMerge(const Options& options, Context& context) {
  if (options.output.empty() || options.output == "-")
    return context.UsageError("merge needs -o RESULTS: the merged results file");
  std::vector<ResultsFile> shards;
  for (const std::string& path : options.inputs) {
    Outcome<Results> read = ReadResultsFile(path);
    if (!read) return context.Error(read.error().ToString());
    shards.push_back({path, std::move(*read)});
  }
  MergeOptions merge_options;
  merge_options.allow_partial = options.allow_partial;
  Outcome<Results> merged = MergeShards(shards, merge_options);
  if (!merged) return context.Error(merged.error().ToString());
  if (Outcome<void> written = WriteResultsFile(options.output, *merged); !written) {
    return context.Error(written.error().ToString());
  }
  context.err << "provkit report merge: wrote " << merged->clauses.size() << " clause results from "
              << shards.size() << " files to " << options.output << "\n";
  return kExitOk;
}

const std::vector<SubcommandSpec>& Subcommands() {
  static const std::vector<SubcommandSpec> kSubcommands = {
      {"html", "[options] RESULTS...",
       "one self-contained HTML page comparing the subjects, with evidence",
       "A banner with the outcome and its exit code, clauses as rows (grouped R, S, W), one "
       "column\n"
       "per results file, gate-aware verdicts linking to their evidence; several runs of one "
       "subject\n"
       "add a history of the verdicts that changed, and the latest run of each subject gates.",
       AddReportFlags, RunHtml},
      {"md", "[options] RESULTS...",
       "short GitHub-flavoured Markdown for a PR comment or $GITHUB_STEP_SUMMARY",
       "The outcome and exit code, totals per subject, failures first with one-line reasons "
       "(linked\n"
       "to the HTML report with --html-url), changes between runs of one subject, then the matrix\n"
       "folded in <details>. Give the same RESULTS in the same order as to 'report html'.",
       DeclareMarkdown, RunMarkdown},
      {"junit", "[options] RESULTS...",
       "JUnit XML: one testsuite per subject, one testcase per clause",
       "FAIL is a failure, ERROR an error, SKIP skipped, NON-STRICT a pass with a 'verdict' "
       "property\n"
       "(a failure with --strict); baselined failures are skipped, stale baseline entries fail.",
       AddReportFlags, RunJunit},
      {"diff", "[options] OLD NEW",
       "what changed between two runs of one subject; exit 1 when anything regressed",
       "Regressions first (worse verdicts, new failing clauses, clauses no longer run), then "
       "fixes,\n"
       "other changes and duration changes beyond the threshold. Only regressions set the exit "
       "code.",
       DeclareDiff, RunDiff},
      {"badge", "[options] RESULTS",
       "an SVG badge 'contract: MUST 25/25 \xC2\xB7 SHOULD 3/4' coloured by the worst verdict",
       "Green for PASS, yellow for NON-STRICT, red for FAIL, ERROR or an incomplete run.",
       DeclareBadge, RunBadge},
      {"merge", "-o RESULTS [options] SHARDS...",
       "join the results files of a sharded run of one subject",
       "Inputs must name the same subject; a clause found twice with different verdicts is an "
       "error;\n"
       "every shard index must be present.",
       DeclareMerge, RunMerge},
  };
  return kSubcommands;
}

std::string SubcommandList() {
  std::string list = "subcommands:\n";
  for (const SubcommandSpec& spec : Subcommands()) {
    std::string head(spec.name);
    head.resize(7, ' ');
    list += "  " + head + std::string(spec.summary) + "\n";
  }
  return list;
}

std::string Capitalized(std::string_view text) {
  std::string out(text);
  if (!out.empty()) out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  return out;
}

// Parses and runs one subcommand; `args` follow its name.
int RunSubcommand(const SubcommandSpec& spec, std::span<const std::string> args,
                  const std::string& version_line, std::ostream& out, std::ostream& err) {
  support::FlagParser parser("provkit report " + std::string(spec.name), std::string(spec.usage));
  parser.Description(Capitalized(spec.summary) + ".\n" + std::string(spec.details));
  if (!version_line.empty()) parser.Version(version_line);
  Options options;
  spec.declare(parser, options);
  if (const auto exit_code = parser.ParseOrExit(args, out, err)) return *exit_code;
  Context context{spec, parser, out, err};
  try {
    return spec.run(options, context);
  } catch (const std::exception& error) {
    return context.Error(std::string("internal error: ") + error.what());
  }
}

}  // namespace

int RunReportCommand(std::span<const std::string> args, std::ostream& out, std::ostream& err,
                     const std::string& version_line) {
  std::optional<std::string> name;
  std::vector<std::string> rest;
  support::FlagParser parser("provkit report", "<subcommand> [options]");
  parser.Description("Reports made from the results files that 'provkit conform' writes.")
      .Epilogue(SubcommandList() +
                "\n'provkit report <subcommand> --help' lists its options. Exit codes: 0 done, 1 "
                "diff found a\nregression, 2 bad arguments or unreadable input.")
      .Positional("subcommand", "", &name, /*required=*/false)
      .Rest(&rest);
  if (!version_line.empty()) parser.Version(version_line);
  if (const auto exit_code = parser.ParseOrExit(args.empty() ? args : args.subspan(1), out, err)) {
    return *exit_code;
  }
  if (!name) {
    return parser.PrintUsageError("a subcommand is required: html, md, junit, diff, badge or merge",
                                  err);
  }
  if (*name == "help") {
    out << parser.Help() << std::flush;
    return kExitOk;
  }
  std::vector<std::string> names;
  for (const SubcommandSpec& spec : Subcommands()) {
    if (spec.name == *name) return RunSubcommand(spec, rest, version_line, out, err);
    names.emplace_back(spec.name);
  }
  std::string message = "unknown subcommand '" + *name + "'";
  if (const auto match = support::ClosestMatch(*name, names)) {
    message += " (did you mean " + *match + "?)";
  }
  return parser.PrintUsageError(message, err);
}

}  // namespace provkit::reports
