// Tests LocalProvider end to end over real sockets against an in-test server: R1-R12, R14, R16,
// S5-S8, S11.
#include "provkit/runtime/local_provider.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "chat_answers.hpp"
#include "provkit/runtime/error.hpp"
#include "provkit/runtime/session.hpp"
#include "test_server.hpp"

namespace provkit {
namespace {

using nlohmann::json;
using provkit::testing::AnswerChunks;
using provkit::testing::kCompletion;
using provkit::testing::TestServer;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr const char* kHealthOk = R"({"status":"ok"})";
constexpr const char* kLlamaLoading =
    R"({"error":{"code":503,"message":"Loading model","type":"unavailable_error"}})";
// Bound for what the contract calls "promptly (within 100 ms)", with room for a loaded machine.
constexpr milliseconds kPromptly{300};

std::string ListingOf(std::initializer_list<std::string> ids) {
  json data = json::array();
  for (const std::string& id : ids)
    data.push_back({{"id", id}, {"object", "model"}, {"owned_by", "test"}});
  return json{{"object", "list"}, {"data", data}}.dump();
}

std::string SseOf(const std::vector<std::string>& payloads) {
  std::string body;
  for (const std::string& payload : payloads) body += "data: " + payload + "\n\n";
  return body;
}

std::string TextChunk(const std::string& text) {
  return json{{"id", "chatcmpl-2"},
              {"object", "chat.completion.chunk"},
              {"choices", {{{"index", 0}, {"delta", {{"content", text}}}}}}}
      .dump();
}

void Reply(httplib::Response& response, int status, const std::string& body,
           const char* type = "application/json") {
  response.status = status;
  response.set_content(body, type);
}

void ReplyStream(httplib::Response& response, std::string body) {
  response.set_chunked_content_provider(
      "text/event-stream", [body = std::move(body)](std::size_t, httplib::DataSink& sink) {
        sink.write(body.data(), body.size());
        sink.done();
        return true;
      });
}

// Set once, waited for with a timeout.
class Flag {
 public:
  // Notifies under the lock: a waiter may destroy the Flag as soon as it sees it set.
  void Set() {
    std::lock_guard lock(mutex_);
    set_ = true;
    cv_.notify_all();
  }
  bool Wait(milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [this] { return set_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool set_ = false;
};

// A port on 127.0.0.1 that refuses connections: bound, never listening.
class RefusingPort {
 public:
  RefusingPort() : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      throw std::runtime_error("RefusingPort: cannot bind");
    }
    port_ = ntohs(address.sin_port);
  }
  ~RefusingPort() { close(fd_); }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1"; }

 private:
  int fd_;
  int port_ = 0;
};

// A bare TCP server that answers the first request of each connection, then
// closes the connection when the next request arrives, without answering: a
// kept-alive connection gone stale in the pool.
class StaleAfterOneServer {
 public:
  StaleAfterOneServer() : listener_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    if (listener_ < 0 || bind(listener_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        listen(listener_, 16) != 0 ||
        getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      throw std::runtime_error("StaleAfterOneServer: cannot listen");
    }
    port_ = ntohs(address.sin_port);
    acceptor_ = std::thread([this] {
      for (;;) {
        const int connection = accept(listener_, nullptr, nullptr);
        if (connection < 0) return;
        ++connections_;
        std::lock_guard lock(mutex_);
        workers_.emplace_back([this, connection] { Serve(connection); });
      }
    });
  }
  ~StaleAfterOneServer() {
    shutdown(listener_, SHUT_RDWR);
    acceptor_.join();
    close(listener_);
    for (std::thread& worker : workers_) worker.join();
  }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1"; }
  int connections() const { return connections_.load(); }

 private:
  // Reads one request; returns its request line, or "" at end of stream.
  static std::string ReadRequest(int connection) {
    std::string data;
    char buffer[4096];
    std::size_t header_end;
    while ((header_end = data.find("\r\n\r\n")) == std::string::npos) {
      const ssize_t got = recv(connection, buffer, sizeof(buffer), 0);
      if (got <= 0) return "";
      data.append(buffer, static_cast<std::size_t>(got));
    }
    std::size_t body_length = 0;
    std::string lower = data.substr(0, header_end);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (const auto at = lower.find("content-length:"); at != std::string::npos) {
      body_length = std::stoul(lower.substr(at + 15));
    }
    while (data.size() < header_end + 4 + body_length) {
      const ssize_t got = recv(connection, buffer, sizeof(buffer), 0);
      if (got <= 0) return "";
      data.append(buffer, static_cast<std::size_t>(got));
    }
    return data.substr(0, data.find("\r\n"));
  }

  static void Serve(int connection) {
    const std::string request_line = ReadRequest(connection);
    if (!request_line.empty()) {
      const std::string body = request_line.rfind("POST", 0) == 0 ? kCompletion : kHealthOk;
      const std::string response =
          "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
          std::to_string(body.size()) + "\r\n\r\n" + body;
      send(connection, response.data(), response.size(), MSG_NOSIGNAL);
      ReadRequest(connection);
    }
    close(connection);
  }

