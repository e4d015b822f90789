// The current runs, history, matrix rows, gate-aware cells and findings the human reports share.
#include "report_model.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>

namespace provkit::reports::model {
namespace {

bool IsExpected(const Results& run, std::string_view clause_id) {
  const std::vector<std::string> expected = ExpectedClauses(run);
  return std::find(expected.begin(), expected.end(), clause_id) != expected.end();
}

// Position in the catalog, after the run-wide findings (empty ID) that come first.
std::size_t SortKey(std::string_view clause_id) {
  if (clause_id.empty()) return 0;
  const auto clauses = Clauses();
  for (std::size_t i = 0; i < clauses.size(); ++i) {
    if (clauses[i].id == clause_id) return i + 1;
  }
  return clauses.size() + 1;
}

// The digits of `text` from `at`, `count` of them; -1 when they are not all digits.
int Digits(std::string_view text, std::size_t at, std::size_t count) {
  if (at + count > text.size()) return -1;
  int value = 0;
  for (std::size_t i = at; i < at + count; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return -1;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
long long DaysFromCivil(int year, int month, int day) {
  year -= month <= 2 ? 1 : 0;
  const long long era = (year >= 0 ? year : year - 399) / 400;
  const long long year_of_era = year - era * 400;
  const long long day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const long long day_of_era =
      year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

bool SameSubject(const Results& a, const Results& b) {
  return a.subject.name == b.subject.name && a.subject.kind == b.subject.kind;
}

// The run at index `a` is earlier than the one at `b`: by time, then by position.
bool Earlier(std::span<const Results> runs, std::size_t a, std::size_t b) {
  const std::optional<double> time_a = TimestampSeconds(runs[a].generated_at);
  const std::optional<double> time_b = TimestampSeconds(runs[b].generated_at);
  if (time_a && time_b && *time_a != *time_b) return *time_a < *time_b;
  return a < b;
}

}  // namespace

int ChangeRank(Verdict verdict) {
  switch (verdict) {
    case Verdict::kPass:
    case Verdict::kInfo:
      return 0;
    case Verdict::kSkip:
      return 1;
    case Verdict::kNonStrict:
      return 2;
    case Verdict::kFail:
    case Verdict::kError:
      return 3;
  }
  return 3;
}

std::optional<double> TimestampSeconds(std::string_view timestamp) {
  const int year = Digits(timestamp, 0, 4);
  const int month = Digits(timestamp, 5, 2);
  const int day = Digits(timestamp, 8, 2);
  const int hour = Digits(timestamp, 11, 2);
  const int minute = Digits(timestamp, 14, 2);
  const int second = Digits(timestamp, 17, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 ||
      minute < 0 || minute > 59 || second < 0 || second > 60) {
    return std::nullopt;
  }
  double seconds = static_cast<double>(DaysFromCivil(year, month, day)) * 86400.0 + hour * 3600.0 +
                   minute * 60.0 + second;
  std::size_t at = 19;
  if (at < timestamp.size() && timestamp[at] == '.') {
    double scale = 0.1;
    for (++at; at < timestamp.size() && std::isdigit(static_cast<unsigned char>(timestamp[at]));
         ++at) {
      seconds += (timestamp[at] - '0') * scale;
      scale /= 10;
    }
  }
  const std::string_view zone = timestamp.substr(std::min(at, timestamp.size()));
  if (zone == "Z" || zone == "z") return seconds;
  const int zone_hours = Digits(zone, 1, 2);
  const int zone_minutes = Digits(zone, 4, 2);
  if (zone.size() != 6 || (zone[0] != '+' && zone[0] != '-') || zone_hours < 0 ||
      zone_minutes < 0) {
    return std::nullopt;
  }
  const double offset = zone_hours * 3600.0 + zone_minutes * 60.0;
  return zone[0] == '+' ? seconds - offset : seconds + offset;
}

std::vector<bool> CurrentRuns(std::span<const Results> runs) {
  std::vector<bool> current(runs.size(), true);
  for (std::size_t a = 0; a < runs.size(); ++a) {
    for (std::size_t b = 0; b < runs.size(); ++b) {
      if (a != b && SameSubject(runs[a], runs[b]) && Earlier(runs, a, b)) current[a] = false;
    }
  }
  return current;
}

GateOutcome OutcomeOf(std::span<const Summary> summaries, const std::vector<bool>& current) {
  GateOutcome outcome;
  for (std::size_t run = 0; run < summaries.size(); ++run) {
    if (!current[run]) {
      ++outcome.earlier_runs;
      continue;
    }
    const Summary& summary = summaries[run];
    ++outcome.subjects;
    outcome.exit_code = std::max(outcome.exit_code, summary.ExitCode());
    outcome.gating_clauses += summary.GatingClauses();
    outcome.failing_subjects += summary.Gates() ? 1 : 0;
  }
  return outcome;
}

std::vector<MatrixGroup> MatrixGroups(std::span<const Results> runs) {
  std::vector<MatrixGroup> groups;
  for (const Clause& clause : Clauses()) {
    const bool shown = std::any_of(runs.begin(), runs.end(), [&](const Results& run) {
      return run.Find(clause.id) != nullptr || IsExpected(run, clause.id);
    });
    if (!shown) continue;
    if (groups.empty() || groups.back().group != clause.group) groups.push_back({clause.group, {}});
    groups.back().clauses.push_back(&clause);
  }
  return groups;
}

Mark ClearMark(Verdict verdict) {
  switch (verdict) {
    case Verdict::kPass:
      return Mark::kPass;
    case Verdict::kInfo:
      return Mark::kInfo;
    case Verdict::kSkip:
      return Mark::kSkip;
    case Verdict::kNonStrict:
      return Mark::kWarning;
    case Verdict::kFail:
      return Mark::kGates;
    case Verdict::kError:
      return Mark::kHarnessError;
  }
  return Mark::kHarnessError;
}

Cell CellOf(const Results& run, const Clause& clause, bool strict) {
  Cell cell;
  const bool expected = IsExpected(run, clause.id);
  if (const ClauseResult* result = run.Find(clause.id)) {
    cell.state = Cell::State::kVerdict;
    cell.result = result;
    cell.gate = GateOf(*result, strict);
    cell.unexpected = !expected;
    switch (cell.gate) {
      case ClauseGate::kGates:
        cell.mark = result->verdict == Verdict::kError ? Mark::kHarnessError : Mark::kGates;
        break;
      case ClauseGate::kStale:
        cell.mark = Mark::kGates;
        break;
      case ClauseGate::kBaselined:
        cell.mark = Mark::kBaselined;
        break;
      case ClauseGate::kClear:
        cell.mark = ClearMark(result->verdict);
        break;
    }
    if (cell.unexpected) cell.mark = Mark::kHarnessError;
  } else if (expected && !run.shard) {
    cell.state = Cell::State::kNotRun;
    cell.mark = Mark::kHarnessError;
  }
  return cell;
}

std::string CellLabel(const Cell& cell) {
  switch (cell.state) {
    case Cell::State::kVerdict:
      if (cell.gate == ClauseGate::kStale) return "STALE";
      return std::string(VerdictName(cell.result->verdict));
    case Cell::State::kNotRun:
      return "not run";
    case Cell::State::kNotApplicable:
      return "n/a";
  }
  return "?";
}

std::string CellNote(const Cell& cell) {
  if (cell.state != Cell::State::kVerdict) return "";
  if (cell.unexpected) return "unexpected";
  if (cell.gate == ClauseGate::kStale) return "PASS in baseline";
  if (cell.result->baseline_reason) return "baselined";
  return "";
}

std::string_view VerdictSlug(Verdict verdict) {
  switch (verdict) {
    case Verdict::kPass:
      return "pass";
    case Verdict::kInfo:
      return "info";
    case Verdict::kSkip:
      return "skip";
    case Verdict::kNonStrict:
      return "nonstrict";
    case Verdict::kFail:
      return "fail";
    case Verdict::kError:
      return "error";
  }
  return "error";
}

std::string_view MarkSlug(Mark mark) {
  switch (mark) {
    case Mark::kGates:
      return "gates";
    case Mark::kHarnessError:
      return "error";
    case Mark::kBaselined:
      return "baselined";
    case Mark::kWarning:
      return "warning";
    case Mark::kPass:
      return "pass";
    case Mark::kInfo:
      return "info";
    case Mark::kSkip:
      return "skip";
    case Mark::kNotApplicable:
      return "na";
  }
  return "na";
}

std::string_view MarkGlyph(Mark mark) {
  switch (mark) {
    case Mark::kGates:
      return "\xE2\x9C\x96";  // U+2716 heavy multiplication x
    case Mark::kHarnessError:
      return "\xE2\x96\xA0";  // U+25A0 black square
    case Mark::kBaselined:
      return "\xE2\x8A\x98";  // U+2298 circled division slash
    case Mark::kWarning:
      return "!";
    case Mark::kPass:
      return "\xE2\x9C\x94";  // U+2714 heavy check mark
    case Mark::kInfo:
      return "i";
    case Mark::kSkip:
      return "\xE2\x80\x93";  // U+2013 en dash
    case Mark::kNotApplicable:
      return "\xC2\xB7";  // U+00B7 middle dot
  }
  return "";
}

std::string_view MarkEmoji(Mark mark) {
  switch (mark) {
    case Mark::kGates:
      return "\xE2\x9D\x8C";  // cross mark
    case Mark::kHarnessError:
      return "\xF0\x9F\x9B\x91";  // octagonal sign
    case Mark::kBaselined:
      return "\xF0\x9F\x94\x95";  // bell with slash: muted
    case Mark::kWarning:
      return "\xE2\x9A\xA0\xEF\xB8\x8F";  // warning sign
    case Mark::kPass:
      return "\xE2\x9C\x85";  // white heavy check mark
    case Mark::kInfo:
      return "\xE2\x84\xB9\xEF\xB8\x8F";  // information source
    case Mark::kSkip:
      return "\xE2\x8F\xAD\xEF\xB8\x8F";  // next track
    case Mark::kNotApplicable:
      return "\xC2\xB7";  // middle dot
  }
  return "";
}

std::vector<Finding> Findings(std::span<const Results> runs, std::span<const Summary> summaries,
                              const std::vector<bool>& current, bool strict) {
  std::vector<Finding> findings;
  for (std::size_t run = 0; run < runs.size(); ++run) {
    if (!current[run]) continue;
    const Results& results = runs[run];
    const Summary& summary = summaries[run];
    if (summary.nothing_judged) {
      findings.push_back(
          {run, "", "NOTHING JUDGED",
           "no clause got PASS, NON-STRICT or FAIL: a run that judged nothing is an ERROR", true,
           Verdict::kError, Mark::kHarnessError});
    }
    for (const std::string& id : summary.missing) {
      findings.push_back({run, id, "NOT RUN",
                          "expected of this subject but absent from the results", true,
                          Verdict::kError, Mark::kHarnessError});
    }
    for (const std::string& id : summary.unexpected) {
      findings.push_back(
          {run, id, "UNEXPECTED",
           results.selection ? "run although not in the run's selection"
                             : "run although it does not apply to " +
                                   std::string(SubjectKindName(results.subject.kind)) + " subjects",
           true, Verdict::kError, Mark::kHarnessError});
    }
    for (const ClauseResult& clause : results.clauses) {
      const ClauseGate gate = GateOf(clause, strict);
      if (gate == ClauseGate::kGates) {
        findings.push_back(
            {run, clause.clause_id, std::string(VerdictName(clause.verdict)), clause.reason, true,
             clause.verdict,
             clause.verdict == Verdict::kError ? Mark::kHarnessError : Mark::kGates});
      } else if (gate == ClauseGate::kStale) {
        findings.push_back({run, clause.clause_id, "STALE BASELINE",
                            "listed in the baseline (" + *clause.baseline_reason +
                                ") but now passes: remove it from the baseline",
                            true, Verdict::kFail, Mark::kGates});
      } else if (gate == ClauseGate::kBaselined) {
        findings.push_back({run, clause.clause_id,
                            std::string(VerdictName(clause.verdict)) + " (baselined)",
                            clause.reason + " [baseline: " + *clause.baseline_reason + "]", false,
                            clause.verdict, Mark::kBaselined});
      } else if (clause.verdict == Verdict::kNonStrict) {
        findings.push_back({run, clause.clause_id, "NON-STRICT", clause.reason, false,
                            clause.verdict, Mark::kWarning});
      }
    }
  }
  for (Finding& finding : findings) {
    finding.has_evidence =
        !finding.clause_id.empty() && runs[finding.run].Find(finding.clause_id) != nullptr;
  }
  std::stable_sort(findings.begin(), findings.end(), [](const Finding& a, const Finding& b) {
    if (a.gates != b.gates) return a.gates;
    if (a.run != b.run) return a.run < b.run;
    return SortKey(a.clause_id) < SortKey(b.clause_id);
  });
  return findings;
}

std::string EvidenceId(std::size_t run, std::string_view clause_id) {
  return "e" + std::to_string(run) + "-" + std::string(clause_id);
}

std::string MatrixRowId(std::string_view clause_id) { return "c-" + std::string(clause_id); }

std::string SubjectId(std::size_t run) { return "s" + std::to_string(run); }

std::string FindingAnchor(const Finding& finding) {
  if (finding.has_evidence) return EvidenceId(finding.run, finding.clause_id);
  if (!finding.clause_id.empty()) return MatrixRowId(finding.clause_id);
  return SubjectId(finding.run);
}

std::vector<History> Histories(std::span<const Results> runs) {
  std::vector<History> histories;
  std::vector<bool> taken(runs.size(), false);
  for (std::size_t first = 0; first < runs.size(); ++first) {
    if (taken[first]) continue;
    History history;
    history.subject = runs[first].subject.name;
    history.kind = runs[first].subject.kind;
    for (std::size_t run = first; run < runs.size(); ++run) {
      if (SameSubject(runs[first], runs[run])) {
        taken[run] = true;
        history.runs.push_back(run);
      }
    }
    if (history.runs.size() < 2) continue;
    std::stable_sort(history.runs.begin(), history.runs.end(),
                     [&](std::size_t a, std::size_t b) { return Earlier(runs, a, b); });
    for (const Clause& clause : Clauses()) {
      History::Row row;
      row.clause = &clause;
      bool any = false;
      bool changed = false;
      for (std::size_t i = 0; i < history.runs.size(); ++i) {
        const ClauseResult* result = runs[history.runs[i]].Find(clause.id);
        row.verdicts.push_back(result ? std::optional<Verdict>(result->verdict) : std::nullopt);
        any = any || result != nullptr;
        if (i > 0) {
          row.changed.push_back(row.verdicts[i] != row.verdicts[i - 1]);
          changed = changed || row.changed.back();
        }
      }
      if (!any) continue;
      if (changed) {
        history.rows.push_back(std::move(row));
      } else {
        ++history.unchanged;
      }
    }
    histories.push_back(std::move(history));
  }
  return histories;
}

int Direction(const std::optional<Verdict>& before, const std::optional<Verdict>& after) {
  if (before == after) return 0;
  if (!after) return 1;
  if (!before) return ChangeRank(*after) >= 2 ? 1 : 0;
  const int from = ChangeRank(*before);
  const int to = ChangeRank(*after);
  return to > from ? 1 : to < from ? -1 : 0;
}

}  // namespace provkit::reports::model
