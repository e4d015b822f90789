// The results model's builders and its JSON writer.
#include "provkit/reports/results.hpp"

#include <sys/utsname.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <ctime>
#include <thread>
#include <utility>

#include "provkit/reports/file.hpp"
#include "provkit/runtime/error.hpp"
#include "provkit/support/redact.hpp"
#include "text.hpp"

#ifndef PROVKIT_VERSION
#define PROVKIT_VERSION "0.0.0-unknown"
#endif

namespace provkit::reports {
namespace {

using OrderedJson = nlohmann::ordered_json;

void AppendDistinct(std::string& into, const std::string& more, std::string_view separator) {
  if (more.empty() || more == into) return;
  if (!into.empty()) into += separator;
  into += more;
}

// Appends `item` as one line of an evidence list; an empty item adds nothing.
void AppendItem(std::string& into, std::string_view item) {
  const std::string line = text::OneLine(item);
  if (line.empty()) return;
  if (!into.empty() && into.back() != '\n') into += '\n';
  into += line;
}

OrderedJson RequestJson(const RequestRecord& request) {
  OrderedJson json = {{"connection", request.connection},
                      {"method", text::ValidUtf8(request.method)},
                      {"path", text::ValidUtf8(request.path)}};
  json["status"] = request.status ? OrderedJson(*request.status) : OrderedJson(nullptr);
  if (request.request_body) json["request_body"] = text::ValidUtf8(*request.request_body);
  if (request.response_body) json["response_body"] = text::ValidUtf8(*request.response_body);
  if (request.duration_ms) json["duration_ms"] = *request.duration_ms;
  return json;
}

OrderedJson ItemsJson(std::string_view text) {
  OrderedJson items = OrderedJson::array();
  for (const std::string& item : EvidenceItems(text)) items.push_back(text::ValidUtf8(item));
  return items;
}

OrderedJson ClauseJson(const ClauseResult& clause) {
  OrderedJson requests = OrderedJson::array();
  for (const RequestRecord& request : clause.evidence.requests)
    requests.push_back(RequestJson(request));
  OrderedJson invariants = OrderedJson::array();
  for (const std::string& sentence : clause.evidence.invariants)
    invariants.push_back(text::ValidUtf8(sentence));
  OrderedJson json = {
      {"clause", clause.clause_id},
      {"verdict", std::string(VerdictName(clause.verdict))},
      {"reason", text::OneLine(clause.reason)},
      {"duration_ms", clause.duration_ms},
      {"evidence",
       {{"expected", ItemsJson(clause.evidence.expected)},
        {"observed", ItemsJson(clause.evidence.observed)},
        {"invariants", std::move(invariants)},
        {"requests", std::move(requests)}}},
  };
  if (clause.baseline_reason) json["baseline"] = text::OneLine(*clause.baseline_reason);
  return json;
}

}  // namespace

std::string_view ProvkitVersion() noexcept { return PROVKIT_VERSION; }

Machine DetectMachine() {
  Machine machine;
  utsname name{};
  if (::uname(&name) == 0) {
    machine.hostname = name.nodename;
    machine.os = std::string(name.sysname) + " " + name.release + " " + name.machine;
  } else {
    machine.hostname = "unknown";
    machine.os = "unknown";
  }
  machine.cpus = static_cast<int>(std::thread::hardware_concurrency());
  return machine;
}

std::optional<Shard> ShardFromEnvironment() {
  const auto read = [](const char* name) -> std::optional<long> {
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') return std::nullopt;
    char* end = nullptr;
    const long number = std::strtol(value, &end, 10);
    if (*end != '\0' || number < 0 || number > 1000000) return std::nullopt;
    return number;
  };
  const std::optional<long> index = read("GTEST_SHARD_INDEX");
  const std::optional<long> total = read("GTEST_TOTAL_SHARDS");
  if (!index || !total || *total < 1 || *index >= *total) return std::nullopt;
  return Shard{static_cast<int>(*index), static_cast<int>(*total)};
}

const ClauseResult* Results::Find(std::string_view clause_id) const {
  for (const ClauseResult& clause : clauses) {
    if (clause.clause_id == clause_id) return &clause;
  }
  return nullptr;
}

ClauseResult* Results::Find(std::string_view clause_id) {
  return const_cast<ClauseResult*>(std::as_const(*this).Find(clause_id));
}

void Results::Add(ClauseResult result) {
  ClauseResult* into = Find(result.clause_id);
  if (into == nullptr) {
    clauses.push_back(std::move(result));
    return;
  }
  if (result.verdict > into->verdict) {
    into->verdict = result.verdict;
    std::string reason = std::move(result.reason);
    AppendDistinct(reason, into->reason, "; ");
    into->reason = std::move(reason);
  } else {
    AppendDistinct(into->reason, result.reason, "; ");
  }
  into->duration_ms += result.duration_ms;
  AppendDistinct(into->evidence.expected, result.evidence.expected, "\n");
  AppendDistinct(into->evidence.observed, result.evidence.observed, "\n");
  for (std::string& sentence : result.evidence.invariants)
    into->evidence.invariants.push_back(std::move(sentence));
  for (RequestRecord& request : result.evidence.requests)
    into->evidence.requests.push_back(std::move(request));
  if (!into->baseline_reason) into->baseline_reason = std::move(result.baseline_reason);
}

Results NewResults(Subject subject, nlohmann::json configuration) {
  Results results;
  results.provkit_version = std::string(ProvkitVersion());
  results.generated_at = NowTimestamp();
  results.machine = DetectMachine();
  results.subject = std::move(subject);
  results.configuration = RedactSecrets(std::move(configuration));
  return results;
}

ClauseBuilder::ClauseBuilder(std::string_view clause_id) {
  if (FindClause(clause_id) == nullptr) {
    throw ConfigurationError("'" + std::string(clause_id) +
                                 "' is not a clause of contract version " +
                                 std::to_string(kContractVersion),
                             "Use a clause ID from provkit::Clauses(), e.g. R4 or S5.");
  }
  result_.clause_id = std::string(clause_id);
}

ClauseBuilder& ClauseBuilder::Judge(Verdict verdict, std::string_view reason) {
  result_.verdict = verdict;
  result_.reason = text::OneLine(reason);
  return *this;
}

ClauseBuilder& ClauseBuilder::Pass() { return Judge(Verdict::kPass, ""); }
ClauseBuilder& ClauseBuilder::NonStrict(std::string_view reason) {
  return Judge(Verdict::kNonStrict, reason);
}
ClauseBuilder& ClauseBuilder::Fail(std::string_view reason) {
  return Judge(Verdict::kFail, reason);
}
ClauseBuilder& ClauseBuilder::Skip(std::string_view reason) {
  return Judge(Verdict::kSkip, reason);
}
ClauseBuilder& ClauseBuilder::Info(std::string_view reason) {
  return Judge(Verdict::kInfo, reason);
}
ClauseBuilder& ClauseBuilder::Error(std::string_view reason) {
  return Judge(Verdict::kError, reason);
}

ClauseBuilder& ClauseBuilder::Expected(std::string text) {
  result_.evidence.expected = std::move(text);
  return *this;
}

ClauseBuilder& ClauseBuilder::Observed(std::string text) {
  result_.evidence.observed = std::move(text);
  return *this;
}

ClauseBuilder& ClauseBuilder::ExpectedItem(std::string_view item) {
  AppendItem(result_.evidence.expected, item);
  return *this;
}

ClauseBuilder& ClauseBuilder::ObservedItem(std::string_view item) {
  AppendItem(result_.evidence.observed, item);
  return *this;
}

ClauseBuilder& ClauseBuilder::Invariant(std::string sentence) {
  result_.evidence.invariants.push_back(std::move(sentence));
  return *this;
}

ClauseBuilder& ClauseBuilder::Request(RequestRecord request) {
  result_.evidence.requests.push_back(std::move(request));
  return *this;
}

ClauseBuilder& ClauseBuilder::DurationMs(double milliseconds) {
  result_.duration_ms = milliseconds;
  return *this;
}

ClauseBuilder& ClauseBuilder::Baseline(std::string reason) {
  result_.baseline_reason = std::move(reason);
  return *this;
}

std::vector<std::string> EvidenceItems(std::string_view text) {
  std::vector<std::string> items;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    if (!line.empty()) items.emplace_back(line);
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return items;
}

nlohmann::json RedactSecrets(nlohmann::json configuration) {
  if (configuration.is_object()) {
    for (auto& [key, value] : configuration.items()) {
      if (support::IsSecretName(key) && !value.is_null()) {
        value = support::kRedacted;
      } else {
        value = RedactSecrets(std::move(value));
      }
    }
  } else if (configuration.is_array()) {
    for (auto& value : configuration) value = RedactSecrets(std::move(value));
  }
  return configuration;
}

std::string UtcTimestamp(std::chrono::system_clock::time_point time) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buffer;
}

