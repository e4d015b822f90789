// Tests of AdapterSubject: the example adapters pass every clause; broken adapters get ERROR, never
// a hung harness.
#include "provkit/conformance/adapter_subject.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <string>

#include "provkit/conformance/judge.hpp"

namespace provkit::conformance {
namespace {

using namespace std::chrono_literals;

bool Have(const char* tool) {
  return std::system((std::string("command -v ") + tool + " >/dev/null 2>&1").c_str()) == 0;
}

std::string AdapterPath(const char* relative) {
  return std::string(PROVKIT_SOURCE_DIR) + "/conformance/adapters/" + relative;
}

struct ExampleAdapter {
  const char* name;
  const char* interpreter;
  const char* script;
};

void PrintTo(const ExampleAdapter& adapter, std::ostream* out) { *out << adapter.name; }

class ExampleAdapterPasses
    : public ::testing::TestWithParam<std::tuple<ExampleAdapter, std::string>> {};

// Every clause that applies to adapters, for both example adapters: PASS, strict parts included.
TEST_P(ExampleAdapterPasses, ClausePasses) {
  const auto& [adapter, clause] = GetParam();
  RecordProperty("clause", clause);
  if (!Have(adapter.interpreter)) GTEST_SKIP() << adapter.interpreter << " is not installed";
  AdapterOptions options;
  options.command = std::string(adapter.interpreter) + " " + AdapterPath(adapter.script);
  const reports::ClauseResult result = JudgeClause(clause, AdapterSubjectFactory(options));
  EXPECT_EQ(result.verdict, Verdict::kPass)
      << clause << " " << VerdictName(result.verdict) << ": " << result.reason;
}

INSTANTIATE_TEST_SUITE_P(
    Examples, ExampleAdapterPasses,
    ::testing::Combine(::testing::Values(ExampleAdapter{"Python", "python3", "python/adapter.py"},
                                         ExampleAdapter{"Node", "node", "node/adapter.js"}),
                       ::testing::ValuesIn(ClausesFor(SubjectKind::kAdapter))),
    [](const auto& p) { return std::string(std::get<0>(p.param).name) + std::get<1>(p.param); });

reports::Results RunBroken(const std::string& command, std::chrono::milliseconds step = 500ms) {
  AdapterOptions options;
  options.command = command;
  options.step_timeout = step;
  options.shutdown_grace = 200ms;
  return RunSubject(AdapterSubjectFactory(options), SubjectKind::kAdapter,
                    std::vector<std::string>{"S5", "R1"});
}

void ExpectAllError(const reports::Results& results, const std::string& words) {
  ASSERT_EQ(results.clauses.size(), 2u);
  for (const reports::ClauseResult& clause : results.clauses) {
    EXPECT_EQ(clause.verdict, Verdict::kError) << clause.clause_id << ": " << clause.reason;
    EXPECT_NE(clause.reason.find(words), std::string::npos) << clause.reason;
  }
}

TEST(BrokenAdapter, CrashingAdapterIsAnError) {
  const auto start = std::chrono::steady_clock::now();
  ExpectAllError(RunBroken("echo 'boom: adapter crashed' >&2; exit 3"), "exited");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
}

TEST(BrokenAdapter, HangingAdapterIsAnErrorAndTheHarnessFinishes) {
  const auto start = std::chrono::steady_clock::now();
  ExpectAllError(RunBroken("sleep 300"), "did not answer 'hello' within 500 ms");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
}

TEST(BrokenAdapter, LyingAdapterIsAProtocolViolation) {
  ExpectAllError(RunBroken("read line; echo 'this is not json'; sleep 300"), "protocol violation");
}

TEST(BrokenAdapter, FloodingAdapterIsCutOff) {
  const auto start = std::chrono::steady_clock::now();
  ExpectAllError(RunBroken("yes '{\"id\":99999999,\"event\":{}}' | head -c 200000000"),
                 "protocol violation");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 20s);
}

}  // namespace
}  // namespace provkit::conformance
