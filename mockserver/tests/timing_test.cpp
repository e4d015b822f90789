// Tests of the streaming pace: parsing StreamTiming, the latency sampler's draws, and generation
// slots.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "latency.hpp"
#include "provkit/mockserver/config.hpp"
#include "provkit/mockserver/script.hpp"
#include "stop_signal.hpp"
#include "test_support.hpp"

namespace provkit::mock {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::ChatBody;
using testing::ClientOf;

std::string PointerOfError(const std::string& text) {
  try {
    TimingFromJson(json::parse(text));
  } catch (const ConfigError& error) {
    return error.pointer();
  }
  ADD_FAILURE() << "expected ConfigError for " << text;
  return {};
}

std::string MessageOfError(const std::string& text) {
  try {
    TimingFromJson(json::parse(text));
  } catch (const ConfigError& error) {
    return error.what();
  }
  return {};
}

TEST(TimingTest, ReadsDistributionsSeedAndSlots) {
  const StreamTiming timing = TimingFromJson(json::parse(R"({"chunk_chars":4,
      "first_token":{"distribution":"lognormal","mean_ms":200,"spread_ms":50},
      "inter_token":{"distribution":"normal","mean_ms":20,"spread_ms":2.5},
      "seed":7,"slots":3})"));
  EXPECT_EQ(timing.chunk_chars, 4u);
  EXPECT_EQ(timing.first_token.distribution, Distribution::kLognormal);
  EXPECT_EQ(timing.first_chunk_delay, 200ms);
  EXPECT_EQ(timing.first_token.spread, 50ms);
  EXPECT_EQ(timing.inter_token.distribution, Distribution::kNormal);
  EXPECT_EQ(timing.chunk_interval, 20ms);
  EXPECT_EQ(timing.inter_token.spread, 2500us);
  EXPECT_EQ(timing.seed, 7u);
  EXPECT_EQ(timing.slots, 3u);
}

TEST(TimingTest, OldKeysAreFixedAndTokensPerSecondGivesTheInterTokenMean) {
  const StreamTiming old =
      TimingFromJson(json::parse(R"({"first_chunk_delay_ms":50,"chunk_interval_ms":2.5})"));
  EXPECT_EQ(old.first_token.distribution, Distribution::kFixed);
  EXPECT_EQ(old.inter_token.distribution, Distribution::kFixed);
  EXPECT_EQ(old.first_chunk_delay, 50ms);
  EXPECT_EQ(old.chunk_interval, 2500us);
  EXPECT_EQ(old.slots, 0u);

  const StreamTiming rate = TimingFromJson(json::parse(
      R"({"inter_token":{"distribution":"uniform","tokens_per_second":50,"spread_ms":5}})"));
  EXPECT_EQ(rate.chunk_interval, 20ms);
  EXPECT_EQ(rate.inter_token.distribution, Distribution::kUniform);
  EXPECT_EQ(rate.inter_token.spread, 5ms);
}

TEST(TimingTest, ErrorsNameTheKey) {
  EXPECT_EQ(PointerOfError(R"({"inter_token":{"distribution":"gaussian","mean_ms":20}})"),
            "/inter_token/distribution");
  EXPECT_NE(MessageOfError(R"({"inter_token":{"distribution":"gaussian"}})").find("gaussian"),
            std::string::npos);
  EXPECT_EQ(PointerOfError(R"({"first_token":{"distribution":"normal","mean_ms":-1}})"),
            "/first_token/mean_ms");
  EXPECT_EQ(PointerOfError(R"({"first_token":{"spread_ms":-1}})"), "/first_token/spread_ms");
  EXPECT_EQ(PointerOfError(R"({"inter_token":{"mean_ms":20,"stddev_ms":2}})"),
            "/inter_token/stddev_ms");
  EXPECT_EQ(PointerOfError(R"({"first_token":{"tokens_per_second":5}})"),
            "/first_token/tokens_per_second");
  EXPECT_EQ(PointerOfError(R"({"inter_token":{"mean_ms":20,"tokens_per_second":50}})"),
            "/inter_token/tokens_per_second");
  EXPECT_EQ(PointerOfError(R"({"inter_token":{"tokens_per_second":0}})"),
            "/inter_token/tokens_per_second");
  EXPECT_EQ(PointerOfError(R"({"chunk_interval_ms":10,"inter_token":{"mean_ms":20}})"),
            "/inter_token/mean_ms");
  EXPECT_EQ(PointerOfError(R"({"seed":-3})"), "/seed");
  EXPECT_EQ(PointerOfError(R"({"slots":-1})"), "/slots");
  EXPECT_EQ(PointerOfError(R"({"latency":{}})"), "/latency");
  EXPECT_EQ(PointerOfError(R"({"inter_token":5})"), "/inter_token");
}

TEST(TimingTest, ToJsonReadsBackTheSameTiming) {
  const StreamTiming timing = TimingFromJson(json::parse(R"({"chunk_chars":2,
      "first_token":{"distribution":"uniform","mean_ms":100,"spread_ms":10},
      "inter_token":{"distribution":"lognormal","mean_ms":20,"spread_ms":4},
      "seed":99,"slots":2})"));
  const StreamTiming again = TimingFromJson(ToJson(timing));
  EXPECT_EQ(again.chunk_chars, timing.chunk_chars);
  EXPECT_EQ(again.first_chunk_delay, timing.first_chunk_delay);
  EXPECT_EQ(again.first_token.distribution, timing.first_token.distribution);
  EXPECT_EQ(again.first_token.spread, timing.first_token.spread);
  EXPECT_EQ(again.chunk_interval, timing.chunk_interval);
  EXPECT_EQ(again.inter_token.distribution, timing.inter_token.distribution);
  EXPECT_EQ(again.inter_token.spread, timing.inter_token.spread);
  EXPECT_EQ(again.seed, timing.seed);
  EXPECT_EQ(again.slots, timing.slots);
}

StreamTiming NormalTiming(std::uint64_t seed) {
  StreamTiming timing;
  timing.first_chunk_delay = 200ms;
  timing.first_token = {Distribution::kLognormal, 50ms};
  timing.chunk_interval = 20ms;
  timing.inter_token = {Distribution::kNormal, 2ms};
  timing.seed = seed;
  return timing;
}

std::vector<long long> Draws(const StreamTiming& timing, std::uint64_t key, int count) {
  LatencySampler sampler(timing, key);
  std::vector<long long> draws{sampler.FirstToken().count()};
  for (int i = 1; i < count; ++i) draws.push_back(sampler.InterToken().count());
  return draws;
}

TEST(TimingTest, EqualSeedsAndKeysDrawEqualWaits) {
  EXPECT_EQ(Draws(NormalTiming(7), 3, 50), Draws(NormalTiming(7), 3, 50));
  EXPECT_NE(Draws(NormalTiming(7), 3, 50), Draws(NormalTiming(8), 3, 50));
  // Streams of one server (one seed) differ by their request's sequence number.
  EXPECT_NE(Draws(NormalTiming(7), 3, 50), Draws(NormalTiming(7), 4, 50));
}

struct Moments {
  double mean = 0;
  double stddev = 0;
  long long min = 0;
  long long max = 0;
};

Moments MomentsOf(const Spread& spread, std::chrono::microseconds mean, int count = 40000) {
  std::mt19937_64 engine(12345);
  double sum = 0;
  double squares = 0;
  Moments moments{0, 0, std::numeric_limits<long long>::max(), 0};
  for (int i = 0; i < count; ++i) {
    const long long drawn = Draw(spread, mean, engine).count();
    sum += static_cast<double>(drawn);
    squares += static_cast<double>(drawn) * static_cast<double>(drawn);
    moments.min = std::min(moments.min, drawn);
    moments.max = std::max(moments.max, drawn);
  }
  moments.mean = sum / count;
  moments.stddev = std::sqrt(squares / count - moments.mean * moments.mean);
  return moments;
}

TEST(TimingTest, DrawsHaveTheConfiguredMeanAndSpread) {
  const Moments fixed = MomentsOf({Distribution::kFixed, 5ms}, 20ms, 100);
  EXPECT_EQ(fixed.min, 20000);
  EXPECT_EQ(fixed.max, 20000);

  const Moments normal = MomentsOf({Distribution::kNormal, 2ms}, 20ms);
  EXPECT_NEAR(normal.mean, 20000, 100);
  EXPECT_NEAR(normal.stddev, 2000, 100);

  const Moments uniform = MomentsOf({Distribution::kUniform, 6ms}, 20ms);
  EXPECT_NEAR(uniform.mean, 20000, 150);
  EXPECT_NEAR(uniform.stddev, 6000 / std::sqrt(3.0), 150);
  EXPECT_GE(uniform.min, 14000);
  EXPECT_LE(uniform.max, 26000);

  const Moments lognormal = MomentsOf({Distribution::kLognormal, 50ms}, 200ms);
  EXPECT_NEAR(lognormal.mean, 200000, 2000);
  EXPECT_NEAR(lognormal.stddev, 50000, 2500);
  EXPECT_GT(lognormal.min, 0);
}

TEST(TimingTest, DrawsAreClampedAtZero) {
  const Moments wide = MomentsOf({Distribution::kNormal, 10ms}, 1ms, 5000);
  EXPECT_EQ(wide.min, 0);
  EXPECT_GT(wide.max, 1000);
}

/// Polls `done` for up to ten seconds.
bool Eventually(const std::function<bool()>& done) {
  for (int i = 0; i < 1000; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return done();
}

TEST(TimingTest, SlotGateQueuesBeyondItsLimitAndReleaseLetsOneIn) {
  StopSignal stop;
  SlotGate gate(stop);
  const auto stays = [] { return false; };
  ASSERT_TRUE(gate.Acquire(2, stays));
  ASSERT_TRUE(gate.Acquire(2, stays));
  std::atomic<bool> got{false};
  std::thread waiter([&] { got = gate.Acquire(2, stays); });
  ASSERT_TRUE(Eventually([&] { return gate.waiting() == 1; }));
  EXPECT_FALSE(got);
  EXPECT_EQ(gate.running(), 2u);
  gate.Release();
  waiter.join();
  EXPECT_TRUE(got);
  EXPECT_EQ(gate.running(), 2u);
  EXPECT_EQ(gate.waiting(), 0u);
  EXPECT_TRUE(gate.Acquire(0, stays)) << "0: no limit";
}

TEST(TimingTest, SlotGateWaitsEndWhenTheServerStopsOrTheClientLeaves) {
  StopSignal stop;
  SlotGate gate(stop);
  ASSERT_TRUE(gate.Acquire(1, [] { return false; }));
  std::atomic<bool> leave{false};
  std::atomic<int> refused{0};
  std::thread leaver([&] {
    if (!gate.Acquire(
            1, [&] { return leave.load(); }, 5ms))
      ++refused;
  });
  std::thread stopped([&] {
    if (!gate.Acquire(
            1, [] { return false; }, 24h / 1000))
      ++refused;
  });
  ASSERT_TRUE(Eventually([&] { return gate.waiting() == 2; }));
  leave = true;
  leaver.join();
  EXPECT_EQ(refused, 1);
  EXPECT_EQ(gate.waiting(), 1u);
  stop.RequestStop();
  stopped.join();
  EXPECT_EQ(refused, 2);
  EXPECT_EQ(gate.waiting(), 0u);
  EXPECT_EQ(gate.running(), 1u);
}

TEST(TimingTest, SlotsBoundTheGenerationsTheServerRunsAtOnce) {
  Server server;
  StreamTiming timing = testing::Timing(4, 60s);
  timing.slots = 1;
  server.SetTiming(timing);
  std::vector<std::thread> clients;
  for (int i = 0; i < 3; ++i) {
    clients.emplace_back([&server, i] {
      auto client = ClientOf(server, 30s);
      testing::PostStream(client, "/v1/chat/completions",
                          ChatBody("provkit-mock", "hi " + std::to_string(i), i % 2 == 0));
    });
  }
  ASSERT_TRUE(Eventually([&] {
    const ServerStats stats = server.stats();
    return stats.generations_running + stats.generations_waiting == 3;
  }));
  const ServerStats stats = server.stats();
  EXPECT_EQ(stats.generations_running, 1u);
  EXPECT_EQ(stats.generations_waiting, 2u);
  // Models are not generations: they are answered while every slot is taken.
  auto client = ClientOf(server);
  const auto models = client.Get("/v1/models");
  ASSERT_TRUE(models);
  EXPECT_EQ(models->status, 200);
  server.Stop();
  for (std::thread& thread : clients) thread.join();
  EXPECT_EQ(server.stats().generations_waiting, 0u);
}

}  // namespace
}  // namespace provkit::mock
