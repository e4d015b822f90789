// The W checks, one function per clause of contract version 2, over WireRun and the bounded client.
#include "wire_checks.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <utility>

#include "clause_run.hpp"

namespace provkit::conformance::internal {
namespace {

using nlohmann::json;
using wire::Printable;
using wire::WireAnswer;
using wire::WireProblem;
using wire::WireRequest;

constexpr std::size_t kMaxRequestRecords = 64;
constexpr std::size_t kExcerptBytes = 200;
constexpr std::size_t kRecordBodyBytes = 600;
constexpr int kMaxJsonDepth = 64;
constexpr std::size_t kMaxJsonValues = 100000;
constexpr int kKeepAliveRequests = 20;
constexpr int kLatencyRequests = 50;

std::string Join(const std::vector<std::string>& parts, std::string_view separator = "; ") {
  std::string text;
  for (const std::string& part : parts) {
    if (!text.empty()) text += separator;
    text += part;
  }
  return text;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())) != 0)
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())) != 0)
    text.remove_suffix(1);
  return text;
}

/// Why `text` is refused before parsing, or nullopt: nesting deeper than
/// kMaxJsonDepth (copying or printing it recurses once per level), or more than
/// kMaxJsonValues values (each costs tens of bytes in memory, so 4 MiB of "[0,0,..."
/// would cost far more than the body). Strings are skipped.
std::optional<std::string> RefusedJson(std::string_view text) {
  int depth = 0;
  std::size_t values = 0;
  bool in_string = false;
  bool escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) {
        return "JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels";
      }
      ++values;
    } else if (c == ']' || c == '}') {
      --depth;
    } else if (c == ',') {
      ++values;
    }
    if (values > kMaxJsonValues) {
      return "JSON holding more than " + std::to_string(kMaxJsonValues) + " values";
    }
  }
  return std::nullopt;
}

/// The body as JSON, or nullopt when it is not JSON or RefusedJson refuses it
/// (then `why`, when given, says so).
std::optional<json> ParseJson(std::string_view text, std::string* why = nullptr) {
  if (std::optional<std::string> refused = RefusedJson(text)) {
    if (why != nullptr) *why = std::move(*refused);
    return std::nullopt;
  }
  json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded()) return std::nullopt;
  return doc;
}

std::string Dump(const json& value) {
  return Printable(value.dump(-1, ' ', false, json::error_handler_t::replace), kExcerptBytes);
}

/// An error envelope in any common shape (R15): {"error":{...}}, {"error":"..."}
/// or the flat {"object":"error","message":...}.
bool IsErrorEnvelope(const json& doc) {
  if (!doc.is_object()) return false;
  if (const auto error = doc.find("error"); error != doc.end()) {
    return error->is_object() || (error->is_string() && !error->get<std::string>().empty());
  }
  const auto object = doc.find("object");
  return object != doc.end() && object->is_string() && *object == "error" &&
         doc.contains("message");
}

/// The envelope's message text when `body` is an error envelope.
std::optional<std::string> EnvelopeMessage(std::string_view body) {
  const std::optional<json> doc = ParseJson(body);
  if (!doc || !IsErrorEnvelope(*doc)) return std::nullopt;
  std::optional<std::string> message = ErrorBodyMessage(body);
  return message ? message : std::optional<std::string>(std::string());
}

std::string Excerpt(std::string_view body) {
  if (Trim(body).empty()) return "an empty body";
  return "body \"" + Printable(body, kExcerptBytes) + "\"";
}

/// "404 Not Found, application/json, body "..."": an answer in one printable line.
std::string Brief(const WireAnswer& answer) {
  std::string text = std::to_string(answer.status);
  if (!answer.reason.empty()) text += " " + Printable(answer.reason, 40);
  const std::string media = answer.MediaType();
  text += media.empty() ? ", no Content-Type" : ", " + Printable(media, 60);
  return text + ", " + Excerpt(answer.body);
}

