// The contract's clause catalog and verdicts: the one table tests, results and reports key off.
#pragma once

#include <optional>
#include <span>
#include <string_view>

namespace provkit {

/// Version of ../shared/CONTRACT.md this catalog implements.
inline constexpr int kContractVersion = 1;

/// Clause groups: R readiness probe, S session reuse, W wire behaviour of a live server.
enum class ClauseGroup { kReadiness, kSession, kWire };

/// The kinds of subject a conformance run can judge.
enum class SubjectKind { kCpp, kAdapter, kServer };

/// One clause of the contract.
struct Clause {
  std::string_view id;  ///< Stable: "R4", "S5", "W2". Never renumbered.
  ClauseGroup group;
  std::string_view title;  ///< One line.
  bool has_strict_part;    ///< Has a SHOULD part that yields NON-STRICT when violated.
  bool info_only;          ///< Measured, not judged: its verdict is INFO.
  bool applies_to_cpp;
  bool applies_to_adapter;
  bool applies_to_server;

  bool AppliesTo(SubjectKind kind) const noexcept;
};

/// Every clause, in document order (R1..R16, S1..S11, W1..W7).
std::span<const Clause> Clauses() noexcept;
/// The clause with `id`, or nullptr.
const Clause* FindClause(std::string_view id) noexcept;
std::string_view GroupLetter(ClauseGroup group) noexcept;
std::string_view GroupTitle(ClauseGroup group) noexcept;
std::string_view SubjectKindName(SubjectKind kind) noexcept;
std::optional<SubjectKind> ParseSubjectKind(std::string_view name) noexcept;

/// Verdicts of CONTRACT.md. Order is severity for display, worst last.
enum class Verdict { kPass, kInfo, kSkip, kNonStrict, kFail, kError };
/// "PASS", "INFO", "SKIP", "NON-STRICT", "FAIL", "ERROR".
std::string_view VerdictName(Verdict verdict) noexcept;
std::optional<Verdict> ParseVerdict(std::string_view name) noexcept;
/// Whether a verdict gates CI: FAIL and ERROR always, NON-STRICT with `strict`.
bool Gates(Verdict verdict, bool strict) noexcept;

}  // namespace provkit
