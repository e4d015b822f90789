// Joining the results files of a sharded run into one results file.
#pragma once

#include <span>

#include "provkit/reports/outcome.hpp"
#include "provkit/reports/results.hpp"

namespace provkit::reports {

struct MergeOptions {
  /// Merge although some shards are missing. The merged run then lacks their
  /// clauses, which Summarize reports as not run: it still gates.
  bool allow_partial = false;
};

/// Joins the shards of one run of one subject. Every input must name the same
/// subject (name and kind) and provkit version; sharded inputs must agree on
/// the shard total and not repeat an index, and every index must be present
/// unless `options.allow_partial`. A clause in two inputs must have the same
/// verdict and reason there (it is kept once), else it is a conflict. The
/// merged results have no shard, the clauses in catalog order, the latest
/// generated_at, the first input's machine and configuration, and the union of
/// the selections when every input has one. Errors name the offending file.
Outcome<Results> MergeShards(std::span<const ResultsFile> shards, const MergeOptions& options = {});

}  // namespace provkit::reports
