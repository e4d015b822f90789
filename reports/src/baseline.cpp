// Baseline file parsing, applying a baseline to results, and stale detection.
#include "provkit/reports/baseline.hpp"

#include <map>

#include "provkit/reports/file.hpp"
#include "text.hpp"

namespace provkit::reports {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::string_view Trim(std::string_view text) {
  while (!text.empty() && IsSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsSpace(text.back())) text.remove_suffix(1);
  return text;
}

}  // namespace

const BaselineEntry* Baseline::Find(std::string_view clause_id) const {
  for (const BaselineEntry& entry : entries) {
    if (entry.clause_id == clause_id) return &entry;
  }
  return nullptr;
}

Outcome<Baseline> ParseBaseline(std::string_view text, std::string_view file) {
  Baseline baseline{std::string(file), {}};
  std::map<std::string, int, std::less<>> first_line;
  int line_number = 0;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    const std::string_view line = Trim(text.substr(0, end));
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    ++line_number;
    if (line.empty() || line.front() == '#') continue;

    std::size_t id_end = 0;
    while (id_end < line.size() && !IsSpace(line[id_end])) ++id_end;
    const std::string id(line.substr(0, id_end));
    const std::string reason(Trim(line.substr(id_end)));
    auto error = [&](const std::string& message) -> Outcome<Baseline> {
      return FileError{baseline.file, message, line_number};
    };
    if (FindClause(id) == nullptr) {
      return error("'" + text::OneLine(id) + "' is not a clause of contract version " +
                   std::to_string(kContractVersion));
    }
    if (reason.empty())
      return error("clause " + id + " needs a reason: write '" + id +
                   " <why it is a known failure>'");
    const auto [seen, inserted] = first_line.emplace(id, line_number);
    if (!inserted)
      return error("clause " + id + " is listed twice (also on line " +
                   std::to_string(seen->second) + ")");
    baseline.entries.push_back({id, reason, line_number});
  }
  return baseline;
}

Outcome<Baseline> ReadBaselineFile(const std::filesystem::path& path) {
  Outcome<std::string> text = ReadTextFile(path);
  if (!text) return text.error();
  return ParseBaseline(*text, path.string());
}

void ApplyBaseline(Results& results, const Baseline& baseline) {
  for (ClauseResult& clause : results.clauses) {
    const BaselineEntry* entry = baseline.Find(clause.clause_id);
    clause.baseline_reason =
        entry == nullptr ? std::nullopt : std::optional<std::string>(entry->reason);
  }
}

bool IsStale(const ClauseResult& clause) {
  return clause.baseline_reason.has_value() && clause.verdict == Verdict::kPass;
}

}  // namespace provkit::reports
