// Tests the provkit and provkit-stress binaries' command lines: --version and --help everywhere,
// usage errors as one message and one usage line on stderr with exit 2.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "provkit/mockserver/profile.hpp"
#include "provkit/mockserver/scenario.hpp"
#include "provkit/mockserver/server.hpp"
#include "provkit/runtime/contract.hpp"
#include "provkit/support/version.hpp"

extern char** environ;

namespace {

/// What a finished command left behind.
struct Outcome {
  int code = -1;  ///< Exit code; -1 when it was killed or did not exit in time.
  std::string out;
  std::string err;
};

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// A signal a test sends to the command once `when_exists` exists.
struct SignalLater {
  int signal = 0;
  std::filesystem::path when_exists;
};

/// Runs `binary args...` with stdin from /dev/null and stdout, stderr into files; kills it
/// after 30 s (these commands answer at once).
Outcome Run(const std::string& binary, const std::vector<std::string>& args,
            const std::optional<SignalLater>& signal = std::nullopt) {
  static int counter = 0;
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() /
      ("provkit_cli_test_" + std::to_string(getpid()) + "_" + std::to_string(counter++));
  std::filesystem::create_directories(dir);
  const std::string out_path = (dir / "out").string();
  const std::string err_path = (dir / "err").string();

  std::vector<std::string> storage = {binary};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& arg : storage) argv.push_back(arg.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  Outcome outcome;
  if (spawned != 0) {
    ADD_FAILURE() << "cannot run " << binary << ": error " << spawned;
    return outcome;
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  int status = 0;
  bool signalled = false;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (signal && !signalled && std::filesystem::exists(signal->when_exists)) {
      kill(pid, signal->signal);
      signalled = true;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      ADD_FAILURE() << binary << " did not exit within 30 s";
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (WIFEXITED(status)) outcome.code = WEXITSTATUS(status);
  outcome.out = ReadFile(out_path);
  outcome.err = ReadFile(err_path);
  std::filesystem::remove_all(dir);
  return outcome;
}

Outcome Provkit(const std::vector<std::string>& args,
                const std::optional<SignalLater>& signal = std::nullopt) {
  return Run(PROVKIT_CLI_PATH, args, signal);
}
Outcome Stress(const std::vector<std::string>& args) { return Run(PROVKIT_STRESS_PATH, args); }

std::string Joined(const std::vector<std::string>& args) {
  std::string out;
  for (const std::string& arg : args) out += (out.empty() ? "" : " ") + arg;
  return out;
}

const std::string kVersionLine = "provkit " + std::string(provkit::support::kVersion) +
                                 " (contract version " + std::to_string(provkit::kContractVersion) +
                                 ")\n";

TEST(Cli, VersionOfProvkitAndEverySubcommand) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"--version"},
                                             {"mock", "--version"},
                                             {"conform", "--version"},
                                             {"check", "--version"},
                                             {"report", "--version"},
                                             {"report", "html", "--version"}}) {
    const Outcome run = Provkit(args);
    EXPECT_EQ(run.code, 0) << Joined(args) << "\n" << run.err;
    EXPECT_EQ(run.out, kVersionLine) << Joined(args);
    EXPECT_EQ(run.err, "") << Joined(args);
  }
}

TEST(Cli, VersionOfProvkitStressAndItsModes) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--version"}, {"load", "--version"}, {"soak", "--version"}}) {
    const Outcome run = Stress(args);
    EXPECT_EQ(run.code, 0) << Joined(args) << "\n" << run.err;
    EXPECT_EQ(run.out, kVersionLine) << Joined(args);
    EXPECT_EQ(run.err, "") << Joined(args);
  }
}

