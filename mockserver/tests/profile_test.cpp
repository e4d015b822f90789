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

TEST(ProfileTest, LlamaCppListingCarriesModelsArrayMetaAndRouterStatus) {
  RecordProperty("clause", "R16");
  Server server(WithProfile(Profile::kLlamaCpp, {Model("m1"), Model("m2", "sleeping")}));
  auto client = ClientOf(server);
  auto listing = client.Get("/v1/models");
  ASSERT_TRUE(listing);
  const json body = json::parse(listing->body);
  EXPECT_EQ(body["data"][0]["owned_by"], "llamacpp");
  EXPECT_TRUE(body["data"][0]["meta"].is_object());
  EXPECT_FALSE(body["data"][0].contains("status"));
  EXPECT_EQ(body["data"][1]["status"]["value"], "sleeping");
  EXPECT_EQ(body["models"][0]["name"], "m1");

  server.SetScenario(Scenario::Loading(1));
  auto loading_listing = client.Get("/v1/models");
  ASSERT_TRUE(loading_listing);
  EXPECT_EQ(loading_listing->status, 200);
  EXPECT_TRUE(json::parse(loading_listing->body)["data"][0]["meta"].is_null());
  auto health = client.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 503);
  EXPECT_EQ(json::parse(health->body)["error"]["message"], "Loading model");
}

TEST(ProfileTest, LlamaCppStreamErrorHasNoDoneAndUnknownModelIs400) {
  Server server(WithProfile(Profile::kLlamaCpp));
  server.SetScenario(Scenario::StreamError(1));
  auto client = ClientOf(server);
  const auto events =
      DataEvents(PostStream(client, kChat, ChatBody("m1", "a b c d e f g h i j", true)).body);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(json::parse(events[1])["error"]["code"], 500);
  auto unknown = client.Post(kChat, ChatBody("other", "hi"), "application/json");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 400);
  EXPECT_EQ(json::parse(unknown->body)["error"]["code"], 400);
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

TEST(ProfileTest, LmStudioHasNoHealthAndStringErrors) {
  RecordProperty("clause", "R15");
  Server server(WithProfile(Profile::kLmStudio));
  auto client = ClientOf(server);
  auto health = client.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 404);
  EXPECT_TRUE(json::parse(health->body)["error"].is_string());
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
