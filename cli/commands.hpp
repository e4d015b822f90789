// The provkit subcommands: each takes the arguments after its name and returns an exit code.
#pragma once

#include <pthread.h>
#include <signal.h>

#include <string>

#include "provkit/runtime/contract.hpp"
#include "provkit/support/flags.hpp"
#include "provkit/support/version.hpp"

namespace provkit::cli {

/// Exit codes shared by every subcommand.
inline constexpr int kExitOk = 0;
/// The thing checked is not OK (not ready, contract failures).
inline constexpr int kExitFailure = 1;
/// Bad flags or arguments, or a harness error.
inline constexpr int kExitUsage = support::kExitUsage;

/// What `--version` prints for provkit and every subcommand: "provkit 0.2.0 (contract version 2)".
inline std::string VersionLine() { return support::VersionLine(kContractVersion); }

/// A flag parser for `command` ("provkit mock") with --version enabled.
inline support::FlagParser NewFlagParser(std::string command, std::string usage) {
  support::FlagParser parser(std::move(command), std::move(usage));
  parser.Version(VersionLine());
  return parser;
}

/// Blocks SIGINT and SIGTERM in this thread (and so in every thread started after it) and returns
/// the set, for the one sigwait of a command that serves until it is stopped (mock, record).
inline sigset_t BlockStopSignals() {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  return stop_signals;
}

int MockCommand(int argc, char** argv);  ///< provkit mock: run the mock local server.
int ReportCommand(int argc,
                  char** argv);  ///< provkit report: HTML, Markdown, JUnit, diff, badge, merge.
int ConformCommand(int argc, char** argv);  ///< provkit conform: judge a subject clause by clause.
int CheckCommand(int argc, char** argv);   ///< provkit check: readiness preflight of a live server.
int RecordCommand(int argc, char** argv);  ///< provkit record: a recording proxy for cassettes.

}  // namespace provkit::cli
