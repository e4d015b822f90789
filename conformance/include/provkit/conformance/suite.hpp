// The GoogleTest suite (target provkit::conformance_gtest): one test per catalog clause, generated
// from the catalog; an implementer instantiates it with a factory for their provider.
//
//     #include <provkit/conformance/suite.hpp>
//     using provkit::conformance::ProviderConformance;
//     INSTANTIATE_TEST_SUITE_P(MyProvider, ProviderConformance,
//         provkit::conformance::ClauseCases(provkit::conformance::CppProvider("my-provider",
//             [](const provkit::Config& c) { return std::make_unique<MyProvider>(c); },
//             {.tools = false})),
//         provkit::conformance::ClauseCaseName);
//
// A provider of another API dialect passes it in the options, and the mock speaks that dialect:
//     CppProvider("my-claude", factory, {.readiness = false, .cancellation = false},
//                 {.dialect = "anthropic"})
//
// The tests are named after their clauses: MyProvider/ProviderConformance.Clause/R4.
// Run the binary with PROVKIT_RESULTS_DIR=DIR to get DIR/<subject>.json, the
// results file reports and CI gate on (docs/conformance.md).
#pragma once

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <string_view>

#include "provkit/conformance/judge.hpp"
#include "provkit/conformance/subject.hpp"
#include "provkit/reports/results.hpp"
#include "provkit/runtime/provider.hpp"

namespace provkit::conformance {

/// One value of the suite's parameter: a named subject and the options it is judged with.
struct SuiteSubject {
  std::string name;
  SubjectFactory factory;
  JudgeOptions options;
};

/// A C++ provider as a suite parameter: `factory` builds it from a Config;
/// `capabilities` says what it supports (a missing capability SKIPs its clauses).
SuiteSubject CppProvider(std::string name, ProviderFactory factory, Capabilities capabilities = {},
                         JudgeOptions options = {});

/// One test of the suite: a subject and the clause it is judged on.
struct ClauseCase {
  SuiteSubject subject;
  std::string clause_id;
  /// The test name carries the subject's name too (several subjects in one instantiation).
  bool name_subject = false;
};

/// The suite's parameters: every catalog clause that applies to C++ subjects, in catalog order,
/// for each subject. A clause added to the catalog becomes a test here with no other edit. A
/// subject judged in a dialect without a probe (JudgeOptions::dialect "responses" or
/// "anthropic") gets the S clauses and R13 only.
::testing::internal::ParamGenerator<ClauseCase> ClauseCases(SuiteSubject subject);
::testing::internal::ParamGenerator<ClauseCase> ClauseCases(std::vector<SuiteSubject> subjects);

/// Test-name generator for INSTANTIATE_TEST_SUITE_P: the clause ID ("R4"), followed by the
/// subject's name in CamelCase when several subjects share the instantiation ("R4MyProvider").
std::string ClauseCaseName(const ::testing::TestParamInfo<ClauseCase>& info);
void PrintTo(const SuiteSubject& subject, std::ostream* out);
void PrintTo(const ClauseCase& test_case, std::ostream* out);

/// The suite: each parameter judges one clause for one subject (the clause ID is also recorded
/// as the "clause" property). PASS and INFO pass; NON-STRICT passes with a "verdict" property
/// (fails with PROVKIT_STRICT=1); SKIP is GTEST_SKIP with the reason; FAIL and ERROR fail with
/// the reason and the evidence.
class ProviderConformance : public ::testing::TestWithParam<ClauseCase> {
 protected:
  /// Judges the parameter's clause for its subject, hands the result to the results listener and
  /// turns the verdict into this test's outcome. A clause ID not in the catalog fails the test.
  void JudgeAndReport();
};

/// Records `result` for `subject` in the process's results (written by the
/// listener) and makes it the current test's outcome, as JudgeAndReport does.
/// Call it from a test body only.
void ReportClauseResult(const SuiteSubject& subject, const reports::ClauseResult& result);

/// The results gathered in this process so far, one per subject (the
/// listener writes them). Thread-safe.
std::vector<reports::Results> CollectedResults();

namespace internal {
/// Defined next to the TEST_Ps; referenced below so that linking this header's
/// users always pulls the suite's tests out of the static library.
extern const int kSuiteLinked;
[[gnu::used]] static const int* const kSuiteAnchor = &kSuiteLinked;
}  // namespace internal

}  // namespace provkit::conformance
