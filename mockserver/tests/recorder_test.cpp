// Tests of the recording proxy: in front of a mock server, it relays answers as they come, keeps
// each exchange (streams chunk by chunk, keys replaced), and its cassette replays the same.
#include "provkit/mockserver/recorder.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "provkit/mockserver/server.hpp"
#include "test_support.hpp"

namespace provkit::mock {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::ChatBody;
using testing::DataEvents;
using testing::PostStream;

constexpr char kChat[] = "/v1/chat/completions";
constexpr char kKey[] = "sk-test-0123456789abcdef";

httplib::Client ClientAt(const std::string& url) {
  httplib::Client client(url);
  client.set_keep_alive(true);
  client.set_tcp_nodelay(true);
  client.set_read_timeout(std::chrono::seconds(10));
  return client;
}

// The answers a client gets: a listing, a refused key, a chat, a stream with usage, a GET body.
struct Session {
  std::string listing;
  int refused = 0;
  std::string chat;
  std::string stream;
};

Session Talk(const std::string& url) {
  Session session;
  auto client = ClientAt(url);
  const httplib::Headers key = {{"Authorization", std::string("Bearer ") + kKey}};
  if (auto listing = client.Get("/v1/models", key)) session.listing = listing->body;
  if (auto refused = client.Get("/v1/models", {{"Authorization", "Bearer wrong-key-000000"}}))
    session.refused = refused->status;
  if (auto chat = client.Post(kChat, key, ChatBody("m1", "the key is sk-abcdefgh12345678"),
                              "application/json"))
    session.chat = chat->body;
  httplib::Request request;
  request.method = "POST";
  request.path = kChat;
  request.headers = key;
  request.set_header("Content-Type", "application/json");
  request.body = ChatBody("m1", "stream this please", true,
                          json{{"stream_options", {{"include_usage", true}}}});
  httplib::Response response;
  httplib::Error error = httplib::Error::Success;
  if (client.send(request, response, error)) session.stream = response.body;
  return session;
}

ServerOptions Upstream() {
  ServerOptions options;
  options.profile = Profile::kLlamaCpp;
  options.models = {"m1"};
  options.scenario = Scenario::Auth(kKey);
  options.timing.chunk_chars = 4;
  options.timing.chunk_interval = std::chrono::milliseconds(5);
  return options;
}

TEST(RecorderTest, RecordsEveryExchangeWithStreamsChunkByChunkAndNoSecrets) {
  Server upstream(Upstream());
  RecordingProxy proxy({.upstream = upstream.url(), .server = "llama.cpp", .situation = "test"});
  const Session direct = Talk(upstream.url());
  const Session proxied = Talk(proxy.url());
  EXPECT_EQ(proxied.listing, direct.listing);
  EXPECT_EQ(proxied.refused, 401);
  EXPECT_EQ(proxied.chat, direct.chat);
  EXPECT_EQ(proxied.stream, direct.stream);
  ASSERT_EQ(proxy.recorded(), 4u);

  const Cassette cassette = proxy.cassette();
  EXPECT_EQ(cassette.server, "llama.cpp");
  ASSERT_EQ(cassette.exchanges.size(), 4u);
  EXPECT_EQ(cassette.exchanges[0].RequestHeader("Authorization"), "Bearer <api-key>");
  EXPECT_EQ(cassette.exchanges[1].RequestHeader("Authorization"), "Bearer <rejected-key-1>");
  EXPECT_EQ(cassette.exchanges[1].status, 401);
  const RecordedExchange& stream = cassette.exchanges[3];
  ASSERT_TRUE(stream.stream);
  EXPECT_TRUE(stream.complete);
  EXPECT_EQ(DataEvents(proxied.stream).size(), stream.chunks.size()) << "one chunk per event";
  EXPECT_EQ(stream.chunks.back().text, "data: [DONE]\n\n");
  double previous = 0;
  for (const RecordedChunk& chunk : stream.chunks) {
    ASSERT_TRUE(chunk.t_ms.has_value());
    EXPECT_GE(*chunk.t_ms, previous);
    previous = *chunk.t_ms;
  }
  const std::string written = ToJsonLines(cassette);
  EXPECT_THAT(written, ::testing::Not(::testing::HasSubstr(kKey)));
  EXPECT_THAT(written, ::testing::Not(::testing::HasSubstr("wrong-key-000000")));
  EXPECT_THAT(written, ::testing::Not(::testing::HasSubstr("sk-abcdefgh12345678")));
  EXPECT_THAT(written, ::testing::HasSubstr("<redacted>"));
}

TEST(RecorderTest, ASavedCassetteReplaysWhatTheUpstreamAnswered) {
  Server upstream(Upstream());
  RecordingProxy proxy({.upstream = upstream.url()});
  const Session recorded = Talk(proxy.url());
  char directory[] = "/tmp/provkit-recorder-XXXXXX";
  ASSERT_NE(::mkdtemp(directory), nullptr);
  const std::filesystem::path path = std::filesystem::path(directory) / "session.jsonl";
  proxy.Save(path);
  proxy.Stop();
  upstream.Stop();

  ServerOptions options;
  options.replay = ReplayOptions{LoadCassette(path), /*strict=*/true, /*speed=*/0};
  Server replay(options);
  auto client = ClientAt(replay.url());
  auto listing = client.Get("/v1/models", {{"Authorization", "Bearer <api-key>"}});
  ASSERT_TRUE(listing);
  EXPECT_EQ(listing->body, recorded.listing);
  const auto stream = PostStream(client, kChat,
                                 ChatBody("m1", "stream this please", true,
                                          json{{"stream_options", {{"include_usage", true}}}}));
  EXPECT_EQ(stream.body, recorded.stream);
  std::filesystem::remove_all(directory);
}

TEST(RecorderTest, AnUnreachableUpstreamAnswers502NamingItAndIsNotRecorded) {
  std::string url;
  {
    Server gone;
    url = gone.url();
  }
  RecordingProxy proxy({.upstream = url, .connect_timeout = 2s});
  auto client = ClientAt(proxy.url());
  auto response = client.Get("/health");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 502);
  EXPECT_THAT(json::parse(response->body)["error"]["message"].get<std::string>(),
              ::testing::HasSubstr(url));
  EXPECT_EQ(proxy.recorded(), 0u);
}

TEST(RecorderTest, AStreamCutByTheUpstreamIsRecordedAsIncomplete) {
  ServerOptions options;
  options.scenario = Scenario::StreamDrop(2);
  Server upstream(options);
  RecordingProxy proxy({.upstream = upstream.url()});
  auto client = ClientAt(proxy.url());
  const auto result = PostStream(client, kChat, ChatBody("provkit-mock", "a b c d e f g", true));
  EXPECT_NE(result.error, httplib::Error::Success);
  // The exchange is kept once the proxy's side of the answer ends, just after the client saw it.
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (proxy.recorded() == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::yield();
  ASSERT_EQ(proxy.recorded(), 1u);
  const RecordedExchange exchange = proxy.cassette().exchanges[0];
  EXPECT_FALSE(exchange.complete);
  EXPECT_EQ(exchange.chunks.size(), 2u);
}

TEST(RecorderTest, RefusesAnUpstreamThatIsNotAnHttpServerRoot) {
  EXPECT_THROW(RecordingProxy({.upstream = "https://example.org"}), ConfigError);
  EXPECT_THROW(RecordingProxy({.upstream = "http://127.0.0.1:8080/v1"}), ConfigError);
  EXPECT_THROW(RecordingProxy({.upstream = "http://127.0.0.1:99999"}), ConfigError);
}

}  // namespace
}  // namespace provkit::mock