TEST(Cli, HelpGoesToStdoutWithExitZero) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--help"}, "usage: provkit <command> [options]\n"},
      {{"-h"}, "usage: provkit <command> [options]\n"},
      {{"help"}, "usage: provkit <command> [options]\n"},
      {{"mock", "--help"}, "usage: provkit mock [options]\n"},
      {{"mock", "-h"}, "usage: provkit mock [options]\n"},
      {{"conform", "--help"},
       "usage: provkit conform (--cpp | --adapter \"CMD ARGS\" | --server URL) [options]\n"},
      {{"check", "--help"}, "usage: provkit check URL [options]\n"},
      {{"help", "check"}, "usage: provkit check URL [options]\n"},
      {{"report", "--help"}, "usage: provkit report <subcommand> [options]\n"},
      {{"record", "--help"}, "usage: provkit record --upstream URL [options]\n"},
  };
  for (const auto& [args, first_line] : cases) {
    const Outcome run = Provkit(args);
    EXPECT_EQ(run.code, 0) << Joined(args) << "\n" << run.err;
    EXPECT_EQ(run.out.rfind(first_line, 0), 0u) << Joined(args) << "\n" << run.out;
    EXPECT_EQ(run.err, "") << Joined(args);
  }
}

TEST(Cli, TopLevelHelpListsEveryCommand) {
  const Outcome run = Provkit({"--help"});
  for (const std::string command : {"mock", "report", "conform", "check", "record"}) {
    EXPECT_NE(run.out.find("\n  " + command + " "), std::string::npos) << command << "\n"
                                                                       << run.out;
  }
}

TEST(Cli, HelpListsEveryFlagOfTheDocs) {
  // docs/conformance.md and docs/mockserver.md name these flags; --help must describe each.
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"conform",
       {"--cpp", "--adapter", "--server", "--model", "--api-key", "--name", "--only", "--group",
        "--list", "--strict", "--baseline", "--out", "--results", "--junit", "--step-timeout",
        "--probe-budget"}},
      {"check", {"--model", "--api-key", "--wait", "--budget", "--load", "--json"}},
      {"mock", {"--host",           "--port",
                "--base-path",      "--models",
                "--profile",        "--scenario",
                "--param",          "--endpoint",
                "--seed",           "--config",
                "--chunk-chars",    "--chunk-interval-ms",
                "--first-chunk-ms", "--listen-delay-ms",
                "--threads",        "--keep-alive-s",
                "--journal-size",   "--quiet",
                "--replay",         "--replay-strict",
                "--replay-speed",   "--admin-token"}},
      {"record",
       {"--upstream", "--out", "--host", "--port", "--server", "--situation", "--description",
        "--quiet"}},
  };
  for (const auto& [command, flags] : cases) {
    const Outcome run = Provkit({command, "--help"});
    for (const std::string& flag : flags) {
      EXPECT_NE(run.out.find(flag + " "), std::string::npos) << command << " " << flag;
    }
  }
}

TEST(Cli, MockHelpListsSeed) {
  const Outcome run = Provkit({"mock", "--help"});
  ASSERT_EQ(run.code, 0);
  EXPECT_NE(run.out.find("--seed N "), std::string::npos);
}

TEST(Cli, MockHelpListsEveryScenarioAndProfile) {
  const Outcome run = Provkit({"mock", "--help"});
  ASSERT_EQ(run.code, 0);
  for (const provkit::mock::ScenarioInfo& info : provkit::mock::Scenarios()) {
    EXPECT_NE(run.out.find("  " + std::string(info.name) + " "), std::string::npos) << info.name;
  }
  for (const provkit::mock::ProfileInfo& info : provkit::mock::Profiles()) {
    EXPECT_NE(run.out.find("  " + std::string(info.name) + " "), std::string::npos) << info.name;
  }
}

