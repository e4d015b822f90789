// The Markdown report: totals, failures first, the matrix folded away.
#include "provkit/reports/markdown.hpp"

#include <vector>

#include "provkit/reports/summary.hpp"
#include "report_model.hpp"
#include "text.hpp"

namespace provkit::reports {
namespace {

using text::EscapeMarkdown;

constexpr std::size_t kMaxReasonBytes = 160;
constexpr std::size_t kMaxFindings = 40;

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
    if (!out.empty()) out += " \xC2\xB7 ";
    out += std::to_string(summary.counts[verdict]) + " " + std::string(VerdictName(verdict));
  }
  return out.empty() ? "none" : out;
}

std::string Cell(const model::Cell& cell) {
  switch (cell.state) {
    case model::Cell::State::kNotRun:
      return "\xF0\x9F\x9B\x91 not run";
    case model::Cell::State::kNotApplicable:
      return "\xC2\xB7";
    case model::Cell::State::kVerdict:
      break;
  }
  std::string out =
      std::string(model::VerdictEmoji(cell.result->verdict)) + " " + model::CellLabel(cell);
  if (const std::string note = model::CellNote(cell); !note.empty()) out += " (" + note + ")";
  return out;
}

}  // namespace

std::string RenderMarkdown(std::span<const Results> runs, const ReportOptions& options) {
  std::vector<Summary> summaries;
  int gating = 0;
  for (const Results& results : runs) {
    summaries.push_back(Summarize(results, options.strict));
    gating += summaries.back().Gates() ? 1 : 0;
  }
  std::string out = "## " + EscapeMarkdown(options.title) + ": ";
  out += gating == 0
             ? "\xE2\x9C\x85 every subject passes the gate"
             : "\xE2\x9D\x8C " + std::to_string(gating) + " of " + std::to_string(runs.size()) +
                   (runs.size() == 1 ? " subject fails" : " subjects fail") + " the gate";
  out +=
      "\n\n| Subject | Kind | Gate | MUST | SHOULD | Verdicts |\n| --- | --- | --- | --- | --- | "
      "--- |\n";
  for (std::size_t run = 0; run < runs.size(); ++run) {
    const Summary& summary = summaries[run];
    out += "| " + EscapeMarkdown(runs[run].subject.name) + " | " +
           std::string(SubjectKindName(runs[run].subject.kind)) + " | " +
           (summary.Gates() ? "\xE2\x9D\x8C fails" : "\xE2\x9C\x85 passes") + " | " +
           Ratio(summary.must_passed, summary.must_total) + " | " +
           Ratio(summary.should_passed, summary.should_total) + " | " + CountsText(summary) +
           " |\n";
  }

  const std::vector<model::Finding> findings = model::Findings(runs, summaries, options.strict);
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
    out += "- " + std::string(model::VerdictEmoji(finding.severity)) + " **" +
           EscapeMarkdown(finding.label) + "** " + EscapeMarkdown(runs[finding.run].subject.name);
    if (!finding.clause_id.empty()) out += " " + EscapeMarkdown(finding.clause_id);
    out +=
        ": " + EscapeMarkdown(text::Excerpt(text::OneLine(finding.reason), kMaxReasonBytes)) + "\n";
    ++listed;
  }

  const std::vector<model::MatrixGroup> groups = model::MatrixGroups(runs);
  std::size_t rows = 0;
  for (const model::MatrixGroup& group : groups) rows += group.clauses.size();
  out += "\n<details><summary>Clause matrix (" + Count(rows, "clause") + " \xC3\x97 " +
         Count(runs.size(), "subject") + ")</summary>\n\n| Clause | Title |";
  for (const Results& results : runs) out += " " + EscapeMarkdown(results.subject.name) + " |";
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
  out += "\n</details>\n\n<sub>provkit " + EscapeMarkdown(options.provkit_version) +
         " \xC2\xB7 contract version " + std::to_string(kContractVersion);
  if (!options.generated_at.empty()) out += " \xC2\xB7 " + EscapeMarkdown(options.generated_at);
  out += options.strict ? " \xC2\xB7 strict" : "";
  out += "</sub>\n";
  return out;
}

}  // namespace provkit::reports
