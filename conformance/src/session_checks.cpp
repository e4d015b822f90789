// The session-reuse checks, S1-S12: turns, streams, closes and one-shot calls, judged from answers,
// counters and connections.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "clause_run.hpp"
#include "provkit/runtime/error.hpp"

namespace provkit::conformance::internal {
namespace {

using mock::Endpoint;
using mock::MalformedVariant;
using mock::Scenario;
using namespace std::chrono_literals;

const Environment kEnvironment{.instructions = "Answer briefly."};

Input Prompt(std::string text) { return Input{.text = std::move(text)}; }

bool Need(ClauseRun& run, bool capability, const char* reason) {
  if (capability) return true;
  run.Skip(reason);
  return false;
}

std::string Str(std::int64_t n) { return std::to_string(n); }

void CloseQuietly(const std::shared_ptr<SubjectSession>& session) {
  try {
    session->Close();
  } catch (const SubjectError&) {
  }
}

/// Waits (bounded, no sleeping loop of ours) for the server to see every connection closed.
std::uint64_t OpenConnectionsAfterClose(mock::Server& server) {
  server.WaitForOpenConnectionsAtMost(0, 2000ms);
  return server.connections_open();
}

std::string Text(const std::optional<Usage>& usage) {
  if (!usage) return "null";
  return "{" + Str(usage->prompt_tokens) + "," + Str(usage->completion_tokens) + "," +
         Str(usage->total_tokens) + "}";
}

std::string Text(const std::vector<ToolCall>& calls) {
  std::string text = "[";
  for (const ToolCall& call : calls) {
    text +=
        (text.size() > 1 ? ", " : "") + call.id + ":" + call.name + "(" + call.arguments_text + ")";
  }
  return text + "]";
}

/// Whether `kind` is one of the runtime's ErrorKinds() ids (not "exception", not "unsupported").
bool IsErrorKind(std::string_view kind) {
  for (const ErrorKindInfo& info : ErrorKinds()) {
    if (info.id == kind) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------

void CheckS1(ClauseRun& run) {
  mock::Server& server = run.NewServer();
  Subject& subject = run.subject();
  const Capabilities caps = subject.GetCapabilities();
  const SubjectCounters before = subject.Counters();
  auto session = run.Open(server);
  run.Count("provider instances made when the session was opened",
            subject.Counters().instances_created - before.instances_created, 1, "instance");
  int calls = 0;
  if (caps.readiness) {
    session->CheckReady();
    ++calls;
  }
  session->Interact(kEnvironment, Prompt("s1 first"), {});
  ++calls;
  if (caps.streaming) {
    StreamOutcome outcome = session->Stream(kEnvironment, Prompt("s1 stream"), {});
    if (outcome.error) throw *outcome.error;
    ++calls;
  }
  if (caps.run_many) {
    session->RunMany(kEnvironment, {Prompt("s1 a"), Prompt("s1 b")}, {}, 2);
    ++calls;
  }
  session->Interact(kEnvironment, Prompt("s1 last"), {});
  ++calls;
  const SubjectCounters after = subject.Counters();
  // What the server saw: sequential calls of one instance share a connection; run_many may add
  // its concurrency's worth. Many more suggests more instances than the subject counts.
  const std::int64_t connections = static_cast<std::int64_t>(server.connections_opened());
  const std::int64_t plausible = caps.run_many ? 3 : 1;
  if (after.instances_created - before.instances_created == 1 && connections > plausible) {
    run.Note("the subject counts 1 provider instance, but the server saw " +
             std::to_string(connections) + " connections for " + std::to_string(calls) +
             " calls: either the instance opens a connection per call (S5) or the count is wrong");
  } else {
    run.Note("the server saw " + std::to_string(connections) + " connections for " +
             std::to_string(calls) + " calls");
  }
  run.Count("provider instances after " + std::to_string(calls) + " calls",
            after.instances_created - before.instances_created, 1, "instance");
  session->Close();
  const std::int64_t closed = subject.Counters().instances_closed - before.instances_closed;
  run.Count("providers closed", closed, 1, "time");
  // The server's side of the count: once the one instance the subject reports is closed, a
  // connection still open belongs to an instance the counters never saw.
  const std::int64_t still_open = static_cast<std::int64_t>(OpenConnectionsAfterClose(server));
  if (closed == 1 && still_open > 0) {
    run.Note("the subject counts 1 instance, closed, but the server still sees " +
             std::to_string(still_open) +
             " connections open: the session used a provider the counters did not see");
  }
  run.Count("connections still open after the one counted instance closed", still_open, 0,
            "connection");
  run.RecordJournal(server);
}

void CheckS2(ClauseRun& run) {
  Subject& subject = run.subject();
  {
    run.Case("close(), then close() again");
    mock::Server& server = run.NewServer();
    const SubjectCounters before = subject.Counters();
    auto session = run.Open(server);
    session->Interact(kEnvironment, Prompt("s2 turn"), {});
    session->Close();
    try {
      session->Close();
      run.Require(true, "a second close() is a no-op", "");
    } catch (const SubjectError& error) {
      run.Require(false, "a second close() is a no-op", "it failed: " + Describe(error));
    }
    run.Count("provider closed", subject.Counters().instances_closed - before.instances_closed, 1,
              "time");
    run.Count("connections still open after close",
              static_cast<std::int64_t>(OpenConnectionsAfterClose(server)), 0, "connection");
    run.RecordJournal(server);
  }
  {
    run.Case("scope exit without close()");
    mock::Server& server = run.NewServer();
    const SubjectCounters before = subject.Counters();
    auto session = run.Open(server);
    session->Interact(kEnvironment, Prompt("s2 scoped"), {});
    try {
      session->Drop();
    } catch (const SubjectError& error) {
      run.Require(false, "ending a session by scope exit never throws", Describe(error));
    }
    run.Count("provider closed", subject.Counters().instances_closed - before.instances_closed, 1,
              "time");
    run.Count("connections still open after scope exit",
              static_cast<std::int64_t>(OpenConnectionsAfterClose(server)), 0, "connection");
  }
}

void CheckS3(ClauseRun& run) {
  Subject& subject = run.subject();
  const Capabilities caps = subject.GetCapabilities();
  mock::Server& server = run.NewServer();
  auto session = run.Open(server);
  session->Interact(kEnvironment, Prompt("s3 before close"), {});
  session->Close();
  server.ResetJournal();
  const SubjectCounters before = subject.Counters();
  auto judge = [&](const std::string& call, const std::optional<SubjectError>& error) {
    run.Case(call + " after close");
    if (!error) {
      run.Require(false, "fails with the closed-session error", "it succeeded");
      return;
    }
    const std::string message = error->what();
    const std::string observed = Describe(*error) + " (hint \"" + error->hint + "\")";
    const bool required = run.Require(
        error->kind == "session_closed" && message.find("Session is closed") != std::string::npos,
        "a session_closed error whose message contains \"Session is closed\"", observed);
    if (!required) return;
    run.Should(message == "Session is closed" &&
                   error->hint == "Create a new Session for additional interactions.",
               "the message is exactly \"Session is closed\" and the hint \"Create a new Session "
               "for additional interactions.\"",
               observed);
  };
  auto attempt = [&](const std::string& call, const std::function<void()>& fn) {
    try {
      fn();
      judge(call, std::nullopt);
    } catch (const SubjectError& error) {
      judge(call, error);
    }
  };
  attempt("interact", [&] { session->Interact(kEnvironment, Prompt("s3 after close"), {}); });
  if (caps.streaming) {
    StreamOutcome outcome = session->Stream(kEnvironment, Prompt("s3 stream after close"), {});
    judge("stream", outcome.error);
  }
  if (caps.run_many) {
    attempt("run_many", [&] { session->RunMany(kEnvironment, {Prompt("s3 a")}, {}, 1); });
  }
  attempt("check_ready", [&] { session->CheckReady(); });
  run.Case("");
  run.RecordJournal(server);
  run.Count("requests the server saw after close",
            static_cast<std::int64_t>(server.journal().size()), 0, "request");
  run.Count("calls the provider received after close",
            subject.Counters().calls_after_close - before.calls_after_close, 0, "call");
}

bool SameAnswer(const Output& a, const Output& b) {
  return a.text == b.text && a.reasoning == b.reasoning && a.tool_calls == b.tool_calls &&
         a.usage == b.usage && a.finish_reason == b.finish_reason;
}

void CheckS4(ClauseRun& run) {
  if (!Need(run, run.capabilities().one_shot, "the subject declares no one-shot calls")) return;
  Subject& subject = run.subject();
  const Capabilities caps = subject.GetCapabilities();
  mock::Server& server = run.NewServer();
  const Config config = run.ConfigFor(server, run.options().model);
  OneShotArgs args;
  args.environment = kEnvironment;
  args.input = Prompt("s4 question");
  args.inputs = {Prompt("s4 first"), Prompt("s4 second")};
  args.concurrency = 2;

  // What a Session answers for the same server answers.
  auto session = run.Open(server);
  const Output session_output = session->Interact(args.environment, args.input, {});
  std::optional<ProviderReadiness> session_readiness;
  if (caps.readiness) session_readiness = session->CheckReady();
  std::vector<Output> session_outputs;
  if (caps.run_many)
    session_outputs = session->RunMany(args.environment, args.inputs, {}, args.concurrency);
  session->Close();

  auto one_shot = [&](const std::string& name, OneShotCall call,
                      const OneShotArgs& call_args) -> std::optional<OneShotResult> {
    run.Case("one-shot " + name);
    const SubjectCounters before = subject.Counters();
    std::optional<OneShotResult> result;
    try {
      result = subject.OneShot(call, config, call_args);
    } catch (const SubjectError& error) {
      run.Require(false, std::string("one-shot ") + name + " succeeds", Describe(error));
    }
    const SubjectCounters after = subject.Counters();
    run.Count("provider instances made", after.instances_created - before.instances_created, 1,
              "instance");
    run.Count("provider closed", after.instances_closed - before.instances_closed, 1, "time");
    return result;
  };
  if (auto result = one_shot("interact", OneShotCall::kInteract, args); result && result->output) {
    run.Require(SameAnswer(*result->output, session_output), "the same answer as Session::interact",
                "\"" + result->output->text + "\" vs \"" + session_output.text + "\"");
  }
  if (caps.streaming) {
    if (auto result = one_shot("stream", OneShotCall::kStream, args); result && result->stream) {
      const StreamOutcome& outcome = *result->stream;
      run.Require(outcome.done.has_value() && SameAnswer(*outcome.done, session_output),
                  "the stream's done output equals Session::interact's",
                  outcome.error  ? Describe(*outcome.error)
                  : outcome.done ? "\"" + outcome.done->text + "\""
                                 : "no done");
    }
  }
  if (caps.streaming) {
    // A caller that stops reading a one-shot stream early: the single-use session must still
    // close its provider once, and the server must see the stream's connection go.
    server.SetTiming({.chunk_chars = 2});
    OneShotArgs abandoning = args;
    abandoning.input = Prompt("s4 abandoned " + std::string(400, 'a'));
    abandoning.stop_after = 2;
    if (auto result = one_shot("stream abandoned after 2 events", OneShotCall::kStream, abandoning);
        result && result->stream) {
      const StreamOutcome& outcome = *result->stream;
      run.Require(outcome.abandoned && !outcome.error,
                  "the stream gives 2 events, then is abandoned",
                  outcome.error ? "it failed: " + Describe(*outcome.error)
                                : std::to_string(outcome.events.size()) + " events, not abandoned");
    }
    run.Count("connections open after the abandoned one-shot stream",
              static_cast<std::int64_t>(OpenConnectionsAfterClose(server)), 0, "connection");
    server.SetTiming({});
  }
  if (caps.run_many) {
    if (auto result = one_shot("run_many", OneShotCall::kRunMany, args); result) {
      bool same = result->outputs.size() == session_outputs.size();
      for (std::size_t i = 0; same && i < session_outputs.size(); ++i) {
        same = SameAnswer(result->outputs[i], session_outputs[i]);
      }
      run.Require(same, "the same outputs as Session::run_many",
                  std::to_string(result->outputs.size()) + " outputs, not equal");
    }
  }
  if (caps.readiness) {
    if (auto result = one_shot("check_ready", OneShotCall::kCheckReady, args);
        result && result->readiness) {
      const ProviderReadiness& a = *result->readiness;
      const ProviderReadiness& b = *session_readiness;
      run.Require(a.ready == b.ready && a.status_code == b.status_code && a.message == b.message &&
                      a.model_verified == b.model_verified,
                  "the same readiness as Session::check_ready", Describe(a) + " vs " + Describe(b));
    }
  }
  {
    run.Case("one-shot interact that fails (model not found)");
    server.SetModels({mock::Model("provkit-other")});
    const SubjectCounters before = subject.Counters();
    bool failed = false;
    try {
      subject.OneShot(OneShotCall::kInteract, config, args);
    } catch (const SubjectError&) {
      failed = true;
    }
    const SubjectCounters after = subject.Counters();
    run.Require(failed, "the call fails (the server answers 404)", "it succeeded");
    run.Count("provider instances made", after.instances_created - before.instances_created, 1,
              "instance");
    run.Count("provider closed", after.instances_closed - before.instances_closed, 1, "time");
  }
  run.Case("");
  run.Count("connections open after the one-shot calls",
            static_cast<std::int64_t>(OpenConnectionsAfterClose(server)), 0, "connection");
  run.RecordJournal(server);
}

void CheckS5(ClauseRun& run) {
  const Capabilities caps = run.capabilities();
  {
    run.Case("one session");
    mock::Server& server = run.NewServer();
    auto session = run.Open(server);
    server.ResetJournal();
    session->Interact(kEnvironment, Prompt("s5 turn 1"), {});
    if (caps.streaming) {
      StreamOutcome outcome = session->Stream(kEnvironment, Prompt("s5 turn 2"), {});
      if (outcome.error) throw *outcome.error;
    } else {
      session->Interact(kEnvironment, Prompt("s5 turn 2"), {});
    }
    session->Interact(kEnvironment, Prompt("s5 turn 3"), {});
    session->Interact(kEnvironment, Prompt("s5 turn 4"), {});
    run.Count("4 turns over", static_cast<std::int64_t>(server.connections_opened()), 1,
              "connection");
    run.RecordJournal(server);
    session->Close();
  }
  if (caps.one_shot) {
    run.Case("one-shot calls");
    mock::Server& server = run.NewServer();
    const Config config = run.ConfigFor(server, run.options().model);
    OneShotArgs args;
    args.environment = kEnvironment;
    for (int i = 1; i <= 4; ++i) {
      args.input = Prompt("s5 one-shot " + std::to_string(i));
      run.subject().OneShot(OneShotCall::kInteract, config, args);
    }
    run.Count("4 one-shot calls over", static_cast<std::int64_t>(server.connections_opened()), 4,
              "connection");
  } else {
    run.Note("one-shot part skipped: the subject declares no one-shot calls");
  }
}

void CheckS6(ClauseRun& run) {
  if (!Need(run, run.capabilities().streaming, "the subject declares no streaming")) return;
  mock::Server& server = run.NewServer();
  server.SetTiming({.chunk_chars = 2});
  auto session = run.Open(server);
  session->Interact(kEnvironment, Prompt("s6 warm-up"), {});
  const std::string long_prompt = "s6 " + std::string(400, 'a');
  StreamOutcome outcome = session->Stream(kEnvironment, Prompt(long_prompt), {}, 2);
  run.Require(outcome.abandoned && !outcome.error, "the stream gives 2 events, then is abandoned",
              outcome.error ? "it failed: " + Describe(*outcome.error)
                            : std::to_string(outcome.events.size()) + " events, not abandoned");
  try {
    const Output next = session->Interact(kEnvironment, Prompt("s6 next turn"), {});
    run.Require(next.text == "s6 next turn", "the next turn answers \"s6 next turn\"",
                "\"" + next.text + "\"");
  } catch (const SubjectError& error) {
    run.Require(false, "the next turn succeeds", Describe(error));
  }
  run.CountAtMost("connections for warm-up, abandoned stream and next turn",
                  static_cast<std::int64_t>(server.connections_opened()), 2, "connection");
  // The abandoned stream's connection is closed (or drained and reused), not kept open beside
  // the replacement until the session ends: a long session would pile up connections.
  server.WaitForOpenConnectionsAtMost(1, 2000ms);
  run.CountAtMost("connections open after the next turn",
                  static_cast<std::int64_t>(server.connections_open()), 1, "connection");
  run.RecordJournal(server);
  CloseQuietly(session);
  run.Count("connections still open after the session closed",
            static_cast<std::int64_t>(OpenConnectionsAfterClose(server)), 0, "connection");
}

void CheckS7(ClauseRun& run) {
  if (!Need(run, run.capabilities().streaming, "the subject declares no streaming")) return;
  struct Case {
    const char* name;
    Scenario scenario;
  };
  for (const Case& c :
       {Case{"error event mid-stream", Scenario::StreamError(2).On(Endpoint::kChat)},
        Case{"connection dropped mid-stream", Scenario::StreamDrop(2).On(Endpoint::kChat)},
        Case{"malformed chunk",
             Scenario::Malformed(MalformedVariant::kNotJson).On(Endpoint::kChat)}}) {
    run.Case(c.name);
    mock::Server& server = run.NewServer();
    server.SetTiming({.chunk_chars = 2});
    auto session = run.Open(server);
    server.SetScenario(c.scenario);
    StreamOutcome outcome = session->Stream(kEnvironment, Prompt("s7 " + std::string(40, 'b')), {});
    run.Require(
        outcome.error.has_value(), "the stream raises",
        "it ended without an error after " + std::to_string(outcome.events.size()) + " events");
    if (outcome.error) {
      run.Require(IsErrorKind(outcome.error->kind),
                  "it raises one of the contract's error kinds, not a crash",
                  Describe(*outcome.error));
    }
    run.Require(!outcome.done.has_value(), "no done event", "done was yielded");
    server.SetScenario(Scenario::Healthy());
    try {
      const Output next = session->Interact(kEnvironment, Prompt("s7 next turn"), {});
      run.Require(next.text == "s7 next turn", "the next turn succeeds", "\"" + next.text + "\"");
    } catch (const SubjectError& error) {
      run.Require(false, "the next turn succeeds", Describe(error));
    }
    run.RecordJournal(server);
    CloseQuietly(session);
  }
}

void CheckS8(ClauseRun& run) {
  if (!Need(run, run.capabilities().streaming, "the subject declares no streaming")) return;
  const bool tools = run.capabilities().tools;
  mock::Reply reply;
  reply.text = "The answer is 42, said the mock.";
  reply.reasoning = "Add forty and two.";
  if (tools) {
    reply.tool_calls = {{.id = "call_add", .name = "add", .arguments = R"({"a":40,"b":2})"},
                        {.id = "call_find",
                         .name = "lookup",
                         .arguments = R"({"query":"deep thought","limit":3})"}};
  }
  reply.usage = mock::Usage{.prompt_tokens = 11, .completion_tokens = 7, .total_tokens = 18};
  mock::Reply plain;
  plain.text = "Plain words, streamed in pieces.";
  mock::Server& server = run.NewServer();
  server.SetScript({.rules = {{.contains = "s8-full", .reply = reply},
                              {.contains = "s8-plain", .reply = plain}}});
  server.SetTiming({.chunk_chars = 3});
  Environment environment = kEnvironment;
  if (tools) {
    environment.tools = {{.name = "add", .description = "Adds two numbers."},
                         {.name = "lookup", .description = "Looks something up."}};
  }
  Requirements requirements;
  const Dialect* dialect = FindDialect(run.options().dialect);
  requirements.provider_options = nlohmann::json::parse(
      dialect != nullptr ? dialect->reasoning_options : Dialects().front().reasoning_options);
  auto session = run.Open(server);
  for (const char* prompt : {"s8-full", "s8-plain"}) {
    run.Case(prompt);
    const Output interact = session->Interact(environment, Prompt(prompt), requirements);
    if (interact.text.empty()) {
      run.Error("interact returned no text, so comparing it with the stream proves nothing");
      continue;
    }
    StreamOutcome outcome = session->Stream(environment, Prompt(prompt), requirements);
    if (!outcome.done) {
      run.Require(false, "the stream ends with done",
                  outcome.error ? Describe(*outcome.error) : std::string("no done event"));
      continue;
    }
    const Output& done = *outcome.done;
    run.Require(done.text == interact.text, "done.text equals interact's",
                "\"" + done.text + "\" vs \"" + interact.text + "\"");
    run.Require(done.reasoning == interact.reasoning, "done.reasoning equals interact's",
                "\"" + done.reasoning + "\" vs \"" + interact.reasoning + "\"");
    run.Require(done.tool_calls == interact.tool_calls, "done.tool_calls equal interact's",
                Text(done.tool_calls) + " vs " + Text(interact.tool_calls));
    run.Require(done.usage == interact.usage, "done.usage equals interact's",
                Text(done.usage) + " vs " + Text(interact.usage));
    run.Require(done.finish_reason == interact.finish_reason,
                "done.finish_reason equals interact's",
                "\"" + done.finish_reason + "\" vs \"" + interact.finish_reason + "\"");
    run.Note(std::string(prompt) + ": text " + std::to_string(interact.text.size()) +
             " bytes, reasoning " + std::to_string(interact.reasoning.size()) + " bytes, " +
             std::to_string(interact.tool_calls.size()) + " tool calls, usage " +
             Text(interact.usage) + ", finish \"" + interact.finish_reason + "\"");
  }
  CloseQuietly(session);
}

void CheckS9(ClauseRun& run) {
  if (!Need(run, run.capabilities().run_many, "the subject declares no run_many")) return;
  // Each case: 8 prompts at concurrency 3; `slow_first` makes prompt 0's answer the slowest by
  // far (a longer answer, trickled a byte a millisecond), so outputs in completion order come
  // back out of prompt order every time rather than by chance.
  auto run_case = [&run](const std::string& name, bool slow_first) {
    run.Case(name);
    mock::Server& server = run.NewServer();
    std::vector<Input> inputs;
    std::vector<std::string> expected;
    for (int i = 0; i < 8; ++i) {
      inputs.push_back(Prompt("s9 prompt " + std::to_string(i)));
      expected.push_back(inputs.back().text);
    }
    if (slow_first) {
      mock::Reply slow;
      slow.text = "s9 prompt 0, answered last: " + std::string(400, 'z');
      expected[0] = slow.text;
      server.SetScript({.rules = {{.contains = "s9 prompt 0", .reply = slow}}});
      Scenario trickle = Scenario::Trickle(1ms).On(Endpoint::kChat);
      trickle.hold = 10000ms;
      server.SetScenario(trickle);
    } else {
      server.SetTiming({.first_chunk_delay = std::chrono::microseconds(40000)});
    }
    auto session = run.Open(server);
    std::atomic<bool> sampling{true};
    std::atomic<std::uint64_t> peak{0};
    std::thread sampler([&] {
      while (sampling) {
        const std::uint64_t open = server.connections_open();
        if (open > peak) peak = open;
        std::this_thread::sleep_for(
            1ms);  // sampling the server's counter, not waiting for readiness
      }
    });
    std::vector<Output> outputs;
    std::optional<SubjectError> failure;
    try {
      outputs = session->RunMany(kEnvironment, inputs, {}, 3);
    } catch (const SubjectError& error) {
      failure = error;
    }
    sampling = false;
    sampler.join();
    if (failure) {
      run.Require(false, "run_many succeeds", Describe(*failure));
      CloseQuietly(session);
      return;
    }
    run.Count("outputs", static_cast<std::int64_t>(outputs.size()), 8, "output");
    int out_of_order = 0;
    std::string first_wrong;
    for (std::size_t i = 0; i < outputs.size() && i < expected.size(); ++i) {
      if (outputs[i].text == expected[i]) continue;
      ++out_of_order;
      if (first_wrong.empty()) {
        first_wrong = "output " + std::to_string(i) + " answers \"" + Clip(outputs[i].text, 40) +
                      "\", not \"" + Clip(expected[i], 40) + "\"";
      }
    }
    if (!first_wrong.empty()) run.Observe(first_wrong);
    run.Count("outputs not in prompt order", out_of_order, 0, "output");
    run.CountAtMost("connections open at once (concurrency 3)",
                    static_cast<std::int64_t>(peak.load()), 3, "connection");
    if (peak.load() > 3) {
      // The usual cause: an adapter that ignores the op's `concurrency` and lets the library use
      // its configured default (docs/adapter-protocol.md, "run_many's concurrency").
      run.Observe(
          "run_many was asked for concurrency 3 (the run_many op's `concurrency` field); the "
          "subject ran more at once: pass that value to the library per call, or bound the "
          "calls in the adapter");
    }
    run.Note("the server saw " + std::to_string(server.connections_opened()) +
             " connections in all");
    run.RecordJournal(server);
    CloseQuietly(session);
  };
  run_case("answers 40 ms each", false);
  run_case("prompt 0 answered slowest", true);
}

void CheckS10(ClauseRun& run) {
  if (!Need(run, run.capabilities().concurrent, "the subject declares no concurrency")) return;
  mock::Server& server = run.NewServer();
  server.SetTiming({.first_chunk_delay = std::chrono::microseconds(5000)});
  auto session = run.Open(server);
  struct Tally {
    std::mutex mutex;
    int completed = 0;
    int mismatched = 0;
    std::vector<std::string> errors;
  };
  auto tally = std::make_shared<Tally>();
  const bool streams = run.capabilities().streaming;
  std::function<int()> work = [session, tally, streams] {
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([session, tally, t, streams] {
        for (int n = 0; n < 2; ++n) {
          const std::string prompt =
              "s10 thread " + std::to_string(t) + " turn " + std::to_string(n);
          try {
            std::string text;
            if (streams && t % 2 == 1) {
              StreamOutcome outcome = session->Stream(kEnvironment, Prompt(prompt), {});
              if (outcome.error) throw *outcome.error;
              if (!outcome.done) throw SubjectError("stream_failure", "the stream gave no done");
              text = outcome.done->text;
            } else {
              text = session->Interact(kEnvironment, Prompt(prompt), {}).text;
            }
            std::lock_guard lock(tally->mutex);
            ++tally->completed;
            if (text != prompt) ++tally->mismatched;
          } catch (const std::exception& error) {
            std::lock_guard lock(tally->mutex);
            tally->errors.push_back(error.what());
          }
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
    return 0;
  };
  Bounded<int> bounded = CallBounded<int>(std::move(work), 20000ms, [&server] { server.Stop(); });
  if (bounded.timed_out) {
    run.Require(false, "16 concurrent turns complete", "still running after 20 s");
    return;
  }
  std::lock_guard lock(tally->mutex);
  run.Count(streams ? "turns completed from 8 threads (4 interact, 4 stream)"
                    : "turns completed from 8 threads",
            tally->completed, 16, "turn");
  run.Count("answers that do not match their prompt", tally->mismatched, 0, "answer");
  if (!tally->errors.empty()) run.Observe("first error: " + tally->errors.front());
  run.Note("the server saw " + std::to_string(server.connections_opened()) + " connections");
  CloseQuietly(session);
}

void CheckS11(ClauseRun& run) {
  const Capabilities caps = run.capabilities();
  if (!Need(run, caps.streaming, "the subject declares no streaming")) return;
  if (!Need(run, caps.concurrent,
            "the subject declares no concurrency (close must come from another thread)"))
    return;
  const JudgeOptions& options = run.options();
  mock::Server& server = run.NewServer();
  server.SetTiming({.chunk_chars = 2, .chunk_interval = std::chrono::microseconds(20000)});
  auto session = run.Open(server);
  struct Shared {
    std::mutex mutex;
    std::optional<std::chrono::steady_clock::time_point> close_started;
    std::optional<std::string> close_error;
    std::thread closer;
  };
  auto shared = std::make_shared<Shared>();
  std::function<StreamOutcome()> call = [session, shared] {
    return session->Stream(kEnvironment, Prompt("s11 " + std::string(200, 'c')), {}, std::nullopt,
                           [session, shared](const StreamEvent& event) {
                             std::lock_guard lock(shared->mutex);
                             if (event.type != EventType::kTextDelta || shared->close_started)
                               return;
                             shared->close_started = std::chrono::steady_clock::now();
                             shared->closer = std::thread([session, shared] {
                               try {
                                 session->Close();
                               } catch (const std::exception& error) {
                                 std::lock_guard inner(shared->mutex);
                                 shared->close_error = error.what();
                               }
                             });
                           });
  };
  Bounded<StreamOutcome> bounded =
      CallBounded<StreamOutcome>(std::move(call), 10000ms, [&server] { server.Stop(); });
  const auto ended = std::chrono::steady_clock::now();
  std::thread closer;
  {
    std::lock_guard lock(shared->mutex);
    closer = std::move(shared->closer);
  }
  if (closer.joinable()) closer.join();
  if (bounded.harness_error) throw HarnessError(*bounded.harness_error);
  std::lock_guard lock(shared->mutex);
  if (!shared->close_started) {
    run.Error("the stream gave no text before it ended, so close was never sent in flight");
    return;
  }
  if (shared->close_error) run.Observe("close() failed: " + *shared->close_error);
  const double after_close =
      std::chrono::duration<double, std::milli>(ended - *shared->close_started).count();
  run.Note("the stream ended " + std::to_string(static_cast<long>(after_close)) +
           " ms after close() (limit " + std::to_string(options.prompt_limit.count()) + " ms)");
  if (bounded.timed_out || !bounded.value) {
    run.Require(false, "the stream ends promptly after close()", "it was still running after 10 s");
    return;
  }
  const StreamOutcome& outcome = *bounded.value;
  run.Require(outcome.error.has_value() && !outcome.done.has_value(),
              "the stream ends with an error, no done",
              outcome.done ? "it completed with done" : "it ended without an error");
  if (outcome.error) {
    run.Require(IsErrorKind(outcome.error->kind),
                "the error is one of the contract's error kinds (session_closed, cancelled, "
                "stream_failure, connection, ...), not a crash",
                Describe(*outcome.error));
  }
  run.Require(
      after_close <= static_cast<double>((options.prompt_limit + options.prompt_tolerance).count()),
      "within " + std::to_string(options.prompt_limit.count()) + " ms of close()",
      std::to_string(static_cast<long>(after_close)) + " ms");
}

// S12 ------------------------------------------------------------------------------------------

/// The generation request bodies (POSTs to the dialect's `path`) the server journalled since
/// `from` (an index into the journal).
std::vector<nlohmann::json> GenerationBodies(const mock::Server& server, std::size_t from,
                                             std::string_view path) {
  std::vector<nlohmann::json> bodies;
  const std::vector<mock::JournalEntry> journal = server.journal();
  for (std::size_t i = from; i < journal.size(); ++i) {
    const mock::JournalEntry& entry = journal[i];
    if (entry.method != "POST" || !entry.path.ends_with(path)) continue;
    bodies.push_back(nlohmann::json::parse(entry.body, nullptr, false));
  }
  return bodies;
}

void CheckS12(ClauseRun& run) {
  Subject& subject = run.subject();
  const Capabilities caps = subject.GetCapabilities();
  mock::Server& server = run.NewServer();
  auto session = run.Open(server);
  // The provider's own scope is its name, as its readiness record gives it; without a probe, the
  // name of the dialect's reference provider.
  const Dialect* dialect = FindDialect(run.options().dialect);
  const std::string_view generation_path = dialect != nullptr ? dialect->path : "/chat/completions";
  std::string scope(dialect != nullptr ? dialect->provider : "local");
  if (caps.readiness) scope = session->CheckReady().provider;
  const bool local = scope == "local";
  const std::string foreign = local ? "openai" : "local";
  run.Note("the provider's scope is \"" + scope + "\" (its readiness record's provider name)" +
           "; the foreign scopes are \"" + foreign + "\" and \"provkit-foreign\"");

  // Options as a caller passes them: the own scope, and two scopes that must not reach the server.
  auto options_with = [&](bool thinking, const std::string& marker) {
    nlohmann::json options = local ? LocalReasoning(thinking) : nlohmann::json::object();
    options[scope]["x_provkit_s12"] = marker;
    options[foreign] = {{"x_provkit_foreign", true}, {"seed", 9999}};
    options["provkit-foreign"] = {{"x_provkit_foreign", true}};
    return Requirements{.provider_options = options};
  };
  auto judge_bodies = [&](const std::string& call, std::size_t from, std::size_t expected,
                          bool thinking, const std::string& marker) {
    run.Case(call);
    const std::vector<nlohmann::json> bodies = GenerationBodies(server, from, generation_path);
    run.Count("generation requests the server saw", static_cast<std::int64_t>(bodies.size()),
              static_cast<std::int64_t>(expected), "request");
    for (const nlohmann::json& body : bodies) {
      const std::string text = body.dump();
      if (!body.is_object()) {
        run.Require(false, "the request body is a JSON object", Clip(text));
        continue;
      }
      const auto own = body.find("x_provkit_s12");
      run.Require(own != body.end() && *own == marker,
                  "the own scope's field x_provkit_s12 = \"" + marker + "\" reaches the server",
                  Clip(text));
      if (local) {
        const nlohmann::json* kwargs =
            body.contains("chat_template_kwargs") ? &body["chat_template_kwargs"] : nullptr;
        const bool sent = kwargs != nullptr && kwargs->is_object() &&
                          kwargs->contains("enable_thinking") &&
                          (*kwargs)["enable_thinking"] == thinking;
        run.Require(
            sent,
            std::string("LocalReasoning(") + (thinking ? "true" : "false") +
                ") sends chat_template_kwargs.enable_thinking = " + (thinking ? "true" : "false"),
            Clip(text));
      }
      run.Require(text.find("x_provkit_foreign") == std::string::npos && !body.contains(foreign) &&
                      !body.contains("provkit-foreign") &&
                      !(body.contains("seed") && body["seed"] == 9999),
                  "no other provider's scope reaches the server", Clip(text));
    }
  };

  std::size_t from = server.journal().size();
  session->Interact(kEnvironment, Prompt("s12 interact on"), options_with(true, "interact-on"));
  judge_bodies("interact, reasoning on", from, 1, true, "interact-on");
  from = server.journal().size();
  session->Interact(kEnvironment, Prompt("s12 interact off"), options_with(false, "interact-off"));
  judge_bodies("interact, reasoning off", from, 1, false, "interact-off");
  if (caps.streaming) {
    for (const bool thinking : {true, false}) {
      const std::string marker = thinking ? "stream-on" : "stream-off";
      from = server.journal().size();
      StreamOutcome outcome =
          session->Stream(kEnvironment, Prompt("s12 " + marker), options_with(thinking, marker));
      if (outcome.error) throw *outcome.error;
      judge_bodies(std::string("stream, reasoning ") + (thinking ? "on" : "off"), from, 1, thinking,
                   marker);
    }
  } else {
    run.Note("stream part skipped: the subject declares no streaming");
  }
  if (caps.run_many) {
    from = server.journal().size();
    session->RunMany(kEnvironment, {Prompt("s12 many a"), Prompt("s12 many b")},
                     options_with(false, "run-many"), 2);
    judge_bodies("run_many, reasoning off", from, 2, false, "run-many");
  } else {
    run.Note("run_many part skipped: the subject declares no run_many");
  }

  // Managed fields: refused with a configuration error before anything is sent.
  struct Managed {
    std::string field;
    nlohmann::json value;
    const char* call;
  };
  // Each managed field through another call, so that every call's refusal is seen.
  const auto value_for = [](std::string_view field) -> nlohmann::json {
    if (field == "model") return "provkit-other";
    if (field == "stream") return false;
    if (field == "stream_options") return {{"include_usage", false}};
    return nlohmann::json::array({{{"role", "user"}, {"content", "injected"}}});
  };
  const std::vector<const char*> calls = {"interact", caps.streaming ? "stream" : "interact",
                                          caps.run_many ? "run_many" : "interact"};
  std::vector<Managed> managed;
  const std::span<const std::string_view> fields =
      dialect != nullptr ? dialect->managed_fields : Dialects().front().managed_fields;
  constexpr std::size_t kCallOf[] = {0, 1, 1, 2};  // model: interact, then stream, run_many
  for (std::size_t i = 0; i < fields.size(); ++i) {
    managed.push_back({std::string(fields[i]), value_for(fields[i]),
                       calls[kCallOf[std::min(i, std::size(kCallOf) - 1)]]});
  }
  for (const Managed& m : managed) {
    run.Case(std::string(m.call) + " with provider_options." + scope + "." + m.field);
    Requirements requirements;
    requirements.provider_options = {{scope, {{m.field, m.value}}}};
    from = server.journal().size();
    std::optional<SubjectError> error;
    try {
      const std::string_view call = m.call;
      if (call == "stream") {
        StreamOutcome outcome = session->Stream(kEnvironment, Prompt("s12 managed"), requirements);
        error = outcome.error;
      } else if (call == "run_many") {
        session->RunMany(kEnvironment, {Prompt("s12 managed")}, requirements, 1);
      } else {
        session->Interact(kEnvironment, Prompt("s12 managed"), requirements);
      }
    } catch (const SubjectError& raised) {
      error = raised;
    }
    run.Require(error.has_value() && error->kind == "configuration",
                std::string("fails with a configuration error naming ") + m.field,
                error ? Describe(*error) : "it succeeded: the option was applied or ignored");
    run.Count("generation requests the server saw for the refused call",
              static_cast<std::int64_t>(GenerationBodies(server, from, generation_path).size()), 0,
              "request");
  }
  run.Case("");
  run.RecordJournal(server);
  CloseQuietly(session);
}

}  // namespace

std::span<const CheckEntry> SessionChecks() noexcept {
  // clang-format off
  static constexpr CheckEntry kTable[] = {
      {"S1", "one provider instance, made at open, used for every call", CheckS1},
      {"S2", "close, close again, and scope exit: closed exactly once, transport released", CheckS2},
      {"S3", "after close every call fails with the closed-session error and reaches nothing", CheckS3},
      {"S4", "one-shot interact, stream (also abandoned after 2 events), run_many, check_ready: one instance, closed once, same answers, no connection left open", CheckS4},
      {"S5", "4 turns over 1 connection; 4 one-shot calls over 4", CheckS5},
      {"S6", "abandon a stream after 2 events: next turn works, at most one new connection", CheckS6},
      {"S7", "error event, dropped connection, malformed chunk: stream raises, session usable", CheckS7},
      {"S8", "done equals interact: text, reasoning, tool calls, usage, finish reason", CheckS8},
      {"S9", "run_many of 8 at concurrency 3: prompt order, at most 3 connections open", CheckS9},
      {"S10", "8 threads x 2 turns on one session: all complete, answers match", CheckS10},
      {"S11", "close during a slow stream: the stream ends with an error promptly", CheckS11},
      {"S12", "own scope merged, LocalReasoning true and false in interact, stream, run_many; foreign scopes never sent; managed fields refused before any request", CheckS12},
  };
  // clang-format on
  return kTable;
}

}  // namespace provkit::conformance::internal
