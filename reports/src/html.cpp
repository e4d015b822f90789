// The self-contained HTML report: header, summary, findings, matrix, evidence.
#include "provkit/reports/html.hpp"

#include <vector>

#include "provkit/reports/summary.hpp"
#include "report_model.hpp"
#include "text.hpp"

namespace provkit::reports {
namespace {

using text::EscapeMarkup;

constexpr std::size_t kMaxBodyBytes = 4096;
constexpr std::size_t kMaxTextBytes = 16384;

constexpr std::string_view kStyle = R"css(
:root{--pass:#116329;--pass-bg:#d2f4d9;--info:#0550ae;--info-bg:#ddf4ff;--skip:#424a53;--skip-bg:#eaeef2;
--nonstrict:#7d4e00;--nonstrict-bg:#fff1b8;--fail:#a40e26;--fail-bg:#ffd8d3;--error:#6639ba;--error-bg:#eddeff;
--line:#d0d7de;--muted:#57606a}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#1f2328;background:#fff}
header{background:#1f2328;color:#fff;padding:14px 24px}
header h1{margin:0;font-size:20px;font-weight:600}
header p{margin:4px 0 0;color:#d0d7de}
main{padding:8px 24px 32px;max-width:1500px}
h2{font-size:17px;border-bottom:1px solid var(--line);padding-bottom:4px;margin:26px 0 10px}
h3{font-size:16px;margin:22px 0 6px}
h4{font-size:14px;margin:0 0 4px}
a{color:#0969da}
table{border-collapse:collapse}
th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
thead th{background:#f6f8fa}
.num{text-align:right;font-variant-numeric:tabular-nums}
.muted{color:var(--muted)}
.v{display:inline-block;min-width:86px;text-align:center;font-weight:600;font-size:12px;border-radius:4px;padding:1px 6px;text-decoration:none;white-space:nowrap}
a.v:hover{text-decoration:underline}
.v-pass{color:var(--pass);background:var(--pass-bg)}
.v-info{color:var(--info);background:var(--info-bg)}
.v-skip{color:var(--skip);background:var(--skip-bg)}
.v-nonstrict{color:var(--nonstrict);background:var(--nonstrict-bg)}
.v-fail{color:var(--fail);background:var(--fail-bg)}
.v-error{color:var(--error);background:var(--error-bg)}
.v-none{color:var(--muted);background:transparent;font-weight:400}
.v-notrun{color:var(--error);background:transparent;border:1px dashed var(--error)}
.note{display:block;font-size:11px;color:var(--muted);text-align:center}
.gates{color:var(--fail);font-weight:600}
.clear{color:var(--pass);font-weight:600}
#matrix td.cell{text-align:center}
#matrix tr.group th{background:#eaeef2;font-size:13px}
#matrix th.subject{min-width:120px;text-align:center}
ul.findings{list-style:none;padding:0;margin:0}
ul.findings li{margin:3px 0}
ul.findings li .v{margin-right:6px}
article{border:1px solid var(--line);border-radius:6px;padding:8px 12px;margin:8px 0}
article:target{outline:3px solid #0969da}
article p{margin:4px 0}
dl{margin:4px 0;display:grid;grid-template-columns:max-content 1fr;gap:2px 12px}
dt{font-weight:600;color:var(--muted)}
dd{margin:0;min-width:0}
pre{margin:0;white-space:pre-wrap;word-break:break-word;background:#f6f8fa;padding:4px 8px;border-radius:4px;max-height:300px;overflow:auto;font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
table.requests{margin-top:4px;font-size:13px}
section.subject{border-top:2px solid var(--line);margin-top:20px}
footer{margin-top:30px;color:var(--muted);font-size:12px}
)css";

std::string E(std::string_view raw) { return EscapeMarkup(raw); }

std::string EvidenceId(std::size_t run, std::string_view clause_id) {
  return "e" + std::to_string(run) + "-" + std::string(clause_id);
}

std::string Badge(Verdict verdict, std::string_view label) {
  return "<span class=\"v v-" + std::string(model::VerdictSlug(verdict)) + "\">" + E(label) +
         "</span>";
}

std::string Plural(int count, std::string_view word) {
  return std::to_string(count) + " " + std::string(word) + (count == 1 ? "" : "s");
}

std::string Ratio(int passed, int total) {
  return total == 0
             ? "\xE2\x80\x93"
             : std::to_string(passed) + "/" + std::to_string(total);  // en dash: nothing judged
}

void Header(std::string& out, std::span<const Results> runs, std::span<const Summary> summaries,
            const ReportOptions& options) {
  int gating = 0;
  int must_passed = 0;
  int must_total = 0;
  for (const Summary& summary : summaries) {
    gating += summary.Gates() ? 1 : 0;
    must_passed += summary.must_passed;
    must_total += summary.must_total;
  }
  out += "<header>\n<h1>" + E(options.title) + "</h1>\n<p>";
  out += Plural(static_cast<int>(runs.size()), "subject") + " &middot; ";
  out += gating == 0 ? std::string("<b>all pass the gate</b>")
                     : "<b>" + std::to_string(gating) + " of " + std::to_string(runs.size()) +
                           " fail the gate</b>";
  out += " &middot; MUST " + Ratio(must_passed, must_total) + " &middot; contract version " +
         std::to_string(kContractVersion) + " &middot; provkit " + E(options.provkit_version);
  if (!options.generated_at.empty()) out += " &middot; generated " + E(options.generated_at);
  out += "</p>\n</header>\n";
}

void SummarySection(std::string& out, std::span<const Results> runs,
                    std::span<const Summary> summaries) {
  out +=
      "<section id=\"summary\">\n<h2>Summary</h2>\n<table "
      "class=\"summary\">\n<thead><tr><th>Subject</th>"
      "<th>Kind</th><th>Gate</th><th>MUST</th><th>SHOULD</th>";
  for (Verdict verdict : kAllVerdicts)
    out += "<th class=\"num\">" + std::string(VerdictName(verdict)) + "</th>";
  out += "<th>Run</th></tr></thead>\n<tbody>\n";
  for (std::size_t run = 0; run < runs.size(); ++run) {
    const Results& results = runs[run];
    const Summary& summary = summaries[run];
    out += "<tr><th scope=\"row\"><a href=\"#s" + std::to_string(run) + "\">" +
           E(results.subject.name) + "</a></th>";
    out += "<td>" + std::string(SubjectKindName(results.subject.kind)) + "</td>";
    out += summary.Gates() ? "<td class=\"gates\">fails</td>" : "<td class=\"clear\">passes</td>";
    out += "<td class=\"num\">" + Ratio(summary.must_passed, summary.must_total) + "</td>";
    out += "<td class=\"num\">" + Ratio(summary.should_passed, summary.should_total) + "</td>";
    for (Verdict verdict : kAllVerdicts)
      out += "<td class=\"num\">" + std::to_string(summary.counts[verdict]) + "</td>";
    out += "<td>" + E(results.generated_at) + " on " + E(results.machine.hostname) +
           " <span class=\"muted\">(" + E(results.machine.os) + ", " +
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
  out += "<ul class=\"findings\">\n";
  bool in_notes = false;
  for (const model::Finding& finding : findings) {
    if (!finding.gates && !in_notes) {
      in_notes = true;
      out += "</ul>\n<h3>Not gating</h3>\n<ul class=\"findings\">\n";
    }
    out += "<li>" + Badge(finding.severity, finding.label) + "<b>" +
           E(runs[finding.run].subject.name) + "</b> ";
    if (!finding.clause_id.empty()) {
      const bool has_evidence = runs[finding.run].Find(finding.clause_id) != nullptr;
      out += has_evidence ? "<a href=\"#" + EvidenceId(finding.run, finding.clause_id) + "\">" +
                                E(finding.clause_id) + "</a>"
                          : E(finding.clause_id);
      out += " ";
    }
    out += E(text::Excerpt(text::OneLine(finding.reason), 400)) + "</li>\n";
  }
  out += "</ul>\n</section>\n";
}

void MatrixSection(std::string& out, std::span<const Results> runs, const ReportOptions& options) {
  const std::vector<model::MatrixGroup> groups = model::MatrixGroups(runs);
  const std::string columns = std::to_string(runs.size() + 2);
  out +=
      "<section id=\"matrix-section\">\n<h2>Clause matrix</h2>\n<table "
      "id=\"matrix\">\n<thead><tr><th>Clause</th>"
      "<th>Title</th>";
  for (std::size_t run = 0; run < runs.size(); ++run) {
    out += "<th class=\"subject\"><a href=\"#s" + std::to_string(run) + "\">" +
           E(runs[run].subject.name) + "</a><br><span class=\"muted\">" +
           std::string(SubjectKindName(runs[run].subject.kind)) + "</span></th>";
  }
  out += "</tr></thead>\n<tbody>\n";
  for (const model::MatrixGroup& group : groups) {
    out += "<tr class=\"group\"><th colspan=\"" + columns + "\">" +
           std::string(GroupLetter(group.group)) + " &middot; " +
           std::string(GroupTitle(group.group)) + "</th></tr>\n";
    for (const Clause* clause : group.clauses) {
      out += "<tr id=\"c-" + std::string(clause->id) + "\"><th scope=\"row\">" +
             std::string(clause->id) + "</th><td>" + E(clause->title) + "</td>";
      for (std::size_t run = 0; run < runs.size(); ++run) {
        const model::Cell cell = model::CellOf(runs[run], *clause, options.strict);
        out += "<td class=\"cell\">";
        if (cell.state == model::Cell::State::kVerdict) {
          out += "<a class=\"v v-" + std::string(model::VerdictSlug(cell.result->verdict)) +
                 "\" href=\"#" + EvidenceId(run, clause->id) + "\" title=\"" +
                 E(text::Excerpt(text::OneLine(cell.result->reason), 300)) + "\">" +
                 model::CellLabel(cell) + "</a>";
          if (const std::string note = model::CellNote(cell); !note.empty()) {
            out += "<span class=\"note\">" + note + "</span>";
          }
        } else if (cell.state == model::Cell::State::kNotRun) {
          out +=
              "<span class=\"v v-notrun\" title=\"expected of this subject but absent from its "
              "results\">not run</span>";
        } else {
          out += "<span class=\"v v-none\" title=\"does not apply to this subject\">n/a</span>";
        }
        out += "</td>";
      }
      out += "</tr>\n";
    }
  }
  out += "</tbody>\n</table>\n</section>\n";
}

void Pre(std::string& out, std::string_view label, std::string_view content) {
  out += "<dt>" + std::string(label) + "</dt><dd><pre>" + E(text::Excerpt(content, kMaxTextBytes)) +
         "</pre></dd>\n";
}

void Requests(std::string& out, const std::vector<RequestRecord>& requests) {
  out +=
      "<table class=\"requests\">\n<thead><tr><th class=\"num\">#</th><th "
      "class=\"num\">Connection</th>"
      "<th>Method</th><th>Path</th><th class=\"num\">Status</th><th "
      "class=\"num\">Time</th></tr></thead>\n<tbody>\n";
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const RequestRecord& request = requests[i];
    out += "<tr><td class=\"num\">" + std::to_string(i + 1) + "</td><td class=\"num\">" +
           std::to_string(request.connection) + "</td><td>" + E(request.method) + "</td><td>" +
           E(text::Excerpt(request.path, 1024)) + "</td><td class=\"num\">" +
           (request.status ? std::to_string(*request.status)
                           : std::string("<span class=\"muted\">none</span>")) +
           "</td><td class=\"num\">" +
           (request.duration_ms ? text::FormatMs(*request.duration_ms) : std::string()) +
           "</td></tr>\n";
    if (request.request_body || request.response_body) {
      out += "<tr><td></td><td colspan=\"5\"><dl>\n";
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
  out += "</tbody>\n</table>\n";
}

void Article(std::string& out, std::size_t run, const ClauseResult& result, ClauseGate gate) {
  const Clause* clause = FindClause(result.clause_id);
  out += "<article id=\"" + EvidenceId(run, result.clause_id) + "\">\n<h4>" +
         Badge(result.verdict, VerdictName(result.verdict)) + " " + E(result.clause_id) +
         " &middot; " + E(clause != nullptr ? clause->title : std::string_view()) + "</h4>\n";
  if (!result.reason.empty()) out += "<p>" + E(text::OneLine(result.reason)) + "</p>\n";
  out += "<p class=\"muted\">took " + text::FormatMs(result.duration_ms);
  if (gate == ClauseGate::kStale) {
    out += " &middot; <b class=\"gates\">stale baseline entry</b> (listed: " +
           E(*result.baseline_reason) + "): it passes now, remove it from the baseline";
  } else if (result.baseline_reason) {
    out += " &middot; known failure, in the baseline: " + E(*result.baseline_reason);
  }
  out += "</p>\n";
  const Evidence& evidence = result.evidence;
  if (!evidence.expected.empty() || !evidence.observed.empty() || !evidence.invariants.empty()) {
    out += "<dl>\n";
    if (!evidence.expected.empty()) Pre(out, "Expected", evidence.expected);
    if (!evidence.observed.empty()) Pre(out, "Observed", evidence.observed);
    if (!evidence.invariants.empty()) {
      out += "<dt>Invariants</dt><dd><ul>";
      for (const std::string& sentence : evidence.invariants) out += "<li>" + E(sentence) + "</li>";
      out += "</ul></dd>\n";
    }
    out += "</dl>\n";
  }
  if (!evidence.requests.empty()) Requests(out, evidence.requests);
  out += "</article>\n";
}

void EvidenceSection(std::string& out, std::span<const Results> runs,
                     const ReportOptions& options) {
  out += "<section id=\"evidence\">\n<h2>Evidence</h2>\n";
  for (std::size_t run = 0; run < runs.size(); ++run) {
    const Results& results = runs[run];
    out += "<section class=\"subject\" id=\"s" + std::to_string(run) + "\">\n<h3>" +
           E(results.subject.name) + " <span class=\"muted\">" +
           std::string(SubjectKindName(results.subject.kind)) + "</span></h3>\n";
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
      if (const ClauseResult* result = results.Find(clause.id)) {
        Article(out, run, *result, GateOf(*result, options.strict));
      }
    }
    out += "</section>\n";
  }
  out += "</section>\n";
}

}  // namespace

std::string RenderHtml(std::span<const Results> runs, const ReportOptions& options) {
  std::vector<Summary> summaries;
  for (const Results& results : runs) summaries.push_back(Summarize(results, options.strict));
  const std::vector<model::Finding> findings = model::Findings(runs, summaries, options.strict);

  std::string out;
  out.reserve(64 * 1024);
  out +=
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src "
      "'unsafe-inline'\">\n"
      "<title>" +
      E(options.title) + "</title>\n<style>";
  out += kStyle;
  out += "</style>\n</head>\n<body>\n";
  Header(out, runs, summaries, options);
  out += "<main>\n";
  SummarySection(out, runs, summaries);
  FindingsSection(out, runs, findings);
  MatrixSection(out, runs, options);
  EvidenceSection(out, runs, options);
  out +=
      "<footer>Verdicts: PASS every requirement held &middot; NON-STRICT the required part held, a "
      "strict part "
      "did not &middot; FAIL a required part did not hold &middot; SKIP does not apply &middot; "
      "INFO measured, not "
      "judged &middot; ERROR the harness could not judge. Gating: FAIL, ERROR, stale baseline "
      "entries, clauses not "
      "run";
  out += options.strict ? ", and NON-STRICT (strict mode)." : "; NON-STRICT only with --strict.";
  out += "</footer>\n</main>\n</body>\n</html>\n";
  return out;
}

}  // namespace provkit::reports
