// The clause catalog of contract version 2 (docs/contract.md).
#include "provkit/runtime/contract.hpp"

#include <array>

namespace provkit {
namespace {

constexpr auto R = ClauseGroup::kReadiness;
constexpr auto S = ClauseGroup::kSession;
constexpr auto W = ClauseGroup::kWire;

// One clause per entry: the words of docs/contract.md (generated from this table by
// `provkit conform --list --format markdown`; a test keeps the two equal).
// clang-format off
constexpr std::array kClauses = {
    Clause{.id = "R1", .group = R, .title = "Model unset: one GET /health decides",
           .requirement = "With no model set the probe sends exactly one request, GET /health. ready iff the status is below 400; status_code is the health status; message is the body's status string, else the error envelope's message, else the trimmed body text, else null; model and model_verified are null.",
           .subjects = kProviderSubjects},
    Clause{.id = "R2", .group = R, .title = "Model listed: /health then /models, model verified",
           .requirement = "With a model set the probe sends GET /health then GET <base>/models, in that order. When the model id is among data[].id: ready = true, model_verified = true, status_code = the models status, message = the health message, else the models message.",
           .subjects = kProviderSubjects},
    Clause{.id = "R3", .group = R, .title = "Health endpoint absent: the listing decides",
           .requirement = "A /health that answers 404, 405 or 501, or 200 with an error envelope (as LM Studio answers every unknown path), does not decide: the models listing does, and the absent endpoint's body contributes no message.",
           .subjects = kProviderSubjects},
    Clause{.id = "R4", .group = R, .title = "Model not listed: not ready, named; suggestion (strict)",
           .requirement = "A model that is not listed: ready = false, model_verified = false, and the message contains 'not listed' and the model id.",
           .strict = "When a listed id differs only by a :tag suffix, an org/ prefix or letter case, the message names that id as a suggestion.",
           .subjects = kProviderSubjects},
    Clause{.id = "R5", .group = R, .title = "Models endpoint error: not ready, its status and message",
           .requirement = "A models endpoint answering >= 400: ready = false, model_verified = false, status_code = the models status, message = the envelope's message text itself (as R15 reads it, never the raw body), else the health message.",
           .subjects = kProviderSubjects},
    Clause{.id = "R6", .group = R, .title = "No usable listing: never verified",
           .requirement = "Model set, health fine, models endpoint absent or unusable: ready = false, model_verified = false. A model is never reported verified without a listing that names it.",
           .subjects = kProviderSubjects},
    Clause{.id = "R7", .group = R, .title = "Health 5xx (loading): not ready even when listed (strict)",
           .requirement = "While /health answers 5xx the probe still returns a value; it never throws.",
           .strict = "A /health answering 503 (or any 5xx), e.g. llama.cpp's Loading model: ready = false even when the model is listed, and the message carries the server's words.",
           .subjects = kProviderSubjects},
    Clause{.id = "R8", .group = R, .title = "Server unreachable: a value naming the URL, no exception",
           .requirement = "Connection refused, a connection accepted then closed or reset before any answer, and a host name that does not resolve: each gives ready = false with no exception, status_code = null, a message that names the URL and says to check that the server is running; model_verified = false when a model is set, else null.",
           .subjects = kProviderSubjects},
    Clause{.id = "R9", .group = R, .title = "Bounded: hang or trickle ends within the probe budget",
           .requirement = "Against a server that accepts and never answers, or trickles bytes, the probe returns ready = false within its budget for the whole probe (both requests together; default 2 s, configurable), with status_code = null and a message that says it timed out.",
           .subjects = kProviderSubjects},
    Clause{.id = "R10", .group = R, .title = "Malformed or unusual answers never throw or crash",
           .requirement = "Non-JSON, JSON of the wrong shape, data null or not a list, ids not strings and bodies over the size limit never throw or crash. Extra fields (llama.cpp's models[] and meta, vLLM's root and max_model_len) and missing created/owned_by are tolerated; an empty or text/plain 200 health body is healthy with a null or text message; a listing that cannot be read does not name the model.",
           .subjects = kProviderSubjects},
    Clause{.id = "R11", .group = R, .title = "The probe sends no prompt",
           .requirement = "The probe sends no request other than the two GETs of R1/R2, and no request body.",
           .subjects = kProviderSubjects},
    Clause{.id = "R12", .group = R, .title = "Bearer header on both requests; 401/403 reported",
           .requirement = "The configured Authorization: Bearer header goes on both requests (the scheme name is case-insensitive). A 401 or 403 from the models endpoint gives ready = false and a message telling a person the credentials were rejected: it names the credentials, the API key, authentication or authorization (the server's own words count).",
           .subjects = kProviderSubjects},
    Clause{.id = "R13", .group = R, .title = "No probe: ready, unverified, fixed message",
           .requirement = "For a provider with no readiness probe, Session::check_ready returns ready = true, model_verified = false, message 'Provider has no explicit readiness probe.'",
           .subjects = kProviderSubjects},
    Clause{.id = "R14", .group = R, .title = "Cancellation returns promptly as an error",
           .requirement = "A probe cancelled from another thread returns within 100 ms and reports the cancellation as an error, not as a not-ready verdict.",
           .subjects = kCppSubjects},
    Clause{.id = "R15", .group = R, .title = "Error bodies in every common shape yield their message",
           .requirement = "Error bodies yield their message text itself, not the raw body or a JSON fragment: nested {\"error\":{\"message\":..}} (OpenAI, llama.cpp, Ollama, LocalAI), flat {\"object\":\"error\",\"message\":..} (older vLLM), string {\"error\":\"..\"} (LM Studio, TGI).",
           .subjects = kProviderSubjects},
    Clause{.id = "R16", .group = R, .title = "Listed with a load status: verified, not ready (strict)",
           .requirement = "A listing whose entries carry a load status is read without an exception; the probe returns a value.",
           .strict = "A listing entry with a load status (llama.cpp router mode: status.value unloaded, loading, sleeping, failed) counts as listed but not ready: ready = false, model_verified = true, and the message names the status.",
           .subjects = kProviderSubjects},
    Clause{.id = "S1", .group = S, .title = "One provider instance per Session",
           .requirement = "A Session creates exactly one provider instance, when it is constructed, and uses it for every call.",
           .subjects = kProviderSubjects},
    Clause{.id = "S2", .group = S, .title = "Provider closed exactly once",
           .requirement = "Ending the session (scope exit or close()) closes the provider exactly once; close() is idempotent; the destructor closes an open session; an error from closing never escapes a destructor.",
           .subjects = kProviderSubjects},
    Clause{.id = "S3", .group = S, .title = "A closed Session rejects every call",
           .requirement = "After close every call fails with a configuration error (kind session_closed over the adapter protocol) whose message contains 'Session is closed', and the provider receives no call.",
           .strict = "The message is exactly 'Session is closed' and the hint is 'Create a new Session for additional interactions.'",
           .subjects = kProviderSubjects},
    Clause{.id = "S4", .group = S, .title = "One-shot calls are single-use Sessions",
           .requirement = "The one-shot interact, stream, run_many and check_ready each create one instance and close it exactly once, also when the call fails, and return what a Session would for the same server answers.",
           .subjects = kProviderSubjects},
    Clause{.id = "S5", .group = S, .title = "Sequential turns reuse one connection",
           .requirement = "N sequential turns in one Session reach the server over one TCP connection (counted by the server); N one-shot calls open N.",
           .subjects = kProviderSubjects},
    Clause{.id = "S6", .group = S, .title = "An abandoned stream leaves the Session usable",
           .requirement = "A consumer that stops reading a stream midway leaves the session usable: the next turn succeeds, and at most one replacement connection is opened.",
           .subjects = kProviderSubjects},
    Clause{.id = "S7", .group = S, .title = "A mid-stream failure raises and leaves the Session usable",
           .requirement = "A mid-stream failure (error envelope in the stream, dropped connection, malformed chunk) raises from the stream, never yields done, and leaves the session usable for the next turn.",
           .subjects = kProviderSubjects},
    Clause{.id = "S8", .group = S, .title = "The done event equals interact's output",
           .requirement = "The done event's output equals what interact returns for the same server answer: text, reasoning, tool calls, usage and finish reason.",
           .subjects = kProviderSubjects},
    Clause{.id = "S9", .group = S, .title = "run_many: prompt order, bounded connections",
           .requirement = "run_many returns outputs in prompt order, and at most the configured concurrency of connections is open at once.",
           .subjects = kProviderSubjects},
    Clause{.id = "S10", .group = S, .title = "Concurrent calls from several threads are safe",
           .requirement = "Concurrent calls into one Session from several threads are safe and all complete.",
           .subjects = kProviderSubjects},
    Clause{.id = "S11", .group = S, .title = "Close during a stream ends it promptly",
           .requirement = "Closing a session while a stream is in flight ends that stream with an error within 100 ms; nothing hangs.",
           .subjects = kProviderSubjects},
    Clause{.id = "S12", .group = S, .title = "Provider options reach the provider scoped by its name",
           .requirement = "The options under the provider's own name are merged into its request body as given, and no other provider's scope reaches the server. LocalReasoning(enabled) is {\"local\":{\"chat_template_kwargs\":{\"enable_thinking\":enabled}}}, so the local provider sends chat_template_kwargs.enable_thinking with that value, true or false, in interact, stream and run_many. An option that would replace a field the provider manages (model, messages, stream, stream_options) fails with a configuration error before any request is sent.",
           .subjects = kProviderSubjects, .since = 2},
    Clause{.id = "W1", .group = W, .title = "GET /health of a ready server answers 200",
           .requirement = "GET /health answers 200 with a JSON object carrying status, or an empty or text/plain body (vLLM, SGLang, TGI). An absent endpoint (404, 405, 501, or a 200 holding an error envelope) is allowed: INFO, the probe falls back to the listing. A 5xx while the listing names the model is a FAIL.",
           .subjects = kServerSubjects},
    Clause{.id = "W2", .group = W, .title = "GET /models answers an OpenAI model list",
           .requirement = "GET <base>/models answers 200 with {\"object\":\"list\",\"data\":[{\"id\":<string>,\"object\":\"model\",...}]}.",
           .subjects = kServerSubjects},
    Clause{.id = "W3", .group = W, .title = "Chat succeeds for a listed model; unknown model refused (strict)",
           .requirement = "A chat completion naming a listed model succeeds (the control request); a chat endpoint that refuses every request is a FAIL.",
           .strict = "A chat completion naming a model the server does not list answers 404 or 400 with an error envelope whose message names the model or says it was not found, not 200.",
           .subjects = kServerSubjects},
    Clause{.id = "W4", .group = W, .title = "Streaming: event-stream chunks, [DONE], usage chunk",
           .requirement = "stream: true answers Content-Type: text/event-stream, data: lines holding chat.completion.chunk objects, ending with data: [DONE]; with stream_options.include_usage a last chunk carries usage and empty choices.",
           .subjects = kServerSubjects},
    Clause{.id = "W5", .group = W, .title = "Keep-alive: 20 requests over one connection",
           .requirement = "At least 20 sequential requests succeed over one HTTP/1.1 connection.",
           .subjects = kServerSubjects},
    Clause{.id = "W6", .group = W, .title = "Latency of /health and /models on one connection",
           .requirement = "Median and p99 latency of /health and /models over 50 requests on one connection.",
           .subjects = kServerSubjects, .info_only = true},
    Clause{.id = "W7", .group = W, .title = "Stream errors: refused streams answer an HTTP error",
           .requirement = "A streamed request the server refuses before generating (no messages, a body that is not JSON) answers an HTTP error status with an error envelope, not a 200 event stream. An error after streaming began arrives as a data: event holding an error envelope (INFO whether [DONE] follows); a live server cannot be made to fail mid-stream on demand, so against a URL only the first part is judged.",
           .subjects = kServerSubjects},
};
// clang-format on

}  // namespace

bool Clause::AppliesTo(SubjectKind kind) const noexcept { return (subjects & MaskOf(kind)) != 0; }

SubjectMask MaskOf(SubjectKind kind) noexcept {
  switch (kind) {
    case SubjectKind::kCpp:
      return kCppSubjects;
    case SubjectKind::kAdapter:
      return kAdapterSubjects;
    case SubjectKind::kServer:
      return kServerSubjects;
  }
  return 0;
}

std::span<const Clause> Clauses() noexcept { return kClauses; }

const Clause* FindClause(std::string_view id) noexcept {
  for (const Clause& clause : kClauses) {
    if (clause.id == id) return &clause;
  }
  return nullptr;
}

std::string_view GroupLetter(ClauseGroup group) noexcept {
  switch (group) {
    case ClauseGroup::kReadiness:
      return "R";
    case ClauseGroup::kSession:
      return "S";
    case ClauseGroup::kWire:
      return "W";
  }
  return "?";
}

std::string_view GroupTitle(ClauseGroup group) noexcept {
  switch (group) {
    case ClauseGroup::kReadiness:
      return "Readiness probe";
    case ClauseGroup::kSession:
      return "Session reuse";
    case ClauseGroup::kWire:
      return "Wire behaviour of a live server";
  }
  return "?";
}

std::string_view SubjectKindName(SubjectKind kind) noexcept {
  switch (kind) {
    case SubjectKind::kCpp:
      return "cpp";
    case SubjectKind::kAdapter:
      return "adapter";
    case SubjectKind::kServer:
      return "server";
  }
  return "?";
}

std::optional<SubjectKind> ParseSubjectKind(std::string_view name) noexcept {
  for (auto kind : {SubjectKind::kCpp, SubjectKind::kAdapter, SubjectKind::kServer}) {
    if (SubjectKindName(kind) == name) return kind;
  }
  return std::nullopt;
}

std::string_view VerdictName(Verdict verdict) noexcept {
  switch (verdict) {
    case Verdict::kPass:
      return "PASS";
    case Verdict::kInfo:
      return "INFO";
    case Verdict::kSkip:
      return "SKIP";
    case Verdict::kNonStrict:
      return "NON-STRICT";
    case Verdict::kFail:
      return "FAIL";
    case Verdict::kError:
      return "ERROR";
  }
  return "?";
}

std::optional<Verdict> ParseVerdict(std::string_view name) noexcept {
  for (auto verdict : {Verdict::kPass, Verdict::kInfo, Verdict::kSkip, Verdict::kNonStrict,
                       Verdict::kFail, Verdict::kError}) {
    if (VerdictName(verdict) == name) return verdict;
  }
  return std::nullopt;
}

bool Gates(Verdict verdict, bool strict) noexcept {
  return verdict == Verdict::kFail || verdict == Verdict::kError ||
         (strict && verdict == Verdict::kNonStrict);
}

}  // namespace provkit
