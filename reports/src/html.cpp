// The self-contained HTML report: verdict banner, summary, findings, matrix, history, evidence.
#include "provkit/reports/html.hpp"

#include <algorithm>
#include <vector>

#include "provkit/reports/summary.hpp"
#include "report_model.hpp"
#include "text.hpp"

namespace provkit::reports {
namespace {

using model::Mark;
using text::EscapeMarkup;

constexpr std::size_t kMaxBodyBytes = 4096;
constexpr std::size_t kMaxTextBytes = 16384;
constexpr std::size_t kMaxItemBytes = 4096;

// Gating looks the same everywhere: a solid fill with white text (red for contract failures,
// purple for harness errors). Baselined failures are muted: grey text, a dashed outline. The
// 700 px breakpoint stacks the summary, hides the title columns and scrolls wide tables in place.
constexpr std::string_view kStyle = R"css(
:root{--pass:#116329;--pass-bg:#dafbe1;--info:#0550ae;--info-bg:#ddf4ff;--skip:#57606a;--skip-bg:#eaeef2;
--warn:#7d4e00;--warn-bg:#fff1b8;--gate:#cf222e;--gate-bg:#ffebe9;--harness:#8250df;--harness-bg:#fbefff;
--muted:#57606a;--faint:#8c959f;--line:#d0d7de;--head:#f6f8fa}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#1f2328;background:#fff}
header{background:#1f2328;color:#fff;padding:10px 24px}
header h1{margin:0;font-size:18px;font-weight:600;overflow-wrap:anywhere}
header p{margin:2px 0 0;color:#d0d7de;font-size:13px}
main{padding:0 24px 32px}
h2{font-size:17px;border-bottom:1px solid var(--line);padding-bottom:4px;margin:26px 0 10px}
h3{font-size:16px;margin:22px 0 6px;overflow-wrap:anywhere}
a{color:#0969da}
table{border-collapse:collapse}
th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
thead th{background:var(--head)}
.num{text-align:right;font-variant-numeric:tabular-nums}
.muted{color:var(--muted)}
.scroll{overflow-x:auto;max-width:100%}
.banner{margin:16px 0 8px;padding:14px 18px;border-radius:8px;color:#fff;display:flex;flex-wrap:wrap;align-items:center;gap:6px 24px}
.banner-pass{background:var(--pass)}
.banner-fail{background:var(--gate)}
.banner-error{background:var(--harness)}
.banner .outcome{font-size:22px;font-weight:700;margin:0}
.banner .facts{display:flex;flex-wrap:wrap;gap:4px 18px;margin:0;padding:0;list-style:none;font-size:15px}
.banner .facts b{font-size:17px}
.banner .aside{flex-basis:100%;margin:0;font-size:13px;opacity:.92}
.banner a{color:#fff}
.v{display:inline-block;min-width:78px;text-align:center;font-weight:600;font-size:12px;border-radius:4px;padding:1px 6px;text-decoration:none;white-space:nowrap;border:1px solid transparent}
a.v:hover{text-decoration:underline}
.v .glyph{display:inline-block;width:1.1em;margin-right:2px}
.v.m-pass{color:var(--pass);background:var(--pass-bg)}
.v.m-info{color:var(--info);background:var(--info-bg)}
.v.m-skip{color:var(--skip);background:var(--skip-bg)}
.v.m-warning{color:var(--warn);background:var(--warn-bg)}
.v.m-gates{color:#fff;background:var(--gate);font-weight:700}
.v.m-error{color:#fff;background:var(--harness);font-weight:700}
.v.m-baselined{color:var(--muted);background:#fff;border:1px dashed var(--faint);font-weight:500}
.na{color:#8c959f;font-size:18px;line-height:1}
.note{display:block;font-size:11px;color:var(--muted);text-align:center}
.fails{display:block;font-size:11px;font-weight:600;color:var(--gate);white-space:nowrap}
.gates{color:var(--gate);font-weight:600}
.clear{color:var(--pass);font-weight:600}
.legend{display:flex;flex-wrap:wrap;gap:6px 16px;margin:0 0 10px;padding:0;list-style:none;font-size:13px;color:var(--muted)}
.legend .v{min-width:0}
.matrix-scroll{overflow:auto;max-height:85vh;border:1px solid var(--line)}
#matrix{border-collapse:separate;border-spacing:0;width:100%}
#matrix th,#matrix td{border:0;border-right:1px solid var(--line);border-bottom:1px solid var(--line)}
#matrix thead th{position:sticky;top:0;z-index:2;background:var(--head)}
#matrix thead th.clause{left:0;z-index:3}
#matrix tbody th.clause{position:sticky;left:0;z-index:1;background:#fff;white-space:nowrap}
#matrix td.cell{text-align:center}
#matrix th.subject{min-width:110px;text-align:center}
#matrix tr.group th{background:var(--skip-bg);font-size:13px}
#matrix tr.group th span{position:sticky;left:8px}
#matrix tr.row-gates th.clause,#matrix tr.row-gates td.title{background:var(--gate-bg)}
#matrix tr.row-gates th.clause{box-shadow:inset 4px 0 0 var(--gate)}
th .when{display:block;font-weight:400;font-size:11px;color:var(--muted)}
.earlier-tag{display:inline-block;font-size:11px;font-weight:600;color:var(--muted);border:1px solid var(--line);border-radius:10px;padding:0 6px}
tr.earlier,tr.earlier .gates,tr.earlier .clear{color:var(--muted)}
td.gate{white-space:nowrap}
code{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;white-space:nowrap}
ul.findings{list-style:none;padding:0;margin:0}
ul.findings li{margin:4px 0;overflow-wrap:anywhere}
ul.findings li .v{margin-right:6px}
details.card{border:1px solid var(--line);border-left-width:4px;border-radius:6px;margin:8px 0;min-width:0}
details.card.m-gates{border-left-color:var(--gate)}
details.card.m-error{border-left-color:var(--harness)}
details.card.m-baselined{border-left-color:var(--faint);border-left-style:dashed}
details.card.m-warning{border-left-color:#d4a72c}
details.card:target{outline:3px solid #0969da}
details.card>summary{padding:6px 12px;cursor:pointer;overflow-wrap:anywhere}
details.card>summary .reason{color:var(--muted)}
details.card[open]>summary{border-bottom:1px solid var(--line)}
.card-body{padding:6px 12px 8px}
.card-body p{margin:4px 0}
.back{font-size:12px}
dl{margin:4px 0;display:grid;grid-template-columns:max-content minmax(0,1fr);gap:2px 12px}
dt{font-weight:600;color:var(--muted)}
dd{margin:0;min-width:0}
ul.items{margin:0;padding-left:18px}
ul.items li{white-space:pre-wrap;overflow-wrap:anywhere}
pre{margin:0;white-space:pre-wrap;overflow-wrap:anywhere;background:var(--head);padding:4px 8px;border-radius:4px;max-height:300px;overflow:auto;font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
table.requests{margin-top:4px;font-size:13px}
table.trend{font-size:13px}
table.trend td.cell{text-align:center}
table.trend td.changed{box-shadow:inset 0 0 0 2px #0969da}
table.trend td.changes{white-space:nowrap}
.worse{color:var(--gate);font-weight:600}
.better{color:var(--pass);font-weight:600}
section.subject{border-top:2px solid var(--line);margin-top:20px}
footer{margin-top:30px;color:var(--muted);font-size:12px}
@media (max-width:700px){
header{padding:8px 12px}
main{padding:0 12px 24px}
.banner{padding:12px 14px}
.banner .outcome{font-size:19px}
.title{display:none}
table.summary,table.summary tbody,table.summary tr,table.summary th,table.summary td{display:block;border:0}
table.summary thead{display:none}
table.summary tr{border:1px solid var(--line);border-radius:6px;margin:0 0 8px;padding:4px 8px}
table.summary th{font-size:15px;padding:2px 0}
table.summary td{padding:1px 0;text-align:left}
table.summary td::before{content:attr(data-label) ": ";color:var(--muted);font-weight:600}
table.summary td{display:inline-block;margin-right:12px}
table.summary td.run{display:block;margin-right:0}
.legend{font-size:12px;gap:4px 12px}
#matrix tbody th.clause{white-space:normal;max-width:96px}
.fails{white-space:normal}
.matrix-scroll{max-height:75vh}
#matrix th.subject{min-width:84px}
.v{min-width:64px}
dl{grid-template-columns:minmax(0,1fr)}
}
)css";

std::string E(std::string_view raw) { return EscapeMarkup(raw); }

std::string Plural(int count, std::string_view word) {
  return std::to_string(count) + " " + std::string(word) + (count == 1 ? "" : "s");
}

std::string Ratio(int passed, int total) {
  return total == 0
             ? "\xE2\x80\x93"
             : std::to_string(passed) + "/" + std::to_string(total);  // en dash: nothing judged
}

std::string GateAttribute(Mark mark) {
  if (model::MarkGates(mark)) return "gates";
  if (mark == Mark::kBaselined) return "baselined";
  if (mark == Mark::kNotApplicable) return "na";
  return "clear";
}

// A verdict chip: glyph and label, coloured by what it does to the gate.
std::string Chip(Mark mark, std::string_view label, std::string_view href = {},
                 std::string_view title = {}) {
  std::string out = href.empty() ? "<span" : "<a";
  out += " class=\"v m-" + std::string(model::MarkSlug(mark)) + "\"";
  if (!href.empty()) out += " href=\"#" + std::string(href) + "\"";
  if (!title.empty()) out += " title=\"" + std::string(title) + "\"";
  out += "><span class=\"glyph\" aria-hidden=\"true\">" + std::string(model::MarkGlyph(mark)) +
         "</span>" + E(label) + (href.empty() ? "</span>" : "</a>");
  return out;
}

void Banner(std::string& out, std::span<const Results> runs, std::span<const Summary> summaries,
            const std::vector<bool>& current) {
  const model::GateOutcome outcome = model::OutcomeOf(summaries, current);
  int must_passed = 0;
  int must_total = 0;
  for (std::size_t run = 0; run < runs.size(); ++run) {
    if (!current[run]) continue;
    must_passed += summaries[run].must_passed;
    must_total += summaries[run].must_total;
  }
  std::string_view slug = "pass";
  std::string_view headline = "Passes the gate";
  std::string_view glyph = model::MarkGlyph(Mark::kPass);
  std::string_view meaning = "nothing gates";
  if (outcome.exit_code == kExitGateFails) {
    slug = "fail";
    headline = "Fails the gate";
    glyph = model::MarkGlyph(Mark::kGates);
    meaning = "contract failures";
  } else if (outcome.exit_code == kExitHarnessError) {
    slug = "error";
    headline = "Fails the gate: harness error";
    glyph = model::MarkGlyph(Mark::kHarnessError);
    meaning = "a clause could not be judged, or a run is incomplete";
  }
  const std::string code = std::to_string(outcome.exit_code);
  out += "<section id=\"verdict\" class=\"banner banner-" + std::string(slug) + "\" data-exit=\"" +
         code + "\" data-gating=\"" + std::to_string(outcome.gating_clauses) + "\">\n";
  out += "<p class=\"outcome\"><span aria-hidden=\"true\">" + std::string(glyph) + "</span> " +
         std::string(headline) + "</p>\n<ul class=\"facts\">";
  out += "<li><b>exit " + code + "</b> " + std::string(meaning) + "</li>";
  out += "<li><b>" + std::to_string(outcome.gating_clauses) + "</b> gating clause" +
         (outcome.gating_clauses == 1 ? "" : "s") + "</li>";
  out += "<li><b>" + std::to_string(outcome.failing_subjects) + "</b> of " +
         Plural(outcome.subjects, "subject") + " failing</li>";
  out += "<li>MUST <b>" + Ratio(must_passed, must_total) + "</b></li></ul>\n";
  if (outcome.earlier_runs > 0) {
    out += "<p class=\"aside\">" + Plural(outcome.earlier_runs, "earlier run") +
           " of the same subjects shown as <a href=\"#history\">history</a>: the gate is that of "
           "each subject's latest run.</p>\n";
  }
  out += "</section>\n";
}

void Header(std::string& out, std::span<const Results> runs, const std::vector<bool>& current,
            const ReportOptions& options) {
  out += "<header>\n<h1>" + E(options.title) + "</h1>\n<p>";
  const int subjects = static_cast<int>(std::count(current.begin(), current.end(), true));
  out += Plural(subjects, "subject");
  if (runs.size() > static_cast<std::size_t>(subjects))
    out += " (" + Plural(static_cast<int>(runs.size()), "run") + ")";
  out += " &middot; contract version " + std::to_string(kContractVersion) + " &middot; provkit " +
         E(options.provkit_version);
  if (!options.generated_at.empty()) out += " &middot; generated " + E(options.generated_at);
  out += "</p>\n</header>\n";
}

void SummarySection(std::string& out, std::span<const Results> runs,
                    std::span<const Summary> summaries, const std::vector<bool>& current) {
  out +=
      "<section id=\"summary\">\n<h2>Summary</h2>\n<table class=\"summary\">\n<thead><tr>"
      "<th>Subject</th><th>Kind</th><th>Gate</th><th>MUST</th><th>SHOULD</th>";
  for (Verdict verdict : kAllVerdicts)
    out += "<th class=\"num\">" + std::string(VerdictName(verdict)) + "</th>";
  out += "<th>Run</th></tr></thead>\n<tbody>\n";
  for (std::size_t run = 0; run < runs.size(); ++run) {
    const Results& results = runs[run];
    const Summary& summary = summaries[run];
    out += current[run] ? "<tr>" : "<tr class=\"earlier\">";
    out += "<th scope=\"row\"><a href=\"#" + model::SubjectId(run) + "\">" +
           E(results.subject.name) + "</a>";
    if (!current[run]) out += " <span class=\"earlier-tag\">earlier run</span>";
    out += "</th>";
    out +=
        "<td data-label=\"Kind\">" + std::string(SubjectKindName(results.subject.kind)) + "</td>";
    const std::string exit =
        " <span class=\"muted\">(exit " + std::to_string(summary.ExitCode()) + ")</span>";
    out += summary.Gates() ? "<td data-label=\"Gate\" class=\"gate gates\">fails" + exit + "</td>"
                           : "<td data-label=\"Gate\" class=\"gate clear\">passes" + exit + "</td>";
    out += "<td data-label=\"MUST\" class=\"num\">" +
           Ratio(summary.must_passed, summary.must_total) + "</td>";
    out += "<td data-label=\"SHOULD\" class=\"num\">" +
           Ratio(summary.should_passed, summary.should_total) + "</td>";
    for (Verdict verdict : kAllVerdicts) {
      out += "<td data-label=\"" + std::string(VerdictName(verdict)) + "\" class=\"num counts\">" +
             std::to_string(summary.counts[verdict]) + "</td>";
    }
    out += "<td data-label=\"Run\" class=\"run\">" + E(results.generated_at) + " on " +
           E(results.machine.hostname) + " <span class=\"muted\">(" + E(results.machine.os) + ", " +
           Plural(results.machine.cpus, "CPU") + ", provkit " + E(results.provkit_version) + ")";
    if (results.shard) {
      out += " shard " + std::to_string(results.shard->index) + " of " +
             std::to_string(results.shard->total);
    }
    out += "</span></td></tr>\n";
  }
  out += "</tbody>\n</table>\n</section>\n";
}

void FindingsSection(std::string& out, std::span<const Results> runs,
                     const std::vector<model::Finding>& findings) {
  out += "<section id=\"failures\">\n<h2>Failures</h2>\n";
  if (findings.empty()) {
    out += "<p>None: every clause judged passed.</p>\n</section>\n";
    return;
  }
  if (!findings.front().gates) out += "<p>Nothing gates.</p>\n";
  out += "<ul class=\"findings\">\n";
  bool in_notes = false;
  for (const model::Finding& finding : findings) {
    if (!finding.gates && !in_notes) {
      in_notes = true;
      out += "</ul>\n<h3>Not gating</h3>\n<ul class=\"findings\">\n";
    }
    out += "<li>" + Chip(finding.mark, finding.label, model::FindingAnchor(finding)) + "<b>" +
           E(runs[finding.run].subject.name) + "</b> ";
    if (!finding.clause_id.empty()) {
      out += "<a href=\"#" + model::FindingAnchor(finding) + "\">" + E(finding.clause_id) + "</a> ";
    }
    out += E(text::Excerpt(text::OneLine(finding.reason), 400)) + "</li>\n";
  }
  out += "</ul>\n</section>\n";
}

void Legend(std::string& out, bool strict) {
  out += "<ul class=\"legend\" id=\"legend\">";
  out += "<li>" + Chip(Mark::kGates, "FAIL") + " fails the gate (exit 1)</li>";
  out += "<li>" + Chip(Mark::kGates, "STALE") + " baseline entry that now passes: gates</li>";
  out += "<li>" + Chip(Mark::kHarnessError, "ERROR") +
         " harness error, clause not run or unexpected: gates (exit 2)</li>";
  out += "<li>" + Chip(Mark::kBaselined, "FAIL") +
         " known failure in the baseline: does not gate</li>";
  out += strict ? "<li>" + Chip(Mark::kGates, "NON-STRICT") +
                      " a strict part did not hold: gates (<code>--strict</code>)</li>"
                : "<li>" + Chip(Mark::kWarning, "NON-STRICT") +
                      " a strict part did not hold: gates only with <code>--strict</code></li>";
  out += "<li>" + Chip(Mark::kPass, "PASS") + " " + Chip(Mark::kInfo, "INFO") + " " +
         Chip(Mark::kSkip, "SKIP") + " do not gate</li>";
  out += "<li><span class=\"na\">" + std::string(model::MarkGlyph(Mark::kNotApplicable)) +
         "</span> does not apply to this kind of subject</li>";
  out += "</ul>\n";
}

// One matrix or trend cell: the chip linking to the evidence, and its note.
void CellHtml(std::string& out, std::size_t run, const Clause& clause, const model::Cell& cell,
              std::string_view extra_class = {}) {
  out += "<td class=\"cell";
  if (!extra_class.empty()) out += " " + std::string(extra_class);
  out += "\" data-gate=\"" + GateAttribute(cell.mark) + "\">";
  switch (cell.state) {
    case model::Cell::State::kVerdict:
      out += Chip(cell.mark, model::CellLabel(cell), model::EvidenceId(run, clause.id),
                  E(text::Excerpt(text::OneLine(cell.result->reason), 300)));
      if (const std::string note = model::CellNote(cell); !note.empty())
        out += "<span class=\"note\">" + note + "</span>";
      break;
    case model::Cell::State::kNotRun:
      out += Chip(cell.mark, "not run", {}, "expected of this subject but absent from its results");
      break;
    case model::Cell::State::kNotApplicable:
      out += "<span class=\"na\" title=\"does not apply to this subject\">" +
             std::string(model::MarkGlyph(Mark::kNotApplicable)) + "</span>";
      break;
  }
  out += "</td>";
}

std::string RunHeading(std::span<const Results> runs, std::size_t run, bool with_time,
                       bool is_current) {
  std::string out = "<a href=\"#" + model::SubjectId(run) + "\">" + E(runs[run].subject.name) +
                    "</a><span class=\"when\">" +
                    std::string(SubjectKindName(runs[run].subject.kind));
  if (with_time) out += " &middot; " + E(runs[run].generated_at);
  if (!is_current) out += " &middot; earlier run";
  return out + "</span>";
}

void MatrixSection(std::string& out, std::span<const Results> runs,
                   const std::vector<bool>& current, bool with_times,
                   const ReportOptions& options) {
  const std::vector<model::MatrixGroup> groups = model::MatrixGroups(runs);
  const std::string columns = std::to_string(runs.size() + 2);
  out += "<section id=\"matrix-section\">\n<h2>Clause matrix</h2>\n";
  Legend(out, options.strict);
  out +=
      "<div class=\"matrix-scroll\">\n<table id=\"matrix\">\n<thead><tr><th "
      "class=\"clause\">Clause</th><th class=\"title\">Title</th>";
  for (std::size_t run = 0; run < runs.size(); ++run) {
    out += "<th class=\"subject\">" + RunHeading(runs, run, with_times, current[run]) + "</th>";
  }
  out += "</tr></thead>\n<tbody>\n";
  const int subjects = static_cast<int>(std::count(current.begin(), current.end(), true));
  for (const model::MatrixGroup& group : groups) {
    out += "<tr class=\"group\"><th colspan=\"" + columns + "\"><span>" +
           std::string(GroupLetter(group.group)) + " &middot; " +
           std::string(GroupTitle(group.group)) + "</span></th></tr>\n";
    for (const Clause* clause : group.clauses) {
      std::vector<model::Cell> cells;
      int failing = 0;
      for (std::size_t run = 0; run < runs.size(); ++run) {
        cells.push_back(model::CellOf(runs[run], *clause, options.strict));
        if (current[run] && model::MarkGates(cells.back().mark)) ++failing;
      }
      out += "<tr id=\"" + model::MatrixRowId(clause->id) + "\"" +
             (failing > 0 ? " class=\"row-gates\"" : "") + "><th scope=\"row\" class=\"clause\">" +
             std::string(clause->id);
      if (failing > 0) {
        out += "<span class=\"fails\">fails in " + std::to_string(failing) +
               (subjects > 1 ? " of " + std::to_string(subjects) : std::string()) + " subject" +
               (failing == 1 && subjects <= 1 ? "" : "s") + "</span>";
      }
      out += "</th><td class=\"title\">" + E(clause->title) + "</td>";
      for (std::size_t run = 0; run < runs.size(); ++run) CellHtml(out, run, *clause, cells[run]);
      out += "</tr>\n";
    }
  }
  out += "</tbody>\n</table>\n</div>\n</section>\n";
}

std::string VerdictText(const std::optional<Verdict>& verdict) {
  return verdict ? std::string(VerdictName(*verdict)) : std::string("not run");
}

void HistorySection(std::string& out, std::span<const Results> runs,
                    const std::vector<model::History>& histories, const ReportOptions& options) {
  if (histories.empty()) return;
  out +=
      "<section id=\"history\">\n<h2>History</h2>\n<p>Subjects given more than once: the clauses "
      "whose verdict changed between consecutive runs, earliest run first. A changed cell is "
      "outlined.</p>\n";
  for (const model::History& history : histories) {
    out += "<h3>" + E(history.subject) + " <span class=\"muted\">" +
           std::string(SubjectKindName(history.kind)) + " &middot; " +
           Plural(static_cast<int>(history.runs.size()), "run") + ", " +
           E(runs[history.runs.front()].generated_at) + " to " +
           E(runs[history.runs.back()].generated_at) + "</span></h3>\n<p>" +
           Plural(static_cast<int>(history.rows.size()), "clause") + " changed verdict, " +
           std::to_string(history.unchanged) + " unchanged.</p>\n";
    if (history.rows.empty()) continue;
    out +=
        "<div class=\"scroll\">\n<table class=\"trend\">\n<thead><tr><th>Clause</th><th "
        "class=\"title\">Title</th>";
    for (std::size_t run : history.runs)
      out += "<th class=\"subject\">" + E(runs[run].generated_at) + "</th>";
    out += "<th>Changes</th></tr></thead>\n<tbody>\n";
    for (const model::History::Row& row : history.rows) {
      out += "<tr><th scope=\"row\"><a href=\"#" + model::MatrixRowId(row.clause->id) + "\">" +
             std::string(row.clause->id) + "</a></th><td class=\"title\">" + E(row.clause->title) +
             "</td>";
      for (std::size_t i = 0; i < history.runs.size(); ++i) {
        const std::size_t run = history.runs[i];
        const bool changed = i > 0 && row.changed[i - 1];
        CellHtml(out, run, *row.clause, model::CellOf(runs[run], *row.clause, options.strict),
                 changed ? "changed" : "");
      }
      out += "<td class=\"changes\">";
      bool first = true;
      for (std::size_t i = 1; i < history.runs.size(); ++i) {
        if (!row.changed[i - 1]) continue;
        const int direction = model::Direction(row.verdicts[i - 1], row.verdicts[i]);
        out += first ? "" : "<br>";
        first = false;
        out += "<span class=\"" +
               std::string(direction > 0   ? "worse"
                           : direction < 0 ? "better"
                                           : "muted") +
               "\">" +
               (direction > 0   ? "regressed"
                : direction < 0 ? "fixed"
                                : "changed") +
               "</span> " + VerdictText(row.verdicts[i - 1]) + " &rarr; " +
               VerdictText(row.verdicts[i]) + " <span class=\"muted\">" +
               E(runs[history.runs[i]].generated_at) + "</span>";
      }
      out += "</td></tr>\n";
    }
    out += "</tbody>\n</table>\n</div>\n";
  }
  out += "</section>\n";
}

void Items(std::string& out, std::string_view label, std::string_view text) {
  const std::vector<std::string> items = EvidenceItems(text::Excerpt(text, kMaxTextBytes));
  if (items.empty()) return;
  out += "<dt>" + std::string(label) + "</dt><dd><ul class=\"items\">";
  for (const std::string& item : items)
    out += "<li>" + E(text::Excerpt(item, kMaxItemBytes)) + "</li>";
  out += "</ul></dd>\n";
}

void Pre(std::string& out, std::string_view label, std::string_view content) {
  out += "<dt>" + std::string(label) + "</dt><dd><pre>" + E(text::Excerpt(content, kMaxTextBytes)) +
         "</pre></dd>\n";
}

void Requests(std::string& out, const std::vector<RequestRecord>& requests) {
  // The Time column only when the server timed at least one request.
  const bool timed = std::any_of(requests.begin(), requests.end(),
                                 [](const RequestRecord& request) { return request.duration_ms; });
  const std::string columns = timed ? "5" : "4";
  out +=
      "<div class=\"scroll\">\n<table class=\"requests\">\n<thead><tr><th class=\"num\">#</th><th "
      "class=\"num\">Connection</th><th>Method</th><th>Path</th><th class=\"num\">Status</th>";
  if (timed) out += "<th class=\"num\">Time</th>";
  out += "</tr></thead>\n<tbody>\n";
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const RequestRecord& request = requests[i];
    out += "<tr><td class=\"num\">" + std::to_string(i + 1) + "</td><td class=\"num\">" +
           std::to_string(request.connection) + "</td><td>" + E(request.method) + "</td><td>" +
           E(text::Excerpt(request.path, 1024)) + "</td><td class=\"num\">" +
           (request.status ? std::to_string(*request.status)
                           : std::string("<span class=\"muted\">none</span>")) +
           "</td>";
    if (timed) {
      out += "<td class=\"num\">" +
             (request.duration_ms ? text::FormatMs(*request.duration_ms)
                                  : std::string("<span class=\"muted\">&ndash;</span>")) +
             "</td>";
    }
    out += "</tr>\n";
    if (request.request_body || request.response_body) {
      out += "<tr><td></td><td colspan=\"" + columns + "\"><dl>\n";
      if (request.request_body) {
        out += "<dt>Request body</dt><dd><pre>" +
               E(text::Excerpt(*request.request_body, kMaxBodyBytes)) + "</pre></dd>\n";
      }
      if (request.response_body) {
        out += "<dt>Response body</dt><dd><pre>" +
               E(text::Excerpt(*request.response_body, kMaxBodyBytes)) + "</pre></dd>\n";
      }
      out += "</dl></td></tr>\n";
    }
  }
  out += "</tbody>\n</table>\n</div>\n";
}

// One evidence card: open when it needs attention (it gates, is baselined, or is NON-STRICT or
// ERROR), folded for PASS, INFO and SKIP that do not gate.
void Card(std::string& out, std::size_t run, const Results& results, const Clause& clause,
          const ClauseResult& result, bool strict) {
  const model::Cell cell = model::CellOf(results, clause, strict);
  const bool open =
      cell.mark != Mark::kPass && cell.mark != Mark::kInfo && cell.mark != Mark::kSkip;
  out += "<details class=\"card m-" + std::string(model::MarkSlug(cell.mark)) + "\" id=\"" +
         model::EvidenceId(run, result.clause_id) + "\" data-gate=\"" + GateAttribute(cell.mark) +
         "\"" + (open ? " open" : "") + ">\n<summary>" + Chip(cell.mark, model::CellLabel(cell)) +
         " <b>" + E(result.clause_id) + "</b> &middot; " + E(clause.title);
  if (const std::string note = model::CellNote(cell); !note.empty())
    out += " <span class=\"muted\">(" + note + ")</span>";
  out += "</summary>\n<div class=\"card-body\">\n";
  if (!result.reason.empty()) out += "<p>" + E(text::OneLine(result.reason)) + "</p>\n";
  out += "<p class=\"muted\">" + std::string(VerdictName(result.verdict)) + " &middot; took " +
         text::FormatMs(result.duration_ms);
  if (cell.gate == ClauseGate::kStale) {
    out += " &middot; <b class=\"gates\">stale baseline entry</b> (listed: " +
           E(*result.baseline_reason) + "): it passes now, remove it from the baseline";
  } else if (result.baseline_reason) {
    out += " &middot; known failure, in the baseline: " + E(*result.baseline_reason);
  }
  if (cell.unexpected) out += " &middot; <b class=\"gates\">not expected of this run</b>";
  out += "</p>\n";
  const Evidence& evidence = result.evidence;
  if (!evidence.expected.empty() || !evidence.observed.empty() || !evidence.invariants.empty()) {
    out += "<dl>\n";
    Items(out, "Expected", evidence.expected);
    Items(out, "Observed", evidence.observed);
    if (!evidence.invariants.empty()) {
      out += "<dt>Invariants</dt><dd><ul class=\"items\">";
      for (const std::string& sentence : evidence.invariants) out += "<li>" + E(sentence) + "</li>";
      out += "</ul></dd>\n";
    }
    out += "</dl>\n";
  }
  if (!evidence.requests.empty()) Requests(out, evidence.requests);
  out += "<p class=\"back\"><a href=\"#" + model::MatrixRowId(result.clause_id) + "\">&uarr; " +
         E(result.clause_id) + " in the matrix</a></p>\n</div>\n</details>\n";
}

void EvidenceSection(std::string& out, std::span<const Results> runs,
                     const std::vector<bool>& current, const ReportOptions& options) {
  out +=
      "<section id=\"evidence\">\n<h2>Evidence</h2>\n<p class=\"muted\">Failures are open; "
      "clauses that passed are folded: click one to open it.</p>\n";
  for (std::size_t run = 0; run < runs.size(); ++run) {
    const Results& results = runs[run];
    out += "<section class=\"subject\" id=\"" + model::SubjectId(run) + "\">\n<h3>" +
           E(results.subject.name) + " <span class=\"muted\">" +
           std::string(SubjectKindName(results.subject.kind)) + " &middot; " +
           E(results.generated_at) + "</span>";
    if (!current[run]) out += " <span class=\"earlier-tag\">earlier run</span>";
    out += "</h3>\n";
    if (!results.subject.description.empty())
      out += "<p>" + E(results.subject.description) + "</p>\n";
    out += "<dl>\n<dt>Capabilities</dt><dd>";
    if (results.subject.capabilities.empty()) out += "<span class=\"muted\">none declared</span>";
    bool first = true;
    for (const auto& [name, supported] : results.subject.capabilities) {
      out += (first ? "" : " &middot; ") + E(name) + (supported ? ": yes" : ": no");
      first = false;
    }
    out += "</dd>\n";
    Pre(out, "Configuration",
        results.configuration.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
    out += "</dl>\n";
    for (const Clause& clause : Clauses()) {
      if (const ClauseResult* result = results.Find(clause.id))
        Card(out, run, results, clause, *result, options.strict);
    }
    out += "</section>\n";
  }
  out += "</section>\n";
}

}  // namespace

std::string RenderHtml(std::span<const Results> runs, const ReportOptions& options) {
  std::vector<Summary> summaries;
  for (const Results& results : runs) summaries.push_back(Summarize(results, options.strict));
  const std::vector<bool> current = model::CurrentRuns(runs);
  const std::vector<model::Finding> findings =
      model::Findings(runs, summaries, current, options.strict);
  const std::vector<model::History> histories = model::Histories(runs);

  std::string out;
  out.reserve(96 * 1024);
  out +=
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src "
      "'unsafe-inline'\">\n"
      "<title>" +
      E(options.title) + "</title>\n<style>";
  out += kStyle;
  out += "</style>\n</head>\n<body>\n";
  Header(out, runs, current, options);
  out += "<main>\n";
  Banner(out, runs, summaries, current);
  SummarySection(out, runs, summaries, current);
  FindingsSection(out, runs, findings);
  MatrixSection(out, runs, current, !histories.empty(), options);
  HistorySection(out, runs, histories, options);
  EvidenceSection(out, runs, current, options);
  out +=
      "<footer>Verdicts: PASS every requirement held &middot; NON-STRICT the required part held, a "
      "strict part did not &middot; FAIL a required part did not hold &middot; SKIP does not "
      "apply &middot; INFO measured, not judged &middot; ERROR the harness could not judge. "
      "Gating: FAIL, ERROR, stale baseline entries, clauses not run or unexpected";
  out += options.strict ? ", and NON-STRICT (strict mode)." : "; NON-STRICT only with --strict.";
  out +=
      " Exit codes of provkit conform: 0 nothing gates, 1 contract failures, 2 harness errors "
      "or an incomplete run.</footer>\n</main>\n</body>\n</html>\n";
  return out;
}

}  // namespace provkit::reports
