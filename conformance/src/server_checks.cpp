// The W checks: raw HTTP/1.1 against a live server, counting connections from the client side.
#include "provkit/conformance/server_checks.hpp"

#include <netdb.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>

#include "provkit/runtime/config.hpp"
#include "provkit/runtime/session.hpp"

namespace provkit::conformance {
namespace {

using nlohmann::json;

struct HttpAnswer {
  int status = 0;
  std::string content_type;
  std::string body;
  bool keep_alive = true;
};

/// One TCP connection speaking HTTP/1.1, so the checks know exactly which
/// requests shared a connection.
class RawConnection {
 public:
  RawConnection(const Url& url) : url_(url) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (getaddrinfo(url.host.c_str(), std::to_string(url.port).c_str(), &hints, &found) != 0) {
      error_ = "cannot resolve " + url.host;
      return;
    }
    for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
      fd_ = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
      if (fd_ < 0) continue;
      timeval timeout{.tv_sec = 10, .tv_usec = 0};
      setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
      setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
      if (connect(fd_, a->ai_addr, a->ai_addrlen) == 0) break;
      close(fd_);
      fd_ = -1;
    }
    freeaddrinfo(found);
    if (fd_ < 0)
      error_ = "cannot connect to " + url.host + ":" + std::to_string(url.port) + " (" +
               std::strerror(errno) + ")";
  }
  ~RawConnection() {
    if (fd_ >= 0) close(fd_);
  }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  const std::string& error() const { return error_; }
  bool open() const { return fd_ >= 0 && error_.empty(); }

  std::optional<HttpAnswer> Request(const std::string& method, const std::string& path,
                                    const std::string& api_key, const std::string& body = {}) {
    if (!open()) return std::nullopt;
    std::string request = method + " " + path + " HTTP/1.1\r\nHost: " + url_.host + ":" +
                          std::to_string(url_.port) +
                          "\r\nAccept: */*\r\nConnection: keep-alive\r\n";
    if (!api_key.empty()) request += "Authorization: Bearer " + api_key + "\r\n";
    if (!body.empty() || method == "POST") {
      request +=
          "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
          "\r\n";
    }
    request += "\r\n" + body;
    if (!SendAll(request)) return Fail("send failed");
    std::size_t header_end;
    while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return Fail("the connection closed before an answer");
    }
    const std::string head = buffer_.substr(0, header_end);
    buffer_.erase(0, header_end + 4);
    HttpAnswer answer;
    if (head.size() < 12 || head.compare(0, 5, "HTTP/") != 0) return Fail("not an HTTP answer");
    answer.status = std::atoi(head.c_str() + 9);
    std::optional<std::size_t> length;
    bool chunked = false;
    std::size_t line_start = head.find("\r\n");
    while (line_start != std::string::npos) {
      const std::size_t line_end = head.find("\r\n", line_start + 2);
      const std::string line =
          head.substr(line_start + 2, line_end == std::string::npos ? std::string::npos
                                                                    : line_end - line_start - 2);
      line_start = line_end;
      const std::size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string name = line.substr(0, colon);
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return std::tolower(c); });
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      std::string lower = value;
      std::transform(lower.begin(), lower.end(), lower.begin(),
                     [](unsigned char c) { return std::tolower(c); });
      if (name == "content-length") length = std::stoul(value);
      if (name == "transfer-encoding" && lower.find("chunked") != std::string::npos) chunked = true;
      if (name == "content-type") answer.content_type = lower;
      if (name == "connection" && lower.find("close") != std::string::npos)
        answer.keep_alive = false;
    }
    if (chunked) {
      while (true) {
        std::size_t eol;
        while ((eol = buffer_.find("\r\n")) == std::string::npos) {
          if (!Fill()) return Fail("the connection closed inside a chunked body");
        }
        const std::size_t size = std::stoul(buffer_.substr(0, eol), nullptr, 16);
        buffer_.erase(0, eol + 2);
        while (buffer_.size() < size + 2) {
          if (!Fill()) return Fail("the connection closed inside a chunk");
        }
        answer.body += buffer_.substr(0, size);
        buffer_.erase(0, size + 2);
        if (size == 0) break;
      }
    } else if (length) {
      while (buffer_.size() < *length) {
        if (!Fill()) return Fail("the connection closed inside the body");
      }
      answer.body = buffer_.substr(0, *length);
      buffer_.erase(0, *length);
    } else if (answer.status != 204 && answer.status != 304) {
      while (Fill()) {
      }
      answer.body = std::move(buffer_);
      buffer_.clear();
      answer.keep_alive = false;
      close(fd_);
      fd_ = -1;
    }
    if (!answer.keep_alive && fd_ >= 0) {
      close(fd_);
      fd_ = -1;
    }
    return answer;
  }

 private:
  std::optional<HttpAnswer> Fail(std::string why) {
    error_ = std::move(why);
    return std::nullopt;
  }
  bool SendAll(const std::string& data) {
    std::size_t sent = 0;
    while (sent < data.size()) {
      const ssize_t n = send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<std::size_t>(n);
    }
    return true;
  }
  bool Fill() {
    char chunk[16384];
    const ssize_t n = recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  Url url_;
  int fd_ = -1;
  std::string error_;
  std::string buffer_;
};

