// Faulty subjects get the verdicts they deserve: the suite is only worth what it detects.
#include "faulty_subjects.hpp"

#include <gtest/gtest.h>

#include <chrono>

#include "provkit/conformance/judge.hpp"

namespace provkit::conformance::testing {
namespace {

using namespace std::chrono_literals;

struct FaultCase {
  const char* name;  // CamelCase test name, starting with the clause
  const char* clause;
  SubjectFactory factory;
  Verdict expected;
  const char* dialect = "chat";  // The API dialect the mock speaks and the subject is judged in.
};

void PrintTo(const FaultCase& c, std::ostream* out) { *out << c.name; }

SubjectFactory Wrapped(const char* name, ProviderFault fault) {
  return [name, fault] { return std::make_unique<ProviderSubject>(name, FaultyProvider(fault)); };
}

// A cloud-dialect provider ("openai", "anthropic") with a stream fault; it has no probe.
SubjectFactory Cloud(const char* name, ProviderFault fault, const char* provider) {
  return [name, fault, provider] {
    return std::make_unique<ProviderSubject>(name, FaultyCloudProvider(fault, provider),
                                             Capabilities{.readiness = false, .cancellation = false});
  };
}

// Short waits: a faulty probe that never returns costs the harness at most
// budget + tolerance + grace per scenario, and the test stays quick.
JudgeOptions QuickOptions(const char* dialect = "chat") {
  JudgeOptions options;
  options.call_grace = 500ms;
  options.dialect = dialect;
  return options;
}

class FaultySubjectVerdict : public ::testing::TestWithParam<FaultCase> {};

TEST_P(FaultySubjectVerdict, ClauseGetsTheExpectedVerdict) {
  const FaultCase& c = GetParam();
  RecordProperty("clause", c.clause);
  const auto start = std::chrono::steady_clock::now();
  const reports::ClauseResult result = JudgeClause(c.clause, c.factory, QuickOptions(c.dialect));
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(result.verdict, c.expected)
      << c.name << ": " << VerdictName(result.verdict) << ": " << result.reason;
  if (c.expected != Verdict::kPass) {
    EXPECT_FALSE(result.reason.empty());
  }
  // The harness keeps its own budget even when the subject hangs.
  EXPECT_LT(took, 30s);
}

std::vector<FaultCase> Cases() {
  const Verdict F = Verdict::kFail;
  const Verdict N = Verdict::kNonStrict;
  return {
      {"R1ModelUnsetListsModels", "R1", Wrapped("r1", ProviderFault::kModelUnsetListsModels), F},
      {"R2ForgetsModel", "R2", Wrapped("r2", ProviderFault::kForgetsModel), F},
      {"R3HealthMustAnswer", "R3", Wrapped("r3", ProviderFault::kHealthMustAnswer), F},
      {"R4VagueNotListed", "R4", Wrapped("r4", ProviderFault::kVagueNotListed), F},
      {"R4NoSuggestion", "R4", Wrapped("r4s", ProviderFault::kNoSuggestion), N},
      {"R5DropsStatus", "R5", Wrapped("r5", ProviderFault::kDropsStatus), F},
      {"R6VerifiedWithoutListing", "R6", Wrapped("r6", ProviderFault::kVerifiedWithoutListing), F},
      {"R7TrustsListing", "R7", Wrapped("r7", ProviderFault::kTrustsListing), N},
      {"R8ThrowsWhenServerDown", "R8", Wrapped("r8", ProviderFault::kThrowsWhenServerDown), F},
      {"R9NoProbeTimeout", "R9", Wrapped("r9", ProviderFault::kNoProbeTimeout), F},
      {"R10ThrowsOnOddBodies", "R10", Wrapped("r10", ProviderFault::kThrowsOnOddBodies), F},
      {"R11ProbeSendsPrompt", "R11", Wrapped("r11", ProviderFault::kProbeSendsPrompt), F},
      {"R12NoAuthHeader", "R12", Wrapped("r12", ProviderFault::kNoAuthHeader), F},
      {"R13WrongNoProbeAnswer", "R13", HandRolledSubject({.wrong_no_probe_answer = true}), F},
      {"R14IgnoresCancellation", "R14", Wrapped("r14", ProviderFault::kIgnoresCancellation), F},
      {"R15GenericErrorMessage", "R15", Wrapped("r15", ProviderFault::kGenericErrorMessage), F},
      {"R16TrustsListing", "R16", Wrapped("r16", ProviderFault::kTrustsListing), N},
      {"S1ProviderPerCall", "S1", HandRolledSubject({.provider_per_call = true}), F},
      {"S2NeverCloses", "S2", Wrapped("s2", ProviderFault::kNeverCloses), F},
      {"S2ClosesTwice", "S2", HandRolledSubject({.close_twice = true}), F},
      {"S3WorksAfterClose", "S3", HandRolledSubject({.works_after_close = true}), F},
      {"S4OneShotLeaks", "S4", HandRolledSubject({.one_shot_leaks = true}), F},
      {"S4AbandonedOneShotStreamLeaks", "S4", HandRolledSubject({.abandoned_one_shot_leaks = true}),
       F},
      {"S5NewConnectionEveryTurn", "S5", Wrapped("s5", ProviderFault::kNewConnectionEveryTurn), F},
      {"S6AbandonKillsSession", "S6", Wrapped("s6", ProviderFault::kAbandonKillsSession), F},
      {"S7SwallowsStreamErrors", "S7", Wrapped("s7", ProviderFault::kSwallowsStreamErrors), F},
      {"S8DoneDiffers", "S8", Wrapped("s8", ProviderFault::kDoneDiffers), F},
      {"S9RunManyReversed", "S9", HandRolledSubject({.run_many_reversed = true}), F},
      {"S10NotThreadSafe", "S10", Wrapped("s10", ProviderFault::kNotThreadSafe), F},
      {"S11CloseKeepsStreams", "S11", HandRolledSubject({.close_keeps_streams = true}), F},
      {"S12IgnoresProviderOptions", "S12", Wrapped("s12a", ProviderFault::kIgnoresProviderOptions),
       F},
      {"S12MergesEveryScope", "S12", Wrapped("s12b", ProviderFault::kMergesEveryScope), F},
      {"S12ThinkingOnlyWhenTrue", "S12", Wrapped("s12c", ProviderFault::kThinkingOnlyWhenTrue), F},
      {"S12DropsManagedFields", "S12", Wrapped("s12d", ProviderFault::kDropsManagedFields), F},
      {"R5RawBodyMessage", "R5", Wrapped("r5r", ProviderFault::kRawBodyMessage), F},
      {"R15RawBodyMessage", "R15", Wrapped("r15r", ProviderFault::kRawBodyMessage), F},
      {"R8UrlOnlyWhenRefused", "R8", Wrapped("r8u", ProviderFault::kUrlOnlyWhenRefused), F},
      {"R9BudgetPerRequest", "R9", Wrapped("r9p", ProviderFault::kBudgetPerRequest), F},
      {"S3MessageNotExact", "S3", HandRolledSubject({.closed_message_prefixed = true}), N},
      {"S8LastArgumentFragment", "S8", Wrapped("s8f", ProviderFault::kLastArgumentFragment), F},
      // The cloud dialects: an `error` / `response.failed` event, and tool_use input assembled
      // from input_json_delta fragments.
      {"S7SwallowsStreamErrorsResponses", "S7",
       Cloud("s7r", ProviderFault::kSwallowsStreamErrors, "openai"), F, "responses"},
      {"S7SwallowsStreamErrorsAnthropic", "S7",
       Cloud("s7a", ProviderFault::kSwallowsStreamErrors, "anthropic"), F, "anthropic"},
      {"S8DoneDiffersResponses", "S8", Cloud("s8r", ProviderFault::kDoneDiffers, "openai"), F,
       "responses"},
      {"S8LastArgumentFragmentResponses", "S8",
       Cloud("s8rf", ProviderFault::kLastArgumentFragment, "openai"), F, "responses"},
      {"S8LastArgumentFragmentAnthropic", "S8",
       Cloud("s8af", ProviderFault::kLastArgumentFragment, "anthropic"), F, "anthropic"},
  };
}

INSTANTIATE_TEST_SUITE_P(Faults, FaultySubjectVerdict, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<FaultCase>& p) {
                           return std::string(p.param.name);
                         });

// The control: the hand-rolled session without faults passes what its faulty twins fail,
// so those failures come from the faults, not from the imitation.
class HandRolledControl : public ::testing::TestWithParam<const char*> {};

TEST_P(HandRolledControl, PassesWithoutFaults) {
  RecordProperty("clause", GetParam());
  const reports::ClauseResult result =
      JudgeClause(GetParam(), HandRolledSubject({}), QuickOptions());
  EXPECT_EQ(result.verdict, Verdict::kPass) << result.reason;
}

// The control of the cloud faults: the same wrapper without a fault passes S7 and S8.
TEST(CloudFaultControl, TheWrapperWithoutAFaultPassesS7AndS8InBothDialects) {
  for (const auto& [provider, dialect] :
       {std::pair{"openai", "responses"}, std::pair{"anthropic", "anthropic"}}) {
    for (const char* clause : {"S7", "S8"}) {
      const reports::ClauseResult result =
          JudgeClause(clause, Cloud("control", ProviderFault::kNone, provider), QuickOptions(dialect));
      EXPECT_EQ(result.verdict, Verdict::kPass) << dialect << " " << clause << ": " << result.reason;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Clauses, HandRolledControl,
                         ::testing::Values("R13", "S1", "S2", "S3", "S4", "S9", "S11", "S12"),
                         [](const ::testing::TestParamInfo<const char*>& p) {
                           return std::string(p.param);
                         });

}  // namespace
}  // namespace provkit::conformance::testing