  int listener_;
  int port_ = 0;
  std::atomic<int> connections_{0};
  std::thread acceptor_;
  std::mutex mutex_;
  std::vector<std::thread> workers_;
};

Config ConfigFor(const std::string& base_url, std::optional<std::string> model = std::nullopt) {
  Config config;
  config.base_url = base_url;
  config.model = std::move(model);
  config.api_key = "secret";
  config.request_timeout = std::chrono::seconds(20);
  config.probe_budget = std::chrono::seconds(5);
  return config;
}

// A server with /health, /v1/models and a scripted /v1/chat/completions: the
// last message's content picks the scenario.
class ChatServer : public TestServer {
 public:
  ChatServer() {
    server().Get("/health", [](const httplib::Request&, httplib::Response& response) {
      Reply(response, 200, kHealthOk);
    });
    server().Get("/v1/models", [](const httplib::Request&, httplib::Response& response) {
      Reply(response, 200, ListingOf({"m"}));
    });
    server().Post("/v1/chat/completions",
                  [this](const httplib::Request& request, httplib::Response& response) {
                    Handle(request, response);
                  });
    Start();
  }

  ~ChatServer() override { Stop(); }

  std::atomic<int> in_flight{0};
  std::atomic<int> gate_peak{0};

 private:
  void Handle(const httplib::Request& request, httplib::Response& response) {
    const json body = json::parse(request.body);
    const std::string scenario = body["messages"].back()["content"];
    const bool stream = body.value("stream", false);
    if (scenario == "notfound")
      return Reply(response, 404, R"({"error":{"message":"model 'x' not found"}})");
    if (scenario == "busy") return Reply(response, 503, kLlamaLoading);
    if (scenario == "ratelimit") return Reply(response, 429, R"({"error":"slow down"})");
    if (scenario == "garbage") return Reply(response, 200, "not json", "text/plain");
    if (scenario == "hang") {
      WaitForRelease();
      return Reply(response, 200, kCompletion);
    }
    if (scenario == "gate") {  // Answers once three requests are in flight at the same time.
      const int now = ++in_flight;
      gate_peak = std::max(gate_peak.load(), now);
      {
        std::unique_lock lock(gate_mutex_);
        gate_cv_.notify_all();
        gate_cv_.wait_for(lock, std::chrono::seconds(5),
                          [this] { return in_flight.load() >= 3 || gate_open_; });
        gate_open_ = true;
      }
      gate_cv_.notify_all();
      --in_flight;
      return Reply(response, 200, kCompletion);
    }
    if (!stream) return Reply(response, 200, kCompletion);

    std::vector<std::string> chunks = AnswerChunks();
    if (scenario == "error") {  // llama.cpp: an error event, no [DONE].
      return ReplyStream(
          response,
          SseOf({TextChunk("par"), R"({"error":{"code":500,"message":"Context size exceeded"}})"}));
    }
    if (scenario == "error-then-done") {  // vLLM: an error event, then [DONE].
      return ReplyStream(
          response,
          SseOf({TextChunk("par"), R"({"object":"error","message":"engine dead"})", "[DONE]"}));
    }
    if (scenario == "malformed")
      return ReplyStream(response, SseOf({TextChunk("par"), "{oops", "[DONE]"}));
    if (scenario == "nodone")
      return ReplyStream(response, SseOf({TextChunk("par"), TextChunk("tial")}));
    if (scenario == "finish-nodone") {
      chunks.pop_back();
      return ReplyStream(response, SseOf(chunks));
    }
    if (scenario == "drop") {  // Sends part of the stream, then closes the connection mid-body.
      const std::string head = SseOf({chunks[0], chunks[1], chunks[2]});
      response.set_chunked_content_provider("text/event-stream",
                                            [head](std::size_t offset, httplib::DataSink& sink) {
                                              if (offset > 0) return false;
                                              return sink.write(head.data(), head.size());
                                            });
      return;
    }
    if (scenario == "forever" || scenario == "stall") {
      const bool forever = scenario == "forever";
      response.set_chunked_content_provider(
          "text/event-stream", [this, forever](std::size_t, httplib::DataSink& sink) {
            const std::string chunk = SseOf({TextChunk("tick")});
            if (!sink.write(chunk.data(), chunk.size())) return false;
            return !WaitForRelease(forever ? milliseconds(5) : std::chrono::seconds(30));
          });
      return;
    }
    ReplyStream(response, SseOf(chunks));
  }

