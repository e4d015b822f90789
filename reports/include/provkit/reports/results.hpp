// The results model of one run of one subject, its JSON form (docs/results-schema.md), I/O.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "provkit/reports/outcome.hpp"
#include "provkit/runtime/contract.hpp"

/// Thread safety, for this header and the whole of provkit::reports: any
/// function may run concurrently with any other on different objects. The
/// model types are plain values with no internal locking.
namespace provkit::reports {

/// The `schema` field of every results file.
inline constexpr std::string_view kResultsSchemaId = "provkit-results";
/// The `schema_version` this library writes. Version 2 writes evidence
/// `expected` and `observed` as arrays of strings, one item each.
inline constexpr int kResultsSchemaVersion = 2;
/// The oldest `schema_version` this library reads. Version 1 carried
/// `expected` and `observed` as one string each; the reader splits such a
/// string into items at line breaks and at "; " (what version 1 writers
/// joined items with), so a version 1 file reads like a version 2 one.
inline constexpr int kOldestResultsSchemaVersion = 1;

/// The provkit version this library was built as, e.g. "0.1.0".
std::string_view ProvkitVersion() noexcept;

/// The machine a run happened on.
struct Machine {
  std::string hostname{};
  std::string os{};  ///< e.g. "Linux 6.1.0-18-amd64 x86_64".
  int cpus = 0;      ///< Logical CPUs; 0 when unknown.

  bool operator==(const Machine&) const = default;
};

/// This machine, from uname(2) and the hardware concurrency. Never throws.
Machine DetectMachine();

/// What was judged.
struct Subject {
  std::string name{};  ///< Short, shown as a report column: "local-reference".
  SubjectKind kind = SubjectKind::kCpp;
  std::string description{};
  /// What the subject declares it supports, e.g. {"streaming", true}. A false
  /// entry is information too: it is why a clause may be SKIPped.
  std::map<std::string, bool> capabilities{};

  bool operator==(const Subject&) const = default;
};

/// Which part of a sharded run a results file holds (GTEST_SHARD_INDEX of GTEST_TOTAL_SHARDS).
struct Shard {
  int index = 0;  ///< 0-based, below `total`.
  int total = 1;

  bool operator==(const Shard&) const = default;
};

/// The shard this process runs, from GTEST_SHARD_INDEX and GTEST_TOTAL_SHARDS;
/// empty when they are unset or invalid (then the run is not sharded).
std::optional<Shard> ShardFromEnvironment();

/// One HTTP request the mock or live server saw while a clause was judged.
struct RequestRecord {
  int connection = 0;  ///< The server's number for the TCP connection it arrived on.
  std::string method{};
  std::string path{};
  std::optional<int> status{};  ///< The answer's status; empty when none was sent.
  std::optional<std::string> request_body{};
  std::optional<std::string> response_body{};
  std::optional<double> duration_ms{};

  bool operator==(const RequestRecord&) const = default;
};

/// What a person needs to act on a verdict.
struct Evidence {
  /// What the clause required, one requirement per line ("\n"); reports show
  /// each line as an item of a list. Use EvidenceItems() to split.
  std::string expected{};
  /// What happened, one observation per line, like `expected`.
  std::string observed{};
  /// The invariants counted, as sentences: "provider closed 1 time (expected 1)".
  std::vector<std::string> invariants{};
  std::vector<RequestRecord> requests{};

  bool operator==(const Evidence&) const = default;
};

/// The verdict on one clause for one subject.
struct ClauseResult {
  std::string clause_id{};  ///< A clause of provkit::Clauses(): "R4".
  Verdict verdict = Verdict::kError;
  std::string reason{};  ///< One line. Required for every verdict but PASS.
  double duration_ms = 0;
  Evidence evidence{};
  /// Set when the run's baseline lists this clause: the baseline's reason.
  std::optional<std::string> baseline_reason{};

  bool operator==(const ClauseResult&) const = default;
};

/// One results file: one run (or one shard of a run) of one subject.
struct Results {
  int schema_version = kResultsSchemaVersion;
  std::string provkit_version{};
  int contract_version = kContractVersion;
  std::string generated_at{};  ///< RFC 3339 UTC, "2025-01-31T12:00:00Z".
  Machine machine{};
  Subject subject{};
  /// The run's configuration. Secrets are redacted (RedactSecrets) when written.
  nlohmann::json configuration = nlohmann::json::object();
  std::optional<Shard> shard{};
  /// The clauses the run was asked for (--only, --group); empty means every
  /// clause of the catalog that applies to the subject's kind.
  std::optional<std::vector<std::string>> selection{};
  std::vector<ClauseResult> clauses{};

  /// The result for `clause_id`, or nullptr.
  const ClauseResult* Find(std::string_view clause_id) const;
  ClauseResult* Find(std::string_view clause_id);

