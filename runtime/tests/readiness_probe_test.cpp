// Tests the pure readiness verdict: every R clause the probe decides (R1-R10, R12, R15, R16) and
// every body shape.
#include "readiness_probe.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace provkit::readiness_probe {
namespace {

using Outcome = Answer::Outcome;

const Target kTarget =
    MakeTarget("local", "http://127.0.0.1:8080/v1", std::chrono::milliseconds(2000));
constexpr const char* kLlamaLoading =
    R"({"error":{"code":503,"message":"Loading model","type":"unavailable_error"}})";

Answer Http(int status, std::string body = {}) {
  return Answer{.status = status, .body = std::move(body)};
}

std::string ListingOf(std::initializer_list<std::string> ids) {
  std::string body = R"({"object":"list","data":[)";
  bool first = true;
  for (const std::string& id : ids) {
    body += (first ? "" : ",") + std::string(R"({"id":")") + id +
            R"(","object":"model","owned_by":"me"})";
    first = false;
  }
  return body + "]}";
}

bool Contains(const std::optional<std::string>& text, std::string_view part) {
  return text && text->find(part) != std::string::npos;
}

ProviderReadiness Probe(const std::optional<std::string>& model, const Answer& health,
                        const Answer& models) {
  return Decide(kTarget, model, health, &models);
}

TEST(ReadinessProbe, UrlsComeFromTheBaseUrl) {
  const Target target = MakeTarget("local", "http://h:1/v1/", std::chrono::milliseconds(5));
  EXPECT_EQ(target.base_url, "http://h:1/v1");
  EXPECT_EQ(target.health_url, "http://h:1/health");
  EXPECT_EQ(target.models_url, "http://h:1/v1/models");
  EXPECT_EQ(MakeTarget("local", "http://h:1", {}).health_url, "http://h:1/health");
}

// ---- R1 ----

TEST(ReadinessProbe, R3AbsentHealthIncludesLmStudios200ErrorEnvelope) {
  auto answer = [](int status, std::string body) {
    return Answer{.status = status, .body = std::move(body)};
  };
  EXPECT_TRUE(HealthAbsent(answer(404, "")));
  EXPECT_TRUE(HealthAbsent(answer(405, "")));
  EXPECT_TRUE(HealthAbsent(answer(501, "")));
  EXPECT_TRUE(
      HealthAbsent(answer(200, R"j({"error":"Unexpected endpoint or method. (GET /health)"})j")));
  EXPECT_FALSE(HealthAbsent(answer(200, R"({"status":"ok"})")));
  EXPECT_FALSE(HealthAbsent(answer(200, "")));
  EXPECT_FALSE(HealthAbsent(answer(200, "OK")));
  EXPECT_FALSE(HealthAbsent(answer(503, R"({"error":{"message":"Loading model"}})")));
}

TEST(ReadinessProbe, R1HealthyServerWithModelUnset) {
  RecordProperty("clause", "R1");
  const ProviderReadiness verdict =
      Decide(kTarget, std::nullopt, Http(200, R"({"status":"ok"})"), nullptr);
  EXPECT_EQ(verdict, (ProviderReadiness{.ready = true,
                                        .provider = "local",
                                        .status_code = 200,
                                        .message = "ok",
                                        .model = std::nullopt,
                                        .model_verified = std::nullopt}));
}

TEST(ReadinessProbe, R1MessagePrecedenceStatusThenErrorThenTextThenNull) {
  RecordProperty("clause", "R1");
  auto message = [](std::string body) {
    return Decide(kTarget, std::nullopt, Http(200, body), nullptr).message;
  };
  EXPECT_EQ(message(R"({"status":"ready","error":{"message":"no"}})"), "ready");
  EXPECT_EQ(message(R"({"status":5,"error":{"message":"from error"}})"), "from error");
  EXPECT_EQ(message(R"({"uptime":5})"), R"({"uptime":5})");
  EXPECT_EQ(message("  all good \n"), "all good");
  EXPECT_EQ(message(""), std::nullopt);
}

