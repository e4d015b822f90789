// Judging clauses: runs a clause's scenarios on a fresh mock server and subject, and turns what
// happened into a verdict.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "provkit/conformance/subject.hpp"
#include "provkit/reports/results.hpp"
#include "provkit/runtime/contract.hpp"

namespace provkit::conformance {

/// Knobs of a judgement. The defaults keep a whole run of the suite short:
/// a 300 ms probe budget makes the hang and trickle scenarios of R9 quick.
/// An API dialect the mock serves and a subject's provider may speak to it.
struct Dialect {
  std::string_view name;      ///< As `--dialect` spells it: "chat", "responses", "anthropic".
  std::string_view title;     ///< For people: "OpenAI Chat Completions".
  std::string_view provider;  ///< The reference provider's registry name: "local", "openai", ...
  std::string_view path;      ///< The generation endpoint under the base URL: "/chat/completions".
  bool has_probe;             ///< The dialect's servers have /health and /v1/models to probe.
  /// The request body fields a provider of this dialect manages itself, which provider options
  /// may not replace (S12): the contract's list for chat, its counterparts elsewhere.
  std::span<const std::string_view> managed_fields;
  /// Provider options (JSON) that ask this dialect's servers for reasoning, as S8 sends them so
  /// that the stream's reasoning is compared too: LocalReasoning(true) for chat.
  std::string_view reasoning_options;
};

/// Every dialect, "chat" first (the default).
std::span<const Dialect> Dialects() noexcept;
/// The dialect named `name`, or nullptr.
const Dialect* FindDialect(std::string_view name) noexcept;
/// The dialect whose reference provider is registered as `provider`; "chat" for any other name
/// (a C++ provider of the implementer's own speaks what its factory builds).
const Dialect& DialectOfProvider(std::string_view provider) noexcept;

struct JudgeOptions {
  /// The probe budget configured in every subject (R9 is judged against it).
  std::chrono::milliseconds probe_budget{300};
  /// How far past its budget a probe may return before R9 FAILs: scheduling
  /// noise on a loaded machine, never a second budget.
  std::chrono::milliseconds budget_tolerance{250};
  /// "Promptly" of R14 (cancellation) and S11 (close in flight).
  std::chrono::milliseconds prompt_limit{100};
  /// Extra scheduling tolerance added to prompt_limit before FAIL.
  std::chrono::milliseconds prompt_tolerance{50};
  /// The longest the harness waits for one call that should be quick, beyond
  /// what the clause allows; past it the call is abandoned and the clause judged.
  std::chrono::milliseconds call_grace{3000};
  /// Request timeout configured in subjects.
  std::chrono::milliseconds request_timeout{5000};
  /// The model every subject is configured with; the mock lists it.
  std::string model = "provkit-model";
  /// The API key configured in subjects; the auth scenario accepts it.
  std::string api_key = "provkit-secret";
  /// The dialect the subject's provider speaks (a name of Dialects()). Configs handed to the
  /// subject name its reference provider (Config::provider), and adapters get it as `dialect`.
  std::string dialect = "chat";
};

/// One clause check as registered in the suite.
struct ClauseCheck {
  std::string_view clause_id;
  /// What the check does, one line (shown by --list).
  std::string_view summary;
};

/// Every check the suite has, in catalog order. Each names a clause of
/// provkit::Clauses(); every catalog clause has exactly one.
std::span<const ClauseCheck> ClauseChecks() noexcept;

/// The clause catalog as the Markdown of docs/contract.md's clause section: per group, a table of
/// every clause (ID, title, kind of verdict, subjects) and then each clause's required part,
/// strict part and how provkit judges it. docs/contract.md holds exactly this text between its
/// `<!-- catalog:begin -->` and `<!-- catalog:end -->` markers (a test compares them).
std::string ClauseCatalogMarkdown();

/// "required", "required + strict", "strict" (no required part beyond answering) or "info".
std::string_view ClauseKindLabel(const Clause& clause);

/// The catalog clause IDs that apply to `kind`, in catalog order. For a dialect without a
/// readiness probe (a cloud API), the Session clauses and R13 (a Session over a provider without
/// a probe).
std::vector<std::string> ClausesFor(SubjectKind kind, std::string_view dialect = "chat");

/// Judges `clause_id` for the subjects `factory` makes (one or more fresh
/// subjects, each with its own mock server). Never throws: a clause the
/// catalog does not know, a subject that cannot be made, a HarnessError or an
/// unexpected exception of the harness give ERROR with the reason. W clauses
/// need a server subject and are judged by JudgeServerClause instead.
reports::ClauseResult JudgeClause(std::string_view clause_id, const SubjectFactory& factory,
                                  const JudgeOptions& options = {});

/// Parses a selection: `only` is "R4,S5" (IDs of the catalog), `group` is
/// "R", "S" or "W". Both empty: nullopt (every clause for the kind). Throws
/// std::invalid_argument naming the problem for an unknown ID or group, or a
/// clause that does not apply to `kind`.
std::optional<std::vector<std::string>> ParseSelection(std::string_view only,
                                                       std::string_view group, SubjectKind kind);

/// Progress of a run: called after each clause, on the calling thread.
using ProgressCallback =
    std::function<void(const reports::ClauseResult& result, int done, int total)>;

/// Runs `clauses` (nullopt: every clause for kAdapter or kCpp as `kind` says)
/// for the subjects `factory` makes, and returns the results: subject,
/// capabilities, configuration, selection, one result per clause. Never throws;
/// a subject that cannot even be made gives ERROR on every clause.
reports::Results RunSubject(const SubjectFactory& factory, SubjectKind kind,
                            const std::optional<std::vector<std::string>>& clauses,
                            const JudgeOptions& options = {},
                            const ProgressCallback& progress = {});

/// One progress line, e.g. "[ 3/27] R3   PASS        12 ms  Health endpoint absent: ...".
std::string ProgressLine(const reports::ClauseResult& result, int done, int total);

}  // namespace provkit::conformance