std::string ChatBody(const std::string& model, bool stream) {
  json body = {{"model", model},
               {"messages", json::array({{{"role", "user"}, {"content", "Say hi."}}})},
               {"max_tokens", 8},
               {"stream", stream}};
  if (stream) body["stream_options"] = {{"include_usage", true}};
  return body.dump();
}

WireRequest Post(const std::string& path, std::string body, bool stream) {
  return {.method = "POST", .path = path, .body = std::move(body), .stream = stream};
}

bool IsAbsentStatus(int status) { return status == 404 || status == 405 || status == 501; }

std::string QuoteId(std::string_view text) { return "'" + Printable(text, 120) + "'"; }

double Percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  const auto index = static_cast<std::size_t>(p * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(index, values.size() - 1)];
}

std::string Milliseconds(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f ms", value);
  return text;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// WireRun

WireRun::WireRun(std::string_view clause_id, ServerTarget target, Url url)
    : clause_id_(clause_id), target_(std::move(target)), url_(std::move(url)) {
  const std::size_t slash = url_.path.rfind('/');
  const std::string root = slash == std::string::npos ? std::string() : url_.path.substr(0, slash);
  health_path_ = root + "/health";
  models_path_ = url_.path + "/models";
  chat_path_ = url_.path + "/chat/completions";
  limits_.exchange_timeout = target_.request_timeout;
  deadline_ = wire::Clock::now() + target_.clause_budget;
}

WireRun::~WireRun() = default;

std::unique_ptr<wire::WireClient> WireRun::NewClient() {
  return std::make_unique<wire::WireClient>(url_.host, url_.port, target_.api_key, limits_,
                                            deadline_, &connections_);
}

wire::WireAnswer WireRun::Send(wire::WireClient& client, const wire::WireRequest& request,
                               bool record) {
  WireAnswer answer = client.Exchange(request);
  if (record && requests_.size() < kMaxRequestRecords) {
    reports::RequestRecord entry;
    entry.connection = answer.connection;
    entry.method = request.method;
    entry.path = Printable(request.path, 200);
    if (answer.status != 0) entry.status = answer.status;
    if (request.body) entry.request_body = Printable(*request.body, kRecordBodyBytes);
    if (!answer.body.empty()) entry.response_body = Printable(answer.body, kRecordBodyBytes);
    entry.duration_ms = answer.elapsed_ms;
    requests_.push_back(std::move(entry));
  }
  return answer;
}

const std::optional<std::vector<std::string>>& WireRun::ListedIds() {
  if (listing_fetched_) return listed_ids_;
  listing_fetched_ = true;
  auto client = NewClient();
  const WireAnswer answer = client->Get(models_path_);
  if (!answer.ok()) {
    listing_problem_ = "GET " + models_path_ + ": " + answer.problem_text;
    return listed_ids_;
  }
  const std::optional<json> doc = ParseJson(answer.body);
  const json* data = nullptr;
  if (doc && doc->is_object()) {
    if (const auto found = doc->find("data"); found != doc->end() && found->is_array())
      data = &*found;
  }
  if (answer.status != 200) {
    listing_problem_ = "GET " + models_path_ + " answered " + Brief(answer);
    return listed_ids_;
  }
  if (data == nullptr) {
    listing_problem_ = "GET " + models_path_ + " answered 200 with no \"data\" list (" +
                       (doc ? "" : "not JSON: ") + Excerpt(answer.body) + ")";
    return listed_ids_;
  }
  std::vector<std::string> ids;
  for (const json& entry : *data) {
    if (!entry.is_object()) continue;
    const auto id = entry.find("id");
    if (id != entry.end() && id->is_string() && !id->get<std::string>().empty())
      ids.push_back(id->get<std::string>());
  }
  if (ids.empty()) listing_problem_ = "GET " + models_path_ + " lists no model";
  listed_ids_ = std::move(ids);
  return listed_ids_;
}

void WireRun::UseListing(std::optional<std::vector<std::string>> ids, std::string problem) {
  listing_fetched_ = true;
  listed_ids_ = std::move(ids);
  listing_problem_ = std::move(problem);
}

const std::optional<std::string>& WireRun::Model() {
  if (model_) return model_;
  const auto& ids = ListedIds();
  const bool listing = ids && !ids->empty();
  if (target_.model) {
    const bool listed = !ids || std::find(ids->begin(), ids->end(), *target_.model) != ids->end();
    if (listed || !listing) {
      model_ = target_.model;
    } else {
      model_ = ids->front();
      Note("model " + QuoteId(*target_.model) +
           " was given but is not listed, so the chat "
           "requests name the first listed, " +
           QuoteId(*model_));
    }
  } else if (listing) {
    model_ = ids->front();
    Note("model " + QuoteId(*model_) + " (the first listed; none was given)");
  }
  return model_;
}

bool WireRun::Require(bool ok, std::string_view expectation, std::string_view observation) {
  const std::string expected(expectation);
  if (std::find(expected_.begin(), expected_.end(), expected) == expected_.end())
    expected_.push_back(expected);
  if (!ok) {
    failures_.push_back(expected + ", observed " + std::string(observation));
    observed_.emplace_back(observation);
  }
  return ok;
}

bool WireRun::Should(bool ok, std::string_view expectation, std::string_view observation) {
  const std::string expected = "(strict) " + std::string(expectation);
  if (std::find(expected_.begin(), expected_.end(), expected) == expected_.end())
    expected_.push_back(expected);
  if (!ok) {
    non_strict_.push_back("strict part: " + std::string(expectation) + ", observed " +
                          std::string(observation));
    observed_.emplace_back(observation);
  }
  return ok;
}

bool WireRun::RequireAnswer(const wire::WireAnswer& answer, std::string_view what) {
  if (answer.ok()) return true;
  if (answer.problem == WireProblem::kConnect || answer.problem == WireProblem::kResolve ||
      (answer.problem == WireProblem::kTimeout && answer.connection == 0)) {
    return Require(false, std::string(what) + " reaches the server",
                   "cannot reach " + Printable(target_.base_url, 200) + ": " + answer.problem_text +
                       ". Check that the server is running.");
  }
  return Require(false, std::string(what) + " gets a well-formed HTTP/1.1 answer within the limits",
                 answer.problem_text);
}

void WireRun::Note(std::string sentence) { invariants_.push_back(std::move(sentence)); }

void WireRun::Observe(std::string text) { observed_.push_back(std::move(text)); }

void WireRun::Info(std::string reason) { info_ = std::move(reason); }

void WireRun::Skip(std::string reason) {
  if (!skip_) skip_ = std::move(reason);
}

void WireRun::Error(std::string reason) { errors_.push_back(std::move(reason)); }

reports::ClauseResult WireRun::Finish(double duration_ms) {
  reports::ClauseBuilder builder(clause_id_);
  if (!errors_.empty()) {
    builder.Error(Join(errors_));
  } else if (!failures_.empty()) {
    builder.Fail(Join(failures_));
  } else if (!non_strict_.empty()) {
    builder.NonStrict(Join(non_strict_));
  } else if (skip_) {
    builder.Skip(*skip_);
  } else if (info_) {
    builder.Info(*info_);
  } else if (expected_.empty()) {
    builder.Error("the check judged nothing");
  } else {
    builder.Pass();
  }
  for (const std::string& item : expected_) builder.ExpectedItem(item);
  for (const std::string& item : observed_) builder.ObservedItem(item);
  builder.DurationMs(duration_ms);
  for (std::string& sentence : invariants_) builder.Invariant(std::move(sentence));
  for (reports::RequestRecord& record : requests_) builder.Request(std::move(record));
  return std::move(builder).Build();
}

// ---------------------------------------------------------------------------------------------
// The checks

/// SKIPs the clause, saying why, when `answer` (to `request`, e.g. "GET /v1/models") shows a server
/// that does not serve the harness at all: 503 (loading, overloaded; llama.cpp answers every
/// endpoint so while a model loads) or 401/403 (credentials missing or refused). Those are states
/// of the server or of the run's configuration, not wire behaviour the clause judges. True when
/// it skipped.
bool SkipUnlessServing(WireRun& run, const WireAnswer& answer, const std::string& request) {
  if (answer.status == 503) {
    run.Skip("the server is not ready: " + request + " answered " + Brief(answer) +
             "; this clause judges a ready server, run it again once the model is loaded "
             "(provkit check URL --model M --wait 5m waits for that)");
    return true;
  }
  if (answer.status == 401 || answer.status == 403) {
    run.Skip(request + " answered " + Brief(answer) + ": the server " +
             (run.target().api_key.empty() ? "wants an API key and none was given"
                                           : "refuses the API key given") +
             "; pass the server's key with --api-key or $PROVKIT_API_KEY");
    return true;
  }
  return false;
}

void CheckW1(WireRun& run) {
  const std::string& path = run.health_path();
  auto client = run.NewClient();
  const WireAnswer health = run.Send(*client, {.method = "GET", .path = path});
  if (!run.RequireAnswer(health, "GET " + path)) return;
  run.Observe(Brief(health));
  const int status = health.status;
  const std::string expectation =
      "GET " + path +
      " of a ready server answers 200 with a JSON object carrying \"status\", an empty body or a "
      "text/plain body (404, 405 or 501 when absent)";

  if (IsAbsentStatus(status)) {
    run.Info("no health endpoint (GET " + path + " answered " + std::to_string(status) +
             "): allowed, the probe falls back to the listing");
    return;
  }
  if (status == 200) {
    const std::optional<json> doc = ParseJson(health.body);
    if (doc && doc->is_object() && doc->contains("status")) {
      const json& value = (*doc)["status"];
      run.Note("200 with status " + Dump(value));
      run.Require(true, expectation, "");
      return;
    }
    if (doc && IsErrorEnvelope(*doc)) {
      const std::optional<std::string> message = EnvelopeMessage(health.body);
      run.Info("no health endpoint (GET " + path + " answered 200 holding an error envelope" +
               (message && !message->empty() ? ", \"" + Printable(*message, 120) + "\"" : "") +
               ", as LM Studio answers unknown paths): allowed, the probe falls back to the "
               "listing");
      return;
    }
    if (Trim(health.body).empty()) {
      run.Note("200 with an empty body: healthy (R10)");
      run.Require(true, expectation, "");
      return;
    }
    if (health.MediaType() == "text/plain") {
      run.Note("200 text/plain \"" + Printable(Trim(health.body), 120) + "\": healthy (R10)");
      run.Require(true, expectation, "");
      return;
    }
    run.Require(
        false, expectation,
        "200 with " + Excerpt(health.body) + " (" +
            (health.MediaType().empty() ? "no Content-Type" : Printable(health.MediaType(), 60)) +
            "): neither a JSON object carrying \"status\", nor empty, nor text/plain");
    return;
  }
  if (status >= 500) {
    const auto& ids = run.ListedIds();
    std::optional<std::string> model = run.target().model;
    if (!model && ids && !ids->empty()) model = ids->front();
    const bool listed = model && ids && std::find(ids->begin(), ids->end(), *model) != ids->end();
    if (listed) {
      run.Require(false, expectation,
                  std::to_string(status) + " while the listing names model " + QuoteId(*model) +
                      ": every probe will call the server not ready (" + Brief(health) + ")");
      return;
    }
    run.Skip("the server is not ready: GET " + path + " answered " + Brief(health) + ", and " +
             (model && ids ? "the listing does not name model " + QuoteId(*model)
                           : run.listing_problem()) +
             "; W1 judges a ready server, run it again once the model is loaded");
    return;
  }
  std::string observation = Brief(health);
  if (status == 401 || status == 403) {
    observation +=
        ": the health endpoint refuses the credentials, so every probe calls the server "
        "not ready";
  }
  run.Require(false, expectation, observation);
}

void CheckW2(WireRun& run) {
  const std::string& path = run.models_path();
  auto client = run.NewClient();
  const WireAnswer answer = run.Send(*client, {.method = "GET", .path = path});
  if (!run.RequireAnswer(answer, "GET " + path)) return;
  run.Observe(Brief(answer));
  if (SkipUnlessServing(run, answer, "GET " + path)) return;
  if (!run.Require(answer.status == 200, "GET " + path + " answers 200", Brief(answer))) return;
  std::string refused;
  const std::optional<json> doc = ParseJson(answer.body, &refused);
  const std::string shape =
      "the body is {\"object\":\"list\",\"data\":[{\"id\":<string>,\"object\":\"model\",...}]}";
  if (!run.Require(
          doc.has_value(), shape,
          (refused.empty() ? "not JSON: " : refused + ", not judged: ") + Excerpt(answer.body))) {
    return;
  }
  if (!run.Require(doc->is_object(), shape, "not a JSON object: " + Excerpt(answer.body))) return;
  const auto object = doc->find("object");
  if (!run.Require(object != doc->end() && *object == "list", shape,
                   object == doc->end() ? "no \"object\" member"
                                        : "\"object\" is " + Dump(*object) + ", not \"list\"")) {
    return;
  }
  const auto data = doc->find("data");
  if (!run.Require(data != doc->end() && data->is_array(), shape,
                   data == doc->end() ? "no \"data\" member"
                                      : "\"data\" is " + Dump(*data) + ", not a list")) {
    return;
  }
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < data->size(); ++i) {
    const json& entry = (*data)[i];
    const bool id_ok = entry.is_object() && entry.contains("id") && entry["id"].is_string();
    const bool object_ok =
        entry.is_object() && entry.contains("object") && entry["object"] == "model";
    if (!run.Require(id_ok && object_ok,
                     "every entry of data has a string \"id\" and \"object\":\"model\"",
                     "data[" + std::to_string(i) + "] is " + Dump(entry))) {
      return;
    }
    ids.push_back(entry["id"].get<std::string>());
  }
  std::vector<std::string> shown;
  for (std::size_t i = 0; i < ids.size() && i < 5; ++i) shown.push_back(QuoteId(ids[i]));
  run.Note(std::to_string(ids.size()) + " models listed" +
           (ids.empty() ? "" : ": " + Join(shown, ", ")) + (ids.size() > 5 ? ", ..." : ""));
  if (const auto& model = run.target().model) {
    const bool listed = std::find(ids.begin(), ids.end(), *model) != ids.end();
    run.Note("model " + QuoteId(*model) + (listed ? " is listed" : " is not listed (see R4)"));
  }
}

