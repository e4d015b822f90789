// Tests that a misbehaving adapter (crash, hang, flood, invalid JSON) gets a clear ERROR, its
// process group killed and no zombie, through AdapterSubject and `provkit conform`.
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "provkit/conformance/adapter_subject.hpp"
#include "provkit/conformance/judge.hpp"

namespace provkit::conformance {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr std::chrono::milliseconds kStep{1000};

struct Misbehaviour {
  const char* name;  ///< CamelCase, for the test name.
  const char* mode;  ///< The misbehaving_adapter.sh mode.
  /// The reason must contain one of these (several only where the race between the step deadline
  /// and the output cap may go either way, and both name the problem).
  std::vector<std::string> reasons;
};

void PrintTo(const Misbehaviour& misbehaviour, std::ostream* out) { *out << misbehaviour.name; }

const std::vector<Misbehaviour>& Misbehaviours() {
  static const std::vector<Misbehaviour> all = {
      {"Crash", "crash", {"the adapter exited (exit status 3)"}},
      {"Hang", "hang", {"did not answer 'open' within 1000 ms"}},
      {"FloodOneEndlessLine", "flood-line", {"protocol violation: a line longer than"}},
      {"FloodBlankLines", "flood-blank-lines", {"(flooding)", "bytes of output but no result"}},
      {"FloodEvents", "flood-events", {"(flooding)", "events for it, but no result"}},
      {"InvalidJson", "invalid-json", {"protocol violation: a line that is not a JSON object"}},
  };
  return all;
}

std::string Script() {
  return std::string(PROVKIT_SOURCE_DIR) + "/conformance/tests/misbehaving_adapter.sh";
}

std::filesystem::path FreshDir(const std::string& name) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() /
      ("provkit-adapter-faults-" + std::to_string(getpid()) + "-" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// Fields of /proc/<pid>/stat: state and parent pid; false when the process is gone.
bool ReadStat(pid_t pid, char& state, pid_t& parent) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(file, text)) return false;
  const std::size_t close = text.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream rest(text.substr(close + 2));
  rest >> state >> parent;
  return true;
}

// Gone, or a zombie that only its own parent (not this process) still has to reap.
bool Dead(pid_t pid) {
  char state = '?';
  pid_t parent = 0;
  if (kill(pid, 0) != 0) return true;
  return ReadStat(pid, state, parent) ? (state == 'Z' || state == 'X') && parent != getpid() : true;
}

