// Tests of the /__provkit/ admin endpoints: journal, stats, runtime switches, who may use them
// (Host, Origin, Content-Type, admin token) and what they never show (secrets).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "provkit/mockserver/server.hpp"
#include "test_support.hpp"

namespace provkit::mock {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::ChatBody;
using testing::ClientOf;

/// A keep-alive client of 127.0.0.1:port: the only address tests send to, whatever the server
/// listens on.
httplib::Client LoopbackClient(const Server& server) {
  httplib::Client client("127.0.0.1", server.port());
  client.set_keep_alive(true);
  client.set_connection_timeout(5s);
  client.set_read_timeout(10s);
  client.set_write_timeout(5s);
  return client;
}

/// The error envelope of an admin refusal: status, code, message.
struct Refusal {
  int status = 0;
  std::string code;
  std::string message;
};

Refusal RefusalOf(const httplib::Result& result) {
  if (!result) return {};
  const json body = json::parse(result->body);
  return {result->status, body["error"].value("code", ""), body["error"].value("message", "")};
}

std::string Port(const Server& server) { return std::to_string(server.port()); }

constexpr const char* kHang = R"({"name":"hang"})";

TEST(AdminTest, JournalIsServedAndResetOverHttp) {
  Server server;
  auto client = ClientOf(server);
  ASSERT_TRUE(client.Get("/health"));
  ASSERT_TRUE(client.Get("/v1/models"));
  auto journal = client.Get("/__provkit/journal");
  ASSERT_TRUE(journal);
  ASSERT_EQ(journal->status, 200);
  const json body = json::parse(journal->body);
  ASSERT_EQ(body["entries"].size(), 2u);
  EXPECT_EQ(body["entries"][1]["path"], "/v1/models");
  EXPECT_EQ(body["stats"]["connections_opened"], 1);
  EXPECT_EQ(body["stats"]["connections_open"], 1);
  auto reset = client.Delete("/__provkit/journal");
  ASSERT_TRUE(reset);
  EXPECT_EQ(reset->status, 200);
  EXPECT_TRUE(server.journal().empty());
  EXPECT_EQ(server.connections_opened(), 0u);
}

TEST(AdminTest, PostScenarioSwitchesAtRuntimeAndRefusesBadOnes) {
  Server server;
  auto client = ClientOf(server);
  auto switched = client.Post("/__provkit/scenario", R"({"name":"models-error","status":502})",
                              "application/json");
  ASSERT_TRUE(switched);
  EXPECT_EQ(switched->status, 200);
  EXPECT_EQ(json::parse(switched->body)["status"], 502);
  auto listing = client.Get("/v1/models");
  ASSERT_TRUE(listing);
  EXPECT_EQ(listing->status, 502);
  auto bad = client.Post("/__provkit/scenario", R"({"name":"nope"})", "application/json");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_THAT(json::parse(bad->body)["error"]["message"].get<std::string>(),
              ::testing::HasSubstr("unknown scenario"));
  auto not_json = client.Post("/__provkit/scenario", "{", "application/json");
  ASSERT_TRUE(not_json);
  EXPECT_EQ(not_json->status, 400);
  EXPECT_EQ(server.scenario().kind, ScenarioKind::kModelsError);
  ASSERT_TRUE(client.Post("/__provkit/scenario", R"("healthy")", "application/json"));
  EXPECT_EQ(server.scenario().kind, ScenarioKind::kHealthy);
}

TEST(AdminTest, AdminAnswersWhileEveryEndpointHangs) {
  Server server;
  server.SetScenario(Scenario::Hang(60s));
  auto client = ClientOf(server, 5s);
  auto stats = client.Get("/__provkit/stats");
  ASSERT_TRUE(stats);
  const json body = json::parse(stats->body);
  EXPECT_EQ(body["scenario"]["name"], "hang");
  EXPECT_EQ(body["profile"], "openai");
  EXPECT_EQ(body["url"], server.url());
  ASSERT_TRUE(client.Post("/__provkit/scenario", R"({"name":"healthy"})", "application/json"));
  auto health = client.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
}

TEST(AdminTest, PostScriptTimingProfileAndModels) {
  Server server;
  auto client = ClientOf(server);
  ASSERT_EQ(
      client.Post("/__provkit/script", R"({"sequence":["scripted"]})", "application/json")->status,
      200);
  ASSERT_EQ(client.Post("/__provkit/timing", R"({"chunk_chars":2})", "application/json")->status,
            200);
  EXPECT_EQ(server.timing().chunk_chars, 2u);
  ASSERT_EQ(
      client
          .Post("/__provkit/models", R"(["a", {"id":"b","status":"loaded"}])", "application/json")
          ->status,
      200);
  EXPECT_EQ(server.models().size(), 2u);
  auto chat = client.Post("/v1/chat/completions", ChatBody("a", "hi"), "application/json");
  ASSERT_TRUE(chat);
  EXPECT_EQ(json::parse(chat->body)["choices"][0]["message"]["content"], "scripted");
  ASSERT_EQ(client.Post("/__provkit/profile", R"({"name":"ollama"})", "application/json")->status,
            200);
  EXPECT_EQ(server.profile(), Profile::kOllama);
  EXPECT_EQ(client.Post("/__provkit/profile", R"("nope")", "application/json")->status, 400);
  EXPECT_EQ(client.Post("/__provkit/timing", R"({"chunk_chars":0})", "application/json")->status,
            400);
}

TEST(AdminTest, UnknownAdminPathIs404) {
  Server server;
  auto client = ClientOf(server);
  auto response = client.Get("/__provkit/nothing");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 404);
}

