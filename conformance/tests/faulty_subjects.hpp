// Deliberately faulty subjects: providers wrapping the local provider, and a hand-rolled session,
// each breaking one rule.
#pragma once

#include <httplib.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <vector>

#include "provkit/conformance/provider_subject.hpp"
#include "provkit/conformance/subject.hpp"
#include "provkit/runtime/error.hpp"
#include "provkit/runtime/local_provider.hpp"
#include "provkit/runtime/readiness.hpp"

namespace provkit::conformance::testing {

/// What a wrapped provider gets wrong.
enum class ProviderFault {
  kNone,
  kNewConnectionEveryTurn,  // S5: a fresh client (and TCP connection) per turn
  kNeverCloses,             // S2: Close() releases nothing
  kThrowsWhenServerDown,    // R8: an exception instead of a not-ready value
  kTrustsListing,           // R7, R16: ready whenever the listing names the model
  kNoProbeTimeout,          // R9: ignores the probe budget
  kVerifiedWithoutListing,  // R6: claims the model is verified when it cannot know
  kDoneDiffers,             // S8: done drops usage and reasoning
  kModelUnsetListsModels,   // R1: probes the listing even without a model
  kForgetsModel,            // R2: model = null in the record
  kHealthMustAnswer,        // R3: treats an absent /health as not ready
  kNoSuggestion,            // R4 strict: never suggests a near miss
  kVagueNotListed,          // R4: "not ready" without naming the model
  kDropsStatus,             // R5: status_code = null
  kThrowsOnOddBodies,       // R10: parses the listing with a throwing parser
  kProbeSendsPrompt,        // R11: "pings" the model with a chat turn
  kNoAuthHeader,            // R12: forgets the API key
  kIgnoresCancellation,     // R14: drops the stop token
  kGenericErrorMessage,     // R15: "HTTP error" instead of the server's message
  kAbandonKillsSession,     // S6: an abandoned stream closes the provider
  kSwallowsStreamErrors,    // S7: a failed stream ends with done
  kNotThreadSafe,           // S10: concurrent calls throw
  kIgnoresProviderOptions,  // S12: provider options never reach the server
  kMergesEveryScope,        // S12: every provider's scope is merged, not only its own
  kThinkingOnlyWhenTrue,    // S12: LocalReasoning(false) sends nothing
  kDropsManagedFields,      // S12: managed fields are silently dropped, not refused
  kRawBodyMessage,          // R5, R15: the raw error body as the message
  kUrlOnlyWhenRefused,      // R8: names the URL for a refused connection only
  kBudgetPerRequest,        // R9: the budget applies to each request, not to the whole probe
  kLastArgumentFragment,    // S8: a streamed tool call keeps only its last argument fragment
};

/// The local provider with `fault` applied.
ProviderFactory FaultyProvider(ProviderFault fault);

/// The registered provider `name` ("openai", "anthropic"; no readiness probe) with a stream
/// fault applied: kSwallowsStreamErrors, kDoneDiffers or kLastArgumentFragment.
ProviderFactory FaultyCloudProvider(ProviderFault fault, const std::string& name);

/// What a hand-rolled session (not provkit::Session) gets wrong.
struct SessionFaults {
  bool close_twice = false;               // S2
  bool works_after_close = false;         // S3
  bool provider_per_call = false;         // S1
  bool one_shot_leaks = false;            // S4
  bool abandoned_one_shot_leaks = false;  // S4: a one-shot stream abandoned early is never closed
  bool run_many_reversed = false;         // S9
  bool wrong_no_probe_answer = false;     // R13
  bool close_keeps_streams = false;       // S11
  bool closed_message_prefixed = false;   // S3 strict: "MyLib Session is closed"
};

/// A Subject imitating a session over the local provider, with `faults`. With
/// no faults it is a correct subject (the control of the faulty-subject tests).
SubjectFactory HandRolledSubject(SessionFaults faults);

}  // namespace provkit::conformance::testing