  /// Records `result`. A clause recorded before is combined with it: the worse
  /// verdict (provkit::Verdict order) and its reason win, the other reason is
  /// appended after "; ", evidence is concatenated and durations add up. This
  /// is how several tests of one clause make one verdict.
  void Add(ClauseResult result);

  bool operator==(const Results&) const = default;
};

/// Starts the results of a run happening now: schema and contract versions,
/// this provkit's version, generated_at = NowTimestamp(), DetectMachine().
Results NewResults(Subject subject, nlohmann::json configuration = nlohmann::json::object());

/// Builds one ClauseResult step by step:
///
///     results.Add(ClauseBuilder("S5").Fail("4 turns opened 4 connections")
///                     .Expected("1 connection").Observed("4 connections")
///                     .Invariant("4 turns over 4 connections (expected 1)")
///                     .Request({.connection = 1, .method = "POST", .path = "/v1/chat/completions",
///                     .status = 200}) .DurationMs(12.5));
///
/// Line breaks in reasons are replaced by spaces (a reason is one line).
class ClauseBuilder {
 public:
  /// Throws provkit::ConfigurationError when `clause_id` is not in provkit::Clauses().
  explicit ClauseBuilder(std::string_view clause_id);

  ClauseBuilder& Pass();
  ClauseBuilder& NonStrict(std::string_view reason);
  ClauseBuilder& Fail(std::string_view reason);
  ClauseBuilder& Skip(std::string_view reason);
  ClauseBuilder& Info(std::string_view reason);
  ClauseBuilder& Error(std::string_view reason);
  /// Any verdict; the reason may be empty only for PASS (checked when written).
  ClauseBuilder& Judge(Verdict verdict, std::string_view reason);

  /// Sets what was expected; several requirements go on separate lines.
  ClauseBuilder& Expected(std::string text);
  /// Sets what was observed; several observations go on separate lines.
  ClauseBuilder& Observed(std::string text);
  /// Appends one requirement as a line of its own (line breaks in `item`
  /// become spaces, so it stays one item of the list).
  ClauseBuilder& ExpectedItem(std::string_view item);
  /// Appends one observation as a line of its own, like ExpectedItem.
  ClauseBuilder& ObservedItem(std::string_view item);
  ClauseBuilder& Invariant(std::string sentence);
  ClauseBuilder& Request(RequestRecord request);
  ClauseBuilder& DurationMs(double milliseconds);
  ClauseBuilder& Baseline(std::string reason);

  const ClauseResult& Build() const& { return result_; }
  ClauseResult Build() && { return std::move(result_); }
  operator ClauseResult() const& { return result_; }         // NOLINT: implicit by design
  operator ClauseResult() && { return std::move(result_); }  // NOLINT

 private:
  ClauseResult result_;
};

/// The items of an Evidence `expected` or `observed` text: its lines, with
/// empty ones left out. "" gives none.
std::vector<std::string> EvidenceItems(std::string_view text);

/// `configuration` with the value of every key that names a secret (api_key,
/// authorization, token, secret, password, credential; any case, at any depth)
/// replaced by "<redacted>".
nlohmann::json RedactSecrets(nlohmann::json configuration);

/// RFC 3339 UTC with seconds: "2025-01-31T12:00:00Z".
std::string UtcTimestamp(std::chrono::system_clock::time_point time);
/// UtcTimestamp of now, or of $SOURCE_DATE_EPOCH when that is set to a number
/// of seconds (the reproducible-builds convention; tests use it).
std::string NowTimestamp();

/// The JSON form of docs/results-schema.md (schema version
/// kResultsSchemaVersion), fields in schema order, secrets redacted, evidence
/// `expected` and `observed` as arrays of their EvidenceItems(). Never throws;
/// invalid UTF-8 is written as U+FFFD.
std::string ToJsonText(const Results& results);

/// Reads a results document strictly. `file` names the source in errors.
/// Reads schema versions kOldestResultsSchemaVersion to kResultsSchemaVersion
/// into the current model (`schema_version` is then kResultsSchemaVersion).
/// Errors (never exceptions) for: malformed JSON (with line and column),
/// another schema or an unknown schema_version, an unsupported contract
/// version, a missing or mistyped field, a clause ID not in the catalog, a
/// clause listed twice, a non-PASS verdict without a reason. Fields the schema
/// does not know are ignored.
Outcome<Results> ParseResults(std::string_view text, std::string_view file);

/// ParseResults on the contents of `path`; unreadable files are errors too.
Outcome<Results> ReadResultsFile(const std::filesystem::path& path);

/// Writes ToJsonText(results) to `path` through a temporary file and a rename,
/// so a reader never sees half a file. Creates missing parent directories.
/// Refuses (error, nothing written) results that ParseResults would reject.
Outcome<void> WriteResultsFile(const std::filesystem::path& path, const Results& results);

/// A results file with the path it was read from: what the reports that name
/// their inputs (merge, the command) pass around.
struct ResultsFile {
  std::string path{};
  Results results{};
};

}  // namespace provkit::reports