TEST(AdminAccessTest, RequestsAddressedToAnotherHostAreRefused) {
  Server server;
  auto client = ClientOf(server);
  for (const std::string& host :
       std::vector<std::string>{"evil.example:" + Port(server), "evil.example",
                                "127.0.0.1:" + std::to_string(server.port() == 1 ? 2 : 1),
                                "127.0.0.1.evil.example:" + Port(server), "[::1"}) {
    const Refusal read = RefusalOf(client.Get("/__provkit/journal", {{"Host", host}}));
    EXPECT_EQ(read.status, 403) << host;
    EXPECT_EQ(read.code, "admin_host") << host;
    EXPECT_THAT(read.message, ::testing::HasSubstr("the Host header '" + host + "'"));
    EXPECT_THAT(read.message, ::testing::HasSubstr("DNS rebinding"));
    const Refusal write =
        RefusalOf(client.Post("/__provkit/scenario", {{"Host", host}}, kHang, "application/json"));
    EXPECT_EQ(write.status, 403) << host;
  }
  EXPECT_EQ(server.scenario().kind, ScenarioKind::kHealthy);
  // The API itself answers whatever the Host: that is a matter for the profile, not the admin.
  auto health = client.Get("/health", {{"Host", "evil.example"}});
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
}

TEST(AdminAccessTest, RequestsAddressedToTheServerOrLoopbackNamesAreObeyed) {
  Server server;
  auto client = ClientOf(server);
  for (const std::string& host :
       std::vector<std::string>{"127.0.0.1:" + Port(server), "localhost:" + Port(server),
                                "LocalHost:" + Port(server), "[::1]:" + Port(server)}) {
    auto stats = client.Get("/__provkit/stats", {{"Host", host}});
    ASSERT_TRUE(stats) << host;
    EXPECT_EQ(stats->status, 200) << host << " " << stats->body;
  }
}

TEST(AdminAccessTest, RequestsFromAnotherOriginAreRefused) {
  Server server;
  auto client = ClientOf(server);
  for (const std::string& origin :
       std::vector<std::string>{"http://evil.example", "http://evil.example:" + Port(server),
                                "null", "https://127.0.0.1:" + Port(server),
                                "http://127.0.0.1:1" + Port(server), "http://localhost"}) {
    const Refusal write = RefusalOf(
        client.Post("/__provkit/scenario", {{"Origin", origin}}, kHang, "application/json"));
    EXPECT_EQ(write.status, 403) << origin;
    EXPECT_EQ(write.code, "admin_origin") << origin;
    EXPECT_THAT(write.message, ::testing::HasSubstr("origin '" + origin + "'"));
    EXPECT_THAT(write.message, ::testing::HasSubstr(server.url()));
    EXPECT_EQ(RefusalOf(client.Get("/__provkit/journal", {{"Origin", origin}})).status, 403);
    EXPECT_EQ(RefusalOf(client.Delete("/__provkit/journal", {{"Origin", origin}})).status, 403);
  }
  EXPECT_EQ(server.scenario().kind, ScenarioKind::kHealthy);
}

