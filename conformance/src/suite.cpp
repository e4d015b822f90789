// The GoogleTest suite: one parameterized test that judges a clause, its parameters generated
// from the catalog, the results listener and the catalog-coverage check.
#include "provkit/conformance/suite.hpp"

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>

#include "provkit/conformance/provider_subject.hpp"
#include "provkit/reports/summary.hpp"

namespace provkit::conformance {
namespace internal {
const int kSuiteLinked = 1;
}  // namespace internal

namespace {

struct Collected {
  reports::Results results;
};

class Collector {
 public:
  static Collector& Instance() {
    static Collector* collector = new Collector();  // Never destroyed: used by listeners at exit.
    return *collector;
  }

  void Add(const SuiteSubject& subject, const reports::ClauseResult& result) {
    std::lock_guard lock(mutex_);
    auto it = runs_.find(subject.name);
    if (it == runs_.end()) {
      reports::Subject described;
      described.name = subject.name;
      described.kind = SubjectKind::kCpp;
      described.description = "C++ provider judged by the GoogleTest suite";
      try {
        if (auto made = subject.factory()) described.capabilities = made->GetCapabilities().ToMap();
      } catch (const std::exception&) {
        // The clause results say why the subject could not be made.
      }
      const JudgeOptions& options = subject.options;
      reports::Results results =
          reports::NewResults(described, {{"probe_budget_ms", options.probe_budget.count()},
                                          {"budget_tolerance_ms", options.budget_tolerance.count()},
                                          {"prompt_limit_ms", options.prompt_limit.count()},
                                          {"model", options.model},
                                          {"api_key", options.api_key},
                                          {"runner", "googletest"}});
      results.shard = ShardFromEnvironment();
      if (const char* selection = std::getenv("PROVKIT_SELECTION");
          selection != nullptr && *selection != '\0') {
        try {
          results.selection = ParseSelection(selection, "", SubjectKind::kCpp);
        } catch (const std::exception& error) {
          std::cerr << "provkit: ignoring PROVKIT_SELECTION: " << error.what() << "\n";
        }
      }
      it = runs_.emplace(subject.name, std::move(results)).first;
    }
    it->second.Add(result);
  }

  std::vector<reports::Results> Snapshot() const {
    std::lock_guard lock(mutex_);
    std::vector<reports::Results> all;
    for (const auto& [name, results] : runs_) all.push_back(results);
    return all;
  }

  static std::optional<reports::Shard> ShardFromEnvironment() {
    const char* total = std::getenv("GTEST_TOTAL_SHARDS");
    const char* index = std::getenv("GTEST_SHARD_INDEX");
    if (total == nullptr || index == nullptr) return std::nullopt;
    const int total_value = std::atoi(total);
    const int index_value = std::atoi(index);
    if (total_value <= 1 || index_value < 0 || index_value >= total_value) return std::nullopt;
    return reports::Shard{.index = index_value, .total = total_value};
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, reports::Results> runs_;
};

bool StrictFromEnvironment() {
  const char* strict = std::getenv("PROVKIT_STRICT");
  return strict != nullptr && *strict != '\0' && std::string_view(strict) != "0";
}

bool WholeRun() {
  const std::string filter = ::testing::GTEST_FLAG(filter);
  return (filter.empty() || filter == "*") && !Collector::ShardFromEnvironment();
}

// Fails the run when a complete run left catalog clauses unjudged: CTest's
// count of passed tests is not the verdict, the results are.
class CoverageEnvironment : public ::testing::Environment {
 public:
  void TearDown() override {
    if (!WholeRun()) return;
    for (const reports::Results& results : Collector::Instance().Snapshot()) {
      const reports::Summary summary = reports::Summarize(results, StrictFromEnvironment());
      if (!summary.Incomplete()) continue;
      std::string problem = "subject '" + results.subject.name + "': the run is an ERROR:";
      if (summary.nothing_judged) problem += " no clause was judged;";
      for (const std::string& id : summary.missing) problem += " " + id + " was not run;";
      for (const std::string& id : summary.unexpected) problem += " " + id + " is not expected;";
      ADD_FAILURE() << problem;
    }
  }
};

// Writes one results file per subject into $PROVKIT_RESULTS_DIR when the run ends.
class ResultsListener : public ::testing::EmptyTestEventListener {
 public:
  void OnTestIterationEnd(const ::testing::UnitTest& /*unit_test*/, int /*iteration*/) override {
    const char* dir = std::getenv("PROVKIT_RESULTS_DIR");
    if (dir == nullptr || *dir == '\0') return;
    for (const reports::Results& results : Collector::Instance().Snapshot()) {
      std::string file = results.subject.name;
      if (results.shard) {
        file += ".shard-" + std::to_string(results.shard->index) + "-of-" +
                std::to_string(results.shard->total);
      }
      const std::filesystem::path path = std::filesystem::path(dir) / (file + ".json");
      if (auto written = reports::WriteResultsFile(path, results); written.ok()) {
        std::cerr << "provkit: wrote " << path.string() << "\n";
      } else {
        std::cerr << "provkit: could not write results: " << written.error().ToString() << "\n";
      }
    }
  }
};

[[maybe_unused]] const bool kRegistered = [] {
  ::testing::UnitTest::GetInstance()->listeners().Append(new ResultsListener());
  ::testing::AddGlobalTestEnvironment(new CoverageEnvironment());
  return true;
}();

std::string Evidence(const reports::ClauseResult& result) {
  std::string text;
  if (!result.evidence.expected.empty()) text += "\n  expected: " + result.evidence.expected;
  if (!result.evidence.observed.empty()) text += "\n  observed: " + result.evidence.observed;
  for (const std::string& sentence : result.evidence.invariants)
    text += "\n  counted:  " + sentence;
  for (const reports::RequestRecord& request : result.evidence.requests) {
    text += "\n  request:  #" + std::to_string(request.connection) + " " + request.method + " " +
            request.path +
            (request.status ? " -> " + std::to_string(*request.status) : std::string());
  }
  return text;
}

}  // namespace

SuiteSubject CppProvider(std::string name, ProviderFactory factory, Capabilities capabilities,
                         JudgeOptions options) {
  SuiteSubject subject;
  subject.name = name;
  subject.options = std::move(options);
  subject.factory = [name, factory = std::move(factory),
                     capabilities]() -> std::unique_ptr<Subject> {
    return std::make_unique<ProviderSubject>(name, factory, capabilities);
  };
  return subject;
}

namespace {

std::string CamelCase(const std::string& text) {
  std::string name;
  bool upper = true;
  for (const char c : text) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0) {
      upper = true;
      continue;
    }
    name += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    upper = false;
  }
  return name;
}

}  // namespace

