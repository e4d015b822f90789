// The Markdown report: short GitHub Markdown for PR comments and $GITHUB_STEP_SUMMARY.
#pragma once

#include <span>
#include <string>

#include "provkit/reports/report_options.hpp"
#include "provkit/reports/results.hpp"

namespace provkit::reports {

/// GitHub-flavoured Markdown: a totals table per subject, then what gates
/// (failures first, one line each, reasons cut to fit), then the other
/// findings, then the clause matrix folded in a <details> block. All text
/// from the results is escaped so it renders literally. Deterministic.
std::string RenderMarkdown(std::span<const Results> runs, const ReportOptions& options);

}  // namespace provkit::reports
