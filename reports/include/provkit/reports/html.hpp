// The HTML report: one self-contained page, a clause-by-subject matrix with evidence.
#pragma once

#include <span>
#include <string>

#include "provkit/reports/report_options.hpp"
#include "provkit/reports/results.hpp"

namespace provkit::reports {

/// One HTML5 document comparing `runs` side by side: a header (provkit
/// version, time, totals), the summary per subject, the failures with one-line
/// reasons, the matrix (element id "matrix": clauses as rows grouped R/S/W,
/// subjects as columns, coloured verdicts linking to their evidence), then the
/// evidence of every verdict (anchor "e<run>-<clause>", e.g. "e0-R4").
/// Inline CSS only: no script, no font or image is fetched, and a
/// Content-Security-Policy forbids both. All text from the results is escaped.
/// Deterministic for equal inputs. Never throws except std::bad_alloc.
std::string RenderHtml(std::span<const Results> runs, const ReportOptions& options);

}  // namespace provkit::reports
