// Test helpers: fixture results, golden-file comparison, scratch directories, scoped environment.
#include "golden.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace provkit::reports::testing {
namespace {

const std::filesystem::path kTestDir = PROVKIT_REPORTS_TEST_DIR;

bool UpdateGoldens() {
  const char* value = std::getenv("PROVKIT_UPDATE_GOLDEN");
  return value != nullptr && std::string_view(value) == "1";
}

void Write(const std::filesystem::path& path, const std::string& content) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << content;
}

}  // namespace

std::filesystem::path DataPath(std::string_view name) { return kTestDir / "data" / name; }

Results Fixture(std::string_view name) {
  Outcome<Results> results = ReadResultsFile(DataPath(name));
  if (!results) throw std::runtime_error("fixture does not read: " + results.error().ToString());
  return std::move(*results);
}

ReportOptions GoldenOptions() {
  ReportOptions options;
  options.generated_at = "2025-03-14T12:00:00Z";
  options.provkit_version = "0.1.0";
  return options;
}

std::vector<Results> ThreeSubjects() {
  return {Fixture("cpp.results.json"), Fixture("adapter.results.json"),
          Fixture("server.results.json")};
}

void ExpectGolden(std::string_view name, const std::string& actual) {
  const std::filesystem::path golden = kTestDir / "golden" / name;
  if (UpdateGoldens()) {
    Write(golden, actual);
    std::cout << "[ golden   ] rewrote " << golden.string() << "\n";
    return;
  }
  const std::string expected = Slurp(golden);
  if (expected == actual) return;
  const std::filesystem::path saved =
      std::filesystem::temp_directory_path() / "provkit-golden" / name;
  Write(saved, actual);
  std::istringstream want(expected);
  std::istringstream got(actual);
  std::string want_line;
  std::string got_line;
  int line = 0;
  while (true) {
    ++line;
    const bool more_want = static_cast<bool>(std::getline(want, want_line));
    const bool more_got = static_cast<bool>(std::getline(got, got_line));
    if (!more_want && !more_got) break;
    if (more_want != more_got || want_line != got_line) {
      ADD_FAILURE() << "output differs from golden " << golden.string() << " at line " << line
                    << "\n  golden: " << (more_want ? want_line : "<end of file>")
                    << "\n  actual: " << (more_got ? got_line : "<end of file>")
                    << "\nactual output saved to " << saved.string()
                    << "; if the change is intended, rerun with PROVKIT_UPDATE_GOLDEN=1";
      return;
    }
  }
  ADD_FAILURE() << "output differs from golden " << golden.string()
                << " (line ends?); actual saved to " << saved.string();
}

ScratchDir::ScratchDir() {
  static std::atomic<int> counter{0};
  path_ = std::filesystem::temp_directory_path() /
          ("provkit-reports-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  std::filesystem::remove_all(path_);
  std::filesystem::create_directories(path_);
}

ScratchDir::~ScratchDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string Slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "<missing>";
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

ScopedEnv::ScopedEnv(const char* name, const char* value) : name_(name) {
  if (const char* old = std::getenv(name)) old_ = old;
  ::setenv(name, value, 1);
}

ScopedEnv::~ScopedEnv() {
  if (old_) {
    ::setenv(name_.c_str(), old_->c_str(), 1);
  } else {
    ::unsetenv(name_.c_str());
  }
}

}  // namespace provkit::reports::testing
