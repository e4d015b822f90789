// Tests of the mock server's HTTP front under malformed requests sent over raw TCP sockets: each
// gets a 4xx or a closed connection within a bounded wait, and the server keeps serving others.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "provkit/mockserver/server.hpp"
#include "test_support.hpp"

namespace provkit::mock {
namespace {

using namespace std::chrono_literals;
using testing::ClientOf;

// The longest any answer (or the close) may take: a bound, not a timing assertion.
constexpr auto kAnswerBudget = 10s;

// What came back on a raw connection: the status line, or the close (or nothing) instead.
struct Reply {
  std::string status_line;  ///< "HTTP/1.1 400 Bad Request", empty when none came.
  bool closed = false;      ///< The server closed (or reset) the connection.
  bool timed_out = false;   ///< Neither within kAnswerBudget.
};

// One client TCP connection to 127.0.0.1:port, closed on destruction.
class RawConnection {
 public:
  explicit RawConnection(int port) : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = fd_ >= 0 &&
                 ::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  }
  ~RawConnection() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return connected_; }

  // Sends every byte; false when the server closed the connection first.
  bool Send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t sent = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (sent < 0 && errno == EINTR) continue;
      if (sent <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(sent));
    }
    return true;
  }

  // Ends our side of the connection (the server reads end-of-file) but keeps reading open.
  void ShutdownWrite() { ::shutdown(fd_, SHUT_WR); }

  // Reads until the status line is complete, the server closes, or kAnswerBudget runs out.
  Reply ReadStatusLine() {
    Reply reply;
    std::string received;
    const auto deadline = std::chrono::steady_clock::now() + kAnswerBudget;
    while (received.find("\r\n") == std::string::npos) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd poll_fd{.fd = fd_, .events = POLLIN, .revents = 0};
      const int ready = left.count() > 0 ? ::poll(&poll_fd, 1, static_cast<int>(left.count())) : 0;
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0) {
        reply.timed_out = true;
        return reply;
      }
      char buffer[4096];
      const ssize_t got = ::recv(fd_, buffer, sizeof buffer, 0);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        reply.closed = true;
        break;
      }
      received.append(buffer, static_cast<std::size_t>(got));
    }
    reply.status_line = received.substr(0, received.find("\r\n"));
    return reply;
  }

  // Reads one response with a Content-Length body (none for HEAD); its status line, or empty
  // when the connection closed or kAnswerBudget ran out first. The body goes to `body` if given.
  std::string ReadResponse(bool head, std::string* body = nullptr, std::string* headers = nullptr) {
    const auto deadline = std::chrono::steady_clock::now() + kAnswerBudget;
    for (;;) {
      const std::size_t end = pending_.find("\r\n\r\n");
      if (end != std::string::npos) {
        const std::size_t at = pending_.find("Content-Length: ");
        std::size_t length = 0;
        if (!head && at != std::string::npos && at < end)
          length = std::stoul(pending_.substr(at + 16, pending_.find("\r\n", at) - at - 16));
        if (pending_.size() >= end + 4 + length) {
          std::string status = pending_.substr(0, pending_.find("\r\n"));
          if (body != nullptr) *body = pending_.substr(end + 4, length);
          if (headers != nullptr) *headers = pending_.substr(0, end + 2);
          pending_.erase(0, end + 4 + length);
          return status;
        }
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd poll_fd{.fd = fd_, .events = POLLIN, .revents = 0};
      const int ready = left.count() > 0 ? ::poll(&poll_fd, 1, static_cast<int>(left.count())) : 0;
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0) return {};
      char buffer[4096];
      const ssize_t got = ::recv(fd_, buffer, sizeof buffer, 0);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) return {};
      pending_.append(buffer, static_cast<std::size_t>(got));
    }
  }

  // Whether the server ends the connection (end of file or reset), with nothing more sent,
  // within kAnswerBudget.
  bool ClosedByServer() {
    const auto deadline = std::chrono::steady_clock::now() + kAnswerBudget;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd poll_fd{.fd = fd_, .events = POLLIN, .revents = 0};
      const int ready = left.count() > 0 ? ::poll(&poll_fd, 1, static_cast<int>(left.count())) : 0;
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0) return false;
      char byte = 0;
      const ssize_t got = ::recv(fd_, &byte, 1, 0);
      if (got < 0 && errno == EINTR) continue;
      return got <= 0 && pending_.empty();
    }
  }

 private:
  int fd_;
  bool connected_ = false;
  std::string pending_;
};

