// ClauseRun: the state of judging one clause: mock servers, subjects, findings and evidence.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "provkit/conformance/judge.hpp"
#include "provkit/conformance/subject.hpp"
#include "provkit/mockserver/server.hpp"
#include "provkit/reports/results.hpp"

namespace provkit::conformance::internal {

using Millis = std::chrono::milliseconds;

/// Milliseconds since `start`, as a double.
double MsSince(std::chrono::steady_clock::time_point start);

/// Collects findings for one clause and turns them into a ClauseResult.
class ClauseRun {
 public:
  ClauseRun(const Clause& clause, SubjectFactory factory, const JudgeOptions& options);
  ~ClauseRun();

  const Clause& clause() const { return clause_; }
  const JudgeOptions& options() const { return options_; }

  /// Server options every check starts from: the configured model plus one more.
  mock::ServerOptions ServerDefaults() const;
  /// A fresh mock server that lives until the run ends.
  mock::Server& NewServer(mock::ServerOptions server_options);
  mock::Server& NewServer() { return NewServer(ServerDefaults()); }
  /// The subject of this run, made on first use.
  Subject& subject();
  /// Tells the subject, if one was made, that this clause ended in a harness error.
  void RetireSubject() {
    if (subject_) subject_->Retire();
  }
  /// The subject's capabilities (made on first use).
  Capabilities capabilities() { return subject().GetCapabilities(); }
  /// A config pointing at `server` with the options' budget, key and timeouts.
  Config ConfigFor(const mock::Server& server, std::optional<std::string> model) const;
  /// Opens a session on `server` (model: the options' model unless given).
  std::shared_ptr<SubjectSession> Open(const mock::Server& server, bool readiness_probe = true);
  std::shared_ptr<SubjectSession> OpenWith(const Config& config, bool readiness_probe = true);

  /// Names the scenario the following findings belong to.
  void Case(std::string name);
  /// A required part: FAIL when `ok` is false. Returns `ok`.
  bool Require(bool ok, std::string_view expectation, std::string_view observation);
  /// A strict part: NON-STRICT when `ok` is false. Returns `ok`.
  bool Should(bool ok, std::string_view expectation, std::string_view observation);
  /// Records a counted invariant as a sentence, "provider closed 2 times (expected 1)",
  /// and requires it. Returns whether it held.
  bool Count(std::string_view what, std::int64_t observed, std::int64_t expected,
             std::string_view unit);
  /// Like Count with an upper bound: "... (expected at most 2)".
  bool CountAtMost(std::string_view what, std::int64_t observed, std::int64_t at_most,
                   std::string_view unit);
  /// SKIP with the reason, unless something failed already.
  void Skip(std::string reason);
  /// A sentence of evidence that judges nothing ("probe returned after 12 ms (budget 300 ms)").
  void Note(std::string sentence);
  /// An observation shown as evidence.
  void Observe(std::string text);
  /// Appends the server's journal (for the current case) to the evidence.
  void RecordJournal(const mock::Server& server);
  /// Marks the clause measured, not judged (INFO) with the reason.
  void Info(std::string reason);
  /// ERROR: the harness could not judge.
  void Error(std::string reason);

  /// Whether anything FAILed so far.
  bool failed() const { return !failures_.empty(); }

  /// The verdict: ERROR > FAIL > NON-STRICT > SKIP > INFO > PASS.
  reports::ClauseResult Finish(double duration_ms);

 private:
  std::string Prefixed(std::string_view text) const;

  const Clause& clause_;
  SubjectFactory factory_;
  JudgeOptions options_;
  std::unique_ptr<Subject> subject_;
  std::vector<std::unique_ptr<mock::Server>> servers_;
  std::string case_;
  std::vector<std::string> failures_;
  std::vector<std::string> non_strict_;
  std::vector<std::string> errors_;
  std::optional<std::string> skip_;
  std::optional<std::string> info_;
  std::vector<std::string> expected_;
  std::vector<std::string> observed_;
  std::vector<std::string> invariants_;
  std::vector<reports::RequestRecord> requests_;
};

/// The outcome of a call the harness bounds in time.
template <typename T>
struct Bounded {
  std::optional<T> value;
  std::optional<SubjectError> error;
  std::optional<std::string> harness_error;
  double elapsed_ms = 0;
  bool timed_out = false;  ///< Still running at the limit (abandoned).
};

/// Runs `fn` on its own thread and waits at most `limit`. When the limit passes,
/// `on_timeout` runs (to unblock the call, e.g. stop the server), the call gets
/// `grace` more to end, and is then left running detached: `fn` must own what
/// it touches (capture shared_ptrs). Never throws.
template <typename T>
Bounded<T> CallBounded(std::function<T()> fn, Millis limit,
                       const std::function<void()>& on_timeout = {}, Millis grace = Millis{2000});

/// Compact JSON of a readiness record, for evidence.
std::string Describe(const ProviderReadiness& readiness);
/// "kind: message" of a subject error.
std::string Describe(const SubjectError& error);
/// `text` made printable (control characters escaped, invalid UTF-8 repaired) and cut to at most
/// `limit` bytes, "..." marking a cut: how server and subject text enters evidence.
std::string Clip(std::string_view text, std::size_t limit = 200);
/// "null" or the quoted string.
std::string Quote(const std::optional<std::string>& text);
/// Case-insensitive substring test.
bool ContainsNoCase(std::string_view text, std::string_view part);
/// The message of an error body in any common shape (R15), or nullopt.
std::optional<std::string> ErrorBodyMessage(std::string_view body);
/// GETs `path` from `server` directly (for learning what an answer says); nullopt on failure.
std::optional<std::pair<int, std::string>> FetchRaw(const mock::Server& server,
                                                    const std::string& path,
                                                    const std::string& api_key);

/// A clause's check: provokes what the clause is about and records findings in the run.
using CheckFn = void (*)(ClauseRun&);

/// One check: the clause it judges, one line on how (shown by --list and in docs/contract.md),
/// and the function. Each group's file ends with its table, next to the functions.
struct CheckEntry {
  std::string_view clause_id;
  std::string_view summary;
  CheckFn check;
};

/// The R checks (readiness_checks.cpp) and the S checks (session_checks.cpp).
std::span<const CheckEntry> ReadinessChecks() noexcept;
std::span<const CheckEntry> SessionChecks() noexcept;

}  // namespace provkit::conformance::internal

#include "bounded_call.inl"