TEST(AdminAccessTest, RequestsFromTheServersOwnOriginAreObeyed) {
  Server server;
  auto client = ClientOf(server);
  for (const std::string& origin : std::vector<std::string>{
           server.url(), "http://localhost:" + Port(server), "http://[::1]:" + Port(server)}) {
    auto switched =
        client.Post("/__provkit/scenario", {{"Origin", origin}}, kHang, "application/json");
    ASSERT_TRUE(switched) << origin;
    EXPECT_EQ(switched->status, 200) << origin << " " << switched->body;
    EXPECT_EQ(server.scenario().kind, ScenarioKind::kHang);
    server.SetScenario(Scenario());
  }
}

TEST(AdminAccessTest, BodiesThatAreNotJsonAreRefused) {
  Server server;
  auto client = ClientOf(server);
  for (const std::string& content_type : std::vector<std::string>{
           "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
           "application/jsonp", "text/json"}) {
    const Refusal refusal =
        RefusalOf(client.Post("/__provkit/scenario", kHang, content_type.c_str()));
    EXPECT_EQ(refusal.status, 403) << content_type;
    EXPECT_EQ(refusal.code, "admin_content_type") << content_type;
    EXPECT_THAT(
        refusal.message,
        ::testing::HasSubstr("POST /__provkit/scenario with Content-Type '" + content_type + "'"));
    EXPECT_EQ(RefusalOf(client.Put("/__provkit/scenario", kHang, content_type.c_str())).status,
              403);
  }
  // No Content-Type at all: HttpFrontTest.AdminPostWithoutContentTypeIsRefused (cpp-httplib's
  // client always sends one).
  EXPECT_EQ(server.scenario().kind, ScenarioKind::kHealthy);

  auto with_charset = client.Post("/__provkit/scenario", kHang, "Application/JSON; charset=utf-8");
  ASSERT_TRUE(with_charset);
  EXPECT_EQ(with_charset->status, 200) << with_charset->body;
  EXPECT_EQ(server.scenario().kind, ScenarioKind::kHang);
}

TEST(AdminAccessTest, AGivenTokenIsRequiredOnLoopbackToo) {
  const std::string token = "tok-1234abcd";
  ServerOptions options;
  options.admin_token = token;
  Server server(options);
  auto client = ClientOf(server);

  auto missing = client.Get("/__provkit/stats");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 401);
  EXPECT_EQ(missing->get_header_value("WWW-Authenticate"), R"(Bearer realm="provkit admin")");
  EXPECT_EQ(RefusalOf(missing).code, "admin_token_missing");
  EXPECT_THAT(RefusalOf(missing).message, ::testing::HasSubstr("X-Provkit-Admin-Token"));
  for (const httplib::Headers& wrong : {httplib::Headers{{"Authorization", "Bearer tok-1234abcX"}},
                                        httplib::Headers{{"Authorization", "Bearer tok-1234abc"}},
                                        httplib::Headers{{"Authorization", token}},  // no scheme
                                        httplib::Headers{{"X-Provkit-Admin-Token", "nope"}}}) {
    const Refusal refusal =
        RefusalOf(client.Post("/__provkit/scenario", wrong, kHang, "application/json"));
    EXPECT_EQ(refusal.status, 401) << wrong.begin()->second;
    EXPECT_THAT(refusal.code, ::testing::StartsWith("admin_token_"));
    EXPECT_THAT(refusal.message, ::testing::Not(::testing::HasSubstr(token)));
  }
  EXPECT_EQ(server.scenario().kind, ScenarioKind::kHealthy);

  for (const httplib::Headers& right : {httplib::Headers{{"Authorization", "Bearer " + token}},
                                        httplib::Headers{{"Authorization", "bearer " + token}},
                                        httplib::Headers{{"X-Provkit-Admin-Token", token}}}) {
    auto switched = client.Post("/__provkit/scenario", right, kHang, "application/json");
    ASSERT_TRUE(switched);
    EXPECT_EQ(switched->status, 200) << switched->body;
    EXPECT_EQ(server.scenario().kind, ScenarioKind::kHang);
    server.SetScenario(Scenario());
  }
  // The API needs no admin token.
  auto health = client.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
}

