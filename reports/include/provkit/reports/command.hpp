// `provkit report`: the command-line front of this library (html, md, junit, diff, badge, merge).
#pragma once

#include <ostream>
#include <span>
#include <string>

namespace provkit::reports {

/// Runs `provkit report SUBCOMMAND ...`; `args[0]` is "report". Reports go to
/// the files named by -o (written through a temporary file and a rename) or
/// to `out`; messages and usage go to `err`. Returns 0 on success, 1 when
/// `diff` finds a regression, 2 for bad flags or arguments and for results or
/// baseline files that cannot be read (the message names the file). The
/// report time is NowTimestamp(), so $SOURCE_DATE_EPOCH pins it. Never throws
/// for bad input. A usage error prints the message and one usage line. `version_line`, when
/// not empty, enables `--version` on the command and every subcommand.
int RunReportCommand(std::span<const std::string> args, std::ostream& out, std::ostream& err,
                     const std::string& version_line = {});

}  // namespace provkit::reports