TEST(Cli, MockHelpMentionsMetricsAndConfigReload) {
  const Outcome run = Provkit({"mock", "--help"});
  ASSERT_EQ(run.code, 0);
  EXPECT_NE(run.out.find("GET /__provkit/metrics"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("GET /metrics"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("reloaded when it changes"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("SIGHUP"), std::string::npos) << run.out;
}

/// A bad command line and the exact stderr it must give: the error, then the one usage line.
struct UsageCase {
  std::vector<std::string> args;
  std::string error;
  std::string usage;
};

void ExpectUsageError(const Outcome& run, const UsageCase& expected, const std::string& what) {
  EXPECT_EQ(run.code, 2) << what << "\n" << run.err;
  EXPECT_EQ(run.err, expected.error + "\n" + expected.usage + "\n") << what;
  EXPECT_EQ(run.out, "") << what;
}

TEST(Cli, UsageErrorsGiveTheErrorAndOneUsageLine) {
  const std::string top = "usage: provkit <command> [options]";
  const std::string mock = "usage: provkit mock [options]";
  const std::string conform =
      "usage: provkit conform (--cpp | --adapter \"CMD ARGS\" | --server URL) [options]";
  const std::string check = "usage: provkit check URL [options]";
  const std::string record = "usage: provkit record --upstream URL [options]";
  const std::vector<UsageCase> cases = {
      {{}, "provkit: a command is required: mock, report, conform, check or record", top},
      {{"confrom"}, "provkit: unknown command 'confrom' (did you mean conform?)", top},
      {{"--bogus"}, "provkit: unknown option '--bogus'", top},
      {{"help", "nosuch"}, "provkit: unknown command 'nosuch'", top},
      {{"mock", "--prot", "1"},
       "provkit mock: unknown option '--prot' (did you mean --port?)",
       mock},
      {{"mock", "--port", "70000"},
       "provkit mock: --port expects an integer from 0 to 65535, got '70000'",
       mock},
      {{"mock", "--port"}, "provkit mock: --port needs a value (P)", mock},
      {{"mock", "--chunk-interval-ms", "soon"},
       "provkit mock: --chunk-interval-ms expects a number from 0 to 86400000, got 'soon'",
       mock},
      {{"mock", "--quiet=yes"}, "provkit mock: --quiet takes no value", mock},
      {{"mock", "extra"}, "provkit mock: unexpected argument 'extra'", mock},
      {{"mock", "--scenario", "loadin"},
       "provkit mock: unknown scenario 'loadin' (did you mean loading?)",
       mock},
      {{"mock", "--profile", "llamacpp"},
       "provkit mock: unknown profile 'llamacpp' (did you mean llama.cpp?)",
       mock},
      {{"mock", "--param", "novalue"},
       "provkit mock: --param expects KEY=VALUE, got 'novalue'",
       mock},
      {{"mock", "--scenario", "hang", "--seed", "7"},
       "provkit mock: --seed applies to the chaos scenario (--scenario chaos)",
       mock},
      {{"mock", "--scenario", "chaos", "--param", "drop=0.8", "--param", "hang=0.5"},
       "provkit mock: bad scenario: /hang: the fault probabilities add up to more than 1 here (a "
       "request draws at most one fault)",
       mock},
      {{"conform"},
       "provkit conform: name exactly one subject: --cpp, --adapter or --server",
       conform},
      {{"conform", "--cpp", "--server", "http://127.0.0.1:1/v1"},
       "provkit conform: name exactly one subject: --cpp, --adapter or --server",
       conform},
      {{"conform", "--cpp", "--step-timeout", "0"},
       "provkit conform: --step-timeout expects an integer from 1 to 86400000, got '0'",
       conform},
      {{"conform", "--cpp", "--only", "Z9"}, "provkit conform: unknown clause 'Z9'", conform},
      {{"conform", "--adapter="}, "provkit conform: --adapter needs a non-empty value", conform},
      {{"conform", "--cpp", "--only", ""},
       "provkit conform: --only needs a non-empty value",
       conform},
      {{"conform", "--cpp", "--out="}, "provkit conform: --out needs a non-empty value", conform},
      {{"conform", "--cpp", "--out", "/dev/null/results"},
       "provkit conform: --out: cannot write in '/dev/null/results': Not a directory",
       conform},
      {{"conform", "--cpp", "--junit", "/dev/null/junit.xml"},
       "provkit conform: --junit: cannot write in '/dev/null': Not a directory",
       conform},
      {{"conform", "--server", "http://user:s3cret@127.0.0.1:1/v1"},
       "provkit conform: --server 'http://<redacted>@127.0.0.1:1/v1': credentials in the URL are "
       "not sent; give the token with --api-key or $PROVKIT_API_KEY",
       conform},
      {{"conform", "--cpp", "--dialect", "bedrock"},
       "provkit conform: --dialect expects chat, responses or anthropic, got 'bedrock'",
       conform},
      {{"conform", "--server", "http://127.0.0.1:1/v1", "--dialect", "anthropic"},
       "provkit conform: --dialect is for --cpp and --adapter: --server judges a chat server",
       conform},
      {{"report"},
       "provkit report: a subcommand is required: html, md, junit, diff, badge or merge",
       "usage: provkit report <subcommand> [options]"},
      {{"report", "html", "--stirct", "r.json"},
       "provkit report html: unknown option '--stirct' (did you mean --strict?)",
       "usage: provkit report html [options] RESULTS..."},
      {{"report", "merge", "a.json"},
       "provkit report merge: merge needs -o RESULTS: the merged results file",
       "usage: provkit report merge -o RESULTS [options] SHARDS..."},
      {{"mock", "--replay-strict"},
       "provkit mock: --replay-strict and --replay-speed need --replay CASSETTE",
       mock},
      {{"record"}, "provkit record: --upstream URL is required", record},
      {{"record", "--upstream", "http://u:s3cret@127.0.0.1:1"},
       "provkit record: --upstream 'http://<redacted>@127.0.0.1:1': credentials and queries in "
       "the URL are not forwarded; the client's own Authorization header is (and is replaced "
       "in the cassette)",
       record},
      {{"record", "--upstream", "http://127.0.0.1:1", "--out", "/dev/null/x.jsonl"},
       "provkit record: --out '/dev/null/x.jsonl': cannot write there (Not a directory)",
       record},
      {{"check"}, "provkit check: URL is required", check},
      {{"check", "http://127.0.0.1:1/v1", "http://127.0.0.1:2/v1"},
       "provkit check: unexpected argument 'http://127.0.0.1:2/v1'",
       check},
      {{"check", "http://127.0.0.1:1/v1", "--wait", "soon"},
       "provkit check: --wait expects a duration like 90s, 5m or 500ms, got 'soon'",
       check},
      {{"check", "http://127.0.0.1:1/v1", "--wait", "1e300"},
       "provkit check: --wait expects a duration like 90s, 5m or 500ms, got '1e300'",
       check},
      {{"check", "http://127.0.0.1:1/v1", "--budget", "0"},
       "provkit check: --budget expects a positive number of milliseconds, got '0'",
       check},
      {{"check", "http://127.0.0.1:1/v1", "--load"},
       "provkit check: --load needs --model M",
       check},
  };
  for (const UsageCase& usage : cases) {
    ExpectUsageError(Provkit(usage.args), usage, "provkit " + Joined(usage.args));
  }
}

TEST(Cli, StressUsageErrorsGiveTheErrorAndOneUsageLine) {
  const std::vector<UsageCase> cases = {
      {{},
       "provkit-stress: a mode is required: load, soak or pressure",
       "usage: provkit-stress <mode> [options]"},
      {{"lod"},
       "provkit-stress: unknown mode 'lod' (did you mean load?)",
       "usage: provkit-stress <mode> [options]"},
      {{"load", "--clients", "0"},
       "provkit-stress load: --clients expects an integer from 1 to 4096, got '0'",
       "usage: provkit-stress load [options]"},
      {{"load", "--clinets", "3"},
       "provkit-stress load: unknown option '--clinets' (did you mean --clients?)",
       "usage: provkit-stress load [options]"},
      {{"soak", "--json="},
       "provkit-stress soak: --json needs a non-empty value",
       "usage: provkit-stress soak [options]"},
      {{"pressure", "--phases", "bogus"},
       "provkit-stress pressure: --phases expects a comma-separated list of keep-alive, streams, "
       "slowloris and limit, got 'bogus'",
       "usage: provkit-stress pressure [options]"},
      {{"pressure", "--streams", "0"},
       "provkit-stress pressure: --streams expects an integer from 1 to 4000, got '0'",
       "usage: provkit-stress pressure [options]"},
  };
  for (const UsageCase& usage : cases) {
    ExpectUsageError(Stress(usage.args), usage, "provkit-stress " + Joined(usage.args));
  }
}

TEST(Cli, MockConfigFileErrorNamesTheFile) {
  const std::filesystem::path config =
      std::filesystem::temp_directory_path() /
      ("provkit_cli_test_config_" + std::to_string(getpid()) + ".json");
  {
    std::ofstream out(config);
    out << "{\n  \"port\": \"eighty\"\n}\n";
  }
  const Outcome run = Provkit({"mock", "--config", config.string()});
  std::filesystem::remove(config);
  EXPECT_EQ(run.code, 2) << run.err;
  EXPECT_EQ(run.err.rfind("provkit mock: " + config.string() + ":2:", 0), 0u) << run.err;
  EXPECT_EQ(run.out, "");
}

TEST(Cli, CheckLoadAsksARouterToLoadAnUnloadedModelOnceAndWaits) {
  provkit::mock::Server server({.models = {provkit::mock::Model("tiny", "unloaded")},
                                .profile = provkit::mock::Profile::kLlamaCpp,
                                .model_load_time = std::chrono::milliseconds(300)});
  const Outcome plain = Provkit({"check", server.base_url(), "--model", "tiny"});
  EXPECT_EQ(plain.code, 1) << plain.out << plain.err;
  EXPECT_NE(plain.out.find("pass --load"), std::string::npos) << plain.out;
  for (const provkit::mock::JournalEntry& entry : server.journal()) {
    EXPECT_EQ(entry.method, "GET") << "the probe changed the server: " << entry.path;
  }

  const Outcome loaded =
      Provkit({"check", server.base_url(), "--model", "tiny", "--load", "--wait", "10s"});
  EXPECT_EQ(loaded.code, 0) << loaded.out << loaded.err;
  EXPECT_NE(loaded.out.find("READY"), std::string::npos) << loaded.out;
  EXPECT_NE(loaded.err.find("asked the server to load it"), std::string::npos) << loaded.err;
  int loads = 0;
  for (const provkit::mock::JournalEntry& entry : server.journal()) {
    if (entry.method == "POST") {
      EXPECT_EQ(entry.path, "/models/load");
      EXPECT_NE(entry.body.find("\"tiny\""), std::string::npos) << entry.body;
      ++loads;
    }
  }
  EXPECT_EQ(loads, 1);
  EXPECT_EQ(server.models().front().status, "loaded");
}

TEST(Cli, ConformKeepsSecretsOutOfEveryOutput) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                    ("provkit_cli_test_secrets_" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  const std::vector<std::string> secrets = {"env-secret-4711", "flag-secret-0815",
                                            "sk-leakedtoken1234"};
  // An adapter that logs its environment and the key it was given, then dies before the
  // handshake: its stderr tail becomes the reason of the ERROR verdict.
  const std::string adapter =
      "sh -c 'echo \"PROVKIT_API_KEY=$PROVKIT_API_KEY key=$0 also sk-leakedtoken1234\" >&2; "
      "exit 3' --api-key=flag-secret-0815";
  setenv("PROVKIT_API_KEY", "env-secret-4711", 1);
  const Outcome run = Provkit({"conform", "--adapter", adapter, "--only", "R1", "--out",
                               dir.string(), "--junit", (dir / "junit.xml").string()});
  unsetenv("PROVKIT_API_KEY");
  EXPECT_EQ(run.code, 2) << run.err;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) files.push_back(entry.path());
  ASSERT_EQ(files.size(), 2u) << run.err;
  std::string written;
  for (const std::filesystem::path& file : files) written += file.string() + "\n" + ReadFile(file);
  EXPECT_NE(written.find("adapter stderr ends"), std::string::npos) << written;
  EXPECT_NE(written.find("PROVKIT_API_KEY=<redacted> key=--api-key=<redacted> also <redacted>"),
            std::string::npos)
      << written;
  for (const std::string& secret : secrets) {
    EXPECT_EQ(written.find(secret), std::string::npos) << secret << " in\n" << written;
    EXPECT_EQ(run.err.find(secret), std::string::npos) << secret << " in\n" << run.err;
    EXPECT_EQ(run.out.find(secret), std::string::npos) << secret << " in\n" << run.out;
  }
  std::filesystem::remove_all(dir);
}

TEST(Cli, ConformDoesNotQuoteASecretCutByTheStderrTail) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                    ("provkit_cli_test_tail_" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  // 16 bytes of key, 2025 of padding, a newline and "last line\n": the 2 KiB tail begins 4 bytes
  // into the key, where "-secret-0815" no longer matches the key the redactor knows.
  const std::string adapter =
      "sh -c 'printf %s \"${0#--api-key=}\" >&2; "
      "head -c 2025 /dev/zero | tr \"\\000\" y >&2; echo >&2; "
      "echo \"last line\" >&2; exit 3' --api-key=flag-secret-0815";
  const Outcome run = Provkit(
      {"conform", "--adapter", adapter, "--only", "R1", "--results", (dir / "r.json").string()});
  EXPECT_EQ(run.code, 2) << run.err;
  const std::string written = ReadFile(dir / "r.json");
  EXPECT_NE(written.find("last line"), std::string::npos) << written;
  for (const std::string& text : {written, run.err, run.out}) {
    EXPECT_EQ(text.find("secret-0815"), std::string::npos) << text;
  }
  std::filesystem::remove_all(dir);
}

// Whether `pid` is gone: no such process, or a zombie nobody has reaped yet.
bool Gone(pid_t pid) {
  if (kill(pid, 0) != 0) return errno == ESRCH;
  const std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  const std::size_t paren = stat.rfind(')');
  return paren != std::string::npos && stat.size() > paren + 2 && stat[paren + 2] == 'Z';
}

/// `provkit mock args...` in the background with stdout and stderr on pipes, SIGTERMed and reaped
/// by Stop() or the destructor (SIGKILL if it has not exited within 30 s).
class MockProcess {
 public:
  explicit MockProcess(const std::vector<std::string>& args) {
    int out[2] = {-1, -1};
    int err[2] = {-1, -1};
    if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
      ADD_FAILURE() << "pipe: " << errno;
      return;
    }
    std::vector<std::string> storage = {PROVKIT_CLI_PATH, "mock"};
    storage.insert(storage.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& arg : storage) argv.push_back(arg.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err[1], 2);
    const int spawned = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(out[1]);
    close(err[1]);
    out_ = out[0];
    err_ = err[0];
    if (spawned != 0) {
      ADD_FAILURE() << "cannot run provkit: error " << spawned;
      pid_ = -1;
    }
  }
  ~MockProcess() {
    Stop();
    if (out_ >= 0) close(out_);
    if (err_ >= 0) close(err_);
  }
  MockProcess(const MockProcess&) = delete;
  MockProcess& operator=(const MockProcess&) = delete;

  /// The port of the URL on the first stdout line; 0 when none came within 10 s.
  int Port() {
    if (!ReadUntil(out_, out_text_, "\n")) return 0;
    const std::size_t colon = out_text_.rfind(':');
    return colon == std::string::npos ? 0 : std::atoi(out_text_.c_str() + colon + 1);
  }
  /// Waits (at most 10 s) until stderr holds `text`; stderr so far.
  const std::string& ErrUntil(const std::string& text) {
    ReadUntil(err_, err_text_, text);
    return err_text_;
  }
  /// SIGTERM, then everything it wrote until it exited.
  Outcome Stop() {
    Outcome outcome;
    if (pid_ <= 0) return outcome;
    kill(pid_, SIGTERM);
    ReadUntil(out_, out_text_, {});
    ReadUntil(err_, err_text_, {});
    int status = 0;
    if (waitpid(pid_, &status, 0) == pid_ && WIFEXITED(status)) outcome.code = WEXITSTATUS(status);
    pid_ = -1;
    outcome.out = out_text_;
    outcome.err = err_text_;
    return outcome;
  }

 private:
  /// Reads `fd` into `text` until it holds `until` (empty: until end of file), 30 s at most.
  bool ReadUntil(int fd, std::string& text, const std::string& until) {
    const auto deadline = std::chrono::steady_clock::now() +
                          (until.empty() ? std::chrono::seconds(30) : std::chrono::seconds(10));
    while (until.empty() || text.find(until) == std::string::npos) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd poll_fd{.fd = fd, .events = POLLIN, .revents = 0};
      const int ready = left.count() > 0 ? poll(&poll_fd, 1, static_cast<int>(left.count())) : 0;
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0) {
        if (until.empty() && pid_ > 0) kill(pid_, SIGKILL);
        return false;
      }
      char buffer[4096];
      const ssize_t got = read(fd, buffer, sizeof buffer);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) return until.empty();
      text.append(buffer, static_cast<std::size_t>(got));
    }
    return true;
  }

  pid_t pid_ = -1;
  int out_ = -1;
  int err_ = -1;
  std::string out_text_;
  std::string err_text_;
};

