// Tests of the server profiles: llama.cpp, vLLM, Ollama, TGI and LM Studio shapes.
#include "provkit/mockserver/profile.hpp"

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
using testing::DataEvents;
using testing::PostStream;

constexpr char kChat[] = "/v1/chat/completions";

ServerOptions WithProfile(Profile profile, std::vector<Model> models = {"m1"}) {
  ServerOptions options;
  options.profile = profile;
  options.models = std::move(models);
  return options;
}

TEST(ProfileTest, TableNamesEveryProfile) {
  EXPECT_EQ(Profiles().size(), 7u);
  for (const ProfileInfo& info : Profiles()) {
    EXPECT_EQ(ParseProfile(info.name), info.profile);
    EXPECT_EQ(ProfileName(info.profile), info.name);
  }
  EXPECT_FALSE(ParseProfile("llamacpp"));
}

TEST(ProfileTest, LlamaCppListingCarriesModelsArrayAndMetaWithOneModel) {
  Server server(WithProfile(Profile::kLlamaCpp));
  auto client = ClientOf(server);
  auto listing = client.Get("/v1/models");
  ASSERT_TRUE(listing);
  EXPECT_EQ(listing->get_header_value("Content-Type"), "application/json; charset=utf-8");
  const json body = json::parse(listing->body);
  EXPECT_EQ(body["data"][0]["owned_by"], "llamacpp");
  EXPECT_EQ(body["data"][0]["aliases"], json::array({"m1"}));
  EXPECT_TRUE(body["data"][0]["meta"].is_object());
  EXPECT_FALSE(body["data"][0].contains("status"));
  EXPECT_EQ(body["models"][0]["name"], "m1");
  auto unprefixed = client.Get("/models");
  ASSERT_TRUE(unprefixed);
  EXPECT_EQ(unprefixed->body, listing->body);
}

// Router mode (some model has a status): status.value per entry, meta once loaded, no models[].
TEST(ProfileTest, LlamaCppRouterListingCarriesStatusAndMetaOnlyWhenLoaded) {
  RecordProperty("clause", "R16");
  Server server(WithProfile(Profile::kLlamaCpp, {Model("m1"), Model("m2", "sleeping")}));
  auto client = ClientOf(server);
  auto listing = client.Get("/v1/models");
  ASSERT_TRUE(listing);
  const json body = json::parse(listing->body);
  EXPECT_FALSE(body.contains("models"));
  EXPECT_FALSE(body["data"][0].contains("status"));
  EXPECT_TRUE(body["data"][0]["meta"].is_object());
  EXPECT_EQ(body["data"][1]["status"]["value"], "sleeping");
  EXPECT_FALSE(body["data"][1].contains("meta"));
}

// While loading, every endpoint llama.cpp serves answers 503 Loading model, the listing
// included (recorded 50_*); / and unknown paths answer 404.
TEST(ProfileTest, LlamaCppLoadingBlocksEveryEndpoint) {
  RecordProperty("clause", "R7");
  Server server(WithProfile(Profile::kLlamaCpp));
  server.SetScenario(Scenario::Loading(0));
  auto client = ClientOf(server);
  for (const char* path : {"/health", "/v1/health", "/v1/models", "/models", "/props"}) {
    auto response = client.Get(path);
    ASSERT_TRUE(response) << path;
    EXPECT_EQ(response->status, 503) << path;
    EXPECT_EQ(json::parse(response->body)["error"]["message"], "Loading model") << path;
  }
  auto chat = client.Post(kChat, "{not json", "application/json");
  ASSERT_TRUE(chat);
  EXPECT_EQ(chat->status, 503) << "before the body is read";
  auto root = client.Get("/");
  ASSERT_TRUE(root);
  EXPECT_EQ(root->status, 404);
}

TEST(ProfileTest, LlamaCppStreamErrorHasNoDoneAndItsFirstChunkSaysContentNull) {
  Server server(WithProfile(Profile::kLlamaCpp));
  server.SetScenario(Scenario::StreamError(2));
  auto client = ClientOf(server);
  const auto events =
      DataEvents(PostStream(client, kChat, ChatBody("m1", "a b c d e f g h i j", true)).body);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(json::parse(events[0])["choices"][0]["delta"],
            json::parse(R"({"role":"assistant","content":null})"));
  EXPECT_EQ(json::parse(events[2])["error"]["code"], 500);
}