void CheckW3(WireRun& run) {
  const std::optional<std::string>& model = run.Model();
  if (!model) {
    run.Skip("no model to name in the control request: none was given (--model) and " +
             run.listing_problem());
    return;
  }
  const std::string& path = run.chat_path();
  auto client = run.NewClient();
  const WireAnswer control = run.Send(*client, Post(path, ChatBody(*model, false), false));
  if (!run.RequireAnswer(control, "the control request (POST " + path + ")")) return;
  run.Observe("control: " + Brief(control));
  const std::optional<json> doc = ParseJson(control.body);
  const bool completion =
      doc && doc->is_object() && doc->contains("choices") && (*doc)["choices"].is_array();
  std::string observation = Brief(control);
  if (control.status == 404) observation += ": a chat endpoint that refuses every request";
  if (!run.Require(control.status == 200 && completion,
                   "a chat completion naming listed model " + QuoteId(*model) +
                       " answers 200 with a completion (the control request)",
                   observation)) {
    return;
  }

  const std::string unknown(kUnlistedModel);
  const WireAnswer refused = run.Send(*client, Post(path, ChatBody(unknown, false), false));
  if (!run.RequireAnswer(refused, "POST " + path + " naming an unlisted model")) return;
  run.Observe("unlisted model: " + Brief(refused));
  const std::string strict = "a chat completion naming model " + QuoteId(unknown) +
                             ", which the server does not list, answers 404 or 400 with an error "
                             "envelope whose message names the model or says it was not found";
  if (refused.status == 200) {
    const std::optional<json> answer = ParseJson(refused.body);
    std::string named;
    if (answer && answer->is_object() && answer->contains("model") &&
        (*answer)["model"].is_string())
      named = " (the answer names model " + QuoteId((*answer)["model"].get<std::string>()) + ")";
    run.Should(false, strict,
               "200: the server answers for a model it does not list" + named +
                   "; only the listing (R2, R4) catches a wrong model");
    return;
  }
  if (!run.Should(refused.status == 404 || refused.status == 400, strict, Brief(refused))) return;
  const std::optional<std::string> message = EnvelopeMessage(refused.body);
  if (!run.Should(message.has_value(), strict, "no error envelope: " + Excerpt(refused.body)))
    return;
  const bool says = ContainsNoCase(*message, unknown) || ContainsNoCase(*message, "not found") ||
                    ContainsNoCase(*message, "not exist") || ContainsNoCase(*message, "no such") ||
                    ContainsNoCase(*message, "unknown model");
  run.Should(says, strict,
             "the message \"" + Printable(*message, 160) +
                 "\" neither names the model nor says it was not found");
}

