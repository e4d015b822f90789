// The readiness-probe checks, R1-R16: each puts the mock server into the clause's scenario and
// judges the probe.
#include <chrono>
#include <map>
#include <stop_token>
#include <thread>

#include "clause_run.hpp"
#include "provkit/runtime/readiness.hpp"
#include "raw_listener.hpp"

namespace provkit::conformance::internal {
namespace {

using mock::Endpoint;
using mock::MalformedVariant;
using mock::Model;
using mock::Profile;
using mock::Scenario;
using namespace std::chrono_literals;

/// What one probe call gave.
struct ProbeOutcome {
  std::optional<ProviderReadiness> readiness;
  std::optional<SubjectError> error;
  double ms = 0;
  bool timed_out = false;
};

/// Runs check_ready (the configured model, or `model` when given) bounded by
/// the budget, its tolerance and the grace; stops `server` when that passes.
ProbeOutcome Probe(ClauseRun& run, mock::Server& server,
                   const std::shared_ptr<SubjectSession>& session,
                   std::optional<std::optional<std::string>> model = std::nullopt) {
  const JudgeOptions& options = run.options();
  std::function<ProviderReadiness()> call = [session, model] {
    return model ? session->CheckReadyOf(*model) : session->CheckReady();
  };
  Bounded<ProviderReadiness> bounded = CallBounded<ProviderReadiness>(
      std::move(call), options.probe_budget + options.budget_tolerance + options.call_grace,
      [&server] { server.Stop(); });
  if (bounded.harness_error) throw HarnessError(*bounded.harness_error);
  return {bounded.value, bounded.error, bounded.elapsed_ms, bounded.timed_out};
}

/// The readiness record, or nullptr after recording why there is none (a FAIL:
/// the probe threw or never returned).
const ProviderReadiness* Got(ClauseRun& run, const ProbeOutcome& probe) {
  if (probe.readiness) {
    run.Observe("readiness " + Describe(*probe.readiness));
    return &*probe.readiness;
  }
  if (probe.error) {
    run.Require(false, "check_ready returns not-ready states as a value, never throws",
                "it threw " + Describe(*probe.error));
  } else {
    run.Require(false, "check_ready returns",
                "no answer after " + std::to_string(static_cast<long>(probe.ms)) + " ms");
  }
  return nullptr;
}

bool NeedProbe(ClauseRun& run) {
  if (run.capabilities().readiness) return true;
  run.Skip("the subject declares no readiness probe");
  return false;
}

std::string Str(std::optional<int> value) { return value ? std::to_string(*value) : "null"; }
std::string Str(std::optional<bool> value) { return value ? (*value ? "true" : "false") : "null"; }
std::string Str(bool value) { return value ? "true" : "false"; }

std::string Requests(const std::vector<mock::JournalEntry>& journal) {
  std::string text;
  for (const auto& entry : journal) {
    text += (text.empty() ? "" : ", ") + entry.method + " " + entry.path;
  }
  return text.empty() ? "no request" : text;
}

/// Opens a session configured with `model` on `server`, clears the journal, probes.
ProbeOutcome OpenAndProbe(ClauseRun& run, mock::Server& server, std::optional<std::string> model) {
  auto session = run.OpenWith(run.ConfigFor(server, std::move(model)));
  server.ResetJournal();
  ProbeOutcome probe = Probe(run, server, session);
  run.RecordJournal(server);
  try {
    session->Close();
  } catch (const SubjectError&) {
    // Closing is judged by S2, not here.
  }
  return probe;
}

/// `text` without the white space around it.
std::string_view Trimmed(std::string_view text) {
  const std::size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return {};
  return text.substr(begin, text.find_last_not_of(" \t\r\n") - begin + 1);
}

/// A message that quotes JSON rather than saying what the JSON says.
bool HasJsonFragment(std::string_view message) {
  for (const std::string_view fragment : {"{\"", "\":", "\"error\"", "\"message\""}) {
    if (message.find(fragment) != std::string_view::npos) return true;
  }
  return false;
}

/// R5 and R15: the message is the error envelope's text itself (what ErrorBodyMessage reads from
/// the raw body), not the raw body and not a JSON fragment of it. Context around the text, such
/// as "HTTP 500: ", is allowed.
void RequireEnvelopeText(ClauseRun& run, const std::optional<std::string>& message,
                         const std::string& expected, const std::string& raw_body) {
  const std::string text = message.value_or("");
  run.Require(text.find(expected) != std::string::npos,
              "message carries the envelope's text \"" + expected + "\"", Quote(message));
  run.Require(!HasJsonFragment(text) && text.find(raw_body) == std::string::npos,
              "message is that text itself, not the raw body " + raw_body + " or a JSON fragment",
              Quote(message));
}

void NotReadyUnverified(ClauseRun& run, const ProviderReadiness& r) {
  run.Require(!r.ready, "ready = false", Str(r.ready));
  run.Require(r.model_verified == false, "model_verified = false", Str(r.model_verified));
}

// ---------------------------------------------------------------------------------------------

void CheckR1(ClauseRun& run) {
  if (!NeedProbe(run)) return;
  mock::Server& server = run.NewServer();
  struct Case {
    const char* name;
    Scenario scenario;
    bool ready;
    int status;
    const char* message;   // nullptr: the envelope's message, as the mock words it
    bool no_body = false;  // an empty body: message = null
  };
  // Without a model /health alone decides, so an absent one (404) is not ready: "ready iff
  // status < 400", not "ready unless 5xx" or "unless 503", and not "ready iff 200".
  for (const Case& c :
       {Case{"healthy, model unset", Scenario::Healthy(), true, 200, "ok"},
        Case{"health 204 without a body, model unset", Scenario::Healthy(204), true, 204, "", true},
        Case{"loading, model unset", Scenario::Loading(0), false, 503, "Loading model"},
        Case{"no /health (404), model unset", Scenario::NoHealth(), false, 404, nullptr},
        Case{"health 500, model unset", Scenario::NoHealth(500), false, 500, nullptr}}) {
    run.Case(c.name);
    server.SetScenario(c.scenario);
    std::string message = c.message != nullptr ? c.message : "";
    if (c.message == nullptr) {
      const auto raw = FetchRaw(server, "/health", run.options().api_key);
      const std::optional<std::string> text = raw ? ErrorBodyMessage(raw->second) : std::nullopt;
      if (!text) throw HarnessError("the mock server's /health error carried no message");
      message = *text;
    }
    ProbeOutcome probe = OpenAndProbe(run, server, std::nullopt);
    const auto journal = server.journal();
    run.Count("the probe sent", static_cast<std::int64_t>(journal.size()), 1, "request");
    run.Require(!journal.empty() && journal[0].method == "GET" && journal[0].path == "/health",
                "the one request is GET /health", Requests(journal));
    if (const ProviderReadiness* r = Got(run, probe)) {
      run.Require(r->ready == c.ready, std::string("ready = ") + Str(c.ready), Str(r->ready));
      run.Require(r->status_code == c.status, "status_code = " + std::to_string(c.status),
                  Str(r->status_code));
      if (c.no_body) {
        run.Require(!r->message.has_value(), "message = null (no body)", Quote(r->message));
      } else {
        run.Require(r->message == message, "message = \"" + message + "\"", Quote(r->message));
      }
      run.Require(!r->model.has_value(), "model = null", Quote(r->model));
      run.Require(!r->model_verified.has_value(), "model_verified = null", Str(r->model_verified));
    }
  }
}

void CheckR2(ClauseRun& run) {
  if (!NeedProbe(run)) return;
  mock::Server& server = run.NewServer();
  run.Case("model listed");
  ProbeOutcome probe = OpenAndProbe(run, server, run.options().model);
  const auto journal = server.journal();
  run.Count("the probe sent", static_cast<std::int64_t>(journal.size()), 2, "request");
  run.Require(journal.size() >= 2 && journal[0].method == "GET" && journal[0].path == "/health" &&
                  journal[1].method == "GET" && journal[1].path == "/v1/models",
              "GET /health, then GET /v1/models", Requests(journal));
  if (const ProviderReadiness* r = Got(run, probe)) {
    run.Require(r->ready, "ready = true", Str(r->ready));
    run.Require(r->model_verified == true, "model_verified = true", Str(r->model_verified));
    run.Require(r->status_code == 200, "status_code = the models status 200", Str(r->status_code));
    run.Require(r->message == std::string("ok"), "message = the health message \"ok\"",
                Quote(r->message));
    run.Require(r->model == run.options().model, "model = \"" + run.options().model + "\"",
                Quote(r->model));
  }
}

void CheckR3(ClauseRun& run) {
  if (!NeedProbe(run)) return;
  struct Case {
    const char* name;
    Profile profile;
    int health_status;  // 0: the profile's own /health
  };
  for (const Case& c :
       {Case{"health 404", Profile::kOpenAi, 404}, Case{"health 405", Profile::kOpenAi, 405},
        Case{"health 501", Profile::kOpenAi, 501}, Case{"ollama profile", Profile::kOllama, 0},
        Case{"lmstudio profile", Profile::kLmStudio, 0}}) {
    run.Case(c.name);
    mock::ServerOptions server_options = run.ServerDefaults();
    server_options.profile = c.profile;
    mock::Server& server = run.NewServer(server_options);
    if (c.health_status != 0) server.SetScenario(Scenario::NoHealth(c.health_status));
    // What the absent endpoint says ("Unknown request URL", "404 page not found") must not
    // become the message of a verdict the listing made.
    const auto absent = FetchRaw(server, "/health", run.options().api_key);
    if (!absent) throw HarnessError("the mock server's /health could not be read directly");
    const std::string absent_text =
        ErrorBodyMessage(absent->second).value_or(std::string(Trimmed(absent->second)));
    ProbeOutcome probe = OpenAndProbe(run, server, run.options().model);
    const auto journal = server.journal();
    run.Require(journal.size() == 2 && journal[1].path == "/v1/models",
                "GET /health (absent), then GET /v1/models", Requests(journal));
    if (const ProviderReadiness* r = Got(run, probe)) {
      run.Require(r->ready, "ready = true: the listing names the model", Str(r->ready));
      run.Require(r->model_verified == true, "model_verified = true", Str(r->model_verified));
      run.Require(
          absent_text.empty() || r->message.value_or("").find(absent_text) == std::string::npos,
          "the absent endpoint's body (\"" + Clip(absent_text, 60) + "\") contributes no message",
          Quote(r->message));
    }
  }
}

void CheckR4(ClauseRun& run) {
  if (!NeedProbe(run)) return;
  struct Case {
    const char* name;
    const char* requested;
    const char* listed;  // the near miss the message should suggest; nullptr: none
  };
  for (const Case& c :
       {Case{"unrelated listing", "qwen3-8b", nullptr}, Case{"letter case", "qwen3-8b", "Qwen3-8B"},
        Case{"org/ prefix", "qwen3-8b", "qwen/qwen3-8b"},
        Case{":tag suffix", "qwen3-8b", "qwen3-8b:q4_K_M"}}) {
    run.Case(c.name);
    mock::ServerOptions server_options = run.ServerDefaults();
    server_options.models = {Model("llama-3.2-1b")};
    if (c.listed != nullptr) server_options.models.emplace_back(c.listed);
    mock::Server& server = run.NewServer(server_options);
    ProbeOutcome probe = OpenAndProbe(run, server, std::string(c.requested));
    if (const ProviderReadiness* r = Got(run, probe)) {
      NotReadyUnverified(run, *r);
      const std::string message = r->message.value_or("");
      run.Require(
          ContainsNoCase(message, "not listed") && message.find(c.requested) != std::string::npos,
          std::string("message contains \"not listed\" and \"") + c.requested + "\"",
          Quote(r->message));
      if (c.listed != nullptr) {
        run.Should(message.find(c.listed) != std::string::npos,
                   std::string("message suggests the listed \"") + c.listed + "\"",
                   Quote(r->message));
      }
    }
  }
}

void CheckR5(ClauseRun& run) {
  if (!NeedProbe(run)) return;
  for (int status : {500, 503}) {
    run.Case("models " + std::to_string(status));
    mock::Server& server = run.NewServer();
    server.SetScenario(Scenario::ModelsError(status));
    const auto raw = FetchRaw(server, "/v1/models", run.options().api_key);
    if (!raw) throw HarnessError("the mock server's listing could not be read directly");
    const std::optional<std::string> expected = ErrorBodyMessage(raw->second);
    ProbeOutcome probe = OpenAndProbe(run, server, run.options().model);
    if (const ProviderReadiness* r = Got(run, probe)) {
      NotReadyUnverified(run, *r);
      run.Require(r->status_code == status,
                  "status_code = the models status " + std::to_string(status), Str(r->status_code));
      if (expected) {
        RequireEnvelopeText(run, r->message, *expected, raw->second);
      } else {
        run.Error("the mock's error body carried no message: " + raw->second);
      }
    }
  }
}

void CheckR6(ClauseRun& run) {
  if (!NeedProbe(run)) return;
  struct Case {
    const char* name;
    Scenario scenario;
  };
  for (const Case& c :
       {Case{"models endpoint absent (404)", Scenario::ModelsError(404)},
        Case{"listing not JSON",
             Scenario::Malformed(MalformedVariant::kNotJson).On(Endpoint::kModels)},
        Case{"listing data null",
             Scenario::Malformed(MalformedVariant::kNullData).On(Endpoint::kModels)},
        Case{"listing empty body",
             Scenario::Malformed(MalformedVariant::kEmpty).On(Endpoint::kModels)},
        Case{"listing truncated",
             Scenario::Malformed(MalformedVariant::kTruncated).On(Endpoint::kModels)}}) {
    run.Case(c.name);
    mock::Server& server = run.NewServer();
    server.SetScenario(c.scenario);
    ProbeOutcome probe = OpenAndProbe(run, server, run.options().model);
    if (const ProviderReadiness* r = Got(run, probe)) NotReadyUnverified(run, *r);
  }
}

void CheckR7(ClauseRun& run) {
  if (!NeedProbe(run)) return;
  for (const auto& [name, profile] :
       {std::pair{"openai profile, health 503", Profile::kOpenAi},
        std::pair{"llama.cpp profile, loading", Profile::kLlamaCpp}}) {
    run.Case(name);
    mock::ServerOptions server_options = run.ServerDefaults();
    server_options.profile = profile;
    mock::Server& server = run.NewServer(server_options);
    server.SetScenario(Scenario::Loading(0).On(Endpoint::kHealth));
    ProbeOutcome probe = OpenAndProbe(run, server, run.options().model);
    if (const ProviderReadiness* r = Got(run, probe)) {
      run.Should(!r->ready, "ready = false while /health answers 503, although the model is listed",
                 "ready = true: the probe trusted the listing");
      run.Should(r->message && r->message->find("Loading model") != std::string::npos,
                 "message carries the server's words \"Loading model\"", Quote(r->message));
    }
  }
}

/// A host name that cannot resolve, and that the resolver refuses without asking DNS (a label
/// over 63 characters), so that judging R8 sends no packet off this machine.
std::string UnresolvableHost() { return std::string(64, 'x') + ".invalid"; }

void CheckR8(ClauseRun& run) {
  if (!NeedProbe(run)) return;
  struct Case {
    const char* name;
    std::function<std::string()> base_url;  // sets the case up; the URL the probe is given
    std::string names;                      // what the message must name
  };
  std::unique_ptr<RawListener> closing;
  std::unique_ptr<RawListener> resetting;
  std::vector<Case> cases = {
      {"connection refused",
       [&] {
         mock::Server& server = run.NewServer();
         const std::string url = server.base_url();
         server.Stop();  // connections are refused from now on
         return url;
       }},
      {"accepted, then closed before any answer",
       [&] {
         closing = std::make_unique<RawListener>(RawListener::Mode::kCloseOnAccept);
         return closing->base_url();
       }},
      {"accepted, then reset before any answer",
       [&] {
         resetting = std::make_unique<RawListener>(RawListener::Mode::kResetOnAccept);
         return resetting->base_url();
       }},
      {"host name that does not resolve",
       [] { return "http://" + UnresolvableHost() + ":8080/v1"; }},
  };
  for (const bool with_model : {true, false}) {
    for (const Case& c : cases) {
      run.Case(std::string(c.name) + (with_model ? ", model set" : ", model unset"));
      mock::Server& unused = run.NewServer();  // Probe() stops a server when the probe hangs
      Config config =
          run.ConfigFor(unused, with_model ? std::optional(run.options().model) : std::nullopt);
      config.base_url = c.base_url();
      const std::optional<Url> url = ParseUrl(config.base_url);
      const std::string where =
          url ? url->host + (url->host.size() > 20 ? "" : ":" + std::to_string(url->port)) : "";
      auto session = run.OpenWith(config);
      ProbeOutcome probe = Probe(run, unused, session);
      if (const ProviderReadiness* r = Got(run, probe)) {
        run.Require(!r->ready, "ready = false", Str(r->ready));
        run.Require(!r->status_code.has_value(), "status_code = null", Str(r->status_code));
        const std::string message = r->message.value_or("");
        run.Require(!where.empty() && message.find(where) != std::string::npos,
                    "message names the URL (" + Clip(where, 40) + ")", Quote(r->message));
        run.Require(ContainsNoCase(message, "running"),
                    "message says to check that the server is running", Quote(r->message));
        if (with_model) {
          run.Require(r->model_verified == false, "model_verified = false", Str(r->model_verified));
        } else {
          run.Require(!r->model_verified.has_value(), "model_verified = null",
                      Str(r->model_verified));
        }
      }
      try {
        session->Close();
      } catch (const SubjectError&) {
      }
    }
  }
  run.Case("");
  run.Note("the closing listener accepted " + std::to_string(closing ? closing->accepted() : 0) +
           " connections, the resetting one " +
           std::to_string(resetting ? resetting->accepted() : 0));
}

/// What R9 accepts as saying that the probe timed out.
bool SaysTimedOut(std::string_view message) {
  for (const std::string_view words :
       {"timed out", "timeout", "time out", "time-out", "deadline"}) {
    if (ContainsNoCase(message, words)) return true;
  }
  return false;
}

/// What the server saw of a probe that hung or trickled: "GET /health (answered 200), GET
/// /v1/models (unanswered)", for the evidence of a probe that outlived its budget.
std::string ProbeRequests(const mock::Server& server) {
  std::string text;
  for (const mock::JournalEntry& entry : server.journal()) {
    text +=
        (text.empty() ? "" : ", ") + entry.method + " " + entry.path +
        (entry.status != 0 ? " (answered " + std::to_string(entry.status) + ")" : " (unanswered)");
  }
  return text.empty() ? "no request" : text;
}

void CheckR9(ClauseRun& run) {
  if (!NeedProbe(run)) return;
  const JudgeOptions& options = run.options();
  const auto budget = options.probe_budget;
  const auto hold = budget + options.budget_tolerance + options.call_grace + 2000ms;
  Scenario trickle = Scenario::Trickle(60ms);
  trickle.hold = hold;
  struct Case {
    std::string name;
    Scenario scenario;
  };
  std::vector<Case> cases = {{"hang on /health", Scenario::Hang(hold).On(Endpoint::kHealth)},
                             {"hang on /models", Scenario::Hang(hold).On(Endpoint::kModels)},
                             {"trickle on /health", trickle.On(Endpoint::kHealth)},
                             {"trickle on /models", trickle.On(Endpoint::kModels)}};
  {
    // Both endpoints trickle, /health finishing just inside the budget: a budget per request
    // rather than one for the whole probe overruns it by most of a second budget.
    mock::Server& sizing = run.NewServer();
    const auto health = FetchRaw(sizing, "/health", options.api_key);
    const std::size_t bytes = health && !health->second.empty() ? health->second.size() : 15;
    Scenario both = Scenario::Trickle(std::chrono::duration_cast<std::chrono::milliseconds>(
        (budget - budget / 10) / static_cast<int>(bytes)));
    both.hold = hold;
    cases.push_back({"trickle on both, /health answered inside the budget", both});
  }
  const double limit = static_cast<double>((budget + options.budget_tolerance).count());
  for (const Case& c : cases) {
    run.Case(c.name);
    mock::Server& server = run.NewServer();
    server.SetScenario(c.scenario);
    auto session = run.OpenWith(run.ConfigFor(server, options.model));
    server.ResetJournal();
    ProbeOutcome probe = Probe(run, server, session);
    const std::string seen = ProbeRequests(server);
    const long ran = static_cast<long>(probe.ms);
    run.Note("the probe ran " + std::to_string(ran) + " ms against a budget of " +
             std::to_string(budget.count()) + " ms (tolerance " +
             std::to_string(options.budget_tolerance.count()) + " ms); the server saw " + seen);
    if (probe.timed_out || probe.ms > limit) {
      std::string observed = probe.timed_out ? "still running after " + std::to_string(ran) +
                                                   " ms, when the harness stopped the server"
                                             : "returned after " + std::to_string(ran) + " ms";
      observed += "; the server saw " + seen;
      if (server.journal().size() >= 2 && !probe.timed_out &&
          probe.ms > 1.5 * static_cast<double>(budget.count())) {
        observed +=
            "; it looks like a timeout per request rather than one budget for the "
            "whole probe";
      }
      if (c.name.starts_with("trickle")) {
        observed += "; a trickling server never trips a timeout per read";
      }
      run.Require(false,
                  "the probe returns within its budget of " + std::to_string(budget.count()) +
                      " ms for both requests together",
                  observed);
      // What it answered after the harness stopped the server says nothing about R9.
      continue;
    }
    run.Require(true,
                "the probe returns within its budget of " + std::to_string(budget.count()) +
                    " ms for both requests together",
                "");
    if (const ProviderReadiness* r = Got(run, probe)) {
      run.Require(!r->ready, "ready = false", Str(r->ready));
      run.Require(!r->status_code.has_value(), "status_code = null", Str(r->status_code));
      run.Require(r->message && SaysTimedOut(*r->message), "message says it timed out",
                  Quote(r->message));
    }
  }
}

void CheckR10(ClauseRun& run) {
  if (!NeedProbe(run)) return;
  const std::string& model = run.options().model;
  // Malformed health answers with the model unset: a 200 is healthy whatever its body.
  for (const auto& [name, variant] :
       {std::pair{"health not JSON", MalformedVariant::kNotJson},
        std::pair{"health empty", MalformedVariant::kEmpty},
        std::pair{"health wrong shape", MalformedVariant::kWrongShape}}) {
    run.Case(name);
    mock::Server& server = run.NewServer();
    server.SetScenario(Scenario::Malformed(variant).On(Endpoint::kHealth));
    ProbeOutcome probe = OpenAndProbe(run, server, std::nullopt);
    if (const ProviderReadiness* r = Got(run, probe)) {
      run.Require(r->ready, "ready = true: health answered 200", Str(r->ready));
    }
  }
  // Unreadable listings never name the model.
  for (const auto& [name, variant] :
       {std::pair{"listing not JSON", MalformedVariant::kNotJson},
        std::pair{"listing wrong shape", MalformedVariant::kWrongShape},
        std::pair{"listing data null", MalformedVariant::kNullData},
        std::pair{"listing data not a list", MalformedVariant::kDataNotList},
        std::pair{"listing ids not strings", MalformedVariant::kIdNotString},
        std::pair{"listing truncated", MalformedVariant::kTruncated}}) {
    run.Case(name);
    mock::Server& server = run.NewServer();
    server.SetScenario(Scenario::Malformed(variant).On(Endpoint::kModels));
    ProbeOutcome probe = OpenAndProbe(run, server, model);
    if (const ProviderReadiness* r = Got(run, probe)) NotReadyUnverified(run, *r);
  }
  // Bodies far over any sane size: an answer, no throw, no crash.
  for (const auto& [name, endpoint] : {std::pair{"huge listing", Endpoint::kModels},
                                       std::pair{"huge health body", Endpoint::kHealth}}) {
    run.Case(name);
    mock::Server& server = run.NewServer();
    server.SetScenario(Scenario::Huge(std::size_t{8} << 20).On(endpoint));
    ProbeOutcome probe = OpenAndProbe(run, server, model);
    Got(run, probe);
  }
  // Real servers' extra fields, missing fields and empty bodies are tolerated.
  for (const auto& [name, profile] :
       {std::pair{"llama.cpp profile", Profile::kLlamaCpp},
        std::pair{"vllm profile", Profile::kVllm},
        std::pair{"vllm-legacy profile", Profile::kVllmLegacy},
        std::pair{"ollama profile", Profile::kOllama}, std::pair{"tgi profile", Profile::kTgi},
        std::pair{"lmstudio profile", Profile::kLmStudio}}) {
    run.Case(name);
    mock::ServerOptions server_options = run.ServerDefaults();
    server_options.profile = profile;
    mock::Server& server = run.NewServer(server_options);
    ProbeOutcome probe = OpenAndProbe(run, server, model);
    if (const ProviderReadiness* r = Got(run, probe)) {
      run.Require(r->ready && r->model_verified == true, "ready = true, model_verified = true",
                  "ready = " + Str(r->ready) + ", model_verified = " + Str(r->model_verified));
    }
  }
}

void CheckR11(ClauseRun& run) {
  if (!NeedProbe(run)) return;
  for (const bool with_model : {true, false}) {
    run.Case(with_model ? "model set" : "model unset");
    mock::Server& server = run.NewServer();
    ProbeOutcome probe =
        OpenAndProbe(run, server, with_model ? std::optional(run.options().model) : std::nullopt);
    Got(run, probe);
    const auto journal = server.journal();
    run.Count("the probe sent", static_cast<std::int64_t>(journal.size()), with_model ? 2 : 1,
              "request");
    int with_body = 0;
    int not_get = 0;
    for (const auto& entry : journal) {
      if (!entry.body.empty()) ++with_body;
      if (entry.method != "GET") ++not_get;
    }
    run.Count("requests with a body", with_body, 0, "request");
    run.Count("requests other than GET", not_get, 0, "request");
    int other_paths = 0;
    for (const auto& entry : journal) {
      if (entry.path != "/health" && entry.path != "/v1/models") ++other_paths;
    }
    run.Require(other_paths == 0, "only GET /health and GET /v1/models", Requests(journal));
  }
}

/// "Bearer <key>", the scheme name in any letter case (HTTP auth schemes are case-insensitive).
bool IsBearer(const std::optional<std::string>& header, const std::string& key) {
  if (!header) return false;
  const std::string_view value = *header;
  const std::size_t space = value.find(' ');
  if (space == std::string_view::npos) return false;
  std::string_view credentials = value.substr(space + 1);
  while (!credentials.empty() && credentials.front() == ' ') credentials.remove_prefix(1);
  return ContainsNoCase(value.substr(0, space), "bearer") && space == 6 && credentials == key;
}

/// What R12 accepts as telling a person that the credentials were rejected.
bool SaysCredentialsRejected(std::string_view message) {
  for (const std::string_view words : {"credential", "api key", "api-key", "apikey", "api_key",
                                       "authenticat", "authoriz", "access token", "bearer token"}) {
    if (ContainsNoCase(message, words)) return true;
  }
  return false;
}

void CheckR12(ClauseRun& run) {
  if (!NeedProbe(run)) return;
  const std::string& key = run.options().api_key;
  {
    run.Case("configured key");
    mock::Server& server = run.NewServer();
    server.SetScenario(Scenario::Auth(key));
    ProbeOutcome probe = OpenAndProbe(run, server, run.options().model);
    const auto journal = server.journal();
    int with_header = 0;
    for (const auto& entry : journal) {
      if (IsBearer(entry.Header("Authorization"), key)) ++with_header;
    }
    run.Count("probe requests carrying \"Authorization: Bearer <key>\"", with_header, 2, "request");
    if (const ProviderReadiness* r = Got(run, probe)) {
      run.Require(r->ready, "ready = true with the accepted key", Str(r->ready));
    }
  }
  for (int status : {401, 403}) {
    run.Case("models " + std::to_string(status));
    mock::Server& server = run.NewServer();
    server.SetScenario(Scenario::Auth(key, status).On(Endpoint::kModels));
    auto config = run.ConfigFor(server, run.options().model);
    config.api_key = "rejected-key";
    auto session = run.OpenWith(config);
    server.ResetJournal();
    ProbeOutcome probe = Probe(run, server, session);
    run.RecordJournal(server);
    if (const ProviderReadiness* r = Got(run, probe)) {
      run.Require(!r->ready, "ready = false", Str(r->ready));
      run.Require(r->message && SaysCredentialsRejected(*r->message),
                  "message tells a person the credentials were rejected (names the credentials, "
                  "the API key, authentication or authorization)",
                  Quote(r->message));
    }
  }
}

void CheckR13(ClauseRun& run) {
  const Capabilities caps = run.capabilities();
  if (caps.readiness && !caps.probe_optional) {
    run.Skip(
        "the subject has a probe and cannot open a session without it (probe_optional is false)");
    return;
  }
  mock::Server& server = run.NewServer();
  run.Case("provider without a probe");
  auto session = run.OpenWith(run.ConfigFor(server, run.options().model), false);
  server.ResetJournal();
  ProbeOutcome probe = Probe(run, server, session);
  run.RecordJournal(server);
  if (const ProviderReadiness* r = Got(run, probe)) {
    run.Require(r->ready, "ready = true", Str(r->ready));
    run.Require(r->model_verified == false, "model_verified = false", Str(r->model_verified));
    run.Require(r->message == std::string(kNoProbeMessage),
                "message = \"" + std::string(kNoProbeMessage) + "\"", Quote(r->message));
  }
  run.Note("the server saw " + std::to_string(server.journal().size()) + " requests");
}

void CheckR14(ClauseRun& run) {
  if (!NeedProbe(run)) return;
  if (!run.capabilities().cancellation) {
    run.Skip("the subject declares no probe cancellation");
    return;
  }
  const JudgeOptions& options = run.options();
  mock::Server& server = run.NewServer();
  server.SetScenario(Scenario::Hang(10s).On(Endpoint::kHealth));
  Config config = run.ConfigFor(server, options.model);
  config.probe_budget = 5s;  // the budget must not end the probe before the cancellation does
  auto session = run.OpenWith(config);
  run.Case("hang on /health, cancelled after 150 ms");
  auto stop = std::make_shared<std::stop_source>();
  std::function<ProviderReadiness()> call = [session, stop] {
    return session->CheckReady(stop->get_token());
  };
  std::thread canceller([stop] {
    std::this_thread::sleep_for(
        150ms);  // let the probe block in its request: cancelling is the point
    stop->request_stop();
  });
  Bounded<ProviderReadiness> bounded = CallBounded<ProviderReadiness>(
      std::move(call), 150ms + options.prompt_limit + options.call_grace,
      [&server] { server.Stop(); });
  canceller.join();
  if (bounded.harness_error) throw HarnessError(*bounded.harness_error);
  const double after_stop = bounded.elapsed_ms - 150.0;
  run.Note("probe ended " + std::to_string(static_cast<long>(after_stop)) +
           " ms after the cancellation (limit " + std::to_string(options.prompt_limit.count()) +
           " ms)");
  run.Require(
      !bounded.timed_out &&
          after_stop <=
              static_cast<double>((options.prompt_limit + options.prompt_tolerance).count()),
      "returns within " + std::to_string(options.prompt_limit.count()) + " ms of the cancellation",
      bounded.timed_out ? "still running " + std::to_string(static_cast<long>(bounded.elapsed_ms)) +
                              " ms after it started"
                        : std::to_string(static_cast<long>(after_stop)) + " ms");
  if (bounded.value) {
    run.Require(false, "cancellation is reported as an error, not as a not-ready verdict",
                "readiness " + Describe(*bounded.value));
  } else if (bounded.error) {
    run.Require(bounded.error->kind == "cancelled", "an error of kind cancelled",
                Describe(*bounded.error));
  }
}

void CheckR15(ClauseRun& run) {
  if (!NeedProbe(run)) return;
  struct Case {
    const char* name;
    Profile profile;
  };
  for (const Case& c :
       {Case{"nested {\"error\":{\"message\"}} (openai)", Profile::kOpenAi},
        Case{"nested (llama.cpp)", Profile::kLlamaCpp},
        Case{"flat {\"object\":\"error\",\"message\"} (vllm-legacy)", Profile::kVllmLegacy},
        Case{"string {\"error\":\"..\"} (lmstudio)", Profile::kLmStudio},
        Case{"string with error_type (tgi)", Profile::kTgi}}) {
    run.Case(c.name);
    mock::ServerOptions server_options = run.ServerDefaults();
    server_options.profile = c.profile;
    mock::Server& server = run.NewServer(server_options);
    server.SetScenario(Scenario::ModelsError(500));
    const auto raw = FetchRaw(server, "/v1/models", run.options().api_key);
    if (!raw) throw HarnessError("the mock server's listing could not be read directly");
    const std::optional<std::string> expected = ErrorBodyMessage(raw->second);
    if (!expected) {
      run.Error("the mock's error body has no message to look for: " + raw->second);
      continue;
    }
    ProbeOutcome probe = OpenAndProbe(run, server, run.options().model);
    if (const ProviderReadiness* r = Got(run, probe)) {
      run.Require(!r->ready, "ready = false", Str(r->ready));
      RequireEnvelopeText(run, r->message, *expected, raw->second);
    }
  }
}

void CheckR16(ClauseRun& run) {
  if (!NeedProbe(run)) return;
  const std::string& model = run.options().model;
  for (const char* state : {"unloaded", "loading", "sleeping", "failed", "loaded"}) {
    run.Case(std::string("router status ") + state);
    mock::ServerOptions server_options = run.ServerDefaults();
    server_options.profile = Profile::kLlamaCpp;
    server_options.models = {Model(model, state), Model("provkit-other", "loaded")};
    mock::Server& server = run.NewServer(server_options);
    ProbeOutcome probe = OpenAndProbe(run, server, model);
    if (const ProviderReadiness* r = Got(run, probe)) {
      if (std::string_view(state) == "loaded") {
        run.Require(r->ready && r->model_verified == true, "a loaded model is ready and verified",
                    "ready = " + Str(r->ready) + ", model_verified = " + Str(r->model_verified));
        continue;
      }
      run.Should(!r->ready, "ready = false while the listing says " + std::string(state),
                 Str(r->ready));
      run.Should(r->model_verified == true, "model_verified = true (it is listed)",
                 Str(r->model_verified));
      run.Should(r->message && r->message->find(state) != std::string::npos,
                 std::string("message names the status \"") + state + "\"", Quote(r->message));
    }
  }
}

}  // namespace

std::span<const CheckEntry> ReadinessChecks() noexcept {
  // clang-format off
  static constexpr CheckEntry kTable[] = {
      {"R1", "model unset: one GET /health; 200, 204, loading (503), absent (404) and 500 answers", CheckR1},
      {"R2", "model listed: /health then /models, verified, statuses and message", CheckR2},
      {"R3", "no /health (404, 405, 501; Ollama, LM Studio): the listing decides", CheckR3},
      {"R4", "model not listed: named as not listed; suggestions for tag, org and case variants", CheckR4},
      {"R5", "models endpoint 500 and 503: not ready, its status and message", CheckR5},
      {"R6", "models endpoint 404 or unreadable: never verified", CheckR6},
      {"R7", "health 503 Loading model with the model listed: not ready, server's words", CheckR7},
      {"R8", "server stopped: a value naming the URL, no exception", CheckR8},
      {"R9", "hang and trickle on /health and /models: ends within the probe budget", CheckR9},
      {"R10", "malformed bodies and every server profile: no throw, sane verdicts", CheckR10},
      {"R11", "the probe's requests: only the two GETs, no body", CheckR11},
      {"R12", "bearer header on both requests; 401 and 403 reported as rejected credentials", CheckR12},
      {"R13", "a session without a probe: the fixed answer", CheckR13},
      {"R14", "probe cancelled from another thread: returns promptly as a cancellation error", CheckR14},
      {"R15", "error bodies: nested, flat and string envelopes yield their message", CheckR15},
      {"R16", "router load states unloaded, loading, sleeping, failed: verified, not ready", CheckR16},
  };
  // clang-format on
  return kTable;
}

}  // namespace provkit::conformance::internal
