// The clause catalog of ../shared/CONTRACT.md, contract version 1.
#include "provkit/runtime/contract.hpp"

#include <array>

namespace provkit {
namespace {

constexpr auto R = ClauseGroup::kReadiness;
constexpr auto S = ClauseGroup::kSession;
constexpr auto W = ClauseGroup::kWire;

// id, group, title, strict part, info only, cpp, adapter, server (one clause per line)
// clang-format off
constexpr std::array kClauses = {
    Clause{"R1", R, "Model unset: one GET /health decides", false, false, true, true, false},
    Clause{"R2", R, "Model listed: /health then /models, model verified", false, false, true, true, false},
    Clause{"R3", R, "Health endpoint absent: the listing decides", false, false, true, true, false},
    Clause{"R4", R, "Model not listed: not ready, named; suggestion (strict)", true, false, true, true, false},
    Clause{"R5", R, "Models endpoint error: not ready, its status and message", false, false, true, true, false},
    Clause{"R6", R, "No usable listing: never verified", false, false, true, true, false},
    Clause{"R7", R, "Health 5xx (loading): not ready even when listed (strict)", true, false, true, true, false},
    Clause{"R8", R, "Server unreachable: a value naming the URL, no exception", false, false, true, true, false},
    Clause{"R9", R, "Bounded: hang or trickle ends within the probe budget", false, false, true, true, false},
    Clause{"R10", R, "Malformed or unusual answers never throw or crash", false, false, true, true, false},
    Clause{"R11", R, "The probe sends no prompt", false, false, true, true, false},
    Clause{"R12", R, "Bearer header on both requests; 401/403 reported", false, false, true, true, false},
    Clause{"R13", R, "No probe: ready, unverified, fixed message", false, false, true, true, false},
    Clause{"R14", R, "Cancellation returns promptly as an error", false, false, true, false, false},
    Clause{"R15", R, "Error bodies in every common shape yield their message", false, false, true, true, false},
    Clause{"R16", R, "Listed with a load status: verified, not ready (strict)", true, false, true, true, false},
    Clause{"S1", S, "One provider instance per Session", false, false, true, true, false},
    Clause{"S2", S, "Provider closed exactly once", false, false, true, true, false},
    Clause{"S3", S, "A closed Session rejects every call", false, false, true, true, false},
    Clause{"S4", S, "One-shot calls are single-use Sessions", false, false, true, true, false},
    Clause{"S5", S, "Sequential turns reuse one connection", false, false, true, true, false},
    Clause{"S6", S, "An abandoned stream leaves the Session usable", false, false, true, true, false},
    Clause{"S7", S, "A mid-stream failure raises and leaves the Session usable", false, false, true, true, false},
    Clause{"S8", S, "The done event equals interact's output", false, false, true, true, false},
    Clause{"S9", S, "run_many: prompt order, bounded connections", false, false, true, true, false},
    Clause{"S10", S, "Concurrent calls from several threads are safe", false, false, true, true, false},
    Clause{"S11", S, "Close during a stream ends it promptly", false, false, true, true, false},
    Clause{"W1", W, "GET /health answers 200 with status (404 allowed)", false, false, false, false, true},
    Clause{"W2", W, "GET /models answers an OpenAI model list", false, false, false, false, true},
    Clause{"W3", W, "Unknown model answers 404/400 with an error envelope", false, false, false, false, true},
    Clause{"W4", W, "Streaming: event-stream chunks, [DONE], usage chunk", false, false, false, false, true},
    Clause{"W5", W, "Keep-alive: 20 requests over one connection", false, false, false, false, true},
    Clause{"W6", W, "Latency of /health and /models on one connection", false, true, false, false, true},
    Clause{"W7", W, "Stream errors arrive as data: error events", false, false, false, false, true},
};
// clang-format on

}  // namespace

bool Clause::AppliesTo(SubjectKind kind) const noexcept {
  switch (kind) {
    case SubjectKind::kCpp:
      return applies_to_cpp;
    case SubjectKind::kAdapter:
      return applies_to_adapter;
    case SubjectKind::kServer:
      return applies_to_server;
  }
  return false;
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