// Sends `request` on a fresh connection and returns the reply.
Reply Exchange(const Server& server, std::string_view request, bool shutdown_write = false) {
  RawConnection connection(server.port());
  EXPECT_TRUE(connection.connected());
  const bool sent = connection.Send(request);
  if (shutdown_write) connection.ShutdownWrite();
  Reply reply = connection.ReadStatusLine();
  // A server that answers before reading everything may reset the rest: then a reply must exist.
  if (!sent) {
    EXPECT_FALSE(reply.status_line.empty() && !reply.closed);
  }
  return reply;
}

// A normal keep-alive client still gets 200 from /health.
void ExpectServing(const Server& server) {
  auto client = ClientOf(server);
  auto response = client.Get("/health");
  ASSERT_TRUE(response) << httplib::to_string(response.error());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, R"({"status":"ok"})");
}

std::string Repeat(char c, std::size_t count) { return std::string(count, c); }

TEST(HttpFrontTest, BadRequestLinesAnswer400) {
  Server server;
  const std::vector<std::string> lines = {
      "HELLO\r\n\r\n",                            // one word
      "GET\r\n\r\n",                              // no target, no version
      "GET /health\r\n\r\n",                      // HTTP/0.9 style, no version
      "BREW /health HTTP/1.1\r\n\r\n",            // unknown method
      "GET /health HTTP/9.9\r\nHost: x\r\n\r\n",  // unknown version
  };
  for (const std::string& line : lines) {
    const Reply reply = Exchange(server, line);
    ASSERT_FALSE(reply.timed_out) << line;
    EXPECT_EQ(reply.status_line, "HTTP/1.1 400 Bad Request") << line;
  }
  ExpectServing(server);
}

TEST(HttpFrontTest, OverlongRequestTargetAnswers414) {
  Server server;
  const Reply reply =
      Exchange(server, "GET /" + Repeat('a', 20000) + " HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_FALSE(reply.timed_out);
  EXPECT_EQ(reply.status_line, "HTTP/1.1 414 URI Too Long");
  ExpectServing(server);
}

TEST(HttpFrontTest, HugeHeaderLineAnswers431) {
  Server server;
  // One header line of 1 MiB: the front door reads a request head up to twice max_header_bytes
  // (64 KiB) and 16 KiB, and refuses it there rather than hold all of it.
  const Reply reply = Exchange(
      server, "GET /health HTTP/1.1\r\nHost: x\r\nX-Huge: " + Repeat('h', 1 << 20) + "\r\n\r\n");
  ASSERT_FALSE(reply.timed_out);
  EXPECT_EQ(reply.status_line, "HTTP/1.1 431 Request Header Fields Too Large");
  ExpectServing(server);
}

TEST(HttpFrontTest, HeadersOverTheTotalLimitAnswer431) {
  ServerOptions options;
  options.max_header_bytes = 16 * 1024;
  Server server(options);
  // Each line under 8 KiB, together 40 KiB: the mock's own max_header_bytes refuses them.
  std::string request = "GET /health HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 10; ++i)
    request += "X-Fill-" + std::to_string(i) + ": " + Repeat('f', 4096) + "\r\n";
  request += "Connection: close\r\n\r\n";
  const Reply reply = Exchange(server, request);
  ASSERT_FALSE(reply.timed_out);
  EXPECT_EQ(reply.status_line, "HTTP/1.1 431 Request Header Fields Too Large");
  ExpectServing(server);
}

TEST(HttpFrontTest, InvalidChunkedEncodingAnswers400) {
  Server server;
  const std::string head =
      "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Transfer-Encoding: chunked\r\n\r\n";
  const std::vector<std::string> bodies = {
      "zz\r\n{}\r\n0\r\n\r\n",         // a chunk size that is not hex
      "5\r\n{}\r\n0\r\n\r\n",          // a chunk shorter than its size, then the next size line
      "2\r\n{}XX0\r\n\r\n",            // no CRLF after the chunk data
      "-1\r\n{}\r\n0\r\n\r\n",         // a negative size
      "ffffffffffffffffff\r\n{}\r\n",  // a size that overflows
  };
  for (const std::string& body : bodies) {
    const Reply reply = Exchange(server, head + body);
    ASSERT_FALSE(reply.timed_out) << body;
    EXPECT_EQ(reply.status_line, "HTTP/1.1 400 Bad Request") << body;
  }
  ExpectServing(server);
}

TEST(HttpFrontTest, InvalidUtf8InPathAndBodyAnswers4xxAndTheJournalStaysReadable) {
  Server server;
  const Reply path_reply =
      Exchange(server, "GET /\xFF\xFE\xC0\xAF%FF HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  ASSERT_FALSE(path_reply.timed_out);
  EXPECT_EQ(path_reply.status_line, "HTTP/1.1 404 Not Found");

  const std::string body = R"({"model":"provkit-mock","messages":[{"role":"user","content":"bad )"
                           "\xC3\x28\xED\xA0\x80\xFF"
                           R"("}]})";
  const Reply body_reply =
      Exchange(server,
               "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
               "Content-Type: application/json\r\nContent-Length: " +
                   std::to_string(body.size()) + "\r\n\r\n" + body);
  ASSERT_FALSE(body_reply.timed_out);
  EXPECT_EQ(body_reply.status_line, "HTTP/1.1 400 Bad Request");

  // The journal holds both requests and is still served as valid JSON, the bad bytes as U+FFFD.
  auto client = ClientOf(server);
  auto journal = client.Get("/__provkit/journal");
  ASSERT_TRUE(journal);
  EXPECT_EQ(journal->status, 200);
  const nlohmann::json parsed = nlohmann::json::parse(journal->body, nullptr, false);
  ASSERT_FALSE(parsed.is_discarded()) << journal->body.substr(0, 300);
  ASSERT_GE(parsed.at("entries").size(), 2u);
  // Four raw bytes and the decoded %FF, each invalid: five U+FFFD.
  std::string replaced = "/";
  for (int i = 0; i < 5; ++i) replaced += "\xEF\xBF\xBD";
  EXPECT_EQ(parsed["entries"][0]["path"].get<std::string>(), replaced);
  ExpectServing(server);
}