// One model loaded: any model name, no model and empty messages are all answered, by the
// loaded model (recorded 07, 07b, 09b); malformed JSON is a 500 server_error (08).
TEST(ProfileTest, LlamaCppWithOneModelAnswersAnyModelNameAndRefusesBadJsonWith500) {
  RecordProperty("clause", "W3");
  Server server(WithProfile(Profile::kLlamaCpp));
  auto client = ClientOf(server);
  for (const std::string& body :
       {ChatBody("other", "hi"), std::string(R"({"messages":[{"role":"user","content":"hi"}]})"),
        std::string(R"({"model":"m1","messages":[]})")}) {
    auto response = client.Post(kChat, body, "application/json");
    ASSERT_TRUE(response) << body;
    EXPECT_EQ(response->status, 200) << body;
    EXPECT_EQ(json::parse(response->body)["model"], "m1") << body;
  }
  const std::string broken = R"({"model":"tiny","messages":[{"role":"user","content":"hi"})";
  auto bad = client.Post(kChat, broken, "application/json");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 500);
  const json error = json::parse(bad->body)["error"];
  EXPECT_EQ(error["type"], "server_error");
  EXPECT_EQ(error["message"],
            "[json.exception.parse_error.101] parse error at line 1, column 59: syntax error while "
            "parsing array - unexpected end of input; expected ']'");
  auto missing = client.Post(kChat, R"({"model":"m1"})", "application/json");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 400);
  EXPECT_EQ(json::parse(missing->body)["error"]["message"], "'messages' is required");
}

// Router mode: the model is required and must be listed; one that is not loaded is loaded by
// the request that names it (recorded 38, 38b, 39), and /models/load starts a load (33, 34).
TEST(ProfileTest, LlamaCppRouterLoadsOnRequestAndOnLoadCommand) {
  RecordProperty("clause", "R16");
  ServerOptions options =
      WithProfile(Profile::kLlamaCpp, {Model("a", "unloaded"), Model("b", "unloaded")});
  options.model_load_time = 100ms;
  Server server(options);
  auto client = ClientOf(server);
  auto unknown = client.Post(kChat, ChatBody("zzz", "hi"), "application/json");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 400);
  EXPECT_EQ(json::parse(unknown->body)["error"]["message"], "model 'zzz' not found");
  auto nameless =
      client.Post(kChat, R"({"messages":[{"role":"user","content":"hi"}]})", "application/json");
  ASSERT_TRUE(nameless);
  EXPECT_EQ(json::parse(nameless->body)["error"]["message"],
            "model name is missing from the request");

  auto chat = client.Post(kChat, ChatBody("a", "hi"), "application/json");
  ASSERT_TRUE(chat);
  EXPECT_EQ(chat->status, 200) << "answered once loaded";
  EXPECT_EQ(json::parse(chat->body)["model"], "a");

  auto load = client.Post("/models/load", R"({"model":"b"})", "application/json");
  ASSERT_TRUE(load);
  EXPECT_EQ(load->status, 200);
  EXPECT_EQ(load->body, R"({"success":true})");
  const json during = json::parse(client.Get("/models")->body);
  EXPECT_EQ(during["data"][0]["status"]["value"], "loaded");
  EXPECT_EQ(during["data"][1]["status"]["value"], "loading");
  auto again = client.Post("/models/load", R"({"model":"b"})", "application/json");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 400);
  auto missing = client.Post("/models/load", R"({"model":"zzz"})", "application/json");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);

  auto unload = client.Post("/models/unload", R"({"model":"a"})", "application/json");
  ASSERT_TRUE(unload);
  EXPECT_EQ(unload->status, 200);
  EXPECT_EQ(json::parse(client.Get("/models")->body)["data"][0]["status"]["value"], "unloaded");
}

// llama.cpp's API key: Bearer, bare in Authorization, or X-Api-Key (recorded 11_*).
TEST(ProfileTest, LlamaCppAcceptsTheKeyThreeWaysAndRefusesOthersWithItsEnvelope) {
  RecordProperty("clause", "R12");
  Server server(WithProfile(Profile::kLlamaCpp));
  server.SetScenario(Scenario::Auth("k1"));
  auto client = ClientOf(server);
  for (const auto& [name, value] :
       {std::pair{"Authorization", "Bearer k1"}, std::pair{"Authorization", "k1"},
        std::pair{"X-Api-Key", "k1"}}) {
    auto response = client.Get("/v1/models", {{name, value}});
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200) << name << ": " << value;
  }
  auto refused = client.Get("/v1/models", {{"Authorization", "Bearer wrong"}});
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 401);
  EXPECT_EQ(refused->body,
            R"({"error":{"message":"Invalid API Key","type":"authentication_error","code":401}})");
}

TEST(ProfileTest, LlamaCppUnknownPathAndWrongMethodAnswerFileNotFound) {
  Server server(WithProfile(Profile::kLlamaCpp));
  auto client = ClientOf(server);
  for (const char* path : {"/v1/nope", "/", "/v1/chat/completions"}) {
    auto response = client.Get(path);
    ASSERT_TRUE(response) << path;
    EXPECT_EQ(response->status, 404) << path;
    EXPECT_EQ(response->body,
              R"({"error":{"message":"File Not Found","type":"not_found_error","code":404}})")
        << path;
  }
}

TEST(ProfileTest, VllmHealthIsEmptyAndUnknownModelDoesNotExist) {
  Server server(WithProfile(Profile::kVllm));
  auto client = ClientOf(server);
  auto health = client.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(health->body, "");
  auto listing = client.Get("/v1/models");
  ASSERT_TRUE(listing);
  EXPECT_EQ(json::parse(listing->body)["data"][0]["root"], "m1");
  auto unknown = client.Post(kChat, ChatBody("x", "hi"), "application/json");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  EXPECT_EQ(json::parse(unknown->body)["error"]["message"], "The model `x` does not exist.");
}

