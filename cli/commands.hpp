// The provkit subcommands: each takes the arguments after its name and returns an exit code.
#pragma once

namespace provkit::cli {

/// Exit codes shared by every subcommand.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure =
    1;  ///< The thing checked is not OK (not ready, contract failures).
inline constexpr int kExitUsage = 2;  ///< Bad flags or arguments, or a harness error.

int MockCommand(int argc, char** argv);  // provkit mock: run the mock local server.
int ReportCommand(int argc,
                  char** argv);  // provkit report: HTML, Markdown, JUnit, diff, badge, merge.
int ConformCommand(int argc, char** argv);  // provkit conform: judge a subject clause by clause.
int CheckCommand(int argc, char** argv);    // provkit check: readiness preflight of a live server.

}  // namespace provkit::cli
