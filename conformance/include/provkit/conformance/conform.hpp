// Conform: one call that judges a subject, writes its results (and JUnit) and decides the exit
// status; `provkit conform` parses flags into a ConformRequest and prints the outcome.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "provkit/conformance/adapter_subject.hpp"
#include "provkit/conformance/judge.hpp"
#include "provkit/conformance/server_checks.hpp"
#include "provkit/conformance/subject.hpp"
#include "provkit/reports/baseline.hpp"
#include "provkit/reports/results.hpp"
#include "provkit/reports/summary.hpp"

namespace provkit::conformance {

/// What to judge and where the results go.
struct ConformRequest {
  SubjectKind kind = SubjectKind::kCpp;
  /// kCpp: the subjects to judge; empty means the reference LocalProvider ("local-reference").
  SubjectFactory cpp_factory;
  /// kAdapter: how to run the adapter.
  AdapterOptions adapter;
  /// kServer: the live server.
  ServerTarget server;
  /// The subject name in the results; empty: what the subject says about itself.
  std::string name;
  /// The clauses to judge; nullopt: every clause for `kind`.
  std::optional<std::vector<std::string>> selection;
  JudgeOptions options;
  std::optional<reports::Baseline> baseline;
  /// NON-STRICT gates too.
  bool strict = false;
  /// Where the results file goes; empty: `out_dir`/<subject name as a file name>.json.
  std::filesystem::path results_path;
  std::filesystem::path out_dir = "provkit-results";
  /// Also write JUnit XML here, when not empty.
  std::filesystem::path junit_path;
};

/// How a run ended, as an exit status: 0 clean, 1 contract failures, 2 harness error or
/// incomplete run (an ERROR verdict that gates, a results file that could not be written).
enum class ConformStatus { kClean = 0, kFailures = 1, kHarnessError = 2 };

/// What a run produced.
struct ConformOutcome {
  reports::Results results;
  reports::Summary summary;
  ConformStatus status = ConformStatus::kHarnessError;
  /// Files written, in order ("results", path) / ("junit", path).
  std::vector<std::pair<std::string, std::filesystem::path>> written;
  /// Why a file could not be written; the status is then kHarnessError.
  std::optional<std::string> write_error;
  /// kServer: the reference probe's verdict on the server, as a line for a person.
  std::optional<std::string> reference_probe;
  /// The signal that interrupted the run (InstallInterruptHandlers), or 0. The results hold the
  /// clauses judged before it and are incomplete; the exit status is then 128 + the signal.
  int interrupted_by = 0;

  /// The process exit status: `status`, or 128 + `interrupted_by`.
  int ExitCode() const;

  /// "local-reference: 26 PASS, 1 NON-STRICT; stale baseline entries gate: 1 -> exit 1".
  std::string SummaryLine() const;
};

/// Judges the subject of `request` clause by clause (progress after each clause), applies the
/// baseline, writes the results file and the JUnit file, and decides the status. Never throws:
/// a subject that cannot be started gives ERROR on every clause. The run's secrets (the API key,
/// $PROVKIT_API_KEY, secret-named values of the adapter's command line, URL credentials and
/// queries, sk- tokens) are redacted from the results, the JUnit file and the progress.
ConformOutcome Conform(const ConformRequest& request, const ProgressCallback& progress = {});

/// Whether the files `request` will write can be written, checked before any clause is judged:
/// creates the directories (out_dir, or the results and JUnit files' parents) and writes and
/// removes a probe file in each. The problem, naming the flag and the path, or nullopt.
std::optional<std::string> CheckOutputs(const ConformRequest& request);

/// `name` as a file name: letters, digits, '-', '_' and '.' kept, anything else '-', runs of
/// '-' folded, never starting with '-' or '.', never empty ("subject").
std::string SubjectFileName(const std::string& name);

}  // namespace provkit::conformance
