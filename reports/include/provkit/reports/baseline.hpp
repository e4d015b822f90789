// Baseline files: known failures that do not gate (reason mandatory); stale entries gate.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "provkit/reports/outcome.hpp"
#include "provkit/reports/results.hpp"

namespace provkit::reports {

/// One listed clause: "S5 our HTTP client opens a connection per request".
struct BaselineEntry {
  std::string clause_id;
  std::string reason;
  int line = 0;  ///< 1-based line in the baseline file.
};

/// A parsed baseline file.
struct Baseline {
  std::string file;
  std::vector<BaselineEntry> entries;

  /// The entry for `clause_id`, or nullptr.
  const BaselineEntry* Find(std::string_view clause_id) const;
};

/// Parses baseline text: one `CLAUSE-ID reason...` per line; blank lines and
/// lines starting with `#` are ignored; CRLF line ends are accepted. Errors
/// carry file and line: an ID not in the catalog, a missing reason, a clause
/// listed twice.
Outcome<Baseline> ParseBaseline(std::string_view text, std::string_view file);

/// ParseBaseline on the contents of `path`.
Outcome<Baseline> ReadBaselineFile(const std::filesystem::path& path);

/// Makes `baseline` the run's baseline: every clause result it lists gets the
/// listed reason as `baseline_reason`; every other one loses its reason.
void ApplyBaseline(Results& results, const Baseline& baseline);

/// Whether `clause` is a stale baseline entry: listed, yet it now PASSes. A
/// stale entry gates, so that a baseline never rots.
bool IsStale(const ClauseResult& clause);

}  // namespace provkit::reports