void CheckW4(WireRun& run) {
  const std::optional<std::string>& model = run.Model();
  if (!model) {
    run.Skip("no model to stream from: none was given (--model) and " + run.listing_problem());
    return;
  }
  const std::string& path = run.chat_path();
  auto client = run.NewClient();
  const WireAnswer answer = run.Send(*client, Post(path, ChatBody(*model, true), true));
  if (!run.RequireAnswer(answer, "a streamed chat completion (POST " + path + ")")) return;
  if (!run.Require(
          answer.status == 200,
          "a streamed chat completion naming listed model " + QuoteId(*model) + " answers 200",
          Brief(answer))) {
    return;
  }
  if (!run.Require(answer.event_stream, "Content-Type: text/event-stream",
                   answer.MediaType().empty()
                       ? "no Content-Type"
                       : "Content-Type " + Printable(*answer.Header("content-type"), 80) + ", " +
                             Excerpt(answer.body))) {
    return;
  }
  const std::string chunks_expected = "every data: event holds a chat.completion.chunk object";
  int chunks = 0;
  std::optional<std::size_t> done_at;
  std::optional<json> last_chunk;  // only the last is kept: memory stays one event's worth
  for (std::size_t i = 0; i < answer.events.size(); ++i) {
    const std::string& data = answer.events[i];
    if (Trim(data) == "[DONE]") {
      if (!done_at) done_at = i;
      continue;
    }
    if (done_at) {
      run.Require(false, "the stream ends with data: [DONE]",
                  "event " + std::to_string(i + 1) + " follows [DONE]: \"" +
                      Printable(data, kExcerptBytes) + "\"");
      return;
    }
    std::optional<json> chunk = ParseJson(data);
    if (chunk && IsErrorEnvelope(*chunk)) {
      const std::optional<std::string> message = EnvelopeMessage(data);
      run.Require(false, chunks_expected,
                  "event " + std::to_string(i + 1) + " is an error envelope: \"" +
                      Printable(message.value_or(data), kExcerptBytes) + "\"");
      return;
    }
    if (!run.Require(
            chunk && chunk->is_object() && chunk->contains("object") &&
                (*chunk)["object"] == "chat.completion.chunk",
            chunks_expected,
            "event " + std::to_string(i + 1) + " is \"" + Printable(data, kExcerptBytes) + "\"")) {
      return;
    }
    ++chunks;
    last_chunk = std::move(chunk);
  }
  const bool usage_last = last_chunk.has_value() && last_chunk->contains("usage") &&
                          (*last_chunk)["usage"].is_object() && last_chunk->contains("choices") &&
                          (*last_chunk)["choices"].is_array() && (*last_chunk)["choices"].empty();
  run.Note(std::to_string(answer.events.size()) + " events, " + std::to_string(chunks) +
           " chunks, " + std::to_string(answer.stream_bytes) + " bytes; [DONE] " +
           (done_at ? "last" : "missing") + "; last chunk " +
           (usage_last ? "carries usage and empty choices" : "without usage and empty choices"));
  run.Require(chunks > 0, chunks_expected, "no chunk at all before the stream ended");
  run.Require(done_at.has_value(), "the stream ends with data: [DONE]",
              answer.events.empty()
                  ? "no event at all"
                  : "the last event is \"" + Printable(answer.events.back(), kExcerptBytes) + "\"");
  run.Require(usage_last,
              "with stream_options.include_usage the last chunk carries \"usage\" and empty "
              "\"choices\"",
              !last_chunk ? "no chunk" : "the last chunk is " + Dump(*last_chunk));
}