std::string NowTimestamp() {
  if (const char* epoch = std::getenv("SOURCE_DATE_EPOCH"); epoch != nullptr && *epoch != '\0') {
    char* end = nullptr;
    const long long seconds = std::strtoll(epoch, &end, 10);
    if (end != nullptr && *end == '\0' && seconds >= 0) {
      return UtcTimestamp(std::chrono::system_clock::time_point(std::chrono::seconds(seconds)));
    }
  }
  return UtcTimestamp(std::chrono::system_clock::now());
}

std::string ToJsonText(const Results& results) {
  OrderedJson capabilities = OrderedJson::object();
  for (const auto& [name, supported] : results.subject.capabilities)
    capabilities[text::ValidUtf8(name)] = supported;
  OrderedJson json = {
      {"schema", std::string(kResultsSchemaId)},
      {"schema_version", results.schema_version},
      {"provkit_version", text::ValidUtf8(results.provkit_version)},
      {"contract_version", results.contract_version},
      {"generated_at", results.generated_at},
      {"machine",
       {{"hostname", text::ValidUtf8(results.machine.hostname)},
        {"os", text::ValidUtf8(results.machine.os)},
        {"cpus", results.machine.cpus}}},
      {"subject",
       {{"name", text::ValidUtf8(results.subject.name)},
        {"kind", std::string(SubjectKindName(results.subject.kind))},
        {"description", text::ValidUtf8(results.subject.description)},
        {"capabilities", std::move(capabilities)}}},
  };
  // parse(dump()) turns the sorted configuration into insertion-ordered JSON losslessly.
  json["configuration"] =
      OrderedJson::parse(RedactSecrets(results.configuration)
                             .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  if (results.shard)
    json["shard"] = {{"index", results.shard->index}, {"total", results.shard->total}};
  if (results.selection) json["selection"] = *results.selection;
  OrderedJson clauses = OrderedJson::array();
  for (const ClauseResult& clause : results.clauses) clauses.push_back(ClauseJson(clause));
  json["clauses"] = std::move(clauses);
  return json.dump(2, ' ', false, OrderedJson::error_handler_t::replace) + "\n";
}

Outcome<void> WriteResultsFile(const std::filesystem::path& path, const Results& results) {
  const std::string json = ToJsonText(results);
  Outcome<Results> check = ParseResults(json, path.string());
  if (!check) {
    return FileError{path.string(), "refusing to write results that would not read back: " +
                                        check.error().message};
  }
  return WriteFileAtomically(path, json);
}

}  // namespace provkit::reports