  std::mutex gate_mutex_;
  std::condition_variable gate_cv_;
  bool gate_open_ = false;
};

Input Say(const std::string& text) { return Input{.text = text}; }

APIError GenerateError(LocalProvider& provider, const std::string& text) {
  try {
    provider.Generate({}, Say(text), {});
  } catch (const APIError& error) {
    return error;
  }
  ADD_FAILURE() << "Generate(" << text << ") did not throw";
  return APIError(ErrorKind::kConfiguration, "", Phase::kGenerate, "none");
}

// Reads a stream until it throws; returns the error and whether kDone was seen.
std::pair<std::optional<APIError>, bool> DrainStream(EventStream stream) {
  bool done = false;
  try {
    while (auto event = stream.Next()) done = done || event->type == EventType::kDone;
  } catch (const APIError& error) {
    return {error, done};
  }
  return {std::nullopt, done};
}

bool Contains(const std::optional<std::string>& text, std::string_view part) {
  return text && text->find(part) != std::string::npos;
}

// ======================= Readiness probe =======================

TEST(LocalProviderProbe, R2ListedModelIsReadyAfterHealthThenModels) {
  RecordProperty("clause", "R2");
  ChatServer server;
  LocalProvider provider(ConfigFor(server.base_url(), "m"));
  EXPECT_EQ(provider.CheckReady("m"), (ProviderReadiness{.ready = true,
                                                         .provider = "local",
                                                         .status_code = 200,
                                                         .message = "ok",
                                                         .model = "m",
                                                         .model_verified = true}));
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].path, "/health");
  EXPECT_EQ(requests[1].path, "/v1/models");
}

TEST(LocalProviderProbe, R11ProbeSendsOnlyTwoBodylessGets) {
  RecordProperty("clause", "R11");
  ChatServer server;
  LocalProvider provider(ConfigFor(server.base_url(), "m"));
  provider.CheckReady("m");
  for (const auto& request : server.requests()) {
    EXPECT_EQ(request.method, "GET");
    EXPECT_TRUE(request.content_length.empty() || request.content_length == "0")
        << request.content_length;
    EXPECT_TRUE(request.transfer_encoding.empty());
    EXPECT_NE(request.path, "/v1/chat/completions");
  }
  EXPECT_EQ(server.requests().size(), 2u);
}

TEST(LocalProviderProbe, R3ModelsFallbackWhenHealthIsAbsent) {
  RecordProperty("clause", "R3");
  for (int status : {404, 405, 501}) {
    TestServer server;
    if (status != 404) {  // No handler at all gives cpp-httplib's own 404.
      server.server().Get("/health",
                          [status](const httplib::Request&, httplib::Response& response) {
                            Reply(response, status, "", "text/plain");
                          });
    }
    server.server().Get("/v1/models", [](const httplib::Request&, httplib::Response& response) {
      Reply(response, 200, ListingOf({"llama3:8b"}));
    });
    server.Start();
    LocalProvider provider(ConfigFor(server.base_url()));
    const ProviderReadiness verdict = provider.CheckReady("llama3:8b");
    EXPECT_TRUE(verdict.ready) << status;
    EXPECT_EQ(verdict.model_verified, true);
    EXPECT_EQ(verdict.status_code, 200);
    EXPECT_EQ(server.requests().size(), 2u);
  }
}

TEST(LocalProviderProbe, R4MissingModelIsReportedWithASuggestion) {
  RecordProperty("clause", "R4");
  TestServer server;
  server.server().Get("/health", [](const httplib::Request&, httplib::Response& response) {
    Reply(response, 200, kHealthOk);
  });
  server.server().Get("/v1/models", [](const httplib::Request&, httplib::Response& response) {
    Reply(response, 200, ListingOf({"qwen3:4b", "llama3:latest"}));
  });
  server.Start();
  LocalProvider provider(ConfigFor(server.base_url()));
  const ProviderReadiness verdict = provider.CheckReady("llama3");
  EXPECT_FALSE(verdict.ready);
  EXPECT_EQ(verdict.model_verified, false);
  EXPECT_EQ(verdict.model, "llama3");
  EXPECT_TRUE(Contains(verdict.message, "not listed"));
  EXPECT_TRUE(Contains(verdict.message, "'llama3'"));
  EXPECT_TRUE(Contains(verdict.message, "Did you mean 'llama3:latest'?")) << *verdict.message;
}

TEST(LocalProviderProbe, R5ModelsEndpointErrorIsReported) {
  RecordProperty("clause", "R5");
  TestServer server;
  server.server().Get("/health", [](const httplib::Request&, httplib::Response& response) {
    Reply(response, 200, kHealthOk);
  });
  server.server().Get("/v1/models", [](const httplib::Request&, httplib::Response& response) {
    Reply(response, 500, R"({"object":"error","message":"listing failed","code":500})");
  });
  server.Start();
  LocalProvider provider(ConfigFor(server.base_url()));
  const ProviderReadiness verdict = provider.CheckReady("m");
  EXPECT_FALSE(verdict.ready);
  EXPECT_EQ(verdict.model_verified, false);
  EXPECT_EQ(verdict.status_code, 500);
  EXPECT_EQ(verdict.message, "listing failed");
}