// Processes killed a moment ago may need a moment to be reaped by their parent.
bool DeadSoon(pid_t pid) {
  for (int i = 0; i < 200; ++i) {
    if (Dead(pid)) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

std::vector<pid_t> ZombieChildren() {
  std::vector<pid_t> zombies;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return zombies;
  while (const dirent* entry = readdir(proc)) {
    char* end = nullptr;
    const long pid = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0') continue;
    char state = '?';
    pid_t parent = 0;
    if (ReadStat(static_cast<pid_t>(pid), state, parent) && parent == getpid() && state == 'Z') {
      zombies.push_back(static_cast<pid_t>(pid));
    }
  }
  closedir(proc);
  return zombies;
}

// The pids misbehaving_adapter.sh recorded: each adapter and its `sleep 600` grandchild.
std::vector<pid_t> RecordedPids(const std::filesystem::path& file) {
  std::vector<pid_t> pids;
  std::ifstream in(file);
  pid_t pid = 0;
  while (in >> pid) pids.push_back(pid);
  return pids;
}

void ExpectReason(const std::string& reason, const Misbehaviour& misbehaviour) {
  bool named = false;
  for (const std::string& words : misbehaviour.reasons)
    named = named || reason.find(words) != std::string::npos;
  EXPECT_TRUE(named) << "reason does not name the problem: " << reason;
}

void ExpectAllGone(const std::filesystem::path& pid_file) {
  const std::vector<pid_t> pids = RecordedPids(pid_file);
  EXPECT_GE(pids.size(), 2u) << "the adapter did not start";
  for (const pid_t pid : pids) EXPECT_TRUE(DeadSoon(pid)) << "pid " << pid << " survived the run";
}

class AdapterMisbehaves : public ::testing::TestWithParam<Misbehaviour> {};

// Through AdapterSubject: clause R1 is ERROR with a reason naming the problem, within a bounded
// time; the adapter and the grandchild in its group are killed; the harness leaves no zombie.
TEST_P(AdapterMisbehaves, AdapterSubjectGivesAnErrorAndCleansUp) {
  const Misbehaviour& misbehaviour = GetParam();
  const std::filesystem::path dir = FreshDir(std::string("subject-") + misbehaviour.mode);
  AdapterOptions options;
  options.command = "bash " + Script() + " " + misbehaviour.mode + " " + (dir / "pids").string();
  options.step_timeout = kStep;
  options.shutdown_grace = 300ms;
  const auto start = Clock::now();
  const reports::ClauseResult result = JudgeClause("R1", AdapterSubjectFactory(options));
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  std::cout << misbehaviour.mode << ": " << VerdictName(result.verdict) << " in " << elapsed.count()
            << " ms: " << result.reason << "\n";
  RecordProperty("elapsed_ms", static_cast<int>(elapsed.count()));
  EXPECT_EQ(result.verdict, Verdict::kError) << result.reason;
  ExpectReason(result.reason, misbehaviour);
  EXPECT_LT(elapsed, 15s);  // a hang bound, not a timing measurement
  ExpectAllGone(dir / "pids");
  EXPECT_EQ(ZombieChildren(), std::vector<pid_t>{});
  std::filesystem::remove_all(dir);
}

// Runs `argv` with stdout and stderr into `log`; kills it after `limit`. Returns the exit status
// (-1 when it had to be killed).
int RunProcess(const std::vector<std::string>& argv, const std::filesystem::path& log,
               std::chrono::seconds limit) {
  const pid_t pid = fork();
  if (pid == 0) {
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    std::vector<char*> args;
    for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  const auto deadline = Clock::now() + limit;
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (Clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(10ms);
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Through the command, as a user runs it: exit 2 (a harness ERROR), the results file and the
// progress line name the problem, and nothing the adapter started outlives the command.
TEST_P(AdapterMisbehaves, ConformCommandGivesAnErrorAndCleansUp) {
#ifndef PROVKIT_CLI_PATH
  GTEST_SKIP() << "the provkit command is not built (PROVKIT_BUILD_CLI=OFF)";
#else
  const Misbehaviour& misbehaviour = GetParam();
  const std::filesystem::path dir = FreshDir(std::string("cli-") + misbehaviour.mode);
  const std::string adapter =
      "bash " + Script() + " " + misbehaviour.mode + " " + (dir / "pids").string();
  const auto start = Clock::now();
  const int code = RunProcess(
      {PROVKIT_CLI_PATH, "conform", "--adapter", adapter, "--only", "R1", "--step-timeout",
       std::to_string(kStep.count()), "--results", (dir / "results.json").string()},
      dir / "log", 60s);
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  std::ifstream log_file(dir / "log");
  const std::string log((std::istreambuf_iterator<char>(log_file)),
                        std::istreambuf_iterator<char>());
  std::cout << misbehaviour.mode << ": exit " << code << " in " << elapsed.count() << " ms\n"
            << log;
  RecordProperty("elapsed_ms", static_cast<int>(elapsed.count()));
  EXPECT_EQ(code, 2) << log;
  EXPECT_NE(log.find("R1   ERROR"), std::string::npos) << log;
  std::ifstream results_file(dir / "results.json");
  const nlohmann::json results = nlohmann::json::parse(results_file, nullptr, false);
  ASSERT_TRUE(results.is_object() && results.contains("clauses") && results["clauses"].size() == 1)
      << log;
  const nlohmann::json& clause = results["clauses"][0];
  EXPECT_EQ(clause.value("verdict", ""), "ERROR") << clause.dump();
  ExpectReason(clause.value("reason", ""), misbehaviour);
  ExpectAllGone(dir / "pids");
  std::filesystem::remove_all(dir);
#endif
}

INSTANTIATE_TEST_SUITE_P(Modes, AdapterMisbehaves, ::testing::ValuesIn(Misbehaviours()),
                         [](const auto& instance) { return std::string(instance.param.name); });

}  // namespace
}  // namespace provkit::conformance