TEST(ReadinessProbe, R1ReadyIffStatusBelow400) {
  RecordProperty("clause", "R1");
  EXPECT_TRUE(Decide(kTarget, std::nullopt, Http(204), nullptr).ready);
  EXPECT_TRUE(Decide(kTarget, std::nullopt, Http(399), nullptr).ready);
  const ProviderReadiness loading =
      Decide(kTarget, std::nullopt, Http(503, kLlamaLoading), nullptr);
  EXPECT_FALSE(loading.ready);
  EXPECT_EQ(loading.status_code, 503);
  EXPECT_EQ(loading.message, "Loading model");
  EXPECT_FALSE(Decide(kTarget, std::nullopt, Http(404), nullptr).ready);
}

// ---- R2, R3 ----

TEST(ReadinessProbe, R2ListedModelIsReadyAndVerified) {
  RecordProperty("clause", "R2");
  const ProviderReadiness verdict =
      Probe("llama3", Http(200, R"({"status":"ok"})"), Http(200, ListingOf({"other", "llama3"})));
  EXPECT_EQ(verdict, (ProviderReadiness{.ready = true,
                                        .provider = "local",
                                        .status_code = 200,
                                        .message = "ok",
                                        .model = "llama3",
                                        .model_verified = true}));
}

TEST(ReadinessProbe, R2MessageFallsBackToTheListing) {
  RecordProperty("clause", "R2");
  EXPECT_EQ(Probe("m", Http(200), Http(200, R"({"status":"serving","data":[{"id":"m"}]})")).message,
            "serving");
  EXPECT_EQ(Probe("m", Http(200), Http(200, ListingOf({"m"}))).message, std::nullopt);
}

TEST(ReadinessProbe, R3AbsentHealthDefersToTheListing) {
  RecordProperty("clause", "R3");
  for (int status : {404, 405, 501}) {
    const ProviderReadiness listed =
        Probe("m", Http(status, "404 page not found"), Http(200, ListingOf({"m"})));
    EXPECT_TRUE(listed.ready) << status;
    EXPECT_EQ(listed.model_verified, true);
    EXPECT_EQ(listed.status_code, 200);
    EXPECT_EQ(listed.message, std::nullopt) << "an absent endpoint's body is not a health message";
    const ProviderReadiness missing = Probe("m", Http(status), Http(200, ListingOf({"x"})));
    EXPECT_FALSE(missing.ready) << status;
    EXPECT_EQ(missing.model_verified, false);
  }
}

TEST(ReadinessProbe, R3NeedsTheListingOnlyWhenAModelIsSet) {
  RecordProperty("clause", "R3");
  EXPECT_TRUE(NeedsListing("m", Http(404)));
  EXPECT_TRUE(NeedsListing("m", Http(503)));
  EXPECT_FALSE(NeedsListing(std::nullopt, Http(404)));
  EXPECT_FALSE(NeedsListing("m", Answer{.outcome = Outcome::kUnreachable}));
}

// ---- R4 ----

TEST(ReadinessProbe, R4MissingModelNamesModelAndListsIds) {
  RecordProperty("clause", "R4");
  const ProviderReadiness verdict =
      Probe("mistral", Http(200, R"({"status":"ok"})"), Http(200, ListingOf({"llama3", "qwen"})));
  EXPECT_FALSE(verdict.ready);
  EXPECT_EQ(verdict.model_verified, false);
  EXPECT_EQ(verdict.status_code, 200);
  EXPECT_TRUE(Contains(verdict.message, "not listed"));
  EXPECT_TRUE(Contains(verdict.message, "mistral"));
  EXPECT_TRUE(Contains(verdict.message, "llama3"));
  EXPECT_FALSE(Contains(verdict.message, "Did you mean"));
}

TEST(ReadinessProbe, R4SuggestsAnIdDifferingByTag) {
  RecordProperty("clause", "R4");
  const ProviderReadiness verdict =
      Probe("llama3", Http(200), Http(200, ListingOf({"qwen", "llama3:8b"})));
  EXPECT_TRUE(Contains(verdict.message, "not listed"));
  EXPECT_TRUE(Contains(verdict.message, "Did you mean 'llama3:8b'?"));
  EXPECT_EQ(Suggestions("llama3:latest", {"llama3", "llama3:8b", "llama"}),
            (std::vector<std::string>{"llama3", "llama3:8b"}));
}