TEST(LocalProviderProbe, R7LoadingServerIsNotReadyEvenWhenListed) {
  RecordProperty("clause", "R7");
  TestServer server;
  server.server().Get("/health", [](const httplib::Request&, httplib::Response& response) {
    Reply(response, 503, kLlamaLoading);
  });
  server.server().Get("/v1/models", [](const httplib::Request&, httplib::Response& response) {
    Reply(response, 200, ListingOf({"m"}));
  });
  server.Start();
  LocalProvider provider(ConfigFor(server.base_url()));
  const ProviderReadiness verdict = provider.CheckReady("m");
  EXPECT_FALSE(verdict.ready);
  EXPECT_EQ(verdict.status_code, 503);
  EXPECT_TRUE(Contains(verdict.message, "Loading model"));
}

TEST(LocalProviderProbe, R8UnreachableServerIsAValue) {
  RecordProperty("clause", "R8");
  RefusingPort port;
  LocalProvider provider(ConfigFor(port.base_url()));
  ProviderReadiness verdict;
  ASSERT_NO_THROW(verdict = provider.CheckReady("m"));
  EXPECT_FALSE(verdict.ready);
  EXPECT_EQ(verdict.status_code, std::nullopt);
  EXPECT_EQ(verdict.model_verified, false);
  EXPECT_TRUE(Contains(verdict.message, port.base_url())) << *verdict.message;
  EXPECT_TRUE(Contains(verdict.message, "Check that the server is running"));
  EXPECT_EQ(provider.CheckReady(std::nullopt).model_verified, std::nullopt);
}

// A server whose /health (or /v1/models) hangs or trickles until released.
class SlowServer : public TestServer {
 public:
  enum class Mode { kHang, kTrickle };
  SlowServer(Mode mode, const std::string& slow_path) {
    for (const std::string path : {"/health", "/v1/models"}) {
      const bool slow = path == slow_path;
      server().Get(
          path, [this, mode, slow, path](const httplib::Request&, httplib::Response& response) {
            if (!slow)
              return Reply(response, 200, path == "/health" ? kHealthOk : ListingOf({"m"}));
            entered.Set();
            if (mode == Mode::kHang) {
              WaitForRelease();
              return Reply(response, 200, kHealthOk);
            }
            response.set_chunked_content_provider("application/json",
                                                  [this](std::size_t, httplib::DataSink& sink) {
                                                    if (!sink.write(" ", 1)) return false;
                                                    return !WaitForRelease(milliseconds(20));
                                                  });
          });
    }
    Start();
  }
  ~SlowServer() override { Stop(); }
  Flag entered;
};

void ExpectTimesOutWithinBudget(SlowServer& server, const std::optional<std::string>& model) {
  Config config = ConfigFor(server.base_url());
  config.probe_budget = milliseconds(400);
  LocalProvider provider(config);
  const auto start = Clock::now();
  const ProviderReadiness verdict = provider.CheckReady(model);
  const auto elapsed = Clock::now() - start;
  EXPECT_FALSE(verdict.ready);
  EXPECT_EQ(verdict.status_code, std::nullopt);
  EXPECT_TRUE(Contains(verdict.message, "timed out")) << verdict.message.value_or("(null)");
  EXPECT_GE(elapsed, milliseconds(380));
  EXPECT_LT(elapsed, config.probe_budget + std::chrono::seconds(1));
}

TEST(LocalProviderProbe, R9ServerThatNeverAnswersTimesOutWithinBudget) {
  RecordProperty("clause", "R9");
  SlowServer server(SlowServer::Mode::kHang, "/health");
  ExpectTimesOutWithinBudget(server, std::nullopt);
}

TEST(LocalProviderProbe, R9TricklingServerTimesOutWithinBudget) {
  RecordProperty("clause", "R9");
  SlowServer server(SlowServer::Mode::kTrickle, "/health");
  ExpectTimesOutWithinBudget(server, "m");
}

TEST(LocalProviderProbe, R9BudgetCoversBothRequests) {
  RecordProperty("clause", "R9");
  SlowServer server(SlowServer::Mode::kTrickle, "/v1/models");
  ExpectTimesOutWithinBudget(server, "m");
}

TEST(LocalProviderProbe, R10OversizedListingIsNotVerified) {
  RecordProperty("clause", "R10");
  TestServer server;
  server.server().Get("/v1/models", [](const httplib::Request&, httplib::Response& response) {
    std::string body = R"({"data":[{"id":"m"},{"id":")" + std::string(5u << 20, 'x') + R"("}]})";
    Reply(response, 200, body);
  });
  server.Start();
  LocalProvider provider(ConfigFor(server.base_url()));
  const ProviderReadiness verdict = provider.CheckReady("m");
  EXPECT_FALSE(verdict.ready);
  EXPECT_EQ(verdict.model_verified, false);
  EXPECT_TRUE(Contains(verdict.message, "MiB"));
}

TEST(LocalProviderProbe, R10EmptyTextPlainHealthIsHealthy) {
  RecordProperty("clause", "R10");
  TestServer server;
  server.server().Get("/health", [](const httplib::Request&, httplib::Response& response) {
    Reply(response, 200, "", "text/plain");
  });
  server.Start();
  LocalProvider provider(ConfigFor(server.base_url()));
  const ProviderReadiness verdict = provider.CheckReady(std::nullopt);
  EXPECT_TRUE(verdict.ready);
  EXPECT_EQ(verdict.message, std::nullopt);
}

