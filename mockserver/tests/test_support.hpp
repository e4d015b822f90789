// Helpers shared by the mock server tests: clients, chat request bodies and SSE parsing.
#pragma once

#include <httplib.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "provkit/mockserver/server.hpp"

namespace provkit::mock::testing {

using nlohmann::json;

/// A keep-alive client of `server` with timeouts short enough for tests.
inline httplib::Client ClientOf(const Server& server,
                                std::chrono::milliseconds read_timeout = std::chrono::seconds(10)) {
  httplib::Client client(server.url());
  client.set_keep_alive(true);
  client.set_connection_timeout(std::chrono::seconds(5));
  client.set_read_timeout(read_timeout);
  client.set_write_timeout(std::chrono::seconds(5));
  return client;
}

/// Stream timing without designated initialisers (g++ 12 warns on the fields left out).
inline StreamTiming Timing(std::size_t chunk_chars,
                           std::chrono::microseconds first_chunk_delay = {},
                           std::chrono::microseconds chunk_interval = {}) {
  StreamTiming timing;
  timing.chunk_chars = chunk_chars;
  timing.first_chunk_delay = first_chunk_delay;
  timing.chunk_interval = chunk_interval;
  return timing;
}

/// A reply with text only.
inline Reply TextReply(std::string text) {
  Reply reply;
  reply.text = std::move(text);
  return reply;
}

/// A chat completion request body.
inline std::string ChatBody(const std::string& model, const std::string& user, bool stream = false,
                            json extra = json::object()) {
  json body = {{"model", model}, {"messages", {{{"role", "user"}, {"content", user}}}}};
  if (stream) body["stream"] = true;
  body.update(extra);
  return body.dump();
}

/// The payloads of the `data:` lines of an SSE text, with or without a space after the colon.
inline std::vector<std::string> DataEvents(std::string_view sse) {
  std::vector<std::string> events;
  std::size_t start = 0;
  while (start < sse.size()) {
    std::size_t end = sse.find('\n', start);
    if (end == std::string_view::npos) end = sse.size();
    const std::string_view line = sse.substr(start, end - start);
    if (line.substr(0, 5) == "data:") {
      std::string_view payload = line.substr(5);
      if (!payload.empty() && payload.front() == ' ') payload.remove_prefix(1);
      events.emplace_back(payload);
    }
    start = end + 1;
  }
  return events;
}

/// A streamed answer put back together, as a client would.
struct Reassembled {
  std::string text;
  std::string reasoning;
  json tool_calls = json::array();  ///< [{"id","name","arguments"}]
  std::string finish_reason;
  json usage;
  bool done = false;
  int chunks = 0;
};

inline Reassembled Reassemble(const std::vector<std::string>& events) {
  Reassembled out;
  for (const std::string& event : events) {
    if (event == "[DONE]") {
      out.done = true;
      continue;
    }
    const json chunk = json::parse(event);
    ++out.chunks;
    if (chunk.contains("usage") && !chunk["usage"].is_null()) out.usage = chunk["usage"];
    for (const json& choice : chunk["choices"]) {
      const json& delta = choice["delta"];
      if (delta.contains("content") && delta["content"].is_string())
        out.text += delta["content"].get<std::string>();
      if (delta.contains("reasoning_content"))
        out.reasoning += delta["reasoning_content"].get<std::string>();
      if (delta.contains("tool_calls")) {
        for (const json& call : delta["tool_calls"]) {
          const std::size_t index = call["index"].get<std::size_t>();
          while (out.tool_calls.size() <= index)
            out.tool_calls.push_back({{"id", ""}, {"name", ""}, {"arguments", ""}});
          json& slot = out.tool_calls[index];
          if (call.contains("id")) slot["id"] = call["id"];
          if (call.contains("function")) {
            const json& function = call["function"];
            if (function.contains("name")) slot["name"] = function["name"];
            if (function.contains("arguments")) {
              slot["arguments"] =
                  slot["arguments"].get<std::string>() + function["arguments"].get<std::string>();
            }
          }
        }
      }
      if (choice.contains("finish_reason") && choice["finish_reason"].is_string()) {
        out.finish_reason = choice["finish_reason"].get<std::string>();
      }
    }
  }
  return out;
}

/// POSTs a streaming chat request and collects the raw body, even when the stream breaks.
struct StreamResult {
  httplib::Error error = httplib::Error::Success;
  int status = 0;
  std::string content_type;
  std::string body;
};

inline StreamResult PostStream(httplib::Client& client, const std::string& path,
                               const std::string& body) {
  StreamResult result;
  httplib::Request request;
  request.method = "POST";
  request.path = path;
  request.body = body;
  request.set_header("Content-Type", "application/json");
  request.response_handler = [&](const httplib::Response& response) {
    result.status = response.status;
    result.content_type = response.get_header_value("Content-Type");
    return true;
  };
  request.content_receiver = [&](const char* data, std::size_t length, std::uint64_t,
                                 std::uint64_t) {
    result.body.append(data, length);
    return true;
  };
  httplib::Response response;
  httplib::Error error = httplib::Error::Success;
  client.send(request, response, error);
  result.error = error;
  return result;
}

}  // namespace provkit::mock::testing