TEST(AdminAccessTest, BeyondLoopbackAdminIsDisabledWithoutATokenAndNeedsOneWithIt) {
  ServerOptions options;
  options.host = "0.0.0.0";
  {
    Server server(options);
    auto client = LoopbackClient(server);
    const Refusal refusal = RefusalOf(client.Get("/__provkit/journal"));
    EXPECT_EQ(refusal.status, 403);
    EXPECT_EQ(refusal.code, "admin_disabled");
    EXPECT_THAT(refusal.message, ::testing::HasSubstr("listens on 0.0.0.0, beyond loopback"));
    EXPECT_THAT(refusal.message, ::testing::HasSubstr("admin_token"));
    auto health = client.Get("/health");
    ASSERT_TRUE(health);
    EXPECT_EQ(health->status, 200);
  }
  options.admin_token = "wide-open-token";
  Server server(options);
  auto client = LoopbackClient(server);
  EXPECT_EQ(RefusalOf(client.Get("/__provkit/journal")).status, 401);
  auto journal = client.Get("/__provkit/journal", {{"X-Provkit-Admin-Token", "wide-open-token"}});
  ASSERT_TRUE(journal);
  EXPECT_EQ(journal->status, 200) << journal->body;
}

TEST(AdminAccessTest, ABadTokenOptionIsAConfigErrorThatDoesNotQuoteIt) {
  for (const std::string& token :
       std::vector<std::string>{"has space", "line\nbreak", "tab\tbed", "caf\xc3\xa9"}) {
    ServerOptions options;
    options.admin_token = token;
    try {
      Server server(options);
      ADD_FAILURE() << "accepted " << token;
    } catch (const ConfigError& error) {
      EXPECT_THAT(error.what(), ::testing::HasSubstr("admin_token must be printable ASCII"));
      EXPECT_THAT(error.what(), ::testing::Not(::testing::HasSubstr(token)));
    }
  }
}

TEST(AdminAccessTest, LoopbackHostsAndOthers) {
  for (const char* host :
       {"127.0.0.1", "127.1.2.3", "localhost", "LOCALHOST", "::1", "[::1]", "::ffff:127.0.0.1"}) {
    EXPECT_TRUE(IsLoopbackHost(host)) << host;
  }
  for (const char* host : {"0.0.0.0", "::", "192.168.1.5", "10.0.0.1", "example.com",
                           "localhost.example.com", "128.0.0.1", "::2", ""}) {
    EXPECT_FALSE(IsLoopbackHost(host)) << host;
  }
  const std::string token = NewAdminToken();
  EXPECT_THAT(token, ::testing::MatchesRegex("pkadm-[0-9a-f]{32}"));
  EXPECT_NE(token, NewAdminToken());
}

TEST(AdminAccessTest, TheLlamaCppPreflightStillAnswersEveryOrigin) {
  ServerOptions options;
  options.profile = Profile::kLlamaCpp;
  Server server(options);
  auto client = ClientOf(server);
  auto preflight = client.Options(
      "/v1/chat/completions",
      {{"Origin", "http://evil.example"}, {"Access-Control-Request-Method", "POST"}});
  ASSERT_TRUE(preflight);
  EXPECT_EQ(preflight->status, 200);
  EXPECT_EQ(preflight->get_header_value("Access-Control-Allow-Origin"), "http://evil.example");
  // An admin path is no API path: its preflight from a foreign page is refused.
  auto admin = client.Options("/__provkit/scenario", {{"Origin", "http://evil.example"}});
  ASSERT_TRUE(admin);
  EXPECT_EQ(admin->status, 403);
  EXPECT_FALSE(admin->has_header("Access-Control-Allow-Origin"));
}