TEST(LocalProviderProbe, R12BearerOnBothRequestsAndRejectedCredentialsNamed) {
  RecordProperty("clause", "R12");
  TestServer server;
  server.server().Get("/health", [](const httplib::Request&, httplib::Response& response) {
    Reply(response, 200, kHealthOk);
  });
  server.server().Get(
      "/v1/models", [](const httplib::Request& request, httplib::Response& response) {
        if (request.get_header_value("Authorization") != "Bearer secret") {
          return Reply(response, 401,
                       R"({"error":{"message":"Invalid API Key","type":"authentication_error"}})");
        }
        Reply(response, 200, ListingOf({"m"}));
      });
  server.Start();
  LocalProvider accepted(ConfigFor(server.base_url()));
  EXPECT_TRUE(accepted.CheckReady("m").ready);
  for (const auto& request : server.requests()) EXPECT_EQ(request.authorization, "Bearer secret");

  Config wrong = ConfigFor(server.base_url());
  wrong.api_key = "wrong";
  LocalProvider rejected(wrong);
  const ProviderReadiness verdict = rejected.CheckReady("m");
  EXPECT_FALSE(verdict.ready);
  EXPECT_EQ(verdict.status_code, 401);
  EXPECT_TRUE(Contains(verdict.message, "credentials were rejected"));
}

TEST(LocalProviderProbe, R14CancelledProbeThrowsPromptly) {
  RecordProperty("clause", "R14");
  SlowServer server(SlowServer::Mode::kHang, "/health");
  Config config = ConfigFor(server.base_url());
  config.probe_budget = std::chrono::seconds(20);
  LocalProvider provider(config);
  std::stop_source stop;
  std::promise<Clock::time_point> stopped_at;
  std::thread canceller([&] {
    server.entered.Wait();
    stopped_at.set_value(Clock::now());
    stop.request_stop();
  });
  try {
    provider.CheckReady("m", stop.get_token());
    ADD_FAILURE() << "a cancelled probe must throw";
  } catch (const APIError& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kCancelled);
    EXPECT_EQ(error.phase(), Phase::kProbe);
  }
  const auto returned_at = Clock::now();
  canceller.join();
  EXPECT_LT(returned_at - stopped_at.get_future().get(), kPromptly);
}

TEST(LocalProviderProbe, R14AlreadyStoppedProbeSendsNothing) {
  RecordProperty("clause", "R14");
  ChatServer server;
  LocalProvider provider(ConfigFor(server.base_url()));
  std::stop_source stop;
  stop.request_stop();
  EXPECT_THROW(provider.CheckReady("m", stop.get_token()), APIError);
  EXPECT_TRUE(server.requests().empty());
}

TEST(LocalProviderProbe, R16LoadingModelIsListedButNotReady) {
  RecordProperty("clause", "R16");
  TestServer server;
  server.server().Get("/health", [](const httplib::Request&, httplib::Response& response) {
    Reply(response, 200, kHealthOk);
  });
  server.server().Get("/v1/models", [](const httplib::Request&, httplib::Response& response) {
    Reply(response, 200,
          R"({"data":[{"id":"m","object":"model","status":{"value":"loading","args":[]}}]})");
  });
  server.Start();
  LocalProvider provider(ConfigFor(server.base_url()));
  const ProviderReadiness verdict = provider.CheckReady("m");
  EXPECT_FALSE(verdict.ready);
  EXPECT_EQ(verdict.model_verified, true);
  EXPECT_TRUE(Contains(verdict.message, "loading"));
}

TEST(LocalProviderProbe, S5ProbeAndTurnsShareOneConnection) {
  RecordProperty("clause", "S5");
  ChatServer server;
  LocalProvider provider(ConfigFor(server.base_url(), "m"));
  EXPECT_TRUE(provider.CheckReady("m").ready);
  provider.Generate({}, Say("hello"), {});
  EXPECT_TRUE(provider.CheckReady("m").ready);
  EXPECT_EQ(server.connections(), 1);
}

// ======================= Generate =======================

TEST(LocalProviderGenerate, SendsTheChatRequestAndDecodesTheAnswer) {
  ChatServer server;
  LocalProvider provider(ConfigFor(server.base_url(), "m"));
  const Output output =
      provider.Generate({.instructions = "sys"}, Say("hello"), {.temperature = 0.5});
  EXPECT_EQ(output.text, "Hello world");
  EXPECT_EQ(output.tool_calls.size(), 2u);
  EXPECT_GT(output.timing.total.count(), 0);
  EXPECT_EQ(output.timing.time_to_first_token, std::nullopt);
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].path, "/v1/chat/completions");
  EXPECT_EQ(requests[0].authorization, "Bearer secret");
  const json body = provider.BuildRequestBody({.instructions = "sys"}, Say("hello"), {}, true);
  EXPECT_EQ(body["model"], "m");
  EXPECT_EQ(body["stream"], true);
}