TEST(ProfileTest, VllmSendsDoneAfterAStreamError) {
  Server server(WithProfile(Profile::kVllm));
  server.SetScenario(Scenario::StreamError(1));
  auto client = ClientOf(server);
  const auto events =
      DataEvents(PostStream(client, kChat, ChatBody("m1", "a b c d e f g h i j", true)).body);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_TRUE(json::parse(events[1]).contains("error"));
  EXPECT_EQ(events[2], "[DONE]");
}

// Older vLLM's stream error nests its flat envelope: data: {"error":{"object":"error",...}}.
TEST(ProfileTest, VllmLegacyNestsTheEnvelopeInAStreamError) {
  RecordProperty("clause", "W7");
  Server server(WithProfile(Profile::kVllmLegacy));
  server.SetScenario(Scenario::StreamError(1));
  auto client = ClientOf(server);
  const auto events =
      DataEvents(PostStream(client, kChat, ChatBody("m1", "a b c d e f g h i j", true)).body);
  ASSERT_EQ(events.size(), 3u);
  const json error = json::parse(events[1]);
  EXPECT_EQ(error["error"]["object"], "error");
  EXPECT_EQ(error["error"]["message"], "simulated failure");
  EXPECT_EQ(events[2], "[DONE]");
}

TEST(ProfileTest, VllmLegacyUsesTheFlatEnvelope) {
  RecordProperty("clause", "R15");
  Server server(WithProfile(Profile::kVllmLegacy));
  auto client = ClientOf(server);
  auto unknown = client.Post(kChat, ChatBody("x", "hi"), "application/json");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  const json body = json::parse(unknown->body);
  EXPECT_EQ(body["object"], "error");
  EXPECT_EQ(body["message"], "The model `x` does not exist.");
  EXPECT_FALSE(body.contains("error"));
}

TEST(ProfileTest, OllamaHasNoHealthAnswersRootAndListsNullWhenEmpty) {
  RecordProperty("clause", "R3");
  Server server(WithProfile(Profile::kOllama, {"llama3:latest"}));
  auto client = ClientOf(server);
  auto health = client.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 404);
  auto root = client.Get("/");
  ASSERT_TRUE(root);
  EXPECT_EQ(root->status, 200);
  EXPECT_EQ(root->body, "Ollama is running");
  auto unknown = client.Post(kChat, ChatBody("llama3", "hi"), "application/json");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  EXPECT_EQ(json::parse(unknown->body)["error"]["type"], "not_found_error");
  server.SetModels({});
  auto listing = client.Get("/v1/models");
  ASSERT_TRUE(listing);
  EXPECT_TRUE(json::parse(listing->body)["data"].is_null());
}

TEST(ProfileTest, TgiStreamsWithoutSpaceWithCommentsAndAcceptsAnyModel) {
  Server server(WithProfile(Profile::kTgi));
  auto client = ClientOf(server);
  const auto result = PostStream(client, kChat, ChatBody("whatever", "one two three", true));
  EXPECT_EQ(result.status, 200);
  EXPECT_THAT(result.body, ::testing::StartsWith(": keep-alive\n\ndata:{"));
  EXPECT_THAT(result.body, ::testing::Not(::testing::HasSubstr("data: ")));
  EXPECT_THAT(result.body, ::testing::HasSubstr("data:[DONE]"));
  EXPECT_EQ(testing::Reassemble(DataEvents(result.body)).text, "one two three");
  server.SetScenario(Scenario::Loading(1));
  auto health = client.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 503);
  EXPECT_EQ(json::parse(health->body),
            json::parse(R"({"error":"unhealthy","error_type":"healthcheck"})"));
}

// LM Studio answers every unknown endpoint, /health included, with 200 and a string error.
TEST(ProfileTest, LmStudioHasNoHealthAndStringErrors) {
  RecordProperty("clause", "R3");
  Server server(WithProfile(Profile::kLmStudio));
  auto client = ClientOf(server);
  auto health = client.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(json::parse(health->body),
            json::parse(R"x({"error":"Unexpected endpoint or method. (GET /health)"})x"));
  auto listing = client.Get("/v1/models");
  ASSERT_TRUE(listing);
  EXPECT_FALSE(json::parse(listing->body)["data"][0].contains("created"));
  server.SetModels({});
  auto chat = client.Post(kChat, ChatBody("m1", "hi"), "application/json");
  ASSERT_TRUE(chat);
  EXPECT_EQ(chat->status, 400);
  EXPECT_THAT(json::parse(chat->body)["error"].get<std::string>(),
              ::testing::StartsWith("No models loaded"));
}

TEST(ProfileTest, OpenAiUnknownPathUsesTheNestedEnvelope) {
  Server server;
  auto client = ClientOf(server);
  auto response = client.Get("/v1/nothing");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 404);
  EXPECT_EQ(json::parse(response->body)["error"]["code"], "unknown_url");
}

}  // namespace
}  // namespace provkit::mock