TEST(ReadinessProbe, R4SuggestsAnIdDifferingByOrgPrefix) {
  RecordProperty("clause", "R4");
  const ProviderReadiness verdict =
      Probe("Qwen3-8B", Http(200), Http(200, ListingOf({"Qwen/Qwen3-8B"})));
  EXPECT_TRUE(Contains(verdict.message, "Did you mean 'Qwen/Qwen3-8B'?"));
  EXPECT_EQ(Suggestions("org/m", {"m", "other/m"}), (std::vector<std::string>{"m", "other/m"}));
}

TEST(ReadinessProbe, R4SuggestsAnIdDifferingByCase) {
  RecordProperty("clause", "R4");
  const ProviderReadiness verdict = Probe("Llama-3", Http(200), Http(200, ListingOf({"llama-3"})));
  EXPECT_TRUE(Contains(verdict.message, "Did you mean 'llama-3'?"));
}

TEST(ReadinessProbe, R4SuggestsNothingForOtherDifferences) {
  RecordProperty("clause", "R4");
  EXPECT_TRUE(Suggestions("llama3", {"llama3.1", "llama", "xllama3", "llama3-instruct"}).empty());
  EXPECT_TRUE(Suggestions(":tag", {"other:tag"}).empty());
}

TEST(ReadinessProbe, R4LongListingsAreShortened) {
  RecordProperty("clause", "R4");
  std::string body = R"({"data":[)";
  for (int i = 0; i < 100; ++i)
    body += (i ? "," : "") + std::string(R"({"id":"model-)") + std::to_string(i) + "\"}";
  body += "]}";
  const ProviderReadiness verdict = Probe("absent", Http(200), Http(200, body));
  EXPECT_TRUE(Contains(verdict.message, "and 92 more"));
  EXPECT_LT(verdict.message->size(), 600u);
}

// ---- R5, R6 ----

TEST(ReadinessProbe, R5ModelsErrorStatusAndMessage) {
  RecordProperty("clause", "R5");
  const ProviderReadiness verdict = Probe("m", Http(200, R"({"status":"ok"})"),
                                          Http(500, R"({"error":{"message":"listing broke"}})"));
  EXPECT_FALSE(verdict.ready);
  EXPECT_EQ(verdict.model_verified, false);
  EXPECT_EQ(verdict.status_code, 500);
  EXPECT_EQ(verdict.message, "listing broke");
}

TEST(ReadinessProbe, R5FallsBackToTheHealthMessage) {
  RecordProperty("clause", "R5");
  EXPECT_EQ(Probe("m", Http(200, R"({"status":"degraded"})"), Http(502)).message, "degraded");
  const ProviderReadiness silent = Probe("m", Http(404), Http(404));
  EXPECT_EQ(silent.status_code, 404);
  EXPECT_TRUE(Contains(silent.message, "/v1/models"));
}

TEST(ReadinessProbe, R6HealthyButNoModelsEndpointIsNotVerified) {
  RecordProperty("clause", "R6");
  const ProviderReadiness verdict =
      Probe("m", Http(200, R"({"status":"ok"})"), Http(404, "Not Found"));
  EXPECT_FALSE(verdict.ready);
  EXPECT_EQ(verdict.model_verified, false);
  EXPECT_EQ(verdict.message, "Not Found");
}

TEST(ReadinessProbe, R6WithoutAListingNothingIsVerified) {
  RecordProperty("clause", "R6");
  const ProviderReadiness verdict = Decide(kTarget, "m", Http(200), nullptr);
  EXPECT_FALSE(verdict.ready);
  EXPECT_EQ(verdict.model_verified, false);
}

// ---- R7 ----

TEST(ReadinessProbe, R7FailingHealthIsNotReadyEvenWhenListed) {
  RecordProperty("clause", "R7");
  for (int status : {500, 502, 503}) {
    const ProviderReadiness verdict =
        Probe("m", Http(status, kLlamaLoading), Http(200, ListingOf({"m"})));
    EXPECT_FALSE(verdict.ready) << status;
    EXPECT_EQ(verdict.model_verified, true);
    EXPECT_EQ(verdict.status_code, status);
    EXPECT_TRUE(Contains(verdict.message, "Loading model"));
  }
}

