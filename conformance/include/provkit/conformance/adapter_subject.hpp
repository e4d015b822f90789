// AdapterSubject: a provider in any language, driven as a process over the JSON-lines protocol of
// docs/adapter-protocol.md.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "provkit/conformance/subject.hpp"

namespace provkit::conformance {

/// How to run an adapter.
struct AdapterOptions {
  /// The command line, run by /bin/sh -c in its own process group.
  std::string command;
  /// The longest one step may take before the clause is an ERROR.
  std::chrono::milliseconds step_timeout{10000};
  /// How long the adapter gets to exit after `shutdown` before its group is killed.
  std::chrono::milliseconds shutdown_grace{2000};
  /// Longest accepted line; a longer one is a protocol violation.
  std::size_t max_line_bytes = std::size_t{4} << 20;
  /// Most output accepted from one adapter process (flooding is a protocol violation).
  std::size_t max_output_bytes = std::size_t{64} << 20;
  /// A fresh adapter process for every clause (`--isolate`). Off: one process serves the whole
  /// run, each clause in fresh sessions with counters read as deltas, and a new process starts
  /// only after a crash, a step that timed out, a protocol violation or another harness error.
  bool isolate = false;
};

/// One adapter process: started by the constructor (which performs the
/// `hello` handshake), killed with its whole process group by the destructor.
/// Throws HarnessError when the process cannot start or the handshake fails.
/// Calls are thread-safe when the adapter declares `concurrent`; otherwise
/// they are serialised. Every step is bounded by `step_timeout`.
class AdapterSubject final : public Subject {
 public:
  explicit AdapterSubject(AdapterOptions options);
  ~AdapterSubject() override;

  std::string Name() const override;
  Capabilities GetCapabilities() const override;
  std::unique_ptr<SubjectSession> Open(const Config& config, bool readiness_probe = true) override;
  OneShotResult OneShot(OneShotCall call, const Config& config, const OneShotArgs& args) override;
  SubjectCounters Counters() override;

  /// Marks the process untrusted: the factory starts a new one for the next clause.
  void Retire() override;
  /// Whether another clause may use this process (see AdapterOptions::isolate).
  bool Reusable() const;

  /// The last lines the adapter wrote to stderr, for evidence.
  std::string StderrTail() const;

  class Process;

 private:
  friend SubjectFactory AdapterSubjectFactory(AdapterOptions options);
  /// Another subject on the same running process (the factory's reuse).
  AdapterSubject(const AdapterSubject& running);
  void Hello();

  std::shared_ptr<Process> process_;
  std::string name_;
  Capabilities capabilities_;
};

/// A factory of adapter subjects: one process for the run, or one per clause with `isolate`.
SubjectFactory AdapterSubjectFactory(AdapterOptions options);

}  // namespace provkit::conformance