void CheckW5(WireRun& run) {
  const std::string& path = run.models_path();
  const std::string expectation = std::to_string(kKeepAliveRequests) + " sequential GET " + path +
                                  " succeed over one HTTP/1.1 connection";
  auto client = run.NewClient();
  int first_connection = 0;
  int succeeded = 0;
  for (int i = 1; i <= kKeepAliveRequests; ++i) {
    const WireAnswer answer = run.Send(*client, {.method = "GET", .path = path});
    const std::string request = "request " + std::to_string(i);
    if (!answer.ok()) {
      if (i == 1) {
        run.RequireAnswer(answer, "GET " + path);
      } else {
        run.Require(false, expectation, request + ": " + answer.problem_text);
      }
      break;
    }
    if (i == 1 && SkipUnlessServing(run, answer, "GET " + path)) return;
    if (i == 1) first_connection = answer.connection;
    if (answer.connection != first_connection) {
      run.Require(false, expectation,
                  request + " needed a new connection: the server closed the previous one after " +
                      std::to_string(i - 1) + " requests without saying so (no Connection: close)");
      break;
    }
    if (!run.Require(answer.version == "HTTP/1.1", expectation,
                     request + " was answered in " + Printable(answer.version, 16))) {
      break;
    }
    if (!run.Require(answer.status == 200, expectation, request + " answered " + Brief(answer))) {
      break;
    }
    ++succeeded;
    if (!answer.keep_alive && i < kKeepAliveRequests) {
      run.Require(false, expectation,
                  "the server closed the connection after " + request +
                      (answer.Header("connection") != nullptr
                           ? " (Connection: " + Printable(*answer.Header("connection"), 40) + ")"
                           : " (the body ran to the end of the connection)"));
      break;
    }
  }
  run.Note(std::to_string(succeeded) + " of " + std::to_string(kKeepAliveRequests) +
           " requests succeeded over " + std::to_string(client->connections_opened()) +
           " connection" + (client->connections_opened() == 1 ? "" : "s") + " (expected " +
           std::to_string(kKeepAliveRequests) + " over 1)");
}

