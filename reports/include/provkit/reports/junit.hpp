// The JUnit XML report: one testsuite per subject, one testcase per clause, for CI test UIs.
#pragma once

#include <span>
#include <string>

#include "provkit/reports/report_options.hpp"
#include "provkit/reports/results.hpp"

namespace provkit::reports {

/// JUnit XML (the common Ant/Surefire dialect read by GitHub, GitLab and
/// Jenkins): a <testsuites> holding one <testsuite> per run and one
/// <testcase> per clause result. FAIL is a <failure>, ERROR an <error>, SKIP
/// <skipped>; PASS and INFO pass; NON-STRICT passes with a "verdict"
/// property (a <failure> under options.strict). Baselined FAIL/ERROR are
/// <skipped> with the baseline's reason; a stale baseline entry is a
/// <failure>; an incomplete run (clauses not run, nothing judged) adds a
/// "coverage" testcase with an <error>. So the XML gates exactly as
/// Summary::Gates() does. Text is escaped; characters XML cannot carry are
/// replaced by U+FFFD. Deterministic.
std::string RenderJunit(std::span<const Results> runs, const ReportOptions& options);

}  // namespace provkit::reports
