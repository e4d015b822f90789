// Subject: what the conformance suite judges, seen through one interface (a C++ provider or an
// adapter process).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <utility>
#include <vector>

#include "provkit/runtime/config.hpp"
#include "provkit/runtime/interaction.hpp"
#include "provkit/runtime/readiness.hpp"
#include "provkit/runtime/stream.hpp"

namespace provkit::conformance {

/// What a subject declares it supports. A clause that needs a capability the
/// subject lacks is SKIPped with the reason naming it; SKIP is never a pass.
struct Capabilities {
  bool readiness = true;       ///< Has a readiness probe (R1-R12, R14-R16).
  bool streaming = true;       ///< Implements streaming (S6-S8, S11).
  bool tools = true;           ///< Passes tool calls through (part of S8).
  bool run_many = true;        ///< Implements run_many (S9).
  bool one_shot = true;        ///< Has one-shot calls (S4).
  bool concurrent = true;      ///< Calls may overlap: several threads, close in flight (S10, S11).
  bool probe_optional = true;  ///< A session can be built without the probe (R13).
  bool cancellation = true;    ///< A probe can be cancelled through a stop token (R14).
  /// The API dialects the provider can speak (see Dialects()); an adapter declares them in
  /// hello's capabilities.dialects, default ["chat"]. Not part of ToMap().
  std::vector<std::string> dialects{"chat"};

  /// {"readiness": true, ...}: the form results files record.
  std::map<std::string, bool> ToMap() const;
};

/// Counted at the provider boundary over the subject's life (or, for an
/// adapter, the adapter process's life).
struct SubjectCounters {
  std::int64_t instances_created = 0;
  std::int64_t instances_closed = 0;   ///< Close calls providers received.
  std::int64_t calls_after_close = 0;  ///< Calls a provider received after its Close.
};

/// A failure the subject reported for a call: the thing clauses judge
/// (S3's closed-session error, R14's cancellation, a stream failure).
struct SubjectError : std::runtime_error {
  SubjectError(std::string error_kind, const std::string& error_message,
               std::string error_hint = {}, std::optional<int> error_status = std::nullopt)
      : std::runtime_error(error_message),
        kind(std::move(error_kind)),
        hint(std::move(error_hint)),
        status_code(error_status) {}
  /// A stable id of provkit::ErrorKinds() ("session_closed", "cancelled", ...),
  /// "unsupported" when the subject does not implement the call, or
  /// "exception" for an exception that is not a provkit::Error.
  std::string kind;
  std::string hint;
  std::optional<int> status_code;
};

/// The harness could not get an answer: the adapter crashed, hung past its
/// step deadline or broke the protocol. The clause becomes ERROR, never FAIL.
struct HarnessError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// How a streamed turn ended, as the harness saw it.
struct StreamOutcome {
  std::vector<StreamEvent> events;    ///< Every event but kDone, in order.
  std::optional<Output> done;         ///< The kDone output, when the stream completed.
  std::optional<SubjectError> error;  ///< Set when the stream (or the call) failed.
  bool abandoned = false;             ///< The harness stopped reading after `stop_after` events.
};

/// Called for each stream event as it arrives, on a harness thread.
using EventCallback = std::function<void(const StreamEvent&)>;

/// One open session of a subject. Calls throw SubjectError for failures the
/// subject reports and HarnessError when the harness gets no usable answer.
/// Thread-safe when the subject declares `concurrent`.
class SubjectSession {
 public:
  virtual ~SubjectSession() = default;
  /// check_ready of the configured model.
  virtual ProviderReadiness CheckReady(std::stop_token stop = {}) = 0;
  /// check_ready of `model` (nullopt: no model) instead of the configured one.
  virtual ProviderReadiness CheckReadyOf(const std::optional<std::string>& model) = 0;
  virtual Output Interact(const Environment& environment, const Input& input,
                          const Requirements& requirements) = 0;
  /// Streams a turn. With `stop_after`, stops reading after that many events
  /// and abandons the stream. Failures of the stream land in the outcome;
  /// only harness failures throw.
  virtual StreamOutcome Stream(const Environment& environment, const Input& input,
                               const Requirements& requirements, std::optional<int> stop_after = {},
                               const EventCallback& on_event = {}) = 0;
  virtual std::vector<Output> RunMany(const Environment& environment,
                                      const std::vector<Input>& inputs,
                                      const Requirements& requirements, int concurrency) = 0;
  /// Ends the session explicitly.
  virtual void Close() = 0;
  /// Ends the session the implicit way: scope exit, a destructor, `with`.
  virtual void Drop() = 0;
};

/// A one-shot call: a single-use session.
enum class OneShotCall { kInteract, kStream, kRunMany, kCheckReady };

/// The arguments of a one-shot call; which are used depends on the call.
struct OneShotArgs {
  Environment environment;
  Input input;
  std::vector<Input> inputs;
  Requirements requirements;
  int concurrency = 2;
  /// kStream: stop reading after this many events and abandon the stream, as a caller that
  /// `break`s out of its loop does; the outcome is then `abandoned`.
  std::optional<int> stop_after;
};

/// The answer of a one-shot call: the field of its kind is set.
struct OneShotResult {
  std::optional<Output> output;
  std::vector<Output> outputs;
  std::optional<ProviderReadiness> readiness;
  std::optional<StreamOutcome> stream;
};

/// Something the suite can judge. Each clause gets a fresh Subject from a
/// factory, so counters start at zero.
class Subject {
 public:
  virtual ~Subject() = default;
  /// Short name for reports ("local-reference", "python-example").
  virtual std::string Name() const = 0;
  virtual Capabilities GetCapabilities() const = 0;
  /// Opens a session: constructs exactly one provider instance (S1). With
  /// `readiness_probe` false, the session's provider has no probe (R13).
  virtual std::unique_ptr<SubjectSession> Open(const Config& config,
                                               bool readiness_probe = true) = 0;
  virtual OneShotResult OneShot(OneShotCall call, const Config& config,
                                const OneShotArgs& args) = 0;
  virtual SubjectCounters Counters() = 0;
  /// Called when a clause of this subject ended in a harness error: a subject that is shared
  /// between clauses (an adapter process) must not be reused after it. Default: nothing.
  virtual void Retire() {}
};

/// Makes a fresh subject for one clause. May throw HarnessError (the clause is ERROR).
using SubjectFactory = std::function<std::unique_ptr<Subject>()>;

}  // namespace provkit::conformance