// A body shorter than its Content-Length, then end of input: the connection is closed, unanswered.
TEST(HttpFrontTest, TruncatedBodyClosesTheConnection) {
  Server server;
  const Reply reply = Exchange(server,
                               "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
                               "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
                               R"({"model":)",
                               /*shutdown_write=*/true);
  ASSERT_FALSE(reply.timed_out);
  EXPECT_TRUE(reply.closed);
  EXPECT_EQ(reply.status_line, "");
  ExpectServing(server);
}

TEST(HttpFrontTest, GarbageBytesAnswer400OrClose) {
  Server server;
  // A TLS ClientHello start sent to the plain HTTP port, then binary noise with line ends.
  const std::string tls("\x16\x03\x01\x02\x00\x01\x00\x01\xFC\x03\x03\r\n\r\n", 16);
  const Reply tls_reply = Exchange(server, tls);
  ASSERT_FALSE(tls_reply.timed_out);
  EXPECT_EQ(tls_reply.status_line, "HTTP/1.1 400 Bad Request");

  std::string noise;
  for (int i = 0; i < 4096; ++i) noise.push_back(static_cast<char>((i * 131 + 7) % 256));
  noise += "\r\n\r\n";
  const Reply noise_reply = Exchange(server, noise);
  ASSERT_FALSE(noise_reply.timed_out);
  EXPECT_EQ(noise_reply.status_line, "HTTP/1.1 400 Bad Request");

  // Noise without any line end, then our end closed: the server closes without an answer.
  const Reply cut_reply = Exchange(server, std::string(300, '\x01'), /*shutdown_write=*/true);
  ASSERT_FALSE(cut_reply.timed_out);
  EXPECT_TRUE(cut_reply.closed);
  EXPECT_EQ(cut_reply.status_line, "");
  ExpectServing(server);
}

TEST(HttpFrontTest, KeepsServingOthersWhileBadConnectionsAreHeldOpen) {
  Server server;
  // Each stalls mid-request: in the request line, in the headers, in a body.
  std::vector<std::unique_ptr<RawConnection>> held;
  for (const std::string_view partial :
       {std::string_view("GET /hea"), std::string_view("GET /health HTTP/1.1\r\nHost: x\r\nX-"),
        std::string_view("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
                         "Content-Length: 100\r\n\r\n{\"mo")}) {
    held.push_back(std::make_unique<RawConnection>(server.port()));
    ASSERT_TRUE(held.back()->connected());
    ASSERT_TRUE(held.back()->Send(partial));
  }
  auto client = ClientOf(server);
  for (int i = 0; i < 20; ++i) {
    auto response = client.Get(i % 2 == 0 ? "/health" : "/v1/models");
    ASSERT_TRUE(response) << i;
    EXPECT_EQ(response->status, 200) << i;
  }
  // The stalled connections and the client's are all open at once.
  EXPECT_GE(server.connections_open(), 4u);
  held.clear();
  ExpectServing(server);
}

