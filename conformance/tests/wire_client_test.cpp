// Tests of the W checks' bounded HTTP/1.1 client and of Printable, against raw-socket servers.
#include "wire_client.hpp"

#include <gtest/gtest.h>

#include <string>

#include "raw_http_server.hpp"

namespace provkit::conformance::wire {
namespace {

using testing::Answer;
using testing::RawConnection;
using testing::RawHttpServer;
using testing::RawRequest;

/// A handler that writes `bytes` for every request and keeps the connection when `keep` is set.
testing::RawHandler Sends(std::string bytes, bool keep = false) {
  return [bytes = std::move(bytes), keep](RawConnection& connection, const RawRequest&) {
    return connection.Send(bytes) && keep;
  };
}

WireClient ClientFor(const RawHttpServer& server, WireLimits limits = {}) {
  return WireClient("127.0.0.1", server.port(), "", limits);
}

WireAnswer GetOnce(std::string raw, WireLimits limits = {}, bool stream = false) {
  RawHttpServer server(Sends(std::move(raw)));
  WireClient client = ClientFor(server, limits);
  return client.Exchange({.method = "GET", .path = "/v1/models", .body = {}, .stream = stream});
}

TEST(Printable, EscapesEscAndOscSequencesSoNoneReachesATerminal) {
  const std::string shown = Printable("\x1b]0;owned\x07\x1b[31mred\x1b[0m\r\n", 200);
  EXPECT_EQ(shown, "\\x1b]0;owned\\x07\\x1b[31mred\\x1b[0m\\r\\n");
  EXPECT_EQ(shown.find('\x1b'), std::string::npos);
  EXPECT_EQ(shown.find('\x07'), std::string::npos);
}

TEST(Printable, EscapesInvalidUtf8AndKeepsValidText) {
  EXPECT_EQ(Printable("caf\xc3\xa9 \xff\xfe", 200), "caf\xc3\xa9 \\xff\\xfe");
  EXPECT_EQ(Printable("\xc0\xaf", 200), "\\xc0\\xaf");           // overlong
  EXPECT_EQ(Printable("\xed\xa0\x80", 200), "\\xed\\xa0\\x80");  // surrogate
  EXPECT_EQ(Printable("\xe2\x82", 200), "\\xe2\\x82");           // truncated
}

TEST(Printable, EscapesC1ControlsAndBidirectionalOverrides) {
  EXPECT_EQ(Printable("\xc2\x9b"
                      "31m",
                      200),
            "\\u{009b}31m");
  EXPECT_EQ(Printable("abc\xe2\x80\xae"
                      "def",
                      200),
            "abc\\u{202e}def");
}

TEST(Printable, ClipsAtACharacterBoundaryAndNamesTheSize) {
  EXPECT_EQ(Printable(std::string(300, 'a'), 10), "aaaaaaaaaa... (300 bytes)");
  EXPECT_EQ(Printable("\xc3\xa9\xc3\xa9\xc3\xa9", 3), "\xc3\xa9... (6 bytes)");
  EXPECT_EQ(Printable("short", 10), "short");
}

TEST(Printable, DurationsAndSizesReadAsAPersonWritesThem) {
  EXPECT_EQ(FormatDuration(9999), "10 s");
  EXPECT_EQ(FormatDuration(1500), "1.5 s");
  EXPECT_EQ(FormatDuration(500), "500.0 ms");
  EXPECT_EQ(FormatBytes(4 * 1024 * 1024), "4 MiB");
  EXPECT_EQ(FormatBytes(64 * 1024), "64 KiB");
  EXPECT_EQ(FormatBytes(1000), "1000 bytes");
}

TEST(WireClient, ReadsAContentLengthBodyAndKeepsTheConnection) {
  RawHttpServer server(Sends(Answer("200 OK", "application/json", R"({"a":1})"), true));
  WireClient client = ClientFor(server);
  for (int i = 0; i < 3; ++i) {
    const WireAnswer answer = client.Get("/v1/models");
    ASSERT_TRUE(answer.ok()) << answer.problem_text;
    EXPECT_EQ(answer.status, 200);
    EXPECT_EQ(answer.body, R"({"a":1})");
    EXPECT_EQ(answer.MediaType(), "application/json");
    EXPECT_TRUE(answer.keep_alive);
    EXPECT_EQ(answer.connection, 1);
  }
  EXPECT_EQ(client.connections_opened(), 1);
  EXPECT_EQ(server.connections(), 1u);
}

TEST(WireClient, DecodesChunkedBodiesWithExtensionsAndTrailers) {
  const WireAnswer answer = GetOnce(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3;name=x\r\nabc\r\n00A\r\n0123456789\r\n0\r\nX-Trailer: 1\r\n\r\n");
  ASSERT_TRUE(answer.ok()) << answer.problem_text;
  EXPECT_EQ(answer.body, "abc0123456789");
}

TEST(WireClient, ReadsABodyUntilCloseAndThenCountsANewConnection) {
  RawHttpServer server(Sends("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close"));
  WireClient client = ClientFor(server);
  WireAnswer answer = client.Get("/health");
  ASSERT_TRUE(answer.ok()) << answer.problem_text;
  EXPECT_EQ(answer.body, "until close");
  EXPECT_FALSE(answer.keep_alive);
  answer = client.Get("/health");
  EXPECT_EQ(answer.connection, 2);
  EXPECT_EQ(client.connections_opened(), 2);
}

TEST(WireClient, HonoursConnectionClose) {
  RawHttpServer server(
      Sends("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", true));
  WireClient client = ClientFor(server);
  EXPECT_FALSE(client.Get("/health").keep_alive);
  EXPECT_FALSE(client.connected());
  EXPECT_EQ(client.Get("/health").connection, 2);
}

TEST(WireClient, RetriesOnceWhenAKeptAliveConnectionWasClosedWhileIdle) {
  // The handler answers and then closes without saying so.
  RawHttpServer server(Sends(Answer("200 OK", "application/json", "{}"), false));
  WireClient client = ClientFor(server);
  ASSERT_TRUE(client.Get("/v1/models").ok());
  const WireAnswer second = client.Get("/v1/models");
  ASSERT_TRUE(second.ok()) << second.problem_text;
  EXPECT_EQ(second.connection, 2);
}

TEST(WireClient, SendsIdentityEncodingAndTheBearerToken) {
  std::vector<std::pair<std::string, std::string>> seen;
  std::mutex mutex;
  RawHttpServer server([&](RawConnection& connection, const RawRequest& request) {
    {
      std::lock_guard lock(mutex);
      seen = request.headers;
    }
    return connection.Send(Answer("200 OK", "application/json", "{}"));
  });
  WireClient client("127.0.0.1", server.port(), "sk-test", {});
  ASSERT_TRUE(client.Get("/v1/models").ok());
  std::lock_guard lock(mutex);
  const auto has = [&](const std::string& name, const std::string& value) {
    return std::find(seen.begin(), seen.end(), std::make_pair(name, value)) != seen.end();
  };
  EXPECT_TRUE(has("accept-encoding", "identity"));
  EXPECT_TRUE(has("authorization", "Bearer sk-test"));
}

TEST(WireClient, AStatusLineWithoutAThreeDigitStatusIsNotHttp) {
  for (const char* line : {"HTTP/1.1 2000000000000 OK", "HTTP/1.1 20 OK", "SSH-2.0-OpenSSH_9.2",
                           "HTTP/1.1 -200 OK", "HTTP/1.1 099 Odd"}) {
    const WireAnswer answer = GetOnce(std::string(line) + "\r\nContent-Length: 0\r\n\r\n");
    EXPECT_EQ(answer.problem, WireProblem::kNotHttp) << line;
    EXPECT_NE(answer.problem_text.find("not an HTTP answer"), std::string::npos)
        << answer.problem_text;
    EXPECT_EQ(answer.status, 0) << line;
  }
}

TEST(WireClient, AContentLengthThatIsNotADecimalNumberIsNamed) {
  for (const char* value : {"abc", "-5", "+5", "5, 6", "0x10", "99999999999999999999", ""}) {
    const WireAnswer answer =
        GetOnce("HTTP/1.1 200 OK\r\nContent-Length: " + std::string(value) + "\r\n\r\nhello");
    EXPECT_EQ(answer.problem, WireProblem::kBadContentLength) << value;
    EXPECT_NE(answer.problem_text.find("Content-Length"), std::string::npos) << answer.problem_text;
  }
}

TEST(WireClient, BadOrHugeChunkSizesAreNamed) {
  WireAnswer answer =
      GetOnce("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n");
  EXPECT_EQ(answer.problem, WireProblem::kBadChunk);
  EXPECT_NE(answer.problem_text.find("\"zz\" is not a hexadecimal number"), std::string::npos)
      << answer.problem_text;

  answer = GetOnce(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffffffffff\r\nhi\r\n");
  EXPECT_EQ(answer.problem, WireProblem::kBadChunk);
  EXPECT_NE(answer.problem_text.find("too large"), std::string::npos) << answer.problem_text;

  answer = GetOnce("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7fffffff\r\nhi\r\n");
  EXPECT_EQ(answer.problem, WireProblem::kBodyTooLarge);
  EXPECT_NE(answer.problem_text.find("a chunk of 2147483647 bytes exceeds the 4 MiB limit"),
            std::string::npos)
      << answer.problem_text;

  answer = GetOnce("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhello\r\n0\r\n\r\n");
  EXPECT_EQ(answer.problem, WireProblem::kBadChunk) << answer.problem_text;
}

TEST(WireClient, BodiesAndHeaderBlocksOverTheirLimitsAreNamed) {
  WireLimits small;
  small.max_body_bytes = 16;
  small.max_header_bytes = 256;
  WireAnswer answer = GetOnce("HTTP/1.1 200 OK\r\nContent-Length: 1073741824\r\n\r\n", small);
  EXPECT_EQ(answer.problem, WireProblem::kBodyTooLarge);
  EXPECT_NE(answer.problem_text.find("Content-Length 1073741824 exceeds the 16 bytes limit"),
            std::string::npos)
      << answer.problem_text;

  answer = GetOnce("HTTP/1.1 200 OK\r\n\r\n" + std::string(100, 'x'), small);
  EXPECT_EQ(answer.problem, WireProblem::kBodyTooLarge) << answer.problem_text;

  answer = GetOnce("HTTP/1.1 200 OK\r\nX-Filler: " + std::string(1000, 'a') + "\r\n\r\n", small);
  EXPECT_EQ(answer.problem, WireProblem::kHeadersTooLarge);
  EXPECT_NE(answer.problem_text.find("exceeds 256 bytes"), std::string::npos)
      << answer.problem_text;
}

TEST(WireClient, MalformedHeadersAndUnknownTransferEncodingsAreNamed) {
  WireAnswer answer = GetOnce("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n");
  EXPECT_EQ(answer.problem, WireProblem::kMalformedHeader) << answer.problem_text;
  answer = GetOnce("HTTP/1.1 200 OK\r\n folded: x\r\n\r\n");
  EXPECT_EQ(answer.problem, WireProblem::kMalformedHeader) << answer.problem_text;
  answer = GetOnce("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n");
  EXPECT_EQ(answer.problem, WireProblem::kBadTransferEncoding) << answer.problem_text;
}

TEST(WireClient, RedirectsAreReportedNotFollowed) {
  const WireAnswer answer = GetOnce(
      "HTTP/1.1 301 Moved Permanently\r\nLocation: http://elsewhere.example/v1/models\r\n"
      "Content-Length: 0\r\n\r\n");
  EXPECT_EQ(answer.problem, WireProblem::kRedirect);
  EXPECT_EQ(answer.status, 301);
  EXPECT_EQ(answer.problem_text,
            "redirect (301) to \"http://elsewhere.example/v1/models\" not followed");
}

TEST(WireClient, AContentEncodingNobodyAskedForIsReported) {
  const WireAnswer answer = GetOnce(
      "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 4\r\n\r\n\x1f\x8b\x08\x08");
  EXPECT_EQ(answer.problem, WireProblem::kUnrequestedEncoding);
  EXPECT_NE(answer.problem_text.find("Content-Encoding: gzip"), std::string::npos)
      << answer.problem_text;
}

TEST(WireClient, ATrickleEndsAtTheDeadlineOfTheWholeExchange) {
  RawHttpServer server([](RawConnection& connection, const RawRequest&) {
    for (const char c : std::string("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")) {
      if (!connection.Send(std::string_view(&c, 1)) ||
          !connection.Pause(std::chrono::milliseconds(100))) {
        return false;
      }
    }
    return false;
  });
  WireLimits limits;
  limits.exchange_timeout = std::chrono::milliseconds(500);
  WireClient client = ClientFor(server, limits);
  const WireAnswer answer = client.Get("/health");
  EXPECT_EQ(answer.problem, WireProblem::kTimeout);
  EXPECT_NE(answer.problem_text.find("timed out after 500.0 ms"), std::string::npos)
      << answer.problem_text;
  EXPECT_LT(answer.elapsed_ms, 30000);  // a hang guard, not a timing assertion
}

TEST(WireClient, AConnectionClosedBeforeAnyAnswerIsNamed) {
  RawHttpServer server([](RawConnection&, const RawRequest&) { return false; });
  WireClient client = ClientFor(server);
  const WireAnswer answer = client.Get("/health");
  EXPECT_EQ(answer.problem, WireProblem::kClosed);
  EXPECT_EQ(answer.problem_text, "the connection closed before any answer");
}

TEST(WireClient, ARefusedConnectionIsNamed) {
  int port = 0;
  {
    RawHttpServer server(Sends(""));
    port = server.port();
  }
  WireClient client("127.0.0.1", port, "", {});
  const WireAnswer answer = client.Get("/health");
  EXPECT_EQ(answer.problem, WireProblem::kConnect);
  EXPECT_NE(answer.problem_text.find("cannot connect to 127.0.0.1:"), std::string::npos)
      << answer.problem_text;
  EXPECT_EQ(answer.connection, 0);
}

TEST(WireClient, SplitsAnEventStreamIntoTheDataOfItsEvents) {
  const std::string events =
      "data: a\n\ndata:b\r\n\r\n: keep-alive\n\nevent: x\ndata: one\ndata: two\n\ndata: [DONE]\n\n";
  const WireAnswer answer = GetOnce(
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
      "Content-Length: " +
          std::to_string(events.size()) + "\r\n\r\n" + events,
      {}, true);
  ASSERT_TRUE(answer.ok()) << answer.problem_text;
  EXPECT_TRUE(answer.event_stream);
  EXPECT_EQ(answer.events, (std::vector<std::string>{"a", "b", "one\ntwo", "[DONE]"}));
  EXPECT_EQ(answer.stream_bytes, events.size());
}

TEST(WireClient, AnEndlessEventStreamStopsAtTheEventCap) {
  RawHttpServer server([](RawConnection& connection, const RawRequest&) {
    if (!connection.Send("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n"))
      return false;
    while (connection.Send("data: {\"object\":\"chat.completion.chunk\"}\n\n")) {
    }
    return false;
  });
  WireLimits limits;
  limits.max_stream_events = 100;
  WireClient client = ClientFor(server, limits);
  const WireAnswer answer = client.Exchange(
      {.method = "POST", .path = "/v1/chat/completions", .body = "{}", .stream = true});
  EXPECT_EQ(answer.problem, WireProblem::kStreamTooLong);
  EXPECT_EQ(answer.events.size(), 100u);
  EXPECT_NE(answer.problem_text.find("did not end within 100 events"), std::string::npos)
      << answer.problem_text;
}

TEST(WireClient, AnEndlessEventStreamStopsAtTheByteCap) {
  RawHttpServer server([](RawConnection& connection, const RawRequest&) {
    if (!connection.Send("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\ndata: ")) {
      return false;
    }
    const std::string filler(4096, 'x');
    while (connection.Send(filler)) {
    }
    return false;
  });
  WireLimits limits;
  limits.max_stream_bytes = 64 * 1024;
  WireClient client = ClientFor(server, limits);
  const WireAnswer answer = client.Exchange(
      {.method = "POST", .path = "/v1/chat/completions", .body = "{}", .stream = true});
  EXPECT_EQ(answer.problem, WireProblem::kStreamTooLong);
  EXPECT_LE(answer.stream_bytes, limits.max_stream_bytes);
  EXPECT_NE(answer.problem_text.find("did not end within 64 KiB"), std::string::npos)
      << answer.problem_text;
}

TEST(WireClient, SkipsInterimAnswers) {
  const WireAnswer answer =
      GetOnce("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  ASSERT_TRUE(answer.ok()) << answer.problem_text;
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.body, "ok");
}

}  // namespace
}  // namespace provkit::conformance::wire