/// The status of `method path` to 127.0.0.1:port with `headers`; -1 when it failed.
int AdminStatus(int port, const std::string& path, const httplib::Headers& headers = {}) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(std::chrono::seconds(5));
  client.set_read_timeout(std::chrono::seconds(10));
  const httplib::Result result = client.Get(path, headers);
  return result ? result->status : -1;
}

TEST(Cli, MockBeyondLoopbackWarnsAndPrintsTheGeneratedAdminTokenOnce) {
  MockProcess mock({"--host", "0.0.0.0", "--port", "0", "--quiet"});
  const int port = mock.Port();
  ASSERT_GT(port, 0);
  const std::string err = mock.ErrUntil("shown once");
  std::smatch token;
  ASSERT_TRUE(std::regex_search(err, token, std::regex("pkadm-[0-9a-f]{32}\n"))) << err;
  const std::string admin_token = token.str().substr(0, token.str().size() - 1);
  EXPECT_NE(err.find("warning: --host 0.0.0.0 is not loopback"), std::string::npos) << err;
  EXPECT_EQ(AdminStatus(port, "/__provkit/stats"), 401);
  EXPECT_EQ(AdminStatus(port, "/__provkit/stats", {{"Authorization", "Bearer pkadm-wrong"}}), 401);
  EXPECT_EQ(AdminStatus(port, "/__provkit/stats", {{"Authorization", "Bearer " + admin_token}}),
            200);
  EXPECT_EQ(AdminStatus(port, "/health"), 200);
  const Outcome run = mock.Stop();
  EXPECT_EQ(run.code, 0) << run.err;
  std::size_t shown = 0;
  for (std::size_t at = 0; (at = run.err.find(admin_token, at)) != std::string::npos; ++at) ++shown;
  EXPECT_EQ(shown, 1u) << run.err;
  EXPECT_EQ(run.out.find(admin_token), std::string::npos) << run.out;
}

