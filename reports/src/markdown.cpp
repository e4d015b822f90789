// The Markdown report: the outcome, totals, failures first (linked to the HTML), changes, the
// matrix.
#include "provkit/reports/markdown.hpp"

#include <algorithm>
#include <vector>

#include "provkit/reports/summary.hpp"
#include "report_model.hpp"
#include "text.hpp"

namespace provkit::reports {
namespace {

using model::Mark;
using text::EscapeMarkdown;

constexpr std::size_t kMaxReasonBytes = 160;
constexpr std::size_t kMaxFindings = 40;
constexpr std::size_t kMaxChangesPerSubject = 20;
constexpr std::string_view kDot = " \xC2\xB7 ";
constexpr std::string_view kArrow = " \xE2\x86\x92 ";

std::string Ratio(int passed, int total) {
  return total == 0
             ? "\xE2\x80\x93"
             : std::to_string(passed) + "/" + std::to_string(total);  // en dash: nothing judged
}

std::string Count(std::size_t count, std::string_view noun) {
  return std::to_string(count) + " " + std::string(noun) + (count == 1 ? "" : "s");
}

std::string CountsText(const Summary& summary) {
  std::string out;
  for (Verdict verdict : kAllVerdicts) {
    if (summary.counts[verdict] == 0) continue;
    if (!out.empty()) out += kDot;
    out += std::to_string(summary.counts[verdict]) + " " + std::string(VerdictName(verdict));
  }
  return out.empty() ? "none" : out;
}

std::string Emoji(Mark mark) { return std::string(model::MarkEmoji(mark)); }

std::string Cell(const model::Cell& cell) {
  if (cell.state == model::Cell::State::kNotApplicable) return Emoji(Mark::kNotApplicable);
  std::string out = Emoji(cell.mark) + " " + model::CellLabel(cell);
  if (const std::string note = model::CellNote(cell); !note.empty()) out += " (" + note + ")";
  return out;
}

// `base#anchor` as a Markdown link destination, or empty when there is no usable base.
std::string Link(const ReportOptions& options, const std::string& anchor) {
  if (!text::IsLinkableBaseUrl(options.html_url)) return "";
  return text::EncodeUrl(options.html_url) + "#" + anchor;
}

std::string Heading(const model::GateOutcome& outcome, const ReportOptions& options) {
  std::string out = "## " + EscapeMarkdown(options.title) + ": ";
  const std::string exit = " (exit " + std::to_string(outcome.exit_code) + ")";
  if (outcome.exit_code == kExitGatePasses) {
    out += Emoji(Mark::kPass) + " passes the gate" + exit + ": " +
           (outcome.subjects == 1 ? std::string("the subject passes")
                                  : "all " + std::to_string(outcome.subjects) + " subjects pass");
  } else {
    out += outcome.exit_code == kExitHarnessError
               ? Emoji(Mark::kHarnessError) + " fails the gate, harness error" + exit
               : Emoji(Mark::kGates) + " fails the gate" + exit;
    out += ": " + Count(outcome.gating_clauses, "gating clause") + " in " +
           std::to_string(outcome.failing_subjects) + " of " + Count(outcome.subjects, "subject");
  }
  return out + "\n";
}

void Changes(std::string& out, std::span<const Results> runs,
             const std::vector<model::History>& histories) {
  if (histories.empty()) return;
  out += "\n**Changes**\n\n";
  for (const model::History& history : histories) {
    out += "- " + EscapeMarkdown(history.subject) + ", " +
           EscapeMarkdown(runs[history.runs.front()].generated_at) + std::string(kArrow) +
           EscapeMarkdown(runs[history.runs.back()].generated_at) + ": ";
    if (history.rows.empty()) {
      out += "no verdict changed\n";
      continue;
    }
    std::size_t listed = 0;
    for (const model::History::Row& row : history.rows) {
      if (listed == kMaxChangesPerSubject) {
        out += ", \xE2\x80\xA6 " + std::to_string(history.rows.size() - listed) + " more";
        break;
      }
      // First and last verdict: what a reviewer needs; the HTML shows every step.
      const auto& first = row.verdicts.front();
      const auto& last = row.verdicts.back();
      const int direction = model::Direction(first, last);
      out += (listed == 0 ? "" : ", ") + std::string(row.clause->id) + " " +
             (first ? std::string(VerdictName(*first)) : "not run") + std::string(kArrow) +
             (last ? std::string(VerdictName(*last)) : "not run") +
             (direction > 0   ? " (regressed)"
              : direction < 0 ? " (fixed)"
                              : "");
      ++listed;
    }
    out += "\n";
  }
}

}  // namespace

std::string RenderMarkdown(std::span<const Results> runs, const ReportOptions& options) {
  std::vector<Summary> summaries;
  for (const Results& results : runs) summaries.push_back(Summarize(results, options.strict));
  const std::vector<bool> current = model::CurrentRuns(runs);
  const model::GateOutcome outcome = model::OutcomeOf(summaries, current);

  std::string out = Heading(outcome, options);
  if (text::IsLinkableBaseUrl(options.html_url))
    out += "\n[The full HTML report](" + text::EncodeUrl(options.html_url) + ")\n";
  out +=
      "\n| Subject | Kind | Gate | MUST | SHOULD | Verdicts |\n| --- | --- | --- | --- | --- | "
      "--- |\n";
  for (std::size_t run = 0; run < runs.size(); ++run) {
    const Summary& summary = summaries[run];
    const std::string exit = " (exit " + std::to_string(summary.ExitCode()) + ")";
    std::string gate = summary.ExitCode() == kExitHarnessError
                           ? Emoji(Mark::kHarnessError) + " fails"
                       : summary.Gates() ? Emoji(Mark::kGates) + " fails"
                                         : Emoji(Mark::kPass) + " passes";
    gate += exit;
    std::string name = EscapeMarkdown(runs[run].subject.name);
    if (!current[run]) {
      name += " (earlier run, " + EscapeMarkdown(runs[run].generated_at) + ")";
      gate = "not gated: " + gate;
    }
    out += "| " + name + " | " + std::string(SubjectKindName(runs[run].subject.kind)) + " | " +
           gate + " | " + Ratio(summary.must_passed, summary.must_total) + " | " +
           Ratio(summary.should_passed, summary.should_total) + " | " + CountsText(summary) +
           " |\n";
  }

  const std::vector<model::Finding> findings =
      model::Findings(runs, summaries, current, options.strict);
  bool in_notes = false;
  std::size_t listed = 0;
  if (!findings.empty() && findings.front().gates) out += "\n**Failures**\n\n";
  for (const model::Finding& finding : findings) {
    if (listed == kMaxFindings) {
      out += "- \xE2\x80\xA6 and " + std::to_string(findings.size() - listed) +
             " more (see the HTML report)\n";
      break;
    }
    if (!finding.gates && !in_notes) {
      in_notes = true;
      out += "\n**Not gating**\n\n";
    }
    out += "- " + Emoji(finding.mark) + " **" + EscapeMarkdown(finding.label) + "** " +
           EscapeMarkdown(runs[finding.run].subject.name);
    const std::string link = Link(options, model::FindingAnchor(finding));
    const std::string what =
        finding.clause_id.empty() ? std::string() : EscapeMarkdown(finding.clause_id);
    if (!link.empty()) {
      out += " [" + (what.empty() ? std::string("evidence") : what) + "](" + link + ")";
    } else if (!what.empty()) {
      out += " " + what;
    }
    out +=
        ": " + EscapeMarkdown(text::Excerpt(text::OneLine(finding.reason), kMaxReasonBytes)) + "\n";
    ++listed;
  }

  Changes(out, runs, model::Histories(runs));

  const std::vector<model::MatrixGroup> groups = model::MatrixGroups(runs);
  std::size_t rows = 0;
  for (const model::MatrixGroup& group : groups) rows += group.clauses.size();
  out += "\n<details><summary>Clause matrix (" + Count(rows, "clause") + " \xC3\x97 " +
         Count(runs.size(),
               runs.size() == static_cast<std::size_t>(outcome.subjects) ? "subject" : "run") +
         ")</summary>\n\n| Clause | Title |";
  for (std::size_t run = 0; run < runs.size(); ++run) {
    out += " " + EscapeMarkdown(runs[run].subject.name);
    if (!current[run]) out += " (earlier)";
    out += " |";
  }
  out += "\n| --- | --- |";
  for (std::size_t run = 0; run < runs.size(); ++run) out += " :-: |";
  out += "\n";
  for (const model::MatrixGroup& group : groups) {
    out += "| **" + std::string(GroupLetter(group.group)) + "** | **" +
           std::string(GroupTitle(group.group)) + "** |";
    for (std::size_t run = 0; run < runs.size(); ++run) out += " |";
    out += "\n";
    for (const Clause* clause : group.clauses) {
      out += "| " + std::string(clause->id) + " | " + EscapeMarkdown(clause->title) + " |";
      for (const Results& results : runs)
        out += " " + Cell(model::CellOf(results, *clause, options.strict)) + " |";
      out += "\n";
    }
  }
  out += "\n" + Emoji(Mark::kGates) + " fails the gate" + std::string(kDot) +
         Emoji(Mark::kHarnessError) + " harness error, not run or unexpected: fails the gate" +
         std::string(kDot) + Emoji(Mark::kBaselined) +
         " known failure in the baseline: does not gate" + std::string(kDot) +
         Emoji(Mark::kWarning) + " NON-STRICT: gates only with `--strict`" + std::string(kDot) +
         Emoji(Mark::kPass) + " PASS" + std::string(kDot) + Emoji(Mark::kInfo) + " INFO" +
         std::string(kDot) + Emoji(Mark::kSkip) + " SKIP" + std::string(kDot) + "`" +
         Emoji(Mark::kNotApplicable) + "` does not apply to this kind of subject\n";
  out += "\n</details>\n\n<sub>provkit " + EscapeMarkdown(options.provkit_version) +
         std::string(kDot) + "contract version " + std::to_string(kContractVersion);
  if (!options.generated_at.empty())
    out += std::string(kDot) + EscapeMarkdown(options.generated_at);
  out += options.strict ? std::string(kDot) + "strict" : "";
  out += "</sub>\n";
  return out;
}

}  // namespace provkit::reports