TEST(ReadinessProbe, R7FailingHealthAndMissingModelSayBoth) {
  RecordProperty("clause", "R7");
  const ProviderReadiness verdict =
      Probe("m", Http(503, kLlamaLoading), Http(200, ListingOf({"x"})));
  EXPECT_FALSE(verdict.ready);
  EXPECT_EQ(verdict.model_verified, false);
  EXPECT_TRUE(Contains(verdict.message, "not listed"));
  EXPECT_TRUE(Contains(verdict.message, "Loading model"));
}

TEST(ReadinessProbe, R7FailingHealthWithoutWordsStillFails) {
  RecordProperty("clause", "R7");
  const ProviderReadiness verdict = Probe("m", Http(503), Http(200, ListingOf({"m"})));
  EXPECT_FALSE(verdict.ready);
  EXPECT_TRUE(Contains(verdict.message, "503"));
}

// R3 read with R7: only an absent health endpoint (404, 405, 501) leaves the decision to the
// listing; any other failing health status decides, 4xx included.
TEST(ReadinessProbe, R3FailingHealthOtherThanAbsentDecidesEvenWhenListed) {
  RecordProperty("clause", "R3");
  for (int status : {400, 429}) {
    const ProviderReadiness verdict = Probe(
        "m", Http(status, R"({"error":{"message":"slow down"}})"), Http(200, ListingOf({"m"})));
    EXPECT_FALSE(verdict.ready) << status;
    EXPECT_EQ(verdict.model_verified, true);
    EXPECT_EQ(verdict.status_code, status);
    EXPECT_TRUE(Contains(verdict.message, "slow down")) << *verdict.message;
  }
  for (int status : {404, 405, 501}) {
    EXPECT_TRUE(Probe("m", Http(status), Http(200, ListingOf({"m"}))).ready) << status;
  }
}

TEST(ReadinessProbe, R12RejectedCredentialsOnHealthAreNamed) {
  RecordProperty("clause", "R12");
  const ProviderReadiness verdict = Probe(
      "m", Http(401, R"({"error":{"message":"Invalid API Key"}})"), Http(200, ListingOf({"m"})));
  EXPECT_FALSE(verdict.ready);
  EXPECT_EQ(verdict.status_code, 401);
  EXPECT_TRUE(Contains(verdict.message, "credentials were rejected")) << *verdict.message;
  EXPECT_TRUE(Contains(verdict.message, "/health"));
}

// ---- R8, R9 ----

TEST(ReadinessProbe, R8UnreachableNamesUrlAndSaysCheckTheServer) {
  RecordProperty("clause", "R8");
  const Answer refused{.outcome = Outcome::kUnreachable, .detail = "connection refused"};
  const ProviderReadiness with_model = Decide(kTarget, "m", refused, nullptr);
  EXPECT_FALSE(with_model.ready);
  EXPECT_EQ(with_model.status_code, std::nullopt);
  EXPECT_EQ(with_model.model_verified, false);
  EXPECT_EQ(with_model.model, "m");
  EXPECT_TRUE(Contains(with_model.message, "http://127.0.0.1:8080/v1"));
  EXPECT_TRUE(Contains(with_model.message, "Check that the server is running"));
  const ProviderReadiness without_model = Decide(kTarget, std::nullopt, refused, nullptr);
  EXPECT_EQ(without_model.model_verified, std::nullopt);
  EXPECT_EQ(without_model.model, std::nullopt);
}

TEST(ReadinessProbe, R9TimedOutSaysSo) {
  RecordProperty("clause", "R9");
  const Answer slow{.outcome = Outcome::kTimedOut};
  const ProviderReadiness on_health = Decide(kTarget, std::nullopt, slow, nullptr);
  EXPECT_FALSE(on_health.ready);
  EXPECT_TRUE(Contains(on_health.message, "timed out"));
  EXPECT_TRUE(Contains(on_health.message, "2000 ms"));
  const ProviderReadiness on_models = Probe("m", Http(200), slow);
  EXPECT_FALSE(on_models.ready);
  EXPECT_EQ(on_models.status_code, std::nullopt);
  EXPECT_EQ(on_models.model_verified, false);
  EXPECT_TRUE(Contains(on_models.message, "timed out"));
  EXPECT_TRUE(Contains(on_models.message, "/v1/models"));
}