TEST(LocalProviderGenerate, S5SequentialTurnsUseOneConnection) {
  RecordProperty("clause", "S5");
  ChatServer server;
  LocalProvider provider(ConfigFor(server.base_url()));
  for (int i = 0; i < 10; ++i) provider.Generate({}, Say("hello"), {});
  for (int i = 0; i < 5; ++i) provider.Stream({}, Say("hello"), {}).Collect();
  EXPECT_EQ(server.connections(), 1);
  EXPECT_EQ(server.requests().size(), 15u);
}

TEST(LocalProviderGenerate, ConcurrentTurnsOpenAtMostOneConnectionEach) {
  RecordProperty("clause", "S9");
  ChatServer server;
  LocalProvider provider(ConfigFor(server.base_url()));
  for (int round = 0; round < 2; ++round) {
    std::vector<std::future<Output>> turns;
    for (int i = 0; i < 3; ++i) {
      turns.push_back(
          std::async(std::launch::async, [&] { return provider.Generate({}, Say("gate"), {}); }));
    }
    for (auto& turn : turns) EXPECT_EQ(turn.get().text, "Hello world");
  }
  EXPECT_EQ(server.gate_peak.load(), 3);
  EXPECT_EQ(server.connections(), 3);
}

TEST(LocalProviderGenerate, ModelNotFoundCarriesServerMessageAndHint) {
  ChatServer server;
  LocalProvider provider(ConfigFor(server.base_url(), "x"));
  const APIError error = GenerateError(provider, "notfound");
  EXPECT_EQ(error.kind(), ErrorKind::kHttpStatus);
  EXPECT_EQ(error.phase(), Phase::kGenerate);
  EXPECT_EQ(error.status_code(), 404);
  EXPECT_FALSE(error.retryable());
  EXPECT_NE(std::string(error.what()).find("model 'x' not found"), std::string::npos);
  EXPECT_EQ(error.hint().rfind("Model not found on the local server", 0), 0u) << error.hint();
  provider.Generate({}, Say("hello"), {});
  EXPECT_EQ(server.connections(), 1);
}

TEST(LocalProviderGenerate, ServerErrorsAreRetryable) {
  ChatServer server;
  LocalProvider provider(ConfigFor(server.base_url()));
  const APIError busy = GenerateError(provider, "busy");
  EXPECT_EQ(busy.status_code(), 503);
  EXPECT_TRUE(busy.retryable());
  EXPECT_NE(std::string(busy.what()).find("Loading model"), std::string::npos);
  const APIError limited = GenerateError(provider, "ratelimit");
  EXPECT_EQ(limited.status_code(), 429);
  EXPECT_TRUE(limited.retryable());
  EXPECT_NE(std::string(limited.what()).find("slow down"), std::string::npos);
}

TEST(LocalProviderGenerate, ConnectionRefusedNamesTheUrlInTheHint) {
  RefusingPort port;
  LocalProvider provider(ConfigFor(port.base_url()));
  const APIError error = GenerateError(provider, "hello");
  EXPECT_EQ(error.kind(), ErrorKind::kConnection);
  EXPECT_TRUE(error.retryable());
  EXPECT_EQ(error.hint(), "Cannot reach local server at " + port.base_url() +
                              ". Is it running? Check PROVKIT_LOCAL_BASE_URL.");
}

TEST(LocalProviderGenerate, SilentServerTimesOut) {
  ChatServer server;
  Config config = ConfigFor(server.base_url());
  config.request_timeout = milliseconds(300);
  LocalProvider provider(config);
  const auto start = Clock::now();
  const APIError error = GenerateError(provider, "hang");
  EXPECT_EQ(error.kind(), ErrorKind::kTimeout);
  EXPECT_TRUE(error.retryable());
  EXPECT_LT(Clock::now() - start, config.request_timeout + std::chrono::seconds(1));
}

TEST(LocalProviderGenerate, StalePooledConnectionIsRetriedOnceOnAFreshOne) {
  StaleAfterOneServer server;
  LocalProvider provider(ConfigFor(server.base_url()));
  EXPECT_EQ(provider.Generate({}, Say("hello"), {}).text, "Hello world");
  EXPECT_EQ(provider.Generate({}, Say("hello"), {}).text, "Hello world");
  EXPECT_TRUE(provider.CheckReady(std::nullopt).ready);
  EXPECT_EQ(server.connections(), 3);
}

TEST(LocalProviderGenerate, UnreadableAnswerIsMalformed) {
  ChatServer server;
  LocalProvider provider(ConfigFor(server.base_url()));
  EXPECT_EQ(GenerateError(provider, "garbage").kind(), ErrorKind::kMalformedResponse);
}

