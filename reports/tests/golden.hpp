// Test helpers: fixtures, golden files (PROVKIT_UPDATE_GOLDEN=1 rewrites), scratch directories.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "provkit/reports/report_options.hpp"
#include "provkit/reports/results.hpp"

namespace provkit::reports::testing {

/// reports/tests/data/<name>.
std::filesystem::path DataPath(std::string_view name);

/// The fixture results file reports/tests/data/<name>; throws (failing the
/// test) when it does not read.
Results Fixture(std::string_view name);

/// The fixed options the goldens are rendered with (time and version pinned).
ReportOptions GoldenOptions();

/// The fixtures cpp, adapter and server results, in that order.
std::vector<Results> ThreeSubjects();

/// Compares `actual` with reports/tests/golden/<name>. On a difference the test
/// fails naming the first differing line, and `actual` is saved next to the
/// build for diffing. With PROVKIT_UPDATE_GOLDEN=1 the golden is rewritten.
void ExpectGolden(std::string_view name, const std::string& actual);

/// A fresh directory, removed with everything in it when this goes away.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(std::string_view name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

/// The contents of `path`, or "<missing>".
std::string Slurp(const std::filesystem::path& path);

/// Sets an environment variable for the lifetime of this object.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value);
  ~ScopedEnv();
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

}  // namespace provkit::reports::testing