// cpp-httplib 0.11 reads no body on GET: a probe sending one would pass R11 unseen, and the unread
// bytes would turn the next request on the connection into a 400. The mock reads and journals it.
TEST(HttpFrontTest, BodiesOfGetAndHeadAreReadJournalledAndKeepTheConnectionInStep) {
  RecordProperty("clause", "R11");
  Server server;
  RawConnection connection(server.port());
  ASSERT_TRUE(connection.connected());
  // Larger than cpp-httplib's 4 KiB read buffer: unread, its tail would be the next "request".
  const std::string prompt = R"({"prompt":")" + Repeat('p', 10000) + R"("})";
  const std::string requests[] = {
      "GET /health HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
          std::to_string(prompt.size()) + "\r\n\r\n" + prompt,
      "HEAD /v1/models HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc",
      "GET /v1/models HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
      "GET /health HTTP/1.1\r\nHost: x\r\n\r\n",
  };
  for (const std::string& request : requests) {
    ASSERT_TRUE(connection.Send(request));
    EXPECT_EQ(connection.ReadResponse(request.starts_with("HEAD")), "HTTP/1.1 200 OK")
        << request.substr(0, 40);
  }

  const std::vector<JournalEntry> journal = server.journal();
  ASSERT_EQ(journal.size(), 4u);
  EXPECT_EQ(journal[0].method, "GET");
  EXPECT_EQ(journal[0].path, "/health");
  EXPECT_EQ(journal[0].body, prompt);
  EXPECT_EQ(journal[1].method, "HEAD");
  EXPECT_EQ(journal[1].body, "abc");
  EXPECT_EQ(journal[2].method, "GET");
  EXPECT_EQ(journal[2].body, "hello world");
  EXPECT_EQ(journal[3].body, "");
  for (const JournalEntry& entry : journal) {
    EXPECT_EQ(entry.connection_id, journal[0].connection_id);
    EXPECT_EQ(entry.status, 200);
  }
}

TEST(HttpFrontTest, OversizedGetBodyAnswers413) {
  ServerOptions options;
  options.max_request_bytes = 1024;
  Server server(options);
  const Reply reply =
      Exchange(server, "GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: 4096\r\n\r\n" +
                           Repeat('b', 4096));
  ASSERT_FALSE(reply.timed_out);
  EXPECT_EQ(reply.status_line, "HTTP/1.1 413 Payload Too Large");
  ExpectServing(server);
}

// cpp-httplib parses form bodies itself: url-encoded ones over 8 KiB answered a bare 413, multipart
// ones never reached the journal. Every content type is read whole, up to max_request_bytes.
TEST(HttpFrontTest, FormAndOtherBodiesAreReadWholeWhateverTheirContentType) {
  ServerOptions options;
  options.journal_body_limit = 2 * 1024 * 1024;
  Server server(options);
  auto client = ClientOf(server);
  const std::string form = "a=" + Repeat('x', 1024 * 1024) + "&b=2";
  const std::string multipart = "--XyZ\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\n" +
                                Repeat('m', 20000) + "\r\n--XyZ--\r\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"application/x-www-form-urlencoded", form},
      {"application/x-www-form-urlencoded; charset=utf-8", Repeat('q', 9000)},
      {"multipart/form-data; boundary=XyZ", multipart},
      {"multipart/form-data; boundary=none-in-the-body", "not multipart at all"},
      {"text/plain", Repeat('t', 9000)},
  };
  for (const auto& [content_type, body] : cases) {
    server.ResetJournal();
    auto answer = client.Post("/v1/chat/completions", body, content_type.c_str());
    ASSERT_TRUE(answer) << content_type;
    EXPECT_EQ(answer->status, 400) << content_type << ": " << answer->body.substr(0, 200);
    EXPECT_NE(answer->body.find("\"error\""), std::string::npos) << content_type;
    const std::vector<JournalEntry> journal = server.journal();
    ASSERT_EQ(journal.size(), 1u) << content_type;
    EXPECT_EQ(journal[0].body, body) << content_type;
    EXPECT_FALSE(journal[0].body_truncated);
    EXPECT_EQ(journal[0].Header("Content-Type"), content_type);  // restored for handlers
  }
  // A form sent with GET is read too, and the connection stays in step.
  RawConnection connection(server.port());
  ASSERT_TRUE(connection.connected());
  const std::string get =
      "GET /health HTTP/1.1\r\nHost: x\r\nContent-Type: "
      "application/x-www-form-urlencoded\r\nContent-Length: 10000\r\n\r\n" +
      Repeat('g', 10000);
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(connection.Send(get));
    EXPECT_EQ(connection.ReadResponse(false), "HTTP/1.1 200 OK");
  }
}