::testing::internal::ParamGenerator<ClauseCase> ClauseCases(SuiteSubject subject) {
  return ClauseCases(std::vector<SuiteSubject>{std::move(subject)});
}

::testing::internal::ParamGenerator<ClauseCase> ClauseCases(std::vector<SuiteSubject> subjects) {
  std::vector<ClauseCase> cases;
  for (const SuiteSubject& subject : subjects) {
    for (const std::string& id : ClausesFor(SubjectKind::kCpp, subject.options.dialect)) {
      cases.push_back({.subject = subject, .clause_id = id, .name_subject = subjects.size() > 1});
    }
  }
  return ::testing::ValuesIn(cases);
}

std::string ClauseCaseName(const ::testing::TestParamInfo<ClauseCase>& info) {
  std::string name = info.param.clause_id;
  if (info.param.name_subject) {
    const std::string subject = CamelCase(info.param.subject.name);
    name += subject.empty() ? "Subject" + std::to_string(info.index) : subject;
  }
  return name;
}

void PrintTo(const SuiteSubject& subject, std::ostream* out) { *out << subject.name; }
void PrintTo(const ClauseCase& test_case, std::ostream* out) {
  *out << test_case.clause_id << " of " << test_case.subject.name;
}

std::vector<reports::Results> CollectedResults() { return Collector::Instance().Snapshot(); }

void ReportClauseResult(const SuiteSubject& subject, const reports::ClauseResult& result) {
  ::testing::Test::RecordProperty("clause", result.clause_id);
  ::testing::Test::RecordProperty("verdict", std::string(VerdictName(result.verdict)));
  ::testing::Test::RecordProperty("subject", subject.name);
  if (FindClause(result.clause_id) == nullptr) {
    ADD_FAILURE() << "clause '" << result.clause_id
                  << "' is not in the contract catalog: " << result.reason;
    return;
  }
  Collector::Instance().Add(subject, result);
  const std::string what =
      result.clause_id + " " + std::string(VerdictName(result.verdict)) + ": " + result.reason;
  switch (result.verdict) {
    case Verdict::kPass:
    case Verdict::kInfo:
      return;
    case Verdict::kNonStrict:
      if (StrictFromEnvironment()) ADD_FAILURE() << what << Evidence(result);
      return;
    case Verdict::kSkip:
      GTEST_SKIP() << result.reason;
    case Verdict::kFail:
    case Verdict::kError:
      ADD_FAILURE() << what << Evidence(result);
      return;
  }
}

void ProviderConformance::JudgeAndReport() {
  const ClauseCase& test_case = GetParam();
  ReportClauseResult(test_case.subject, JudgeClause(test_case.clause_id, test_case.subject.factory,
                                                    test_case.subject.options));
}

// The one test of the suite; its parameters (ClauseCases) make it one test per clause.
TEST_P(ProviderConformance, Clause) { JudgeAndReport(); }

}  // namespace provkit::conformance

GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(ProviderConformance);
