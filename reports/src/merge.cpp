// Joining the results files of a sharded run.
#include "provkit/reports/merge.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace provkit::reports {
namespace {

std::string Describe(const Subject& subject) {
  return "'" + subject.name + "' (" + std::string(SubjectKindName(subject.kind)) + ")";
}

}  // namespace

Outcome<Results> MergeShards(std::span<const ResultsFile> shards, const MergeOptions& options) {
  if (shards.empty()) return FileError{"", "no results files to merge"};
  const ResultsFile& first = shards.front();
  Results merged = first.results;
  merged.shard.reset();
  merged.clauses.clear();

  std::map<std::string, std::pair<const ClauseResult*, const std::string*>> seen;
  std::map<int, const std::string*> indices;
  std::optional<int> total;
  bool every_selection = true;
  std::set<std::string> selection;

  for (const ResultsFile& shard : shards) {
    const Results& results = shard.results;
    auto error = [&shard](const std::string& message) -> Outcome<Results> {
      return FileError{shard.path, message};
    };
    if (results.subject.name != first.results.subject.name ||
        results.subject.kind != first.results.subject.kind) {
      return error("subject is " + Describe(results.subject) + " but " + first.path + " has " +
                   Describe(first.results.subject) + ": merge joins the shards of one subject");
    }
    if (results.provkit_version != first.results.provkit_version) {
      return error("written by provkit " + results.provkit_version + " but " + first.path +
                   " by provkit " + first.results.provkit_version +
                   ": shards of one run come from one provkit");
    }
    if (results.shard.has_value() != first.results.shard.has_value()) {
      return error(std::string(results.shard ? "is" : "is not") + " a shard but " + first.path +
                   (results.shard ? " is not" : " is"));
    }
    if (results.shard) {
      if (total && *total != results.shard->total) {
        return error("is shard " + std::to_string(results.shard->index) + " of " +
                     std::to_string(results.shard->total) + " but " + first.path + " is of " +
                     std::to_string(*total));
      }
      total = results.shard->total;
      const auto [at, inserted] = indices.emplace(results.shard->index, &shard.path);
      if (!inserted) {
        return error("shard " + std::to_string(results.shard->index) + " is also in " +
                     *at->second);
      }
    }
    if (results.selection) {
      selection.insert(results.selection->begin(), results.selection->end());
    } else {
      every_selection = false;
    }
    merged.generated_at = std::max(merged.generated_at, results.generated_at);

    for (const ClauseResult& clause : results.clauses) {
      const auto [at, inserted] =
          seen.emplace(clause.clause_id, std::make_pair(&clause, &shard.path));
      if (inserted) continue;
      const ClauseResult& before = *at->second.first;
      if (before.verdict != clause.verdict || before.reason != clause.reason) {
        return error("conflicting results for clause " + clause.clause_id + ": " +
                     std::string(VerdictName(clause.verdict)) + " here, " +
                     std::string(VerdictName(before.verdict)) + " in " + *at->second.second);
      }
    }
  }

  if (total && !options.allow_partial && static_cast<int>(indices.size()) != *total) {
    std::string missing;
    for (int index = 0; index < *total; ++index) {
      if (indices.count(index) == 0)
        missing += (missing.empty() ? "" : ", ") + std::to_string(index);
    }
    return FileError{first.path, "incomplete run: shard(s) " + missing + " of " +
                                     std::to_string(*total) +
                                     " missing (--allow-partial merges anyway)"};
  }

  for (const Clause& clause : Clauses()) {
    const auto found = seen.find(std::string(clause.id));
    if (found != seen.end()) merged.clauses.push_back(*found->second.first);
  }
  if (every_selection) {
    merged.selection.emplace();
    for (const Clause& clause : Clauses()) {
      if (selection.count(std::string(clause.id)) != 0) merged.selection->emplace_back(clause.id);
    }
  } else {
    merged.selection.reset();
  }
  return merged;
}

}  // namespace provkit::reports
