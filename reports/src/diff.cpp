// Comparing two runs of one subject, and the text and Markdown forms of the comparison.
#include "provkit/reports/diff.hpp"

#include <cmath>

#include "report_model.hpp"
#include "text.hpp"

namespace provkit::reports {
namespace {

constexpr std::size_t kMaxReasonBytes = 200;
constexpr std::string_view kArrow = " \xE2\x86\x92 ";  // U+2192

std::string VerdictText(const std::optional<Verdict>& verdict) {
  return verdict ? std::string(VerdictName(*verdict)) : std::string("not run");
}

std::string Transition(const ClauseChange& change, std::string_view arrow) {
  return VerdictText(change.old_verdict) + std::string(arrow) + VerdictText(change.new_verdict);
}

// The new reason; for a clause that now passes, the old one ("was: ...").
std::string Reason(const ClauseChange& change) {
  if (!change.new_verdict) return "no longer in the results";
  if (!change.new_reason.empty())
    return text::Excerpt(text::OneLine(change.new_reason), kMaxReasonBytes);
  if (!change.old_reason.empty())
    return "was: " + text::Excerpt(text::OneLine(change.old_reason), kMaxReasonBytes);
  return "";
}

std::string Timing(const ClauseChange& change, std::string_view arrow) {
  const double percent =
      change.old_ms > 0 ? (change.new_ms - change.old_ms) / change.old_ms * 100 : 0;
  std::string out =
      text::FormatMs(change.old_ms) + std::string(arrow) + text::FormatMs(change.new_ms);
  if (change.old_ms > 0)
    out += " (" + std::string(percent >= 0 ? "+" : "") + text::FormatNumber(percent, 0) + "%)";
  return out;
}

std::string Heading(const Diff& diff) {
  std::string out = std::to_string(diff.regressions.size()) + " regressed, " +
                    std::to_string(diff.fixes.size()) + " fixed, " +
                    std::to_string(diff.changes.size()) + " changed, " +
                    std::to_string(diff.timing.size()) + " timing, " +
                    std::to_string(diff.unchanged) + " unchanged";
  return out;
}

}  // namespace

Diff DiffResults(const Results& old_results, const Results& new_results,
                 const DiffOptions& options) {
  Diff diff;
  diff.old_subject = old_results.subject.name;
  diff.new_subject = new_results.subject.name;
  for (const Clause& clause : Clauses()) {
    const ClauseResult* before = old_results.Find(clause.id);
    const ClauseResult* after = new_results.Find(clause.id);
    if (before == nullptr && after == nullptr) continue;
    ClauseChange change{std::string(clause.id), {}, {}, {}, {}, 0, 0};
    if (before != nullptr) {
      change.old_verdict = before->verdict;
      change.old_reason = before->reason;
      change.old_ms = before->duration_ms;
    }
    if (after != nullptr) {
      change.new_verdict = after->verdict;
      change.new_reason = after->reason;
      change.new_ms = after->duration_ms;
    }
    if (after == nullptr) {
      diff.regressions.push_back(std::move(change));
    } else if (before == nullptr) {
      (model::ChangeRank(after->verdict) >= 2 ? diff.regressions : diff.changes)
          .push_back(std::move(change));
    } else if (model::ChangeRank(after->verdict) > model::ChangeRank(before->verdict)) {
      diff.regressions.push_back(std::move(change));
    } else if (model::ChangeRank(after->verdict) < model::ChangeRank(before->verdict)) {
      diff.fixes.push_back(std::move(change));
    } else if (after->verdict != before->verdict) {
      diff.changes.push_back(std::move(change));
    } else {
      const double delta = std::abs(change.new_ms - change.old_ms);
      const bool beyond =
          delta > options.timing_min_ms &&
          (change.old_ms <= 0 || delta / change.old_ms * 100 > options.timing_threshold_percent);
      if (beyond) {
        diff.timing.push_back(std::move(change));
      } else {
        ++diff.unchanged;
      }
    }
  }
  return diff;
}

std::string RenderDiffText(const Diff& diff) {
  std::string out;
  if (diff.old_subject != diff.new_subject) {
    out += "note: comparing different subjects: '" + text::OneLine(diff.old_subject) + "' and '" +
           text::OneLine(diff.new_subject) + "'\n";
  }
  out += text::OneLine(diff.new_subject) + ": " + Heading(diff) + "\n";
  auto list = [&out](std::string_view title, const std::vector<ClauseChange>& changes,
                     bool timing) {
    if (changes.empty()) return;
    out += "\n" + std::string(title) + ":\n";
    for (const ClauseChange& change : changes) {
      out += "  " + change.clause_id + "  ";
      if (timing) {
        out += Timing(change, " -> ");
      } else {
        out += Transition(change, " -> ");
        if (const std::string reason = Reason(change); !reason.empty()) out += "  " + reason;
      }
      out += "\n";
    }
  };
  list("Regressions", diff.regressions, false);
  list("Fixed", diff.fixes, false);
  list("Changed", diff.changes, false);
  list("Timing", diff.timing, true);
  return out;
}

std::string RenderDiffMarkdown(const Diff& diff) {
  std::string out = "### Contract diff: " + text::EscapeMarkdown(diff.new_subject) + "\n\n";
  if (diff.old_subject != diff.new_subject) {
    out += "> Comparing different subjects: " + text::EscapeMarkdown(diff.old_subject) + " and " +
           text::EscapeMarkdown(diff.new_subject) + "\n\n";
  }
  out += (diff.Regressed() ? "\xE2\x9D\x8C " : "\xE2\x9C\x85 ") + Heading(diff) + "\n";
  auto list = [&out](std::string_view title, const std::vector<ClauseChange>& changes,
                     bool timing) {
    if (changes.empty()) return;
    out += "\n**" + std::string(title) + "**\n\n";
    for (const ClauseChange& change : changes) {
      out += "- " + change.clause_id + " ";
      if (timing) {
        out += Timing(change, kArrow);
      } else {
        out += Transition(change, kArrow);
        if (const std::string reason = Reason(change); !reason.empty())
          out += ": " + text::EscapeMarkdown(reason);
      }
      out += "\n";
    }
  };
  list("Regressions", diff.regressions, false);
  list("Fixed", diff.fixes, false);
  list("Changed", diff.changes, false);
  list("Timing", diff.timing, true);
  return out;
}

}  // namespace provkit::reports