TEST(AdminRedactionTest, JournalStatsAndScenarioNeverShowKeysOrTokens) {
  const std::string key = "api-key-abcdef123";
  const std::string admin = "admin-token-0815";
  ServerOptions options;
  options.scenario = Scenario::Auth(key);
  options.admin_token = admin;
  Server server(options);
  auto client = ClientOf(server);
  const httplib::Headers as_admin = {{"X-Provkit-Admin-Token", admin}};

  auto chat = client.Post("/v1/chat/completions",
                          {{"Authorization", "Bearer " + key},
                           {"X-Api-Key", key},
                           {"Api-Key", "other-key-42"},
                           {"Proxy-Authorization", "Basic dXNlcjpwYXNz"},
                           {"X-Provkit-Admin-Token", admin},
                           {"X-Echo", "key " + key}},
                          ChatBody("provkit-mock", "my key is " + key + ", the admin " + admin),
                          "application/json");
  ASSERT_TRUE(chat);
  EXPECT_EQ(chat->status, 200);
  ASSERT_TRUE(client.Get("/v1/" + key + "/models"));

  auto journal = client.Get("/__provkit/journal", as_admin);
  ASSERT_TRUE(journal);
  ASSERT_EQ(journal->status, 200);
  EXPECT_THAT(journal->body, ::testing::Not(::testing::HasSubstr(key)));
  EXPECT_THAT(journal->body, ::testing::Not(::testing::HasSubstr(admin)));
  EXPECT_THAT(journal->body, ::testing::Not(::testing::HasSubstr("other-key-42")));
  EXPECT_THAT(journal->body, ::testing::Not(::testing::HasSubstr("dXNlcjpwYXNz")));
  const json entries = json::parse(journal->body)["entries"];
  ASSERT_EQ(entries.size(), 2u);
  const json& headers = entries[0]["headers"];
  EXPECT_EQ(headers["Authorization"], "Bearer <redacted>");
  EXPECT_EQ(headers["X-Api-Key"], "<redacted>");
  EXPECT_EQ(headers["Api-Key"], "<redacted>");
  EXPECT_EQ(headers["Proxy-Authorization"], "Basic <redacted>");
  EXPECT_EQ(headers["X-Provkit-Admin-Token"], "<redacted>");
  EXPECT_EQ(headers["X-Echo"], "key <redacted>");
  EXPECT_THAT(entries[0]["body"].get<std::string>(),
              ::testing::HasSubstr("my key is <redacted>, the admin <redacted>"));
  EXPECT_EQ(entries[1]["path"], "/v1/<redacted>/models");

  for (const char* path : {"/__provkit/stats", "/__provkit/scenario"}) {
    auto view = client.Get(path, as_admin);
    ASSERT_TRUE(view);
    EXPECT_EQ(view->status, 200) << path;
    EXPECT_THAT(view->body, ::testing::Not(::testing::HasSubstr(key))) << path;
    EXPECT_THAT(view->body, ::testing::HasSubstr(R"("token":"<redacted>")")) << path;
  }

  // In process the journal is raw: clause R12 is judged from the Authorization header it keeps.
  const std::vector<JournalEntry> raw = server.journal();
  ASSERT_EQ(raw.size(), 2u);
  EXPECT_EQ(raw[0].Header("Authorization"), "Bearer " + key);
  EXPECT_THAT(raw[0].body, ::testing::HasSubstr(key));
  EXPECT_EQ(server.Redact("GET /v1/" + key + " by " + admin), "GET /v1/<redacted> by <redacted>");
}

TEST(AdminRedactionTest, ATokenPostedLaterIsRedactedFromTheAnswerAndEveryView) {
  Server server;
  auto client = ClientOf(server);
  const std::string later = "posted-later-key";
  auto posted = client.Post("/__provkit/scenario", json{{"name", "auth"}, {"token", later}}.dump(),
                            "application/json");
  ASSERT_TRUE(posted);
  ASSERT_EQ(posted->status, 200);
  EXPECT_EQ(json::parse(posted->body)["token"], "<redacted>");
  EXPECT_EQ(server.scenario().token, later);
  ASSERT_TRUE(client.Get("/v1/models", {{"X-Echo", later}}));
  // A short token is below what is searched for in text, but the scenario views never show it.
  ASSERT_EQ(
      client.Post("/__provkit/scenario", R"({"name":"auth","token":"abc"})", "application/json")
          ->status,
      200);
  auto journal = client.Get("/__provkit/journal");
  ASSERT_TRUE(journal);
  EXPECT_THAT(journal->body, ::testing::Not(::testing::HasSubstr(later)));
  EXPECT_THAT(journal->body, ::testing::HasSubstr(R"("X-Echo":"<redacted>")"));
  auto scenario = client.Get("/__provkit/scenario");
  ASSERT_TRUE(scenario);
  EXPECT_EQ(json::parse(scenario->body)["token"], "<redacted>");
  EXPECT_EQ(server.Redact("old " + later), "old <redacted>");
}

}  // namespace
}  // namespace provkit::mock
