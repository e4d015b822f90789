// The strict results reader: every problem is a FileError naming the file, field and problem.
#include <cctype>
#include <cmath>
#include <limits>
#include <map>
#include <utility>

#include "provkit/reports/file.hpp"
#include "provkit/reports/results.hpp"
#include "provkit/support/json_text.hpp"
#include "provkit/support/text_position.hpp"

namespace provkit::reports {
namespace {

using nlohmann::json;

constexpr int kMaxDepth = 64;

std::string Join(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string Index(const std::string& path, std::size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

std::string Quoted(std::string_view value) {
  return json(std::string(value)).dump(-1, ' ', false, json::error_handler_t::replace);
}

bool IsDigits(std::string_view text, std::size_t from, std::size_t count) {
  if (from + count > text.size()) return false;
  for (std::size_t i = from; i < from + count; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  return true;
}

// RFC 3339 date-time: 2025-01-31T12:00:00Z, with optional fraction and numeric offset.
bool IsTimestamp(std::string_view text) {
  if (!IsDigits(text, 0, 4) || text.size() < 20 || text[4] != '-' || !IsDigits(text, 5, 2) ||
      text[7] != '-' || !IsDigits(text, 8, 2) || (text[10] != 'T' && text[10] != 't') ||
      !IsDigits(text, 11, 2) || text[13] != ':' || !IsDigits(text, 14, 2) || text[16] != ':' ||
      !IsDigits(text, 17, 2)) {
    return false;
  }
  std::size_t at = 19;
  if (text[at] == '.') {
    const std::size_t start = ++at;
    while (at < text.size() && std::isdigit(static_cast<unsigned char>(text[at]))) ++at;
    if (at == start) return false;
  }
  const std::string_view zone = text.substr(at);
  if (zone == "Z" || zone == "z") return true;
  return zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && IsDigits(zone, 1, 2) &&
         zone[3] == ':' && IsDigits(zone, 4, 2);
}

// Walks a parsed document, keeping the first problem found.
class Walker {
 public:
  explicit Walker(std::string file) : file_(std::move(file)) {}

  bool Fail(const std::string& path, const std::string& message) {
    if (!error_) error_ = FileError{file_, path.empty() ? message : path + ": " + message};
    return false;
  }
  FileError TakeError() { return std::move(*error_); }

  // The member `key` of `object`; null when absent, after recording the error if `required`.
  const json* Field(const json& object, const std::string& path, std::string_view key,
                    bool required) {
    const auto found = object.find(key);
    if (found != object.end()) return &*found;
    if (required) {
      Fail(path, "missing required field " + Quoted(key));
    }
    return nullptr;
  }

  bool Expect(const json& value, const std::string& path, bool ok, std::string_view wanted) {
    if (ok) return true;
    return Fail(path, "expected " + std::string(wanted) + ", found " + Describe(value));
  }

  bool Object(const json& value, const std::string& path) {
    return Expect(value, path, value.is_object(), "an object");
  }
  bool Array(const json& value, const std::string& path) {
    return Expect(value, path, value.is_array(), "an array");
  }

  bool String(const json& object, const std::string& path, std::string_view key, std::string& out) {
    const json* value = Field(object, path, key, true);
    if (value == nullptr || !Expect(*value, Join(path, key), value->is_string(), "a string"))
      return false;
    out = value->get<std::string>();
    return true;
  }

  bool OptionalString(const json& object, const std::string& path, std::string_view key,
                      std::optional<std::string>& out) {
    const json* value = Field(object, path, key, false);
    if (value == nullptr || value->is_null()) return true;
    if (!Expect(*value, Join(path, key), value->is_string(), "a string or null")) return false;
    out = value->get<std::string>();
    return true;
  }

  bool Int(const json& value, const std::string& path, int min, int max, int& out) {
    if (!Expect(value, path, value.is_number_integer(), "an integer")) return false;
    bool in_range = false;
    if (value.is_number_unsigned()) {
      const auto number = value.get<std::uint64_t>();
      in_range =
          number <= static_cast<std::uint64_t>(max) && static_cast<std::int64_t>(number) >= min;
    } else {
      const auto number = value.get<std::int64_t>();
      in_range = number >= min && number <= max;
    }
    if (!in_range) {
      return Fail(path, value.dump() + " is out of range (" + std::to_string(min) + " to " +
                            std::to_string(max) + ")");
    }
    out = value.get<int>();
    return true;
  }

  bool Int(const json& object, const std::string& path, std::string_view key, int min, int max,
           int& out) {
    const json* value = Field(object, path, key, true);
    return value != nullptr && Int(*value, Join(path, key), min, max, out);
  }

  bool Milliseconds(const json& value, const std::string& path, double& out) {
    if (!Expect(value, path, value.is_number(), "a number")) return false;
    out = value.get<double>();
    if (!std::isfinite(out) || out < 0)
      return Fail(path, "must be a number of milliseconds, 0 or more");
    return true;
  }

 private:
  static std::string Describe(const json& value) {
    if (value.is_number_float()) return "a fractional number";
    if (value.is_number()) return "a number";
    return std::string(value.is_array() || value.is_object() ? "an " : "a ") + value.type_name();
  }

  std::string file_;
  std::optional<FileError> error_;
};

bool ReadMachine(Walker& walker, const json& root, Machine& machine) {
  const json* value = walker.Field(root, "", "machine", true);
  if (value == nullptr || !walker.Object(*value, "machine")) return false;
  return walker.String(*value, "machine", "hostname", machine.hostname) &&
         walker.String(*value, "machine", "os", machine.os) &&
         walker.Int(*value, "machine", "cpus", 0, std::numeric_limits<int>::max(), machine.cpus);
}

bool ReadSubject(Walker& walker, const json& root, Subject& subject) {
  const json* value = walker.Field(root, "", "subject", true);
  if (value == nullptr || !walker.Object(*value, "subject")) return false;
  std::string kind;
  if (!walker.String(*value, "subject", "name", subject.name) ||
      !walker.String(*value, "subject", "kind", kind) ||
      !walker.String(*value, "subject", "description", subject.description)) {
    return false;
  }
  if (subject.name.empty()) return walker.Fail("subject.name", "must not be empty");
  const std::optional<SubjectKind> parsed = ParseSubjectKind(kind);
  if (!parsed)
    return walker.Fail("subject.kind",
                       "unknown kind " + Quoted(kind) + " (expected cpp, adapter or server)");
  subject.kind = *parsed;
  const json* capabilities = walker.Field(*value, "subject", "capabilities", true);
  if (capabilities == nullptr || !walker.Object(*capabilities, "subject.capabilities"))
    return false;
  for (const auto& [name, supported] : capabilities->items()) {
    if (!walker.Expect(supported, Join("subject.capabilities", name), supported.is_boolean(),
                       "true or false")) {
      return false;
    }
    subject.capabilities[name] = supported.get<bool>();
  }
  return true;
}

bool ReadRequest(Walker& walker, const json& value, const std::string& path,
                 RequestRecord& request) {
  if (!walker.Object(value, path) ||
      !walker.Int(value, path, "connection", 0, std::numeric_limits<int>::max(),
                  request.connection) ||
      !walker.String(value, path, "method", request.method) ||
      !walker.String(value, path, "path", request.path) ||
      !walker.OptionalString(value, path, "request_body", request.request_body) ||
      !walker.OptionalString(value, path, "response_body", request.response_body)) {
    return false;
  }
  if (const json* status = walker.Field(value, path, "status", false);
      status != nullptr && !status->is_null()) {
    int code = 0;
    if (!walker.Int(*status, Join(path, "status"), 100, 599, code)) return false;
    request.status = code;
  }
  if (const json* duration = walker.Field(value, path, "duration_ms", false);
      duration != nullptr && !duration->is_null()) {
    double milliseconds = 0;
    if (!walker.Milliseconds(*duration, Join(path, "duration_ms"), milliseconds)) return false;
    request.duration_ms = milliseconds;
  }
  return true;
}

// Appends `item` to the lines of `into`, leaving out empty items.
void AppendLine(std::string& into, std::string_view item) {
  if (item.empty()) return;
  if (!into.empty()) into += '\n';
  into += item;
}

// Version 1: one string, its items joined by line breaks or "; ". Version 2: an array of strings.
// Either way the model holds one item per line.
bool ReadItems(Walker& walker, const json& object, const std::string& path, std::string_view key,
               int schema_version, std::string& out) {
  if (schema_version == 1) {
    std::string joined;
    if (!walker.String(object, path, key, joined)) return false;
    for (const std::string& line : EvidenceItems(joined)) {
      std::string_view rest = line;
      for (std::size_t at = rest.find("; "); at != std::string_view::npos; at = rest.find("; ")) {
        AppendLine(out, rest.substr(0, at));
        rest.remove_prefix(at + 2);
      }
      AppendLine(out, rest);
    }
    return true;
  }
  const json* value = walker.Field(object, path, key, true);
  const std::string items_path = Join(path, key);
  if (value == nullptr ||
      !walker.Expect(*value, items_path, value->is_array(), "an array of strings")) {
    return false;
  }
  for (std::size_t i = 0; i < value->size(); ++i) {
    const json& item = (*value)[i];
    if (!walker.Expect(item, Index(items_path, i), item.is_string(), "a string")) return false;
    for (const std::string& line : EvidenceItems(item.get_ref<const std::string&>()))
      AppendLine(out, line);
  }
  return true;
}

bool ReadEvidence(Walker& walker, const json& clause, const std::string& clause_path,
                  int schema_version, Evidence& evidence) {
  const json* value = walker.Field(clause, clause_path, "evidence", true);
  const std::string path = Join(clause_path, "evidence");
  if (value == nullptr || !walker.Object(*value, path) ||
      !ReadItems(walker, *value, path, "expected", schema_version, evidence.expected) ||
      !ReadItems(walker, *value, path, "observed", schema_version, evidence.observed)) {
    return false;
  }
  const json* invariants = walker.Field(*value, path, "invariants", true);
  if (invariants == nullptr || !walker.Array(*invariants, Join(path, "invariants"))) return false;
  for (std::size_t i = 0; i < invariants->size(); ++i) {
    const json& sentence = (*invariants)[i];
    if (!walker.Expect(sentence, Index(Join(path, "invariants"), i), sentence.is_string(),
                       "a string"))
      return false;
    evidence.invariants.push_back(sentence.get<std::string>());
  }
  const json* requests = walker.Field(*value, path, "requests", true);
  if (requests == nullptr || !walker.Array(*requests, Join(path, "requests"))) return false;
  for (std::size_t i = 0; i < requests->size(); ++i) {
    RequestRecord request;
    if (!ReadRequest(walker, (*requests)[i], Index(Join(path, "requests"), i), request))
      return false;
    evidence.requests.push_back(std::move(request));
  }
  return true;
}

bool ReadClauseId(Walker& walker, const json& value, const std::string& path, std::string& id) {
  if (!walker.Expect(value, path, value.is_string(), "a clause ID string")) return false;
  id = value.get<std::string>();
  if (FindClause(id) == nullptr) {
    return walker.Fail(path, Quoted(id) + " is not a clause of contract version " +
                                 std::to_string(kContractVersion));
  }
  return true;
}

bool ReadClause(Walker& walker, const json& value, const std::string& path, int schema_version,
                ClauseResult& clause) {
  if (!walker.Object(value, path)) return false;
  const json* id = walker.Field(value, path, "clause", true);
  if (id == nullptr || !ReadClauseId(walker, *id, Join(path, "clause"), clause.clause_id))
    return false;
  std::string verdict;
  if (!walker.String(value, path, "verdict", verdict)) return false;
  const std::optional<Verdict> parsed = ParseVerdict(verdict);
  if (!parsed) {
    return walker.Fail(Join(path, "verdict"),
                       "unknown verdict " + Quoted(verdict) +
                           " (expected PASS, NON-STRICT, FAIL, SKIP, INFO or ERROR)");
  }
  clause.verdict = *parsed;
  if (!walker.String(value, path, "reason", clause.reason)) return false;
  if (clause.verdict != Verdict::kPass &&
      clause.reason.find_first_not_of(" \t\r\n") == std::string::npos) {
    return walker.Fail(Join(path, "reason"), "a " + verdict + " verdict needs a reason (clause " +
                                                 clause.clause_id + ")");
  }
  const json* duration = walker.Field(value, path, "duration_ms", true);
  if (duration == nullptr ||
      !walker.Milliseconds(*duration, Join(path, "duration_ms"), clause.duration_ms)) {
    return false;
  }
  return ReadEvidence(walker, value, path, schema_version, clause.evidence) &&
         walker.OptionalString(value, path, "baseline", clause.baseline_reason);
}

bool ReadResults(Walker& walker, const json& root, Results& results) {
  if (!walker.Expect(root, "", root.is_object(), "a JSON object at the top level")) return false;
  const auto schema = root.find("schema");
  if (schema == root.end() || !schema->is_string()) {
    return walker.Fail("", "not a provkit results file: no \"schema\": \"provkit-results\" field");
  }
  if (schema->get<std::string>() != kResultsSchemaId) {
    return walker.Fail("schema", "not a provkit results file: schema is " +
                                     Quoted(schema->get<std::string>()) +
                                     ", expected \"provkit-results\"");
  }
  const json* version = walker.Field(root, "", "schema_version", true);
  if (version == nullptr ||
      !walker.Expect(*version, "schema_version", version->is_number_integer(), "an integer")) {
    return false;
  }
  if (*version < kOldestResultsSchemaVersion || *version > kResultsSchemaVersion) {
    return walker.Fail("schema_version", "unknown schema version " + version->dump() +
                                             " (this provkit reads versions " +
                                             std::to_string(kOldestResultsSchemaVersion) + " to " +
                                             std::to_string(kResultsSchemaVersion) + ")");
  }
  const int schema_version = version->get<int>();
  results.schema_version = kResultsSchemaVersion;
  if (!walker.String(root, "", "provkit_version", results.provkit_version) ||
      !walker.Int(root, "", "contract_version", 0, std::numeric_limits<int>::max(),
                  results.contract_version)) {
    return false;
  }
  // Older contract versions stay readable (a diff across an upgrade is what a maintainer
  // wants); their expected clauses are the ones that version had (Clause::since).
  if (results.contract_version < 1 || results.contract_version > kContractVersion) {
    return walker.Fail("contract_version", "results judged against contract version " +
                                               std::to_string(results.contract_version) +
                                               "; this provkit knows contract versions 1 to " +
                                               std::to_string(kContractVersion));
  }
  if (!walker.String(root, "", "generated_at", results.generated_at)) return false;
  if (!IsTimestamp(results.generated_at)) {
    return walker.Fail("generated_at",
                       Quoted(results.generated_at) +
                           " is not an RFC 3339 timestamp such as 2025-01-31T12:00:00Z");
  }
  if (!ReadMachine(walker, root, results.machine) || !ReadSubject(walker, root, results.subject))
    return false;

  const json* configuration = walker.Field(root, "", "configuration", true);
  if (configuration == nullptr || !walker.Object(*configuration, "configuration")) return false;
  results.configuration = *configuration;

  if (const json* shard = walker.Field(root, "", "shard", false);
      shard != nullptr && !shard->is_null()) {
    Shard parsed;
    if (!walker.Object(*shard, "shard") ||
        !walker.Int(*shard, "shard", "total", 1, std::numeric_limits<int>::max(), parsed.total) ||
        !walker.Int(*shard, "shard", "index", 0, parsed.total - 1, parsed.index)) {
      return false;
    }
    results.shard = parsed;
  }

  if (const json* selection = walker.Field(root, "", "selection", false);
      selection != nullptr && !selection->is_null()) {
    if (!walker.Array(*selection, "selection")) return false;
    results.selection.emplace();
    for (std::size_t i = 0; i < selection->size(); ++i) {
      std::string id;
      if (!ReadClauseId(walker, (*selection)[i], Index("selection", i), id)) return false;
      results.selection->push_back(std::move(id));
    }
  }

  const json* clauses = walker.Field(root, "", "clauses", true);
  if (clauses == nullptr || !walker.Array(*clauses, "clauses")) return false;
  std::map<std::string, std::size_t> first_seen;
  for (std::size_t i = 0; i < clauses->size(); ++i) {
    ClauseResult clause;
    if (!ReadClause(walker, (*clauses)[i], Index("clauses", i), schema_version, clause))
      return false;
    const auto [seen, inserted] = first_seen.emplace(clause.clause_id, i);
    if (!inserted) {
      return walker.Fail(Index("clauses", i), "clause " + clause.clause_id +
                                                  " is listed twice (also at " +
                                                  Index("clauses", seen->second) + ")");
    }
    results.clauses.push_back(std::move(clause));
  }
  return true;
}

}  // namespace

Outcome<Results> ParseResults(std::string_view text, std::string_view file) {
  const std::string file_name(file);
  bool too_deep = false;
  json root;
  try {
    root =
        json::parse(text.begin(), text.end(), [&too_deep](int depth, json::parse_event_t, json&) {
          if (depth > kMaxDepth) too_deep = true;
          return depth <= kMaxDepth;
        });
  } catch (const json::parse_error& error) {
    const auto [line, column] = support::PositionAt(text, error.byte == 0 ? 0 : error.byte - 1);
    return FileError{file_name, "malformed JSON: " + support::JsonErrorReason(error.what()), line,
                     column};
  } catch (const json::exception& error) {
    return FileError{file_name, std::string("malformed JSON: ") + error.what()};
  }
  if (too_deep) {
    return FileError{file_name, "malformed results: JSON nested deeper than " +
                                    std::to_string(kMaxDepth) + " levels"};
  }
  Walker walker(file_name);
  Results results;
  try {
    if (!ReadResults(walker, root, results)) return walker.TakeError();
  } catch (const std::exception& error) {
    return FileError{file_name, std::string("unreadable results: ") + error.what()};
  }
  return results;
}

Outcome<Results> ReadResultsFile(const std::filesystem::path& path) {
  Outcome<std::string> text = ReadTextFile(path);
  if (!text) return text.error();
  return ParseResults(*text, path.string());
}

}  // namespace provkit::reports