// ---- R10 ----

TEST(ReadinessProbe, R10EmptyOrTextHealthBodyIsHealthy) {
  RecordProperty("clause", "R10");
  const ProviderReadiness empty = Decide(kTarget, std::nullopt, Http(200, ""), nullptr);
  EXPECT_TRUE(empty.ready);
  EXPECT_EQ(empty.message, std::nullopt);
  const ProviderReadiness text = Decide(kTarget, std::nullopt, Http(200, "OK\n"), nullptr);
  EXPECT_TRUE(text.ready);
  EXPECT_EQ(text.message, "OK");
  EXPECT_TRUE(Probe("m", Http(200, ""), Http(200, ListingOf({"m"}))).ready);
}

TEST(ReadinessProbe, R10UnreadableListingsDoNotNameTheModel) {
  RecordProperty("clause", "R10");
  for (const char* body :
       {"", "not json", "[]", R"({"data":null})", R"({"data":{"id":"m"}})", R"({"data":"m"})",
        R"({"object":"list"})", R"({"data":[{"id":7},{"id":null},"m",["m"],{"name":"m"}]})",
        R"({"models":[{"name":"m","model":"m"}],"data":[]})"}) {
    const ProviderReadiness verdict = Probe("m", Http(200, R"({"status":"ok"})"), Http(200, body));
    EXPECT_FALSE(verdict.ready) << body;
    EXPECT_EQ(verdict.model_verified, false) << body;
    EXPECT_TRUE(Contains(verdict.message, "not listed")) << body;
  }
}

TEST(ReadinessProbe, R10ExtraFieldsAreTolerated) {
  RecordProperty("clause", "R10");
  const char* llama_cpp = R"({"models":[{"name":"m","model":"m","type":"model"}],"object":"list",
      "data":[{"id":"m","object":"model","created":1,"owned_by":"llamacpp","meta":{"vocab_type":2,"n_ctx_train":4096}}]})";
  const char* vllm =
      R"({"object":"list","data":[{"id":"m","object":"model","root":"/models/m","parent":null,
      "max_model_len":8192,"permission":[{"id":"p"}]}]})";
  const char* bare = R"({"data":[{"id":"m"}]})";
  for (const char* body : {llama_cpp, vllm, bare}) {
    EXPECT_TRUE(Probe("m", Http(200), Http(200, body)).ready) << body;
  }
}

TEST(ReadinessProbe, R10TruncatedListingCannotBeRead) {
  RecordProperty("clause", "R10");
  Answer models = Http(200, ListingOf({"m"}));
  models.truncated = true;
  const ProviderReadiness verdict = Probe("m", Http(200), models);
  EXPECT_FALSE(verdict.ready);
  EXPECT_EQ(verdict.model_verified, false);
  EXPECT_TRUE(Contains(verdict.message, "MiB"));
}

TEST(ReadinessProbe, R10InvalidUtf8InBodiesYieldsSerialisableMessages) {
  RecordProperty("clause", "R10");
  const ProviderReadiness verdict =
      Decide(kTarget, std::nullopt, Http(200, "bad \xFF\xFE bytes"), nullptr);
  EXPECT_NO_THROW(nlohmann::json(verdict).dump());
  const ProviderReadiness missing = Probe("\xC3", Http(200), Http(200, ListingOf({"x"})));
  ASSERT_TRUE(missing.message.has_value());
  EXPECT_NO_THROW(nlohmann::json(*missing.message).dump());
}