TEST(LocalProviderGenerate, CloseAbortsATurnInFlightAndLaterCallsFail) {
  ChatServer server;
  LocalProvider provider(ConfigFor(server.base_url()));
  std::promise<Clock::time_point> closed_at;
  std::thread closer([&] {
    while (server.requests().empty()) std::this_thread::yield();
    closed_at.set_value(Clock::now());
    provider.Close();
  });
  const APIError error = GenerateError(provider, "hang");
  const auto returned_at = Clock::now();
  closer.join();
  EXPECT_EQ(error.kind(), ErrorKind::kCancelled);
  EXPECT_LT(returned_at - closed_at.get_future().get(), kPromptly);
  EXPECT_NO_THROW(provider.Close());
  EXPECT_THROW(provider.Generate({}, Say("hello"), {}), ConfigurationError);
  EXPECT_THROW(provider.Stream({}, Say("hello"), {}), ConfigurationError);
  EXPECT_THROW(provider.CheckReady("m"), ConfigurationError);
}

// ======================= Stream =======================

TEST(LocalProviderStream, S8DoneCarriesWhatGenerateReturns) {
  RecordProperty("clause", "S8");
  ChatServer server;
  LocalProvider provider(ConfigFor(server.base_url()));
  const Output generated = provider.Generate({}, Say("hello"), {});
  std::vector<StreamEvent> events;
  EventStream stream = provider.Stream({}, Say("hello"), {});
  while (auto event = stream.Next()) events.push_back(std::move(*event));
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.front().type, EventType::kStart);
  ASSERT_EQ(events.back().type, EventType::kDone);
  const Output& streamed = *events.back().output;
  EXPECT_TRUE(streamed.SameAnswer(generated)) << json(streamed).dump() << "\n"
                                              << json(generated).dump();
  ASSERT_TRUE(streamed.timing.time_to_first_token.has_value());
  EXPECT_LE(*streamed.timing.time_to_first_token, streamed.timing.total);
  int tool_calls = 0;
  for (const StreamEvent& event : events) tool_calls += event.type == EventType::kToolCall;
  EXPECT_EQ(tool_calls, 2);
  EXPECT_TRUE(stream.finished());
}

TEST(LocalProviderStream, EventsOnlyModeLeavesTextToTheDeltas) {
  ChatServer server;
  LocalProvider provider(ConfigFor(server.base_url()));
  const Output generated = provider.Generate({}, Say("hello"), {});
  ASSERT_FALSE(generated.text.empty());
  std::string text_deltas;
  std::optional<Output> done;
  EventStream stream = provider.Stream({}, Say("hello"), Requirements{.assemble_text = false});
  while (auto event = stream.Next()) {
    if (event->type == EventType::kTextDelta) text_deltas += event->delta;
    if (event->type == EventType::kDone) done = *event->output;
  }
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(text_deltas, generated.text);
  EXPECT_EQ(done->text, "");
  EXPECT_EQ(done->reasoning, "");
  EXPECT_EQ(done->finish_reason, generated.finish_reason);
  EXPECT_EQ(done->tool_calls.size(), generated.tool_calls.size());
  EXPECT_EQ(done->usage, generated.usage);
}

TEST(LocalProviderStream, HttpErrorBeforeTheStreamThrowsFromStream) {
  ChatServer server;
  LocalProvider provider(ConfigFor(server.base_url()));
  try {
    provider.Stream({}, Say("notfound"), {});
    FAIL() << "Stream() must throw for an HTTP error status";
  } catch (const APIError& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kHttpStatus);
    EXPECT_EQ(error.phase(), Phase::kStream);
    EXPECT_EQ(error.status_code(), 404);
    EXPECT_NE(std::string(error.what()).find("model 'x' not found"), std::string::npos);
  }
  EXPECT_EQ(provider.Stream({}, Say("hello"), {}).Collect().text, "Hello world");
  EXPECT_EQ(server.connections(), 1);
}

TEST(LocalProviderStream, ConnectionRefusedThrowsFromStream) {
  RefusingPort port;
  LocalProvider provider(ConfigFor(port.base_url()));
  try {
    provider.Stream({}, Say("hello"), {});
    FAIL();
  } catch (const APIError& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kConnection);
    EXPECT_EQ(error.phase(), Phase::kStream);
  }
}

TEST(LocalProviderStream, SilentServerTimesOutBeforeTheStream) {
  ChatServer server;
  Config config = ConfigFor(server.base_url());
  config.request_timeout = milliseconds(300);
  LocalProvider provider(config);
  try {
    provider.Stream({}, Say("hang"), {});
    FAIL() << "Stream against a silent server did not throw";
  } catch (const APIError& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kTimeout) << error.what();
    EXPECT_EQ(error.phase(), Phase::kStream);
    EXPECT_TRUE(error.retryable());
  }
}

void ExpectFailureThenRecovery(const std::string& scenario, std::string_view words) {
  ChatServer server;
  LocalProvider provider(ConfigFor(server.base_url()));
  const auto [error, done] = DrainStream(provider.Stream({}, Say(scenario), {}));
  ASSERT_TRUE(error.has_value()) << scenario << " must fail";
  EXPECT_FALSE(done) << scenario << " must never yield done";
  EXPECT_EQ(error->kind(), ErrorKind::kStreamFailure) << scenario;
  EXPECT_EQ(error->phase(), Phase::kStream);
  EXPECT_NE(std::string(error->what()).find(words), std::string::npos) << error->what();
  EXPECT_EQ(provider.Generate({}, Say("hello"), {}).text, "Hello world");
  EXPECT_EQ(provider.Stream({}, Say("hello"), {}).Collect().text, "Hello world");
  EXPECT_LE(server.connections(), 2);
}

