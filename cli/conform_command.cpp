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
#include "provkit/conformance/adapter_subject.hpp"
#include "provkit/conformance/judge.hpp"
#include "provkit/conformance/provider_subject.hpp"
#include "provkit/conformance/server_checks.hpp"
#include "provkit/reports/baseline.hpp"
#include "provkit/reports/file.hpp"
#include "provkit/reports/junit.hpp"
#include "provkit/reports/summary.hpp"
#include "provkit/runtime/local_provider.hpp"

namespace provkit::cli {
namespace {

constexpr std::string_view kUsage =
    R"(usage: provkit conform (--cpp | --adapter "CMD ARGS" | --server URL) [options]

Judges one subject against the contract clause by clause (docs/contract.md),
using the embedded mock server (--cpp, --adapter) or the live server (--server).

subjects:
  --cpp                  the reference C++ LocalProvider (your own C++ provider: run your
                         GoogleTest binary with PROVKIT_RESULTS_DIR, see docs/conformance.md)
  --adapter "CMD ARGS"   a provider in any language behind docs/adapter-protocol.md
  --server URL           a live server's base URL, e.g. http://127.0.0.1:8080/v1 (W clauses)

options:
  --model M              model for --server chat checks (default: the first listed)
  --api-key K            bearer token for --server (default: $PROVKIT_API_KEY)
  --name NAME            subject name in results (default: what the subject says)
  --only R4,S5           judge only these clauses
  --group R|S|W          judge only this group
  --list                 print the clauses that would be judged, then exit
  --format text|markdown with --list: markdown prints the whole catalog (docs/contract.md)
  --strict               NON-STRICT gates too
  --baseline FILE        known failures: "CLAUSE reason" per line
  --out DIR              write DIR/<subject>.json (default: provkit-results)
  --results FILE         write the results file here instead
  --junit FILE           also write JUnit XML
  --step-timeout MS      adapter: longest wait for one step (default 10000)
  --probe-budget MS      probe budget configured in subjects (default 300)

exit: 0 no FAIL or ERROR (with --strict: no NON-STRICT either); 1 contract failures;
      2 usage or harness errors (an ERROR verdict, an incomplete run).
)";

struct Flags {
  std::optional<std::string> adapter;
  std::optional<std::string> server;
  bool cpp = false;
  std::optional<std::string> model;
  std::string api_key;
  std::string name;
  std::string only;
  std::string group;
  bool list = false;
  std::string format = "text";
  bool strict = false;
  std::string baseline;
  std::string out = "provkit-results";
  std::string results;
  std::string junit;
  long step_timeout_ms = 10000;
  long probe_budget_ms = 300;
};

int Usage(const std::string& problem) {
  std::cerr << "provkit conform: " << problem << "\n\n" << kUsage;
  return kExitUsage;
}

std::string Slug(const std::string& name) {
  std::string slug;
  for (const char c : name) {
    slug += (std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '.')
                ? c
                : '-';
  }
  while (slug.find("--") != std::string::npos) slug.erase(slug.find("--"), 1);
  return slug.empty() ? "subject" : slug;
}

void PrintList(SubjectKind kind, const std::optional<std::vector<std::string>>& selection) {
  const std::vector<std::string> ids = selection ? *selection : conformance::ClausesFor(kind);
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
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](const char* name) -> std::optional<std::string> {
      if (i + 1 >= argc) return std::nullopt;
      (void)name;
      return std::string(argv[++i]);
    };
    auto number = [&](long& into) {
      auto text = value(arg.c_str());
      if (!text) return false;
      char* end = nullptr;
      into = std::strtol(text->c_str(), &end, 10);
      return end != nullptr && *end == '\0' && into > 0;
    };
    if (arg == "-h" || arg == "--help") {
      std::cout << kUsage;
      return kExitOk;
    } else if (arg == "--cpp") {
      flags.cpp = true;
    } else if (arg == "--adapter" || arg == "--server" || arg == "--model" || arg == "--api-key" ||
               arg == "--name" || arg == "--only" || arg == "--group" || arg == "--baseline" ||
               arg == "--out" || arg == "--results" || arg == "--junit") {
      auto text = value(arg.c_str());
      if (!text) return Usage(arg + " needs a value");
      if (arg == "--adapter") flags.adapter = *text;
      if (arg == "--server") flags.server = *text;
      if (arg == "--model") flags.model = *text;
      if (arg == "--api-key") flags.api_key = *text;
      if (arg == "--name") flags.name = *text;
      if (arg == "--only") flags.only = *text;
      if (arg == "--group") flags.group = *text;
      if (arg == "--baseline") flags.baseline = *text;
      if (arg == "--out") flags.out = *text;
      if (arg == "--results") flags.results = *text;
      if (arg == "--junit") flags.junit = *text;
    } else if (arg == "--list") {
      flags.list = true;
    } else if (arg == "--format") {
      auto text = value(arg.c_str());
      if (!text || (*text != "text" && *text != "markdown"))
        return Usage("--format takes text or markdown");
      flags.format = *text;
    } else if (arg == "--strict") {
      flags.strict = true;
    } else if (arg == "--step-timeout") {
      if (!number(flags.step_timeout_ms))
        return Usage("--step-timeout needs a positive number of milliseconds");
    } else if (arg == "--probe-budget") {
      if (!number(flags.probe_budget_ms))
        return Usage("--probe-budget needs a positive number of milliseconds");
    } else {
      return Usage("unknown argument '" + arg + "'");
    }
  }
  if (flags.list && flags.format == "markdown") {
    std::cout << conformance::ClauseCatalogMarkdown();
    return kExitOk;
  }
  const int subjects = (flags.cpp ? 1 : 0) + (flags.adapter ? 1 : 0) + (flags.server ? 1 : 0);
  if (subjects != 1) return Usage("name exactly one subject: --cpp, --adapter or --server");
  const SubjectKind kind = flags.server    ? SubjectKind::kServer
                           : flags.adapter ? SubjectKind::kAdapter
                                           : SubjectKind::kCpp;

  std::optional<std::vector<std::string>> selection;
  try {
    selection = conformance::ParseSelection(flags.only, flags.group, kind);
  } catch (const std::invalid_argument& error) {
    return Usage(error.what());
  }
  if (flags.list) {
    PrintList(kind, selection);
    return kExitOk;
  }
  std::optional<reports::Baseline> baseline;
  if (!flags.baseline.empty()) {
    auto read = reports::ReadBaselineFile(flags.baseline);
    if (!read.ok()) return Usage(read.error().ToString());
    baseline = std::move(read.value());
  }

  auto progress = [](const reports::ClauseResult& result, int done, int total) {
    std::cerr << conformance::ProgressLine(result, done, total) << "\n";
  };
  conformance::JudgeOptions options;
  options.probe_budget = std::chrono::milliseconds(flags.probe_budget_ms);
  reports::Results results;
  if (flags.server) {
    results = conformance::RunServerChecks(
        {.base_url = *flags.server, .model = flags.model, .api_key = flags.api_key}, selection,
        progress);
    const ProviderReadiness probe =
        results.configuration.value("reference_probe", nlohmann::json::object())
            .get<ProviderReadiness>();
    std::cerr << "reference probe: " << (probe.ready ? "READY" : "NOT READY") << " "
              << nlohmann::json(probe).dump() << "\n";
  } else if (flags.adapter) {
    conformance::AdapterOptions adapter;
    adapter.command = *flags.adapter;
    adapter.step_timeout = std::chrono::milliseconds(flags.step_timeout_ms);
    results = conformance::RunSubject(conformance::AdapterSubjectFactory(adapter), kind, selection,
                                      options, progress);
    results.configuration["adapter"] = *flags.adapter;
  } else {
    conformance::SubjectFactory factory = [] {
      return std::make_unique<conformance::ProviderSubject>(
          "local-reference",
          [](const Config& config) { return std::make_unique<LocalProvider>(config); });
    };
    results = conformance::RunSubject(factory, kind, selection, options, progress);
  }
  if (flags.adapter && results.subject.name == "unknown") results.subject.name = *flags.adapter;
  if (!flags.name.empty()) results.subject.name = flags.name;
  if (baseline) reports::ApplyBaseline(results, *baseline);

  const std::filesystem::path path =
      !flags.results.empty()
          ? std::filesystem::path(flags.results)
          : std::filesystem::path(flags.out) / (Slug(results.subject.name) + ".json");
  if (auto written = reports::WriteResultsFile(path, results); !written.ok()) {
    std::cerr << "provkit conform: " << written.error().ToString() << "\n";
    return kExitUsage;
  }
  std::cerr << "results: " << path.string() << "\n";
  if (!flags.junit.empty()) {
    reports::ReportOptions report_options;
    report_options.strict = flags.strict;
    report_options.generated_at = results.generated_at;
    const std::vector<reports::Results> runs = {results};
    if (auto written =
            reports::WriteFileAtomically(flags.junit, reports::RenderJunit(runs, report_options));
        !written.ok()) {
      std::cerr << "provkit conform: " << written.error().ToString() << "\n";
      return kExitUsage;
    }
    std::cerr << "junit: " << flags.junit << "\n";
  }

  const reports::Summary summary = reports::Summarize(results, flags.strict);
  bool harness_error = summary.Incomplete();
  for (const reports::ClauseResult& clause : results.clauses) {
    if (clause.verdict == Verdict::kError &&
        reports::GateOf(clause, flags.strict) == reports::ClauseGate::kGates) {
      harness_error = true;
    }
  }
  std::string totals;
  for (const Verdict verdict : reports::kAllVerdicts) {
    if (summary.counts[verdict] == 0) continue;
    totals += (totals.empty() ? "" : ", ") + std::to_string(summary.counts[verdict]) + " " +
              std::string(VerdictName(verdict));
  }
  std::cerr << "provkit conform: " << results.subject.name << ": " << totals;
  if (!summary.stale.empty())
    std::cerr << "; stale baseline entries gate: " << summary.stale.size();
  if (summary.Incomplete()) std::cerr << "; the run is incomplete (an ERROR)";
  const int code = harness_error ? kExitUsage : summary.Gates() ? kExitFailure : kExitOk;
  std::cerr << " -> exit " << code << "\n";
  return code;
}

}  // namespace provkit::cli