std::string Clip(const std::string& text, std::size_t limit = 200) {
  return text.size() <= limit ? text : text.substr(0, limit) + "...";
}

struct Context {
  ServerTarget target;
  Url url;
  std::string root_path;  // the server root's path ("" for /v1)
};

std::optional<std::string> FirstListedModel(const Context& c) {
  RawConnection connection(c.url);
  auto answer = connection.Request("GET", c.url.path + "/models", c.target.api_key);
  if (!answer || answer->status != 200) return std::nullopt;
  const json doc = json::parse(answer->body, nullptr, false);
  if (!doc.is_object() || !doc.contains("data") || !doc["data"].is_array() || doc["data"].empty())
    return std::nullopt;
  const json& first = doc["data"][0];
  if (!first.is_object() || !first.contains("id") || !first["id"].is_string()) return std::nullopt;
  return first["id"].get<std::string>();
}

std::string ChatBody(const std::string& model, bool stream) {
  json body = {{"model", model},
               {"messages", json::array({{{"role", "user"}, {"content", "Say hi."}}})},
               {"max_tokens", 8},
               {"stream", stream}};
  if (stream) body["stream_options"] = {{"include_usage", true}};
  return body.dump();
}

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto index = static_cast<std::size_t>(p * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(index, values.size() - 1)];
}