TEST(HttpFrontTest, BodiesOverTheLimitAnswer413WithAnErrorEnvelope) {
  ServerOptions options;
  options.max_request_bytes = 4096;
  Server server(options);
  auto client = ClientOf(server);
  for (const char* content_type : {"application/json", "application/x-www-form-urlencoded",
                                   "text/plain", "multipart/form-data; boundary=XyZ"}) {
    auto answer = client.Post("/v1/chat/completions", Repeat('b', 5000), content_type);
    ASSERT_TRUE(answer) << content_type;
    EXPECT_EQ(answer->status, 413) << content_type;
    EXPECT_EQ(answer->get_header_value("Content-Type"), "application/json") << content_type;
    const nlohmann::json body = nlohmann::json::parse(answer->body, nullptr, false);
    ASSERT_TRUE(body.is_object()) << content_type << ": '" << answer->body << "'";
    EXPECT_EQ(body["error"]["message"],
              "request body of 5000 bytes over the server's limit of 4096 bytes "
              "(max_request_bytes)")
        << content_type;
    EXPECT_EQ(body["error"]["type"], "invalid_request_error");
  }
  // At the limit: read and answered by the route.
  auto at_limit = client.Post("/v1/chat/completions", Repeat('b', 4096), "text/plain");
  ASSERT_TRUE(at_limit);
  EXPECT_EQ(at_limit->status, 400);
  // The envelope is the profile's: LM Studio's error is a string.
  server.SetProfile(Profile::kLmStudio);
  auto lmstudio = client.Post("/v1/chat/completions", Repeat('b', 5000), "application/json");
  ASSERT_TRUE(lmstudio);
  EXPECT_EQ(lmstudio->status, 413);
  EXPECT_TRUE(nlohmann::json::parse(lmstudio->body)["error"].is_string()) << lmstudio->body;
  server.SetProfile(Profile::kOpenAi);
  ExpectServing(server);
}

