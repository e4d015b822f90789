// Cassettes: recorded exchanges of a real server, read from and written to JSON Lines.
#include "provkit/mockserver/cassette.hpp"

#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "provkit/mockserver/config.hpp"

namespace provkit::mock {
namespace {

// Ordered, so a body stored as a JSON value serialises back to its original bytes.
using json = nlohmann::ordered_json;

constexpr int kVersion = 1;

bool SameName(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

std::optional<std::string> HeaderIn(const RecordedExchange::Headers& headers,
                                    std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (SameName(key, name)) return value;
  }
  return std::nullopt;
}

std::string Compact(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

/// Reads one record's fields, naming the cassette line in errors.
class Record {
 public:
  Record(const json& value, const std::string& file, int line)
      : value_(value), file_(file), line_(line) {}

  [[noreturn]] void Fail(const std::string& message) const {
    throw ConfigError(message, {}, file_, line_, 1);
  }
  const json* Find(std::string_view key) const {
    const auto found = value_.find(key);
    return found == value_.end() ? nullptr : &*found;
  }
  std::string String(std::string_view key, bool required = false) const {
    const json* value = Find(key);
    if (value == nullptr || value->is_null()) {
      if (required) Fail("the record has no \"" + std::string(key) + "\"");
      return {};
    }
    if (!value->is_string()) Fail("\"" + std::string(key) + "\" must be a string");
    return value->get<std::string>();
  }
  /// A body stored as `key` (a JSON value) or `key`_text (verbatim); nullopt when neither.
  std::optional<std::string> Body(std::string_view key) const {
    if (const json* value = Find(key)) return Compact(*value);
    const std::string text_key = std::string(key) + "_text";
    if (Find(text_key) != nullptr) return String(text_key);
    return std::nullopt;
  }
  RecordedExchange::Headers Headers(std::string_view key) const {
    RecordedExchange::Headers headers;
    const json* value = Find(key);
    if (value == nullptr) return headers;
    if (!value->is_object()) Fail("\"" + std::string(key) + "\" must be an object");
    for (const auto& [name, header] : value->items()) {
      if (!header.is_string()) Fail("header \"" + name + "\" must be a string");
      headers.emplace_back(name, header.get<std::string>());
    }
    return headers;
  }

 private:
  const json& value_;
  const std::string& file_;
  int line_;
};

/// `{key: value}` when `text` is compact JSON that serialises back byte for byte, else
/// `{key_text: text}`.
void PutBody(json& record, std::string_view key, const std::string& text) {
  if (!text.empty()) {
    const json value = json::parse(text, nullptr, false);
    if (!value.is_discarded() && Compact(value) == text) {
      record[std::string(key)] = value;
      return;
    }
  }
  record[std::string(key) + "_text"] = text;
}

json HeadersJson(const RecordedExchange::Headers& headers) {
  json object = json::object();
  for (const auto& [name, value] : headers) {
    auto found = object.find(name);
    if (found == object.end()) {
      object[name] = value;
    } else {
      *found = found->get<std::string>() + ", " + value;
    }
  }
  return object;
}

}  // namespace

std::optional<std::string> RecordedExchange::ResponseHeader(std::string_view name) const {
  return HeaderIn(response_headers, name);
}

std::optional<std::string> RecordedExchange::RequestHeader(std::string_view name) const {
  return HeaderIn(request_headers, name);
}

const RecordedExchange* Cassette::Find(std::string_view id) const {
  for (const RecordedExchange& exchange : exchanges) {
    if (exchange.id == id) return &exchange;
  }
  return nullptr;
}

Cassette ParseCassette(std::string_view text, const std::string& file) {
  Cassette cassette;
  int line_number = 0;
  bool header_seen = false;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    const json value = json::parse(line, nullptr, false);
    if (value.is_discarded() || !value.is_object())
      throw ConfigError("the line is not a JSON object", {}, file, line_number, 1);
    const Record record(value, file, line_number);
    if (!header_seen) {
      if (record.String("cassette") != "provkit")
        record.Fail("the first line must be the header {\"cassette\":\"provkit\",...}");
      const json* version = record.Find("version");
      if (version == nullptr || !version->is_number_integer() || version->get<int>() != kVersion)
        record.Fail("unsupported cassette version (this reader knows version 1)");
      cassette.server = record.String("server");
      cassette.situation = record.String("situation");
      cassette.description = record.String("description");
      cassette.source = record.String("source");
      header_seen = true;
      continue;
    }
    const std::string type = record.String("type", true);
    const std::string id = record.String("id", true);
    if (type == "note") {
      CassetteNote note{id, {}};
      if (const json* lines = record.Find("lines"); lines != nullptr && lines->is_array()) {
        for (const json& entry : *lines) {
          if (entry.is_string()) note.lines.push_back(entry.get<std::string>());
        }
      }
      cassette.notes.push_back(std::move(note));
      continue;
    }
    if (type == "request") {
      if (cassette.Find(id) != nullptr) record.Fail("a second exchange called \"" + id + "\"");
      RecordedExchange exchange;
      exchange.id = id;
      exchange.method = record.String("method", true);
      exchange.path = record.String("path", true);
      exchange.query = record.String("query");
      exchange.request_headers = record.Headers("headers");
      exchange.request_body = record.Body("body");
      exchange.note = record.String("note");
      cassette.exchanges.push_back(std::move(exchange));
      continue;
    }
    if (cassette.exchanges.empty() || cassette.exchanges.back().id != id)
      record.Fail("a \"" + type + "\" record for \"" + id + "\", which is not the open exchange");
    RecordedExchange& exchange = cassette.exchanges.back();
    if (type == "response") {
      const json* status = record.Find("status");
      if (status == nullptr || !status->is_number_integer())
        record.Fail("the response has no integer \"status\"");
      exchange.status = status->get<int>();
      exchange.reason = record.String("reason");
      exchange.response_headers = record.Headers("headers");
      const json* stream = record.Find("stream");
      exchange.stream = stream != nullptr && stream->is_boolean() && stream->get<bool>();
      exchange.response_body = record.Body("body").value_or("");
    } else if (type == "chunk") {
      RecordedChunk chunk;
      if (const json* at = record.Find("t_ms"); at != nullptr && at->is_number())
        chunk.t_ms = at->get<double>();
      if (const json* data = record.Find("data")) {
        chunk.text = "data: " + Compact(*data) + "\n\n";
      } else {
        chunk.text = record.String("text", true);
      }
      exchange.chunks.push_back(std::move(chunk));
    } else if (type == "end") {
      const json* complete = record.Find("complete");
      exchange.complete = complete == nullptr || !complete->is_boolean() || complete->get<bool>();
    } else {
      record.Fail("unknown record type \"" + type + "\"");
    }
  }
  if (!header_seen) throw ConfigError("the cassette is empty", {}, file, 1, 1);
  return cassette;
}

Cassette LoadCassette(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError("cannot read the cassette", {}, path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return ParseCassette(text.str(), path.string());
}

std::string ToJsonLines(const Cassette& cassette) {
  std::string out;
  const auto line = [&out](const json& record) {
    out += Compact(record);
    out += '\n';
  };
  line({{"cassette", "provkit"},
        {"version", kVersion},
        {"server", cassette.server},
        {"situation", cassette.situation},
        {"description", cassette.description},
        {"source", cassette.source}});
  for (const RecordedExchange& exchange : cassette.exchanges) {
    json request = {{"type", "request"},
                    {"id", exchange.id},
                    {"method", exchange.method},
                    {"path", exchange.path}};
    if (!exchange.query.empty()) request["query"] = exchange.query;
    request["headers"] = HeadersJson(exchange.request_headers);
    if (exchange.request_body) PutBody(request, "body", *exchange.request_body);
    if (!exchange.note.empty()) request["note"] = exchange.note;
    line(request);
    json response = {{"type", "response"},
                     {"id", exchange.id},
                     {"status", exchange.status},
                     {"reason", exchange.reason},
                     {"headers", HeadersJson(exchange.response_headers)}};
    if (exchange.stream) {
      response["stream"] = true;
      response["chunks"] = exchange.chunks.size();
    } else if (!exchange.response_body.empty()) {
      PutBody(response, "body", exchange.response_body);
    }
    line(response);
    for (std::size_t i = 0; i < exchange.chunks.size(); ++i) {
      const RecordedChunk& chunk = exchange.chunks[i];
      json record = {{"type", "chunk"}, {"id", exchange.id}, {"index", i}};
      record["t_ms"] = chunk.t_ms ? json(*chunk.t_ms) : json(nullptr);
      const std::string_view text = chunk.text;
      bool stored = false;
      if (text.size() > 8 && text.substr(0, 6) == "data: " &&
          text.substr(text.size() - 2) == "\n\n") {
        const std::string payload(text.substr(6, text.size() - 8));
        const json value = json::parse(payload, nullptr, false);
        if (!value.is_discarded() && (value.is_object() || value.is_array()) &&
            Compact(value) == payload) {
          record["data"] = value;
          stored = true;
        }
      }
      if (!stored) record["text"] = chunk.text;
      line(record);
    }
    line({{"type", "end"}, {"id", exchange.id}, {"complete", exchange.complete}});
  }
  for (const CassetteNote& note : cassette.notes)
    line({{"type", "note"}, {"id", note.id}, {"lines", note.lines}});
  return out;
}

RecordedServer RecordedServerOf(const Cassette& cassette) {
  RecordedServer server;
  server.profile = ParseProfile(cassette.server);
  for (const RecordedExchange& exchange : cassette.exchanges) {
    if (exchange.method != "GET" || exchange.status != 200 || !exchange.path.ends_with("/models"))
      continue;
    const json listing = json::parse(exchange.response_body, nullptr, false);
    if (!listing.is_object() || !listing.contains("data") || !listing["data"].is_array()) continue;
    for (const json& entry : listing["data"]) {
      if (!entry.is_object() || !entry.contains("id") || !entry["id"].is_string()) continue;
      std::string status;
      if (entry.contains("status") && entry["status"].is_object() &&
          entry["status"].contains("value") && entry["status"]["value"].is_string()) {
        status = entry["status"]["value"].get<std::string>();
      }
      server.models.emplace_back(entry["id"].get<std::string>(), std::move(status));
    }
    if (!server.models.empty()) break;
  }
  return server;
}

}  // namespace provkit::mock