reports::ClauseResult Judge(std::string_view id, const Context& c) {
  reports::ClauseBuilder b(id);
  const std::string& key = c.target.api_key;
  RawConnection connection(c.url);
  if (!connection.open()) {
    return b.Fail("cannot reach " + c.target.base_url + ": " + connection.error() +
                  ". Check that the server is running.");
  }
  const std::string models_path = c.url.path + "/models";
  const std::string health_path = c.root_path + "/health";
  const std::string chat_path = c.url.path + "/chat/completions";
  if (id == "W1") {
    auto answer = connection.Request("GET", health_path, key);
    b.Expected("200 with a JSON object carrying \"status\", or 404");
    if (!answer) return b.Fail("no answer to GET " + health_path + ": " + connection.error());
    b.Observed(std::to_string(answer->status) + " " + Clip(answer->body));
    b.Request({.connection = 1, .method = "GET", .path = health_path, .status = answer->status});
    if (answer->status == 404)
      return b.Info("no /health (404): the probe falls back to the listing");
    const json doc = json::parse(answer->body, nullptr, false);
    if (answer->status == 200 && doc.is_object() && doc.contains("status") &&
        doc["status"].is_string())
      return b.Pass();
    return b.Fail("GET /health answered " + std::to_string(answer->status) +
                  " without a JSON status: " + Clip(answer->body));
  }
  if (id == "W2") {
    auto answer = connection.Request("GET", models_path, key);
    b.Expected("200 {\"object\":\"list\",\"data\":[{\"id\":<string>,\"object\":\"model\"}]}");
    if (!answer) return b.Fail("no answer to GET " + models_path + ": " + connection.error());
    b.Observed(std::to_string(answer->status) + " " + Clip(answer->body));
    b.Request({.connection = 1, .method = "GET", .path = models_path, .status = answer->status});
    const json doc = json::parse(answer->body, nullptr, false);
    if (answer->status != 200)
      return b.Fail("the listing answered " + std::to_string(answer->status));
    if (!doc.is_object() || doc.value("object", "") != "list" || !doc.contains("data") ||
        !doc["data"].is_array()) {
      return b.Fail("not an OpenAI model list: " + Clip(answer->body));
    }
    for (const json& entry : doc["data"]) {
      if (!entry.is_object() || !entry.contains("id") || !entry["id"].is_string() ||
          entry.value("object", "") != "model") {
        return b.Fail("an entry without a string id and object \"model\": " + Clip(entry.dump()));
      }
    }
    b.Invariant(std::to_string(doc["data"].size()) + " models listed");
    if (c.target.model) {
      bool listed = false;
      for (const json& entry : doc["data"]) listed = listed || entry["id"] == *c.target.model;
      b.Invariant("model '" + *c.target.model + "' " + (listed ? "is" : "is not") + " listed");
    }
    return b.Pass();
  }
  if (id == "W3") {
    const std::string body = ChatBody("provkit-no-such-model-7f3a", false);
    auto answer = connection.Request("POST", chat_path, key, body);
    b.Expected("404 or 400 with {\"error\":{\"message\":...}}");
    if (!answer) return b.Fail("no answer to POST " + chat_path + ": " + connection.error());
    b.Observed(std::to_string(answer->status) + " " + Clip(answer->body));
    b.Request({.connection = 1,
               .method = "POST",
               .path = chat_path,
               .status = answer->status,
               .request_body = body});
    const json doc = json::parse(answer->body, nullptr, false);
    const bool envelope = doc.is_object() && doc.contains("error") && doc["error"].is_object() &&
                          doc["error"].contains("message") && doc["error"]["message"].is_string();
    if ((answer->status == 404 || answer->status == 400) && envelope) return b.Pass();
    return b.Fail("an unknown model answered " + std::to_string(answer->status) +
                  (envelope ? "" : " without a nested error envelope") + ": " + Clip(answer->body));
  }
  if (id == "W4" || id == "W7") {
    const std::optional<std::string> model = c.target.model ? c.target.model : FirstListedModel(c);
    if (id == "W7") {
      const std::string body = ChatBody("provkit-no-such-model-7f3a", true);
      auto answer = connection.Request("POST", chat_path, key, body);
      b.Expected("an error before the first byte is an HTTP error status, not an event stream");
      if (!answer) return b.Fail("no answer to a streamed request: " + connection.error());
      b.Observed(std::to_string(answer->status) + " " + answer->content_type + " " +
                 Clip(answer->body));
      if (answer->status >= 400 &&
          answer->content_type.find("text/event-stream") == std::string::npos) {
        b.Invariant(
            "a mid-stream error cannot be provoked on a live server on demand: that part is judged "
            "against the mock server's profiles");
        return b.Pass();
      }
      return b.Fail("a streamed request for an unknown model answered " +
                    std::to_string(answer->status) + " " + answer->content_type);
    }
    if (!model) return b.Skip("no model given (--model) and none listed");
    const std::string body = ChatBody(*model, true);
    auto answer = connection.Request("POST", chat_path, key, body);
    b.Expected(
        "text/event-stream of chat.completion.chunk data lines, a usage chunk with empty choices, "
        "data: [DONE]");
    if (!answer) return b.Fail("no answer to a streamed request: " + connection.error());
    b.Request({.connection = 1,
               .method = "POST",
               .path = chat_path,
               .status = answer->status,
               .request_body = body});
    if (answer->status != 200)
      return b.Fail("the streamed request answered " + std::to_string(answer->status) + ": " +
                    Clip(answer->body));
    if (answer->content_type.find("text/event-stream") == std::string::npos) {
      return b.Fail("Content-Type is \"" + answer->content_type + "\", not text/event-stream");
    }
    int chunks = 0;
    bool usage_chunk = false;
    bool done_last = false;
    std::size_t start = 0;
    while (start < answer->body.size()) {
      std::size_t end = answer->body.find('\n', start);
      if (end == std::string::npos) end = answer->body.size();
      std::string line = answer->body.substr(start, end - start);
      start = end + 1;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.rfind("data:", 0) != 0) continue;
      std::string data = line.substr(5);
      if (!data.empty() && data.front() == ' ') data.erase(0, 1);
      if (data == "[DONE]") {
        done_last = true;
        continue;
      }
      done_last = false;
      const json chunk = json::parse(data, nullptr, false);
      if (!chunk.is_object() || chunk.value("object", "") != "chat.completion.chunk") {
        return b.Fail("a data line that is not a chat.completion.chunk: " + Clip(data));
      }
      ++chunks;
      if (chunk.contains("usage") && chunk["usage"].is_object() && chunk.contains("choices") &&
          chunk["choices"].is_array() && chunk["choices"].empty()) {
        usage_chunk = true;
      }
    }
    b.Invariant(std::to_string(chunks) + " chunks, usage chunk " +
                (usage_chunk ? "present" : "absent") + ", [DONE] " +
                (done_last ? "last" : "missing"));
    if (!done_last) return b.Fail("the stream does not end with data: [DONE]");
    if (!usage_chunk)
      return b.Fail("no usage chunk with empty choices despite stream_options.include_usage");
    return b.Pass();
  }
  if (id == "W5") {
    int answered = 0;
    for (int i = 0; i < 20; ++i) {
      auto answer = connection.Request("GET", models_path, key);
      if (!answer || answer->status >= 400) break;
      ++answered;
      if (!answer->keep_alive) break;
    }
    b.Invariant(std::to_string(answered) + " requests over 1 connection (expected 20)");
    b.Expected("20 sequential requests succeed over one HTTP/1.1 connection");
    if (answered == 20 && connection.open()) return b.Pass();
    return b.Fail(
        "the connection served " + std::to_string(answered) + " of 20 requests" +
        (connection.error().empty() ? " before the server closed it" : ": " + connection.error()));
  }
  if (id == "W6") {
    std::string sentence;
    for (const std::string& path : {health_path, models_path}) {
      std::vector<double> ms;
      RawConnection one(c.url);
      for (int i = 0; i < 50 && one.open(); ++i) {
        const auto start = std::chrono::steady_clock::now();
        if (!one.Request("GET", path, key)) break;
        ms.push_back(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                .count());
      }
      char line[160];
      std::snprintf(line, sizeof line,
                    "%s: median %.2f ms, p99 %.2f ms over %zu requests on one connection",
                    path.c_str(), Percentile(ms, 0.5), Percentile(ms, 0.99), ms.size());
      b.Invariant(line);
      sentence += (sentence.empty() ? "" : "; ") + std::string(line);
    }
    return b.Info(sentence);
  }
  return b.Error("no server check for " + std::string(id));
}

}  // namespace