// Random bodies and statuses: Decide never throws and never verifies a model its listing does not
// name.
TEST(ReadinessProbe, R10RandomAnswersNeverThrow) {
  RecordProperty("clause", "R10");
  std::mt19937 random(7);
  const std::vector<std::string> seeds = {
      ListingOf({"m", "m:tag"}), kLlamaLoading, R"({"status":"ok"})",
      R"({"data":[{"id":"m","status":{"value":"loading"}}]})", "text"};
  const std::string alphabet = "{}[]\":,0123456789.-eE truefalsnul\\\x80\xFF";
  for (int round = 0; round < 5000; ++round) {
    auto mutate = [&](std::string text) {
      const int edits = static_cast<int>(random() % 5);
      for (int i = 0; i < edits && !text.empty(); ++i) {
        const std::size_t at = random() % text.size();
        if (random() % 2) {
          text[at] = alphabet[random() % alphabet.size()];
        } else {
          text.erase(at, 1 + random() % 4);
        }
      }
      return text;
    };
    const int statuses[] = {200, 204, 401, 403, 404, 405, 500, 501, 503};
    const Answer health = Http(statuses[random() % 9], mutate(seeds[random() % seeds.size()]));
    const Answer models = Http(statuses[random() % 9], mutate(seeds[random() % seeds.size()]));
    ProviderReadiness verdict;
    ASSERT_NO_THROW(verdict = Probe("m", health, models));
    if (verdict.model_verified == true) {
      EXPECT_TRUE(models.body.find("\"m\"") != std::string::npos) << models.body;
    }
    EXPECT_NO_THROW(nlohmann::json(verdict).dump());
  }
}

// ---- R12 ----

TEST(ReadinessProbe, R12RejectedCredentialsAreNamed) {
  RecordProperty("clause", "R12");
  for (int status : {401, 403}) {
    const ProviderReadiness verdict =
        Probe("m", Http(200, R"({"status":"ok"})"),
              Http(status, R"({"error":{"message":"Invalid API Key"}})"));
    EXPECT_FALSE(verdict.ready);
    EXPECT_EQ(verdict.status_code, status);
    EXPECT_TRUE(Contains(verdict.message, "credentials were rejected")) << *verdict.message;
    EXPECT_TRUE(Contains(verdict.message, "Invalid API Key"));
  }
}

// ---- R15 ----

TEST(ReadinessProbe, R15EveryErrorShapeYieldsItsMessage) {
  RecordProperty("clause", "R15");
  const std::pair<const char*, const char*> shapes[] = {
      {R"({"error":{"message":"nested","type":"x"}})", "nested"},
      {R"({"object":"error","message":"flat","type":"NotFoundError","code":404})", "flat"},
      {R"({"error":"string"})", "string"},
      {R"({"error":"tgi","error_type":"validation"})", "tgi"},
  };
  for (const auto& [body, message] : shapes) {
    EXPECT_EQ(Probe("m", Http(200), Http(400, body)).message, message) << body;
    EXPECT_EQ(Decide(kTarget, std::nullopt, Http(503, body), nullptr).message, message) << body;
  }
}

// ---- R16 ----

TEST(ReadinessProbe, R16LoadStatusMeansListedButNotReady) {
  RecordProperty("clause", "R16");
  for (const char* state : {"unloaded", "loading", "sleeping", "failed"}) {
    const std::string body = std::string(R"({"data":[{"id":"m","status":{"value":")") + state +
                             R"(","args":["--port","1"]}}]})";
    const ProviderReadiness verdict = Probe("m", Http(200, R"({"status":"ok"})"), Http(200, body));
    EXPECT_FALSE(verdict.ready) << state;
    EXPECT_EQ(verdict.model_verified, true);
    EXPECT_EQ(verdict.status_code, 200);
    EXPECT_TRUE(Contains(verdict.message, state)) << *verdict.message;
  }
}

TEST(ReadinessProbe, R16LoadedOrUnknownStatusIsReady) {
  RecordProperty("clause", "R16");
  EXPECT_TRUE(
      Probe("m", Http(200), Http(200, R"({"data":[{"id":"m","status":{"value":"loaded"}}]})"))
          .ready);
  EXPECT_TRUE(
      Probe("m", Http(200), Http(200, R"({"data":[{"id":"m","status":{"value":7}}]})")).ready);
  EXPECT_TRUE(Probe("m", Http(200), Http(200, R"({"data":[{"id":"m","status":null}]})")).ready);
  EXPECT_FALSE(
      Probe("m", Http(200), Http(200, R"({"data":[{"id":"m","status":"Loading"}]})")).ready);
}

}  // namespace
}  // namespace provkit::readiness_probe
