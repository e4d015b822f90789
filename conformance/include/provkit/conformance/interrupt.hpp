// Interrupted runs: SIGINT and SIGTERM stop a run between clauses, kill the adapter processes at
// once (their whole process groups) and leave the results judged so far.
#pragma once

#include <sys/types.h>

#include <string>

namespace provkit::conformance {

/// Installs SIGINT and SIGTERM handlers for this process. The first signal kills every adapter
/// process group the harness has started (RegisterProcessGroup) and marks the run interrupted:
/// RunSubject stops before the next clause and the caller writes what was judged (exit
/// 128 + signal). A second signal ends the process at once, with the default action.
void InstallInterruptHandlers();

/// The signal that interrupted the run, or 0.
int InterruptSignal() noexcept;

/// "SIGINT", "SIGTERM", or "signal N".
std::string SignalName(int signal);

/// For tests: as if `signal` had arrived (kills the registered groups too).
void Interrupt(int signal) noexcept;
/// For tests: forget an interruption.
void ClearInterrupt() noexcept;

/// An adapter's process group, killed on interruption; up to 64 at once (the rest are killed
/// by their subjects as usual). Async-signal-safe bookkeeping: lock-free atomics only.
void RegisterProcessGroup(pid_t group) noexcept;
void UnregisterProcessGroup(pid_t group) noexcept;

}  // namespace provkit::conformance
