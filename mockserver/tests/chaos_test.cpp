// Tests of the rate-limit, slow and chaos scenarios: 429 with Retry-After, windows, token buckets,
// per-model limits, and chaos faults reproducible from a seed.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "provkit/mockserver/config.hpp"
#include "provkit/mockserver/scenario.hpp"
#include "provkit/mockserver/server.hpp"
#include "test_support.hpp"

namespace provkit::mock {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::ChatBody;
using testing::ClientOf;
using testing::PostStream;

constexpr char kChat[] = "/v1/chat/completions";

ServerOptions With(Scenario scenario, std::vector<Model> models = {Model("m1")}) {
  ServerOptions options;
  options.models = std::move(models);
  options.scenario = std::move(scenario);
  return options;
}

/// A keep-alive client that sends each request at once: without TCP_NODELAY the body waits for
/// the server's delayed ACK of the headers, 40 ms a request.
httplib::Client QuickClient(const Server& server) {
  httplib::Client client = ClientOf(server);
  client.set_tcp_nodelay(true);
  return client;
}

/// The status of one plain chat request naming `model`, and its Retry-After header.
struct Answer {
  int status = 0;
  std::string retry_after;
  std::string body;
};

Answer Chat(httplib::Client& client, const std::string& model = "m1") {
  Answer answer;
  const auto result = client.Post(kChat, ChatBody(model, "hi"), "application/json");
  if (!result) return answer;
  answer.status = result->status;
  answer.retry_after = result->get_header_value("Retry-After");
  answer.body = result->body;
  return answer;
}

/// Whether `text` is a whole number of seconds above 0.
bool PositiveSeconds(const std::string& text) {
  return !text.empty() && text.size() < 10 &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
         std::stoll(text) > 0;
}

/// Sends chat requests (at most `limit`, 20 ms apart) until one answers `status`.
bool ChatUntil(httplib::Client& client, int status, int limit = 250) {
  for (int i = 0; i < limit; ++i) {
    if (Chat(client).status == status) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

std::vector<std::string> ChatFaults(const Server& server) {
  std::vector<std::string> faults;
  for (const JournalEntry& entry : server.journal()) {
    if (entry.path == kChat) faults.push_back(entry.fault);
  }
  return faults;
}

TEST(RateLimitTest, AnswersTooManyRequestsAfterNWithRetryAfterAndTheEnvelope) {
  Server server(With(Scenario::RateLimit(3, 60s)));
  auto client = QuickClient(server);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Chat(client).status, 200) << i;
  for (int i = 0; i < 2; ++i) {
    const Answer refused = Chat(client);
    ASSERT_EQ(refused.status, 429);
    EXPECT_TRUE(PositiveSeconds(refused.retry_after)) << refused.retry_after;
    EXPECT_LE(std::stoll(refused.retry_after), 60);
    const json body = json::parse(refused.body);
    EXPECT_EQ(body["error"]["type"], "requests");
    EXPECT_EQ(body["error"]["code"], "rate_limit_exceeded");
    EXPECT_TRUE(body["error"]["param"].is_null());
    EXPECT_NE(body["error"]["message"].get<std::string>().find("Rate limit reached"),
              std::string::npos);
  }
  // Only generation requests are limited.
  EXPECT_EQ(client.Get("/v1/models")->status, 200);
  EXPECT_EQ(client.Get("/health")->status, 200);
  EXPECT_EQ(ChatFaults(server), (std::vector<std::string>{"", "", "", "rate-limit", "rate-limit"}));
}

TEST(RateLimitTest, TheWindowReopensAndCountsAfresh) {
  Server server(With(Scenario::RateLimit(2, 300ms)));
  auto client = QuickClient(server);
  EXPECT_EQ(Chat(client).status, 200);
  EXPECT_EQ(Chat(client).status, 200);
  const Answer refused = Chat(client);
  EXPECT_EQ(refused.status, 429);
  EXPECT_EQ(refused.retry_after, "1");  // Under 300 ms left, rounded up.
  ASSERT_TRUE(ChatUntil(client, 200));
  // The new window admits again, then refuses again (however slow the machine, a request is
  // refused within two more windows' worth of requests sent back to back).
  EXPECT_TRUE(ChatUntil(client, 429, 50));
}

TEST(RateLimitTest, LimitsOnlyTheNamedModel) {
  Server server(With(Scenario::RateLimit(1, 60s, "m1"), {Model("m1"), Model("m2")}));
  auto client = QuickClient(server);
  EXPECT_EQ(Chat(client, "m1").status, 200);
  EXPECT_EQ(Chat(client, "m1").status, 429);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Chat(client, "m2").status, 200) << i;
  EXPECT_EQ(Chat(client, "m1").status, 429);
}

TEST(RateLimitTest, TokenBucketAdmitsABurstThenRefills) {
  Server server(With(Scenario::TokenBucket(5, 2)));
  auto client = QuickClient(server);
  EXPECT_EQ(Chat(client).status, 200);
  EXPECT_EQ(Chat(client).status, 200);
  const Answer refused = Chat(client);
  ASSERT_EQ(refused.status, 429);
  EXPECT_EQ(refused.retry_after, "1");  // At most 200 ms to the next token, rounded up.
  EXPECT_TRUE(ChatUntil(client, 200));
}

TEST(RateLimitTest, StatusMakesItAnOverloadedServerInTheProfilesEnvelope) {
  ServerOptions options =
      With(ScenarioFromJson(json::parse(R"({"name":"rate-limit","status":503})")));
  options.profile = Profile::kVllmLegacy;
  Server server(options);
  auto client = QuickClient(server);
  const Answer refused = Chat(client);
  EXPECT_EQ(refused.status, 503);
  EXPECT_EQ(refused.retry_after, "1");
  const json body = json::parse(refused.body);
  EXPECT_EQ(body["object"], "error");
  EXPECT_EQ(body["code"], 503);
}

TEST(RateLimitTest, JsonRoundTripsAndBadKeysAreNamed) {
  const Scenario window = ScenarioFromJson(
      json::parse(R"({"name":"rate-limit","requests":5,"window_ms":2500,"model":"m1"})"));
  EXPECT_EQ(window.limit_requests, 5);
  EXPECT_EQ(window.limit_window, 2500ms);
  EXPECT_EQ(window.limit_model, "m1");
  EXPECT_EQ(ToJson(ScenarioFromJson(ToJson(window))), ToJson(window));
  const Scenario bucket =
      ScenarioFromJson(json::parse(R"({"name":"rate-limit","rate":2.5,"burst":4})"));
  EXPECT_DOUBLE_EQ(bucket.limit_rate, 2.5);
  EXPECT_DOUBLE_EQ(bucket.limit_burst, 4);
  EXPECT_EQ(ToJson(ScenarioFromJson(ToJson(bucket))), ToJson(bucket));

  const auto pointer_of = [](const std::string& scenario) {
    try {
      ParseConfig(R"({"scenario":)" + scenario + "}", "mock.json");
    } catch (const ConfigError& error) {
      return error.pointer();
    }
    return std::string("no error");
  };
  EXPECT_EQ(pointer_of(R"({"name":"rate-limit","requests":2,"rate":1})"), "/scenario/rate");
  EXPECT_EQ(pointer_of(R"({"name":"rate-limit","status":404})"), "/scenario/status");
  EXPECT_EQ(pointer_of(R"({"name":"rate-limit","rate":0})"), "/scenario/rate");
  EXPECT_EQ(pointer_of(R"({"name":"rate-limit","window_ms":0})"), "/scenario/window_ms");
  EXPECT_EQ(pointer_of(R"({"name":"rate-limit","requests":-1})"), "/scenario/requests");
  EXPECT_EQ(pointer_of(R"({"name":"chaos","drop":0.7,"error":0.5})"), "/scenario/error");
  EXPECT_EQ(pointer_of(R"({"name":"chaos","hang":1.5})"), "/scenario/hang");
  EXPECT_EQ(pointer_of(R"({"name":"chaos","seed":-1})"), "/scenario/seed");
  EXPECT_EQ(pointer_of(R"({"name":"chaos","statuses":[503,404]})"), "/scenario/statuses/1");
  EXPECT_EQ(pointer_of(R"({"name":"chaos","variant":"odd"})"), "/scenario/variant");
  EXPECT_EQ(pointer_of(R"({"name":"chaos","requests":1})"), "/scenario/requests");
}

TEST(SlowTest, AnswersNormallyAndIsJournalled) {
  Server server(With(Scenario::Slow(5ms)));
  auto client = QuickClient(server);
  EXPECT_EQ(Chat(client).status, 200);
  EXPECT_EQ(client.Get("/v1/models")->status, 200);
  const auto journal = server.journal();
  ASSERT_EQ(journal.size(), 2u);
  EXPECT_EQ(journal[0].fault, "slow");
  EXPECT_EQ(journal[1].fault, "slow");
}

/// Every fault at once, bounded so 200 requests stay quick.
Scenario EveryFault(std::uint64_t seed) {
  ChaosOdds odds;
  odds.drop = odds.error = odds.hang = odds.malformed = odds.slow = odds.status = 0.1;
  Scenario chaos = Scenario::Chaos(seed, odds);
  chaos.hold = 20ms;
  chaos.delay = 1ms;
  return chaos;
}

/// Sends `count` chat requests (streaming every other one), each on a fresh connection, and
/// returns the faults journalled for them in order, once every one is finished.
std::vector<std::string> ChaosRun(const Scenario& scenario, int count) {
  Server server(With(scenario));
  for (int i = 0; i < count; ++i) {
    auto client = ClientOf(server, 2s);
    if (i % 2 == 0) {
      PostStream(client, kChat, ChatBody("m1", "hello there", true));
    } else {
      client.Post(kChat, ChatBody("m1", "hello there"), "application/json");
    }
  }
  // A hung request is journalled finished when its connection is closed, just after the client
  // saw the close.
  for (int i = 0; i < 500; ++i) {
    const auto journal = server.journal();
    if (std::all_of(journal.begin(), journal.end(), [](const JournalEntry& entry) {
          return entry.status != 0 || !entry.fault.empty();
        }))
      break;
    std::this_thread::sleep_for(10ms);
  }
  return ChatFaults(server);
}

TEST(ChaosTest, TheSameSeedDrawsTheSameFaultsAnotherSeedOthers) {
  const std::vector<std::string> first = ChaosRun(EveryFault(42), 200);
  const std::vector<std::string> again = ChaosRun(EveryFault(42), 200);
  const std::vector<std::string> other = ChaosRun(EveryFault(43), 200);
  ASSERT_EQ(first.size(), 200u);
  EXPECT_EQ(first, again);
  EXPECT_NE(first, other);
  std::map<std::string, int> seen;
  for (const std::string& fault : first) ++seen[fault];
  for (const char* fault : {"chaos:stream-drop", "chaos:stream-error", "chaos:hang",
                            "chaos:malformed", "chaos:slow", "chaos:status"}) {
    EXPECT_GT(seen[fault], 0) << fault;
  }
  EXPECT_GT(seen[""], 40);  // 0.4 of the requests draw no fault.
}

TEST(ChaosTest, ProbabilitiesAreRoughlyRespected) {
  ChaosOdds odds;
  odds.status = 0.5;
  Scenario chaos = Scenario::Chaos(7, odds);
  chaos.chaos_statuses = {503};
  Server server(With(chaos));
  auto client = QuickClient(server);
  int refused = 0;
  for (int i = 0; i < 400; ++i) {
    const Answer answer = Chat(client);
    ASSERT_TRUE(answer.status == 200 || answer.status == 503) << answer.status;
    if (answer.status == 503) ++refused;
  }
  EXPECT_GE(refused, 140);
  EXPECT_LE(refused, 260);
  const auto faults = ChatFaults(server);
  EXPECT_EQ(std::count(faults.begin(), faults.end(), "chaos:status"), refused);
}

TEST(ChaosTest, ProbabilityZeroNeverFaultsOneAlways) {
  {
    Server server(With(Scenario::Chaos(1, ChaosOdds{})));
    auto client = QuickClient(server);
    for (int i = 0; i < 50; ++i) ASSERT_EQ(Chat(client).status, 200) << i;
    for (const std::string& fault : ChatFaults(server)) EXPECT_EQ(fault, "");
  }
  {
    ChaosOdds odds;
    odds.drop = 1;
    Server server(With(Scenario::Chaos(1, odds)));
    for (int i = 0; i < 50; ++i) {
      auto client = QuickClient(server);
      const auto result = PostStream(client, kChat, ChatBody("m1", "a long enough text", true));
      EXPECT_EQ(result.body.find("[DONE]"), std::string::npos) << i;
    }
    // The listing is not a generation request: it never draws.
    auto client = QuickClient(server);
    EXPECT_EQ(client.Get("/v1/models")->status, 200);
    const auto faults = ChatFaults(server);
    ASSERT_EQ(faults.size(), 50u);
    for (const std::string& fault : faults) EXPECT_EQ(fault, "chaos:stream-drop");
    EXPECT_EQ(server.journal().back().fault, "");
  }
}

TEST(ChaosTest, JsonRoundTripsWithTheSeed) {
  const Scenario chaos = ScenarioFromJson(json::parse(
      R"({"name":"chaos","seed":18446744073709551615,"drop":0.25,"status":0.5,"statuses":[429],"hold_ms":50,"delay_ms":20})"));
  EXPECT_EQ(chaos.seed, 18446744073709551615ULL);
  EXPECT_DOUBLE_EQ(chaos.chaos.drop, 0.25);
  EXPECT_DOUBLE_EQ(chaos.chaos.status, 0.5);
  EXPECT_EQ(chaos.chaos_statuses, std::vector<int>{429});
  EXPECT_EQ(chaos.hold, 50ms);
  EXPECT_EQ(chaos.delay, 20ms);
  EXPECT_EQ(ToJson(ScenarioFromJson(ToJson(chaos))), ToJson(chaos));
  // A seed built in C++ as a signed integer reads too.
  EXPECT_EQ(ScenarioFromJson(json{{"name", "chaos"}, {"seed", 42LL}}).seed, 42u);
}

}  // namespace
}  // namespace provkit::mock