void CheckW6(WireRun& run) {
  std::vector<std::string> sentences;
  for (const std::string& path : {run.health_path(), run.models_path()}) {
    auto client = run.NewClient();
    std::vector<double> ms;
    std::vector<int> statuses;
    std::string stopped;
    int first_connection = 0;
    for (int i = 1; i <= kLatencyRequests; ++i) {
      const WireAnswer answer = run.Send(*client, {.method = "GET", .path = path}, i == 1);
      if (!answer.ok()) {
        stopped = answer.problem_text;
        break;
      }
      if (i == 1) first_connection = answer.connection;
      if (answer.connection != first_connection) {
        stopped = "the server closed the connection after " + std::to_string(i - 1) + " requests";
        break;
      }
      ms.push_back(answer.elapsed_ms);
      if (std::find(statuses.begin(), statuses.end(), answer.status) == statuses.end())
        statuses.push_back(answer.status);
      if (!answer.keep_alive && i < kLatencyRequests) {
        stopped = "the server closed the connection after request " + std::to_string(i);
        break;
      }
    }
    std::string sentence = "GET " + path + ": ";
    if (ms.empty()) {
      sentence += "nothing answered (" + stopped + ")";
    } else {
      std::vector<std::string> codes;
      for (const int status : statuses) codes.push_back(std::to_string(status));
      sentence += "median " + Milliseconds(Percentile(ms, 0.5)) + ", p99 " +
                  Milliseconds(Percentile(ms, 0.99)) + " over " + std::to_string(ms.size()) +
                  " requests on one connection (status " + Join(codes, ", ") + ")";
      if (!stopped.empty()) sentence += "; stopped early: " + stopped;
    }
    run.Note(sentence);
    sentences.push_back(std::move(sentence));
  }
  run.Info(Join(sentences));
}

