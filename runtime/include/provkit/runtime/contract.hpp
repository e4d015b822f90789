// The contract's clause catalog and verdicts: the one table tests, results, reports and
// docs/contract.md key off.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace provkit {

/// The contract version this catalog implements (docs/contract.md). The one place it is set:
/// results files, reports and `provkit --version` read it from here.
inline constexpr int kContractVersion = 2;

/// Clause groups: R readiness probe, S session reuse, W wire behaviour of a live server.
enum class ClauseGroup { kReadiness, kSession, kWire };

/// The kinds of subject a conformance run can judge.
enum class SubjectKind { kCpp, kAdapter, kServer };

/// A set of subject kinds, as bits of SubjectMask.
using SubjectMask = std::uint8_t;
inline constexpr SubjectMask kCppSubjects = 1U << 0U;
inline constexpr SubjectMask kAdapterSubjects = 1U << 1U;
inline constexpr SubjectMask kServerSubjects = 1U << 2U;
/// Providers, however they are reached: in-process C++ or an adapter process.
inline constexpr SubjectMask kProviderSubjects = kCppSubjects | kAdapterSubjects;

/// One clause of the contract: what it requires, in the words users read in docs/contract.md.
struct Clause {
  std::string_view id;  ///< Stable: "R4", "S5", "W2". Never renumbered.
  ClauseGroup group;
  std::string_view title;        ///< One line.
  std::string_view requirement;  ///< The required (MUST) part; a violation is FAIL.
  std::string_view strict;       ///< The strict (SHOULD) part, or empty; a violation is NON-STRICT.
  SubjectMask subjects;          ///< The kinds of subject it is judged for.
  bool info_only = false;        ///< Measured, not judged: its verdict is INFO.
  int since = 1;                 ///< The contract version that added the clause.

  bool HasStrictPart() const noexcept { return !strict.empty(); }
  bool AppliesTo(SubjectKind kind) const noexcept;
  /// Whether results judged against `contract_version` are expected to carry this clause.
  bool InVersion(int contract_version) const noexcept { return since <= contract_version; }
};

/// Every clause, in document order (R1..R16, S1..S12, W1..W7).
std::span<const Clause> Clauses() noexcept;
/// The clause with `id`, or nullptr.
const Clause* FindClause(std::string_view id) noexcept;
std::string_view GroupLetter(ClauseGroup group) noexcept;
std::string_view GroupTitle(ClauseGroup group) noexcept;
std::string_view SubjectKindName(SubjectKind kind) noexcept;
std::optional<SubjectKind> ParseSubjectKind(std::string_view name) noexcept;
SubjectMask MaskOf(SubjectKind kind) noexcept;

/// Verdicts of the contract. Order is severity for display, worst last.
enum class Verdict { kPass, kInfo, kSkip, kNonStrict, kFail, kError };
/// "PASS", "INFO", "SKIP", "NON-STRICT", "FAIL", "ERROR".
std::string_view VerdictName(Verdict verdict) noexcept;
std::optional<Verdict> ParseVerdict(std::string_view name) noexcept;
/// Whether a verdict gates CI: FAIL and ERROR always, NON-STRICT with `strict`.
bool Gates(Verdict verdict, bool strict) noexcept;

}  // namespace provkit