TEST(Cli, MockNeverEchoesAGivenAdminTokenAndKeepsItOutOfTheRequestLog) {
  const std::string secret = "flag-admin-secret-0815";
  MockProcess mock({"--host", "0.0.0.0", "--port", "0", "--admin-token", secret});
  const int port = mock.Port();
  ASSERT_GT(port, 0);
  EXPECT_EQ(AdminStatus(port, "/__provkit/journal"), 401);
  EXPECT_EQ(AdminStatus(port, "/__provkit/journal", {{"X-Provkit-Admin-Token", secret}}), 200);
  EXPECT_EQ(AdminStatus(port, "/v1/" + secret + "/models"), 404);
  const Outcome run = mock.Stop();
  EXPECT_EQ(run.code, 0) << run.err;
  EXPECT_NE(run.err.find("warning: --host 0.0.0.0 is not loopback"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("admin requests need the token given by --admin-token"), std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find(" GET /v1/<redacted>/models -> 404"), std::string::npos) << run.err;
  EXPECT_EQ(run.err.find(secret), std::string::npos) << run.err;
  EXPECT_EQ(run.out.find(secret), std::string::npos) << run.out;
}

TEST(Cli, MockTakesTheAdminTokenFromTheEnvironmentOnLoopbackToo) {
  const std::string secret = "env-admin-secret-4711";
  setenv("PROVKIT_ADMIN_TOKEN", secret.c_str(), 1);
  MockProcess mock({"--port", "0"});
  unsetenv("PROVKIT_ADMIN_TOKEN");
  const int port = mock.Port();
  ASSERT_GT(port, 0);
  EXPECT_EQ(AdminStatus(port, "/__provkit/stats"), 401);
  EXPECT_EQ(AdminStatus(port, "/__provkit/stats", {{"Authorization", "Bearer " + secret}}), 200);
  const Outcome run = mock.Stop();
  EXPECT_EQ(run.err.find("warning"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("given by $PROVKIT_ADMIN_TOKEN"), std::string::npos) << run.err;
  EXPECT_EQ(run.err.find(secret), std::string::npos) << run.err;
  EXPECT_EQ(run.out.find(secret), std::string::npos) << run.out;
}

TEST(Cli, MockRequestLogEscapesControlCharacters) {
  MockProcess mock({"--port", "0"});
  const int port = mock.Port();
  ASSERT_GT(port, 0);
  // %1b decodes to ESC in the path: raw on a terminal it would start an escape sequence.
  EXPECT_EQ(AdminStatus(port, "/x%1b[31mred%07%7f"), 404);
  const Outcome run = mock.Stop();
  EXPECT_NE(run.err.find(" GET /x\\x1b[31mred\\x07\\x7f -> 404"), std::string::npos) << run.err;
  for (const char control : {'\x1b', '\x07', '\x7f'}) {
    EXPECT_EQ(run.err.find(control), std::string::npos) << static_cast<int>(control);
  }
}

TEST(Cli, ConformInterruptedKillsTheAdapterGroupAndWritesWhatWasJudged) {
  for (const int signal : {SIGTERM, SIGINT}) {
    const std::filesystem::path dir =
        std::filesystem::temp_directory_path() /
        ("provkit_cli_test_signal_" + std::to_string(getpid()) + "_" + std::to_string(signal));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    const std::filesystem::path child = dir / "child.pid";
    const std::filesystem::path results = dir / "results.json";
    // An adapter that starts a child of its own, then never says hello.
    const std::string adapter = "sh -c 'sleep 300 & echo $! > " + child.string() + "; sleep 300'";
    const auto start = std::chrono::steady_clock::now();
    const Outcome run = Provkit(
        {"conform", "--adapter", adapter, "--step-timeout", "60000", "--results", results.string()},
        SignalLater{signal, child});
    const auto took = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(run.code, 128 + signal) << run.err;
    EXPECT_LT(took, std::chrono::seconds(20)) << "the step timeout was waited out";
    const pid_t child_pid = std::stoi(ReadFile(child));
    EXPECT_TRUE(Gone(child_pid)) << "the adapter's child " << child_pid << " outlived the run";
    if (!Gone(child_pid)) kill(child_pid, SIGKILL);
    const std::string name = signal == SIGTERM ? "SIGTERM" : "SIGINT";
    EXPECT_NE(run.err.find("interrupted by " + name), std::string::npos) << run.err;
    const std::string written = ReadFile(results);
    EXPECT_NE(written.find("\"interrupted_by\": \"" + name + "\""), std::string::npos) << written;
    std::filesystem::remove_all(dir);
  }
}

}  // namespace