void CheckW7(WireRun& run) {
  const std::optional<std::string>& model = run.Model();
  if (!model) {
    run.Skip("no model to stream from: none was given (--model) and " + run.listing_problem());
    return;
  }
  const std::string& path = run.chat_path();
  auto client = run.NewClient();
  const WireAnswer control = run.Send(*client, Post(path, ChatBody(*model, true), true));
  if (!run.RequireAnswer(control, "the control streamed request (POST " + path + ")")) return;
  run.Observe("control: " + Brief(control));
  if (control.status != 200 || !control.event_stream) {
    run.Skip("the chat endpoint refuses a valid streamed request for listed model " +
             QuoteId(*model) + " too (" + Brief(control) +
             "), so its refusals of bad requests would show nothing; W3 and W4 judge that");
    return;
  }
  json no_messages = {{"model", *model},
                      {"stream", true},
                      {"stream_options", {{"include_usage", true}}},
                      {"max_tokens", 8}};
  const std::array<std::pair<std::string, std::string>, 2> cases = {{
      {"a streamed request without messages", no_messages.dump()},
      {"a streamed request whose body is not JSON",
       R"({"model":)" + json(*model).dump() + R"(,"stream":true,"messages":[{"role":)"},
  }};
  for (const auto& [what, body] : cases) {
    const WireAnswer answer = run.Send(*client, Post(path, body, true));
    if (!run.RequireAnswer(answer, what)) continue;
    run.Observe(what + ": " + Brief(answer));
    const std::string expectation =
        what +
        " is refused before generating: an HTTP error status with an error envelope, not "
        "a 200 event stream";
    if (!run.Require(answer.status >= 400, expectation,
                     answer.status == 200 && answer.event_stream
                         ? "200 text/event-stream: the refusal, if any, arrives inside a stream"
                         : Brief(answer))) {
      continue;
    }
    run.Require(
        EnvelopeMessage(answer.body).has_value(), expectation,
        std::to_string(answer.status) + " without an error envelope: " + Excerpt(answer.body));
  }
  run.Note(
      "only the first part of W7 is judged here: a live server cannot be made to fail after "
      "streaming began on demand, so whether such an error arrives as a data: event holding an "
      "error envelope, and whether [DONE] follows it, is judged against the mock's profiles and "
      "replays, not against this URL");
}

