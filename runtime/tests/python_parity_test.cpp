// Tests LocalProvider's probe against provkit::mockserver in the five cases the original Python
// runtime checked.
#include <gtest/gtest.h>

#include "provkit/mockserver/server.hpp"
#include "provkit/runtime/local_provider.hpp"

namespace provkit {
namespace {

Config ConfigFor(const mock::Server& server) {
  Config config;
  config.base_url = server.base_url();
  return config;
}

mock::ServerOptions Serving(std::vector<mock::Model> models, mock::Scenario scenario = {}) {
  mock::ServerOptions options;
  options.models = std::move(models);
  options.scenario = std::move(scenario);
  return options;
}

std::vector<std::string> PathsSeen(const mock::Server& server) {
  std::vector<std::string> paths;
  for (const mock::JournalEntry& entry : server.journal())
    paths.push_back(entry.method + " " + entry.path);
  return paths;
}

TEST(PythonParity, R1HealthIsProbedAtTheServerRoot) {
  RecordProperty("clause", "R1");
  mock::Server server(Serving({"m1"}));
  LocalProvider provider(ConfigFor(server));
  EXPECT_TRUE(provider.CheckReady(std::nullopt).ready);
  EXPECT_EQ(PathsSeen(server), std::vector<std::string>{"GET /health"});
}

TEST(PythonParity, R3HealthAbsentFallsBackToTheListing) {
  RecordProperty("clause", "R3");
  mock::Server server(Serving({"m1"}, mock::Scenario::NoHealth()));
  LocalProvider provider(ConfigFor(server));
  const ProviderReadiness readiness = provider.CheckReady("m1");
  EXPECT_TRUE(readiness.ready);
  EXPECT_EQ(readiness.model_verified, true);
  EXPECT_EQ(PathsSeen(server), (std::vector<std::string>{"GET /health", "GET /v1/models"}));
}

TEST(PythonParity, R4MissingModelIsReportedByName) {
  RecordProperty("clause", "R4");
  mock::Server server(Serving({"m1", "m2"}, mock::Scenario::MissingModel({"m2"})));
  LocalProvider provider(ConfigFor(server));
  const ProviderReadiness readiness = provider.CheckReady("m2");
  EXPECT_FALSE(readiness.ready);
  EXPECT_EQ(readiness.model_verified, false);
  ASSERT_TRUE(readiness.message);
  EXPECT_NE(readiness.message->find("not listed"), std::string::npos) << *readiness.message;
  EXPECT_NE(readiness.message->find("m2"), std::string::npos) << *readiness.message;
}

TEST(PythonParity, R1ModelUnsetSkipsTheListingWithExactlyOneRequest) {
  RecordProperty("clause", "R1");
  mock::Server server(Serving({"m1"}));
  LocalProvider provider(ConfigFor(server));
  EXPECT_EQ(provider.CheckReady(std::nullopt), (ProviderReadiness{.ready = true,
                                                                  .provider = "local",
                                                                  .status_code = 200,
                                                                  .message = "ok",
                                                                  .model = std::nullopt,
                                                                  .model_verified = std::nullopt}));
  EXPECT_EQ(server.journal().size(), 1u);
}

TEST(PythonParity, R6HealthyServerWithoutUsableListingIsNotReady) {
  RecordProperty("clause", "R6");
  mock::Server server(
      Serving({"m1"}, mock::Scenario::ModelsError(404).On(mock::Endpoint::kModels)));
  LocalProvider provider(ConfigFor(server));
  const ProviderReadiness readiness = provider.CheckReady("m1");
  EXPECT_FALSE(readiness.ready);
  EXPECT_EQ(readiness.model_verified, false);
  EXPECT_EQ(readiness.status_code, 404);
  EXPECT_EQ(PathsSeen(server), (std::vector<std::string>{"GET /health", "GET /v1/models"}));
}

}  // namespace
}  // namespace provkit
