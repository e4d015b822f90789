// The abstract GoogleTest suite: one TEST_P per clause; an implementer instantiates it with a
// factory for their provider.
//
//     #include <provkit/conformance/suite.hpp>
//     using provkit::conformance::ProviderConformance;
//     INSTANTIATE_TEST_SUITE_P(MyProvider, ProviderConformance,
//         ::testing::Values(provkit::conformance::CppProvider("my-provider",
//             [](const provkit::Config& c) { return std::make_unique<MyProvider>(c); },
//             {.tools = false})),
//         provkit::conformance::SuiteSubjectName);
//
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

/// Test-name generator for INSTANTIATE_TEST_SUITE_P: the subject's name in CamelCase.
std::string SuiteSubjectName(const ::testing::TestParamInfo<SuiteSubject>& info);
void PrintTo(const SuiteSubject& subject, std::ostream* out);

/// The abstract suite: every clause of the catalog that applies to C++
/// subjects is one TEST_P (named after its clause ID, with the ID also recorded
/// as the "clause" property). PASS and INFO pass; NON-STRICT passes with a
/// "verdict" property (fails with PROVKIT_STRICT=1); SKIP is GTEST_SKIP with
/// the reason; FAIL and ERROR fail with the reason and the evidence.
class ProviderConformance : public ::testing::TestWithParam<SuiteSubject> {
 protected:
  /// Judges `clause_id` for the parameter's subject, hands the result to the
  /// results listener and turns the verdict into this test's outcome. A clause
  /// ID not in the catalog fails the test.
  void JudgeAndReport(std::string_view clause_id);
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