TEST(HttpFrontTest, AdminPostWithoutContentTypeIsRefused) {
  Server server;
  RawConnection connection(server.port());
  ASSERT_TRUE(connection.connected());
  const std::string body = R"({"name":"hang"})";
  ASSERT_TRUE(connection.Send(
      "POST /__provkit/scenario HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(server.port()) +
      "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body));
  std::string answer;
  EXPECT_EQ(connection.ReadResponse(false, &answer), "HTTP/1.1 403 Forbidden");
  EXPECT_NE(answer.find("POST /__provkit/scenario with no Content-Type"), std::string::npos)
      << answer;
  EXPECT_EQ(server.scenario().kind, ScenarioKind::kHealthy);
}

// --- The front door: limits and the connections that hold no thread ---------------------------

constexpr std::string_view kHealth = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";

// A keep-alive connection that has been answered once, so the server has surely accepted it.
std::unique_ptr<RawConnection> AnsweredConnection(const Server& server) {
  auto connection = std::make_unique<RawConnection>(server.port());
  EXPECT_TRUE(connection->connected());
  EXPECT_TRUE(connection->Send(kHealth));
  EXPECT_EQ(connection->ReadResponse(false), "HTTP/1.1 200 OK");
  return connection;
}

TEST(HttpFrontTest, AtTheConnectionLimitANewConnectionGets503WithRetryAfterAndIsClosed) {
  ServerOptions options;
  options.max_connections = 3;
  Server server(options);
  std::vector<std::unique_ptr<RawConnection>> open;
  for (int i = 0; i < 3; ++i) open.push_back(AnsweredConnection(server));

  RawConnection refused(server.port());
  ASSERT_TRUE(refused.connected());
  refused.Send(kHealth);
  std::string body;
  std::string headers;
  EXPECT_EQ(refused.ReadResponse(false, &body, &headers), "HTTP/1.1 503 Service Unavailable");
  EXPECT_NE(headers.find("\r\nRetry-After: 1\r\n"), std::string::npos) << headers;
  EXPECT_NE(headers.find("\r\nConnection: close\r\n"), std::string::npos) << headers;
  const nlohmann::json error = nlohmann::json::parse(body, nullptr, false);
  ASSERT_TRUE(error.contains("error")) << body;
  EXPECT_NE(error["error"]["message"].get<std::string>().find("max_connections 3"),
            std::string::npos)
      << body;
  EXPECT_TRUE(refused.ClosedByServer());

  // The open ones are unaffected, the refusal is counted, and a freed place serves again.
  for (auto& connection : open) {
    ASSERT_TRUE(connection->Send(kHealth));
    EXPECT_EQ(connection->ReadResponse(false), "HTTP/1.1 200 OK");
  }
  EXPECT_EQ(server.stats().connections_refused, 1u);
  EXPECT_EQ(server.connections_opened(), 3u);
  open.pop_back();
  ASSERT_TRUE(server.WaitForOpenConnectionsAtMost(2, kAnswerBudget));
  open.push_back(AnsweredConnection(server));
}

TEST(HttpFrontTest, SlowHeadersHoldNoThreadAndAreAnswered408AtTheHeaderTimeout) {
  ServerOptions options;
  options.threads = 1;  // one request at a time: a slow head holding it would stall everything
  options.header_timeout = 300ms;
  Server server(options);
  std::vector<std::unique_ptr<RawConnection>> slow;
  for (int i = 0; i < 10; ++i) {
    slow.push_back(std::make_unique<RawConnection>(server.port()));
    ASSERT_TRUE(slow.back()->connected());
    ASSERT_TRUE(slow.back()->Send("GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: a"));
  }
  ExpectServing(server);
  for (auto& connection : slow) {
    const Reply reply = connection->ReadStatusLine();
    ASSERT_FALSE(reply.timed_out);
    EXPECT_EQ(reply.status_line, "HTTP/1.1 408 Request Timeout");
  }
  EXPECT_EQ(server.stats().connections_refused, 10u);
  EXPECT_TRUE(server.WaitForOpenConnectionsAtMost(1, kAnswerBudget));
  ExpectServing(server);
}

TEST(HttpFrontTest, IdleKeepAliveConnectionsHoldNoThread) {
  ServerOptions options;
  options.threads = 2;
  Server server(options);
  std::vector<std::unique_ptr<RawConnection>> idle;
  for (int i = 0; i < 40; ++i) idle.push_back(AnsweredConnection(server));
  ExpectServing(server);  // a 41st connection, while 40 idle ones stay open
  for (auto& connection : idle) {
    ASSERT_TRUE(connection->Send(kHealth));
    EXPECT_EQ(connection->ReadResponse(false), "HTTP/1.1 200 OK");
  }
  EXPECT_EQ(server.connections_opened(), 41u);
  EXPECT_EQ(server.requests(), 81u);
}

TEST(HttpFrontTest, PipelinedRequestsAreAnsweredInOrder) {
  Server server;
  RawConnection connection(server.port());
  ASSERT_TRUE(connection.connected());
  ASSERT_TRUE(connection.Send(std::string(kHealth) + "GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n" +
                              "GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::string body;
  EXPECT_EQ(connection.ReadResponse(false, &body), "HTTP/1.1 200 OK");
  EXPECT_EQ(body, R"({"status":"ok"})");
  EXPECT_EQ(connection.ReadResponse(false, &body), "HTTP/1.1 200 OK");
  EXPECT_NE(body.find("provkit-mock"), std::string::npos) << body;
  EXPECT_EQ(connection.ReadResponse(false), "HTTP/1.1 404 Not Found");
  EXPECT_EQ(server.connections_opened(), 1u);
}

TEST(HttpFrontTest, AnIdleKeepAliveConnectionIsClosedAfterItsTimeout) {
  ServerOptions options;
  options.keep_alive_timeout = 1s;
  Server server(options);
  const std::unique_ptr<RawConnection> connection = AnsweredConnection(server);
  EXPECT_TRUE(connection->ClosedByServer());
  EXPECT_TRUE(server.WaitForOpenConnectionsAtMost(0, kAnswerBudget));
}

}  // namespace
}  // namespace provkit::mock