namespace {

struct WireEntry {
  std::string_view id;
  WireCheckFn check;
  std::string_view summary;
};

constexpr std::array kWireChecks = {
    WireEntry{"W1", CheckW1,
              "GET /health: 200 with status, empty or text/plain; absent is INFO; 5xx while the "
              "listing names the model FAILs"},
    WireEntry{"W2", CheckW2, "GET <base>/models: an OpenAI model list"},
    WireEntry{"W3", CheckW3,
              "chat with a listed model succeeds; strict: an unlisted model is refused 404/400 "
              "with an envelope"},
    WireEntry{"W4", CheckW4, "streaming: event-stream, chunks, usage chunk last, [DONE]"},
    WireEntry{"W5", CheckW5, "20 sequential requests over one HTTP/1.1 connection"},
    WireEntry{"W6", CheckW6,
              "INFO: median and p99 latency of /health and /models, 50 requests each"},
    WireEntry{"W7", CheckW7,
              "streamed requests without messages or with a non-JSON body are refused with an HTTP "
              "error and an envelope"},
};

const WireEntry* FindWire(std::string_view clause_id) {
  for (const WireEntry& entry : kWireChecks) {
    if (entry.id == clause_id) return &entry;
  }
  return nullptr;
}

}  // namespace

WireCheckFn WireCheck(std::string_view clause_id) {
  const WireEntry* entry = FindWire(clause_id);
  return entry == nullptr ? nullptr : entry->check;
}

std::string_view WireCheckSummary(std::string_view clause_id) {
  const WireEntry* entry = FindWire(clause_id);
  return entry == nullptr ? std::string_view() : entry->summary;
}

}  // namespace provkit::conformance::internal
