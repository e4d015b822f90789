// The judge: the clause-check table, ClauseRun's bookkeeping, and running a subject through its
// clauses.
#include "provkit/conformance/judge.hpp"

#include <httplib.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <utility>

#include "clause_run.hpp"
#include "provkit/conformance/interrupt.hpp"
#include "provkit/support/clip.hpp"
#include "wire_checks.hpp"

namespace provkit::conformance {
namespace internal {
namespace {

constexpr std::size_t kMaxRequestsPerClause = 40;
constexpr std::size_t kMaxBodyChars = 300;

std::string Plural(std::int64_t n, std::string_view unit) {
  std::string text = std::to_string(n) + " " + std::string(unit);
  if (n != 1 && !unit.empty()) {
    if (unit.back() == 's')
      text += "es";
    else
      text += "s";
  }
  return text;
}

}  // namespace

double MsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

ClauseRun::ClauseRun(const Clause& clause, SubjectFactory factory, const JudgeOptions& options)
    : clause_(clause), factory_(std::move(factory)), options_(options) {}

ClauseRun::~ClauseRun() {
  subject_.reset();  // adapters end (and their process groups die) before the servers stop
  for (auto& server : servers_) server->Stop();
}

mock::ServerOptions ClauseRun::ServerDefaults() const {
  mock::ServerOptions server_options;
  server_options.models = {mock::Model(options_.model), mock::Model("provkit-other")};
  server_options.threads = 64;
  return server_options;
}

mock::Server& ClauseRun::NewServer(mock::ServerOptions server_options) {
  servers_.push_back(std::make_unique<mock::Server>(std::move(server_options)));
  return *servers_.back();
}

Subject& ClauseRun::subject() {
  if (!subject_) {
    subject_ = factory_();
    if (!subject_) throw HarnessError("the subject factory returned no subject");
  }
  return *subject_;
}

Config ClauseRun::ConfigFor(const mock::Server& server, std::optional<std::string> model) const {
  Config config;
  config.base_url = server.base_url();
  if (const Dialect* dialect = FindDialect(options_.dialect)) config.provider = dialect->provider;
  config.model = std::move(model);
  config.api_key = options_.api_key;
  config.connect_timeout = Millis{1000};
  config.request_timeout = options_.request_timeout;
  config.probe_budget = options_.probe_budget;
  return config;
}

std::shared_ptr<SubjectSession> ClauseRun::Open(const mock::Server& server, bool readiness_probe) {
  return OpenWith(ConfigFor(server, options_.model), readiness_probe);
}

std::shared_ptr<SubjectSession> ClauseRun::OpenWith(const Config& config, bool readiness_probe) {
  return std::shared_ptr<SubjectSession>(subject().Open(config, readiness_probe));
}

void ClauseRun::Case(std::string name) { case_ = std::move(name); }

std::string ClauseRun::Prefixed(std::string_view text) const {
  if (case_.empty()) return std::string(text);
  return "[" + case_ + "] " + std::string(text);
}

bool ClauseRun::Require(bool ok, std::string_view expectation, std::string_view observation) {
  const std::string expected = Prefixed(expectation);
  if (std::find(expected_.begin(), expected_.end(), expected) == expected_.end())
    expected_.push_back(expected);
  if (!ok) {
    failures_.push_back(
        Prefixed(std::string(expectation) + ", observed " + std::string(observation)));
    observed_.push_back(Prefixed(observation));
  }
  return ok;
}

bool ClauseRun::Should(bool ok, std::string_view expectation, std::string_view observation) {
  const std::string expected = Prefixed("(strict) " + std::string(expectation));
  if (std::find(expected_.begin(), expected_.end(), expected) == expected_.end())
    expected_.push_back(expected);
  if (!ok) {
    non_strict_.push_back(Prefixed("strict part: " + std::string(expectation) + ", observed " +
                                   std::string(observation)));
    observed_.push_back(Prefixed(observation));
  }
  return ok;
}

bool ClauseRun::Count(std::string_view what, std::int64_t observed, std::int64_t expected,
                      std::string_view unit) {
  const std::string sentence = std::string(what) + " " + Plural(observed, unit) + " (expected " +
                               std::to_string(expected) + ")";
  invariants_.push_back(Prefixed(sentence));
  return Require(observed == expected, std::string(what) + " " + Plural(expected, unit),
                 Plural(observed, unit));
}

bool ClauseRun::CountAtMost(std::string_view what, std::int64_t observed, std::int64_t at_most,
                            std::string_view unit) {
  const std::string sentence = std::string(what) + " " + Plural(observed, unit) +
                               " (expected at most " + std::to_string(at_most) + ")";
  invariants_.push_back(Prefixed(sentence));
  return Require(observed <= at_most, std::string(what) + " at most " + Plural(at_most, unit),
                 Plural(observed, unit));
}

void ClauseRun::Skip(std::string reason) {
  if (!skip_) skip_ = std::move(reason);
}

void ClauseRun::Note(std::string sentence) { invariants_.push_back(Prefixed(sentence)); }

void ClauseRun::Observe(std::string text) { observed_.push_back(Prefixed(text)); }

void ClauseRun::RecordJournal(const mock::Server& server) {
  for (const mock::JournalEntry& entry : server.journal()) {
    if (requests_.size() >= kMaxRequestsPerClause) return;
    reports::RequestRecord record;
    record.connection = static_cast<int>(entry.connection_id);
    record.method = entry.method;
    record.path = entry.path;
    if (entry.status != 0) record.status = entry.status;
    if (!entry.body.empty()) record.request_body = Clip(entry.body, kMaxBodyChars);
    requests_.push_back(std::move(record));
  }
}

void ClauseRun::Info(std::string reason) { info_ = std::move(reason); }

void ClauseRun::Error(std::string reason) { errors_.push_back(Prefixed(reason)); }

reports::ClauseResult ClauseRun::Finish(double duration_ms) {
  auto join = [](const std::vector<std::string>& parts) {
    std::string text;
    for (const std::string& part : parts) text += (text.empty() ? "" : "; ") + part;
    return text;
  };
  reports::ClauseBuilder builder(clause_.id);
  if (!errors_.empty())
    builder.Error(join(errors_));
  else if (!failures_.empty())
    builder.Fail(join(failures_));
  else if (!non_strict_.empty())
    builder.NonStrict(join(non_strict_));
  else if (skip_)
    builder.Skip(*skip_);
  else if (info_)
    builder.Info(*info_);
  else if (expected_.empty() && invariants_.empty())
    builder.Error("the check judged nothing");
  else
    builder.Pass();
  for (const std::string& item : expected_) builder.ExpectedItem(item);
  for (const std::string& item : observed_) builder.ObservedItem(item);
  builder.DurationMs(duration_ms);
  for (std::string& sentence : invariants_) builder.Invariant(std::move(sentence));
  for (reports::RequestRecord& record : requests_) builder.Request(std::move(record));
  return std::move(builder).Build();
}

std::string Describe(const ProviderReadiness& readiness) {
  return nlohmann::json(readiness).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string Describe(const SubjectError& error) {
  return error.kind + ": " + Clip(error.what(), 400);
}

std::string Clip(std::string_view text, std::size_t limit) {
  return support::ClipPrintable(text, limit);
}

std::string Quote(const std::optional<std::string>& text) {
  return text ? "\"" + Clip(*text, 200) + "\"" : "null";
}

bool ContainsNoCase(std::string_view text, std::string_view part) {
  auto lower = [](std::string_view in) {
    std::string out(in);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    return out;
  };
  return lower(text).find(lower(part)) != std::string::npos;
}

std::optional<std::string> ErrorBodyMessage(std::string_view body) {
  const nlohmann::json doc = nlohmann::json::parse(body, nullptr, false);
  if (!doc.is_object()) return std::nullopt;
  if (const auto error = doc.find("error"); error != doc.end()) {
    if (error->is_object()) {
      if (const auto message = error->find("message");
          message != error->end() && message->is_string()) {
        return message->get<std::string>();
      }
    }
    if (error->is_string() && !error->get<std::string>().empty()) return error->get<std::string>();
  }
  if (const auto message = doc.find("message"); message != doc.end() && message->is_string()) {
    return message->get<std::string>();
  }
  return std::nullopt;
}

std::optional<std::pair<int, std::string>> FetchRaw(const mock::Server& server,
                                                    const std::string& path,
                                                    const std::string& api_key) {
  httplib::Client client(server.host(), server.port());
  client.set_connection_timeout(2, 0);
  client.set_read_timeout(5, 0);
  httplib::Headers headers;
  if (!api_key.empty()) headers.emplace("Authorization", "Bearer " + api_key);
  auto response = client.Get(path, headers);
  if (!response) return std::nullopt;
  return std::make_pair(response->status, response->body);
}

}  // namespace internal

namespace {

using internal::ClauseRun;

/// The provider check of `clause_id`, or nullptr (W clauses have none).
const internal::CheckEntry* FindCheck(std::string_view clause_id) {
  for (const auto table : {internal::ReadinessChecks(), internal::SessionChecks()}) {
    for (const internal::CheckEntry& entry : table) {
      if (entry.clause_id == clause_id) return &entry;
    }
  }
  return nullptr;
}

std::vector<ClauseCheck> AllChecks() {
  std::vector<ClauseCheck> checks;
  for (const Clause& clause : Clauses()) {
    if (const internal::CheckEntry* entry = FindCheck(clause.id)) {
      checks.push_back({entry->clause_id, entry->summary});
    }
    if (internal::WireCheck(clause.id) != nullptr) {
      checks.push_back({clause.id, internal::WireCheckSummary(clause.id)});
    }
  }
  return checks;
}

}  // namespace

std::span<const ClauseCheck> ClauseChecks() noexcept {
  static const std::vector<ClauseCheck> kChecks = AllChecks();
  return kChecks;
}

std::string_view ClauseKindLabel(const Clause& clause) {
  if (clause.info_only) return "info";
  return clause.HasStrictPart() ? "required + strict" : "required";
}

std::string ClauseCatalogMarkdown() {
  auto subjects = [](const Clause& clause) {
    std::string text;
    for (const auto& [kind, name] :
         {std::pair{SubjectKind::kCpp, "C++"}, std::pair{SubjectKind::kAdapter, "adapter"},
          std::pair{SubjectKind::kServer, "server"}}) {
      if (clause.AppliesTo(kind)) text += (text.empty() ? "" : ", ") + std::string(name);
    }
    return text;
  };
  auto summary = [](std::string_view id) {
    for (const ClauseCheck& check : ClauseChecks()) {
      if (check.clause_id == id) return std::string(check.summary);
    }
    return std::string("(no check)");
  };
  std::string out;
  for (const ClauseGroup group :
       {ClauseGroup::kReadiness, ClauseGroup::kSession, ClauseGroup::kWire}) {
    out +=
        "### " + std::string(GroupLetter(group)) + ": " + std::string(GroupTitle(group)) + "\n\n";
    out += "| ID | clause | verdicts | judged for |\n| --- | --- | --- | --- |\n";
    for (const Clause& clause : Clauses()) {
      if (clause.group != group) continue;
      std::string anchor(clause.id);
      std::transform(anchor.begin(), anchor.end(), anchor.begin(),
                     [](unsigned char c) { return std::tolower(c); });
      out += "| [" + std::string(clause.id) + "](#" + anchor + ") | " + std::string(clause.title) +
             " | " + std::string(ClauseKindLabel(clause)) + " | " + subjects(clause) + " |\n";
    }
    out += "\n";
    for (const Clause& clause : Clauses()) {
      if (clause.group != group) continue;
      out += "#### " + std::string(clause.id) + "\n\n**" + std::string(clause.title) + "**" +
             (clause.since > 1 ? " (new in version " + std::to_string(clause.since) + ")" : "") +
             "\n\n";
      out += std::string(clause.info_only ? "- Measured: " : "- Required: ") +
             std::string(clause.requirement) + "\n";
      if (clause.HasStrictPart()) out += "- Strict: " + std::string(clause.strict) + "\n";
      out += "- Judged for: " + subjects(clause) + "\n";
      out += "- How provkit judges it: " + summary(clause.id) + "\n\n";
    }
  }
  return out;
}

namespace {

constexpr std::string_view kChatManaged[] = {"model", "messages", "stream", "stream_options"};
constexpr std::string_view kResponsesManaged[] = {"model", "input", "stream"};
constexpr std::string_view kMessagesManaged[] = {"model", "messages", "stream"};

constexpr Dialect kDialects[] = {
    {"chat", "OpenAI Chat Completions", "local", "/chat/completions", true, kChatManaged,
     R"({"local":{"chat_template_kwargs":{"enable_thinking":true}}})"},
    {"responses", "OpenAI Responses", "openai", "/responses", false, kResponsesManaged,
     R"({"openai":{"reasoning":{"effort":"low","summary":"auto"}}})"},
    {"anthropic", "Anthropic Messages", "anthropic", "/messages", false, kMessagesManaged,
     R"({"anthropic":{"thinking":{"type":"enabled","budget_tokens":1024}}})"},
};

}  // namespace

std::span<const Dialect> Dialects() noexcept { return kDialects; }

const Dialect* FindDialect(std::string_view name) noexcept {
  for (const Dialect& dialect : kDialects) {
    if (dialect.name == name) return &dialect;
  }
  return nullptr;
}

const Dialect& DialectOfProvider(std::string_view provider) noexcept {
  for (const Dialect& dialect : kDialects) {
    if (dialect.provider == provider) return dialect;
  }
  return kDialects[0];
}

std::vector<std::string> ClausesFor(SubjectKind kind, std::string_view dialect) {
  const Dialect* spoken = FindDialect(dialect);
  const bool probe = spoken == nullptr || spoken->has_probe;
  std::vector<std::string> ids;
  for (const Clause& clause : Clauses()) {
    if (!clause.AppliesTo(kind)) continue;
    if (!probe && clause.id.front() == 'R' && clause.id != "R13") continue;
    ids.emplace_back(clause.id);
  }
  return ids;
}

reports::ClauseResult JudgeClause(std::string_view clause_id, const SubjectFactory& factory,
                                  const JudgeOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  const Clause* clause = FindClause(clause_id);
  if (clause == nullptr) {
    // ClauseBuilder refuses unknown IDs, so this result names a known clause and says why.
    reports::ClauseResult result;
    result.clause_id = std::string(clause_id);
    result.verdict = Verdict::kError;
    result.reason = "clause '" + std::string(clause_id) + "' is not in the contract catalog";
    return result;
  }
  const internal::CheckEntry* check = FindCheck(clause_id);
  ClauseRun run(*clause, factory, options);
  if (check == nullptr) {
    run.Error("no check is registered for this clause (W clauses are judged against a server URL)");
    return run.Finish(internal::MsSince(start));
  }
  try {
    check->check(run);
  } catch (const HarnessError& error) {
    run.Error(std::string("harness: ") + error.what());
    run.RetireSubject();
  } catch (const SubjectError& error) {
    run.Require(false, "no unexpected error from the subject", internal::Describe(error));
  } catch (const std::exception& error) {
    run.Error(std::string("harness failure: ") + error.what());
  }
  return run.Finish(internal::MsSince(start));
}

std::optional<std::vector<std::string>> ParseSelection(std::string_view only,
                                                       std::string_view group, SubjectKind kind) {
  if (only.empty() && group.empty()) return std::nullopt;
  std::vector<std::string> wanted;
  auto add = [&](std::string_view id) {
    const Clause* clause = FindClause(id);
    if (clause == nullptr) throw std::invalid_argument("unknown clause '" + std::string(id) + "'");
    if (!clause->AppliesTo(kind)) {
      throw std::invalid_argument("clause " + std::string(id) + " does not apply to " +
                                  std::string(SubjectKindName(kind)) + " subjects");
    }
    if (std::find(wanted.begin(), wanted.end(), id) == wanted.end()) wanted.emplace_back(id);
  };
  std::size_t begin = 0;
  while (begin <= only.size() && !only.empty()) {
    const std::size_t comma = only.find(',', begin);
    std::string_view part = only.substr(
        begin, comma == std::string_view::npos ? std::string_view::npos : comma - begin);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    if (!part.empty()) add(part);
    if (comma == std::string_view::npos) break;
    begin = comma + 1;
  }
  if (!group.empty()) {
    bool known = false;
    for (const Clause& clause : Clauses()) {
      if (GroupLetter(clause.group) != group) continue;
      known = true;
      if (clause.AppliesTo(kind)) add(clause.id);
    }
    if (!known)
      throw std::invalid_argument("unknown group '" + std::string(group) + "' (R, S or W)");
  }
  if (wanted.empty()) throw std::invalid_argument("the selection holds no clause for this subject");
  // Catalog order, whatever order they were asked in.
  std::vector<std::string> ordered;
  for (const Clause& clause : Clauses()) {
    if (std::find(wanted.begin(), wanted.end(), clause.id) != wanted.end())
      ordered.emplace_back(clause.id);
  }
  return ordered;
}

reports::Results RunSubject(const SubjectFactory& factory, SubjectKind kind,
                            const std::optional<std::vector<std::string>>& clauses,
                            const JudgeOptions& options, const ProgressCallback& progress) {
  reports::Subject subject;
  subject.kind = kind;
  std::optional<std::string> setup_error;
  try {
    std::unique_ptr<Subject> probe = factory();
    if (!probe) throw HarnessError("the subject factory returned no subject");
    subject.name = probe->Name();
    const Capabilities capabilities = probe->GetCapabilities();
    subject.capabilities = capabilities.ToMap();
    if (kind == SubjectKind::kAdapter &&
        std::find(capabilities.dialects.begin(), capabilities.dialects.end(), options.dialect) ==
            capabilities.dialects.end()) {
      std::string spoken;
      for (const std::string& dialect : capabilities.dialects) {
        spoken += (spoken.empty() ? "" : ", ") + dialect;
      }
      setup_error = "the adapter speaks " + (spoken.empty() ? std::string("no dialect") : spoken) +
                    " (hello's capabilities.dialects), not the dialect asked for, " +
                    options.dialect + ": give --dialect one of those, or teach the adapter " +
                    options.dialect;
    }
  } catch (const std::exception& error) {
    setup_error = std::string("the subject could not be started: ") + error.what();
    subject.name = "unknown";
  }
  nlohmann::json configuration = {{"probe_budget_ms", options.probe_budget.count()},
                                  {"budget_tolerance_ms", options.budget_tolerance.count()},
                                  {"prompt_limit_ms", options.prompt_limit.count()},
                                  {"request_timeout_ms", options.request_timeout.count()},
                                  {"model", options.model},
                                  {"api_key", options.api_key},
                                  {"dialect", options.dialect}};
  reports::Results results = reports::NewResults(subject, std::move(configuration));
  const std::vector<std::string> ids = clauses ? *clauses : ClausesFor(kind, options.dialect);
  // A dialect without a probe is judged on fewer clauses than its kind's catalog: the results
  // name them, so that a summary does not count the R clauses as missing.
  const Dialect* spoken = FindDialect(options.dialect);
  results.selection = clauses;
  if (!clauses && spoken != nullptr && !spoken->has_probe) results.selection = ids;
  int done = 0;
  for (const std::string& id : ids) {
    if (InterruptSignal() != 0) break;
    reports::ClauseResult result;
    if (setup_error) {
      result = reports::ClauseBuilder(id).Error(*setup_error);
    } else {
      result = JudgeClause(id, factory, options);
    }
    if (const int signal = InterruptSignal(); signal != 0 && result.verdict == Verdict::kError) {
      // The interruption killed the adapter under this clause: that is no verdict on it.
      result = reports::ClauseBuilder(id).Error("interrupted by " + SignalName(signal) +
                                                " while this clause was judged");
    }
    ++done;
    if (progress) progress(result, done, static_cast<int>(ids.size()));
    results.Add(std::move(result));
  }
  if (const int signal = InterruptSignal()) {
    results.configuration["interrupted_by"] = SignalName(signal);
  }
  return results;
}

std::string ProgressLine(const reports::ClauseResult& result, int done, int total) {
  const Clause* clause = FindClause(result.clause_id);
  char head[96];
  std::snprintf(head, sizeof head, "[%2d/%d] %-4s %-10s %6.0f ms  ", done, total,
                result.clause_id.c_str(), std::string(VerdictName(result.verdict)).c_str(),
                result.duration_ms);
  std::string line = head;
  line += clause != nullptr ? std::string(clause->title) : std::string();
  if (result.verdict != Verdict::kPass && !result.reason.empty()) {
    line += "\n" + std::string(24, ' ') + support::ClipPrintable(result.reason, 300);
  }
  return line;
}

}  // namespace provkit::conformance