reports::ClauseResult JudgeServerClause(std::string_view clause_id, const ServerTarget& target) {
  const auto start = std::chrono::steady_clock::now();
  const std::optional<Url> url = ParseUrl(target.base_url);
  reports::ClauseResult result;
  if (FindClause(clause_id) == nullptr) {
    result.clause_id = std::string(clause_id);
    result.reason = "clause '" + std::string(clause_id) + "' is not in the contract catalog";
    return result;
  }
  if (!url) {
    result = reports::ClauseBuilder(clause_id).Error("not an http(s) URL: " + target.base_url);
  } else if (url->scheme != "http") {
    result = reports::ClauseBuilder(clause_id).Error(
        "only http:// servers can be checked (TLS is not implemented)");
  } else {
    Context context{target, *url, {}};
    const std::size_t slash = url->path.rfind('/');
    context.root_path = slash == std::string::npos ? "" : url->path.substr(0, slash);
    try {
      result = Judge(clause_id, context);
    } catch (const std::exception& error) {
      result =
          reports::ClauseBuilder(clause_id).Error(std::string("harness failure: ") + error.what());
    }
  }
  result.duration_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return result;
}

ProviderReadiness ReferenceProbe(const ServerTarget& target) {
  Config config;
  config.base_url = target.base_url;
  config.model = target.model;
  config.api_key = target.api_key;
  try {
    return CheckReady(config);
  } catch (const std::exception& error) {
    return {.ready = false,
            .provider = "local",
            .message = std::string("reference probe failed: ") + error.what()};
  }
}

reports::Results RunServerChecks(const ServerTarget& target,
                                 const std::optional<std::vector<std::string>>& clauses,
                                 const ProgressCallback& progress) {
  reports::Subject subject;
  subject.name = target.base_url;
  subject.kind = SubjectKind::kServer;
  subject.description = "live server checked by URL";
  nlohmann::json configuration = {{"base_url", target.base_url},
                                  {"model", target.model ? json(*target.model) : json(nullptr)},
                                  {"api_key", target.api_key}};
  reports::Results results = reports::NewResults(subject, configuration);
  results.selection = clauses;
  const std::vector<std::string> ids = clauses ? *clauses : ClausesFor(SubjectKind::kServer);
  int done = 0;
  for (const std::string& id : ids) {
    reports::ClauseResult result = JudgeServerClause(id, target);
    ++done;
    if (progress) progress(result, done, static_cast<int>(ids.size()));
    results.Add(std::move(result));
  }
  results.configuration["reference_probe"] = ReferenceProbe(target);
  return results;
}

}  // namespace provkit::conformance