TEST(LocalProviderStream, S7ErrorEventRaisesAndNextTurnSucceeds) {
  RecordProperty("clause", "S7");
  ExpectFailureThenRecovery("error", "Context size exceeded");
  ExpectFailureThenRecovery("error-then-done", "engine dead");
}

TEST(LocalProviderStream, S7DroppedConnectionRaisesAndNextTurnSucceeds) {
  RecordProperty("clause", "S7");
  ExpectFailureThenRecovery("drop", "failed");
}

TEST(LocalProviderStream, S7MalformedChunkRaisesAndNextTurnSucceeds) {
  RecordProperty("clause", "S7");
  ExpectFailureThenRecovery("malformed", "malformed");
}

TEST(LocalProviderStream, S7BodyEndingWithoutDoneOrFinishRaises) {
  RecordProperty("clause", "S7");
  ExpectFailureThenRecovery("nodone", "before [DONE]");
}

TEST(LocalProviderStream, FinishWithoutDoneCompletes) {
  ChatServer server;
  LocalProvider provider(ConfigFor(server.base_url()));
  const Output output = provider.Stream({}, Say("finish-nodone"), {}).Collect();
  EXPECT_EQ(output.finish_reason, "tool_calls");
  EXPECT_EQ(output.usage, (Usage{5, 7, 12}));
}

TEST(LocalProviderStream, S6AbandonedStreamCostsAtMostOneReplacementConnection) {
  RecordProperty("clause", "S6");
  ChatServer server;
  LocalProvider provider(ConfigFor(server.base_url()));
  {
    EventStream stream = provider.Stream({}, Say("forever"), {});
    EXPECT_EQ(stream.Next()->type, EventType::kStart);
    EXPECT_EQ(stream.Next()->type, EventType::kTextDelta);
    EXPECT_EQ(stream.Next()->type, EventType::kTextDelta);
  }
  EXPECT_EQ(provider.Generate({}, Say("hello"), {}).text, "Hello world");
  EXPECT_EQ(provider.Stream({}, Say("hello"), {}).Collect().text, "Hello world");
  EXPECT_TRUE(provider.CheckReady(std::nullopt).ready);
  EXPECT_EQ(server.connections(), 2);
}

TEST(LocalProviderStream, S11CloseDuringAStreamEndsItPromptly) {
  RecordProperty("clause", "S11");
  ChatServer server;
  LocalProvider provider(ConfigFor(server.base_url()));
  EventStream stream = provider.Stream({}, Say("stall"), {});
  EXPECT_EQ(stream.Next()->type, EventType::kStart);
  EXPECT_EQ(stream.Next()->type, EventType::kTextDelta);
  std::promise<Clock::time_point> closed_at;
  Flag reading;
  std::thread closer([&] {
    reading.Wait();
    closed_at.set_value(Clock::now());
    provider.Close();
  });
  reading.Set();
  const auto [error, done] = DrainStream(std::move(stream));
  const auto returned_at = Clock::now();
  closer.join();
  ASSERT_TRUE(error.has_value());
  EXPECT_FALSE(done);
  EXPECT_EQ(error->kind(), ErrorKind::kCancelled);
  EXPECT_LT(returned_at - closed_at.get_future().get(), kPromptly);
}

TEST(LocalProviderStream, ConsumerCancelFromAnotherThreadEndsTheStream) {
  ChatServer server;
  LocalProvider provider(ConfigFor(server.base_url()));
  EventStream stream = provider.Stream({}, Say("stall"), {});
  EXPECT_EQ(stream.Next()->type, EventType::kStart);
  std::thread canceller([&] { stream.Cancel(); });
  canceller.join();
  EXPECT_THROW(while (stream.Next()){}, Error);
  EXPECT_EQ(provider.Generate({}, Say("hello"), {}).text, "Hello world");
  EXPECT_EQ(server.connections(), 2);
}

// ======================= Through a Session =======================

TEST(LocalProviderSession, S5SessionProbeAndTurnsShareOneConnection) {
  RecordProperty("clause", "S5");
  ChatServer server;
  Session session(ConfigFor(server.base_url(), "m"));
  EXPECT_TRUE(session.CheckReady().ready);
  for (int i = 0; i < 3; ++i) session.Interact({}, Say("hello"));
  session.Stream({}, Say("hello")).Collect();
  session.Close();
  EXPECT_EQ(server.connections(), 1);
}

TEST(LocalProviderSession, S5OneShotCallsOpenOneConnectionEach) {
  RecordProperty("clause", "S5");
  ChatServer server;
  for (int i = 0; i < 3; ++i) Interact(ConfigFor(server.base_url()), {}, Say("hello"));
  EXPECT_EQ(server.connections(), 3);
}

}  // namespace
}  // namespace provkit
