// provkit conform: judges a subject (the reference C++ provider, an adapter process, or a live
// server) clause by clause.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "commands.hpp"
#include "provkit/conformance/conform.hpp"
#include "provkit/conformance/interrupt.hpp"
#include "provkit/conformance/judge.hpp"
#include "provkit/conformance/server_checks.hpp"
#include "provkit/reports/baseline.hpp"
#include "provkit/support/clip.hpp"

namespace provkit::cli {
namespace {

constexpr char kDescription[] =
    "Judges one subject against the contract clause by clause (docs/contract.md),\n"
    "using the embedded mock server (--cpp, --adapter) or the live server (--server).";

constexpr char kEpilogue[] =
    "exit: 0 no FAIL or ERROR (with --strict: no NON-STRICT either); 1 contract failures;\n"
    "      2 usage or harness errors (an ERROR verdict, an incomplete run); 130 / 143\n"
    "      interrupted by SIGINT / SIGTERM (the adapter killed, the clauses judged so far\n"
    "      written).";

struct Flags {
  std::optional<std::string> adapter;
  std::optional<std::string> server;
  bool cpp = false;
  std::optional<std::string> model;
  std::string dialect = "chat";
  std::string api_key;
  std::string name;
  std::string only;
  std::string group;
  bool list = false;
  std::string format = "text";
  bool strict = false;
  bool isolate = false;
  std::string baseline;
  std::string out = "provkit-results";
  std::string results;
  std::string junit;
  long step_timeout_ms = 10000;
  long probe_budget_ms = 300;
};

support::FlagParser MakeParser(Flags& flags) {
  constexpr long kMaxMillis = 86400000;  // a day
  support::FlagParser parser = NewFlagParser(
      "provkit conform", R"((--cpp | --adapter "CMD ARGS" | --server URL) [options])");
  parser.Description(kDescription)
      .Epilogue(kEpilogue)
      .Section("subjects")
      .Bool({.name = "cpp",
             .help = "the reference C++ LocalProvider (your own C++ provider: run your\n"
                     "GoogleTest binary with PROVKIT_RESULTS_DIR, see docs/conformance.md)"},
            &flags.cpp)
      .String({.name = "adapter",
               .value_name = "\"CMD ARGS\"",
               .help = "a provider in any language behind docs/adapter-protocol.md",
               .non_empty = true},
              &flags.adapter)
      .String({.name = "server",
               .value_name = "URL",
               .help = "a live server's base URL, e.g. http://127.0.0.1:8080/v1 (W clauses)",
               .non_empty = true},
              &flags.server)
      .Section("options")
      .Value({.name = "dialect",
              .value_name = "chat|responses|anthropic",
              .help = "--cpp, --adapter: the API the provider speaks to the mock: chat\n"
                      "(Chat Completions, default), responses (OpenAI Responses),\n"
                      "anthropic (Anthropic Messages); --cpp then judges that dialect's\n"
                      "reference provider"},
             "chat, responses or anthropic",
             [&flags](std::string_view value) {
               if (conformance::FindDialect(value) == nullptr) return false;
               flags.dialect = std::string(value);
               return true;
             })
      .String({.name = "model",
               .value_name = "M",
               .help = "model for --server chat checks (default: the first listed)"},
              &flags.model)
      .String({.name = "api-key",
               .value_name = "K",
               .help = "bearer token for --server (default: $PROVKIT_API_KEY)"},
              &flags.api_key)
      .String({.name = "name",
               .value_name = "NAME",
               .help = "subject name in results (default: what the subject says)"},
              &flags.name)
      .String({.name = "only",
               .value_name = "R4,S5",
               .help = "judge only these clauses",
               .non_empty = true},
              &flags.only)
      .String({.name = "group",
               .value_name = "R|S|W",
               .help = "judge only this group",
               .non_empty = true},
              &flags.group)
      .Bool({.name = "list", .help = "print the clauses that would be judged, then exit"},
            &flags.list)
      .String({.name = "format",
               .value_name = "text|markdown",
               .help = "with --list: markdown prints the whole catalog (docs/contract.md)"},
              &flags.format)
      .Bool({.name = "strict", .help = "NON-STRICT gates too"}, &flags.strict)
      .String({.name = "baseline",
               .value_name = "FILE",
               .help = "known failures: \"CLAUSE reason\" per line"},
              &flags.baseline)
      .String({.name = "out",
               .value_name = "DIR",
               .help = "write DIR/<subject>.json (default: provkit-results)",
               .non_empty = true},
              &flags.out)
      .String({.name = "results",
               .value_name = "FILE",
               .help = "write the results file here instead",
               .non_empty = true},
              &flags.results)
      .String({.name = "junit",
               .value_name = "FILE",
               .help = "also write JUnit XML",
               .non_empty = true},
              &flags.junit)
      .Bool({.name = "isolate",
             .help = "adapter: a fresh process for every clause (default: one per run)"},
            &flags.isolate)
      .Int({.name = "step-timeout",
            .value_name = "MS",
            .help = "adapter: longest wait for one step (default 10000)"},
           &flags.step_timeout_ms, 1L, kMaxMillis)
      .Int({.name = "probe-budget",
            .value_name = "MS",
            .help = "probe budget configured in subjects (default 300)"},
           &flags.probe_budget_ms, 1L, kMaxMillis);
  return parser;
}

void PrintList(SubjectKind kind, std::string_view dialect,
               const std::optional<std::vector<std::string>>& selection) {
  const std::vector<std::string> ids =
      selection ? *selection : conformance::ClausesFor(kind, dialect);
  for (const std::string& id : ids) {
    const Clause* clause = FindClause(id);
    std::string_view check;
    for (const auto& c : conformance::ClauseChecks()) {
      if (c.clause_id == id) check = c.summary;
    }
    std::printf("%-4s %-17s %.*s\n     %.*s\n", id.c_str(),
                std::string(conformance::ClauseKindLabel(*clause)).c_str(),
                static_cast<int>(clause->title.size()), clause->title.data(),
                static_cast<int>(check.size()), check.data());
  }
}

}  // namespace

int ConformCommand(int argc, char** argv) {
  Flags flags;
  if (const char* key = std::getenv("PROVKIT_API_KEY")) flags.api_key = key;
  support::FlagParser parser = MakeParser(flags);
  if (const std::optional<int> exit = parser.ParseOrExit(argc, argv, std::cout, std::cerr)) {
    return *exit;
  }
  const auto usage_error = [&parser](const std::string& problem) {
    return parser.PrintUsageError(problem, std::cerr);
  };
  if (flags.format != "text" && flags.format != "markdown") {
    return usage_error("--format takes text or markdown, not '" + flags.format + "'");
  }
  if (flags.list && flags.format == "markdown") {
    std::cout << conformance::ClauseCatalogMarkdown();
    return kExitOk;
  }
  const int subjects = (flags.cpp ? 1 : 0) + (flags.adapter ? 1 : 0) + (flags.server ? 1 : 0);
  if (subjects != 1) return usage_error("name exactly one subject: --cpp, --adapter or --server");
  const SubjectKind kind = flags.server    ? SubjectKind::kServer
                           : flags.adapter ? SubjectKind::kAdapter
                                           : SubjectKind::kCpp;

  if (kind == SubjectKind::kServer && flags.dialect != "chat") {
    return usage_error("--dialect is for --cpp and --adapter: --server judges a chat server");
  }
  std::optional<std::vector<std::string>> selection;
  try {
    selection = conformance::ParseSelection(flags.only, flags.group, kind);
  } catch (const std::invalid_argument& error) {
    return usage_error(error.what());
  }
  if (flags.list) {
    PrintList(kind, flags.dialect, selection);
    return kExitOk;
  }
  std::optional<reports::Baseline> baseline;
  if (!flags.baseline.empty()) {
    auto read = reports::ReadBaselineFile(flags.baseline);
    if (!read.ok()) return usage_error(read.error().ToString());
    baseline = std::move(read.value());
  }

  conformance::ConformRequest request;
  request.kind = kind;
  request.selection = selection;
  request.baseline = std::move(baseline);
  request.strict = flags.strict;
  request.name = flags.name;
  request.out_dir = flags.out;
  request.results_path = flags.results;
  request.junit_path = flags.junit;
  request.options.probe_budget = std::chrono::milliseconds(flags.probe_budget_ms);
  request.options.dialect = flags.dialect;
  if (flags.server) {
    if (const std::optional<std::string> problem = conformance::ValidateServerUrl(*flags.server)) {
      return usage_error("--server " + *problem);
    }
    request.server = {.base_url = *flags.server, .model = flags.model, .api_key = flags.api_key};
  } else if (flags.adapter) {
    request.adapter.command = *flags.adapter;
    request.adapter.step_timeout = std::chrono::milliseconds(flags.step_timeout_ms);
    request.adapter.isolate = flags.isolate;
  }

  if (const std::optional<std::string> problem = conformance::CheckOutputs(request)) {
    return usage_error(*problem);
  }

  auto progress = [](const reports::ClauseResult& result, int done, int total) {
    std::cerr << conformance::ProgressLine(result, done, total) << "\n";
  };
  conformance::InstallInterruptHandlers();
  const conformance::ConformOutcome outcome = conformance::Conform(request, progress);
  if (outcome.reference_probe) std::cerr << "reference probe: " << *outcome.reference_probe << "\n";
  for (const auto& [what, path] : outcome.written)
    std::cerr << what << ": " << path.string() << "\n";
  std::cerr << "provkit conform: " << outcome.SummaryLine() << "\n";
  return outcome.ExitCode();
}

}  // namespace provkit::cli
