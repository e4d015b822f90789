// Tests Session and the one-shot calls against GoogleMock providers: clauses S1-S4, S8-S11, R13.
#include "provkit/runtime/session.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "provkit/runtime/error.hpp"
#include "scripted_provider.hpp"

namespace provkit {
namespace {

using ::provkit::testing::MockProvider;
using ::provkit::testing::MockReadyProvider;
using ::provkit::testing::StreamAnswering;
using ::testing::_;
using ::testing::NiceMock;
using ::testing::Return;
using ::testing::StrictMock;
using ::testing::Throw;

Config TestConfig() {
  Config config;
  config.provider = "scripted";
  config.base_url = "http://127.0.0.1:9/v1";
  return config;
}

// A factory handing out one prepared mock and counting how often it was asked.
template <typename Mock>
struct OneMockFactory {
  std::unique_ptr<Mock> mock = std::make_unique<Mock>();
  Mock* raw = mock.get();
  int calls = 0;
  ProviderFactory factory() {
    return [this](const Config&) -> std::unique_ptr<Provider> {
      ++calls;
      return std::move(mock);
    };
  }
};

void ExpectClosedError(const std::function<void()>& call) {
  try {
    call();
    ADD_FAILURE() << "call on a closed session did not throw";
  } catch (const ConfigurationError& error) {
    EXPECT_STREQ(error.what(), "Session is closed");
    EXPECT_EQ(error.hint(), "Create a new Session for additional interactions.");
    EXPECT_EQ(error.kind(), ErrorKind::kSessionClosed);
  }
}

TEST(Session, S1CreatesOneInstanceAtConstructionAndUsesItForEveryCall) {
  RecordProperty("clause", "S1");
  OneMockFactory<NiceMock<MockReadyProvider>> made;
  EXPECT_CALL(*made.raw, Generate(_, _, _)).Times(3).WillRepeatedly(Return(Output{.text = "ok"}));
  EXPECT_CALL(*made.raw, Stream(_, _, _)).WillOnce([](auto&&...) {
    return StreamAnswering(Output{.text = "ok"});
  });
  EXPECT_CALL(*made.raw, CheckReady(_, _)).WillOnce(Return(ProviderReadiness{.ready = true}));
  Session session(TestConfig(), made.factory());
  EXPECT_EQ(made.calls, 1);
  session.Interact({}, {.text = "a"});
  session.Interact({}, {.text = "b"});
  session.Stream({}, {.text = "c"}).Collect();
  session.RunMany({}, {{.text = "d"}});
  session.CheckReady();
  EXPECT_EQ(made.calls, 1);
}

TEST(Session, S2ScopeExitClosesProviderOnce) {
  RecordProperty("clause", "S2");
  OneMockFactory<StrictMock<MockProvider>> made;
  EXPECT_CALL(*made.raw, Close()).Times(1);
  { Session session(TestConfig(), made.factory()); }
}

TEST(Session, S2CloseIsIdempotentAndDestructorDoesNotCloseAgain) {
  RecordProperty("clause", "S2");
  OneMockFactory<StrictMock<MockProvider>> made;
  EXPECT_CALL(*made.raw, Close()).Times(1);
  Session session(TestConfig(), made.factory());
  session.Close();
  session.Close();
  EXPECT_TRUE(session.closed());
}

TEST(Session, S2CloseErrorNeverEscapesDestructor) {
  RecordProperty("clause", "S2");
  OneMockFactory<StrictMock<MockProvider>> made;
  EXPECT_CALL(*made.raw, Close()).WillOnce(Throw(std::runtime_error("socket gone")));
  EXPECT_NO_THROW({ Session session(TestConfig(), made.factory()); });
}

TEST(Session, S2ExplicitCloseReportsErrorOnceThenIsClosed) {
  RecordProperty("clause", "S2");
  OneMockFactory<StrictMock<MockProvider>> made;
  EXPECT_CALL(*made.raw, Close()).WillOnce(Throw(std::runtime_error("socket gone")));
  Session session(TestConfig(), made.factory());
  EXPECT_THROW(session.Close(), std::runtime_error);
  EXPECT_NO_THROW(session.Close());
  EXPECT_TRUE(session.closed());
}

TEST(Session, S3ClosedSessionRejectsEveryCallAndProviderSeesNone) {
  RecordProperty("clause", "S3");
  OneMockFactory<StrictMock<MockReadyProvider>> made;
  EXPECT_CALL(*made.raw, Close()).Times(1);  // Generate, Stream, CheckReady: strict, never.
  Session session(TestConfig(), made.factory());
  session.Close();
  ExpectClosedError([&] { session.Interact({}, {.text = "x"}); });
  ExpectClosedError([&] { session.Stream({}, {.text = "x"}); });
  ExpectClosedError([&] { session.RunMany({}, {{.text = "x"}}); });
  ExpectClosedError([&] { session.RunMany({}, {}); });
  ExpectClosedError([&] { session.CheckReady(); });
  ExpectClosedError([&] { session.CheckReady(std::string("m")); });
}

TEST(Session, R13ProviderWithoutProbeIsReadyButUnverified) {
  RecordProperty("clause", "R13");
  OneMockFactory<NiceMock<MockProvider>> made;
  Config config = TestConfig();
  config.model = "m1";
  Session session(config, made.factory());
  const ProviderReadiness readiness = session.CheckReady();
  EXPECT_TRUE(readiness.ready);
  EXPECT_EQ(readiness.provider, "scripted");
  EXPECT_EQ(readiness.model_verified, false);
  EXPECT_EQ(readiness.message, "Provider has no explicit readiness probe.");
  EXPECT_EQ(readiness.status_code, std::nullopt);
}

TEST(Session, CheckReadyPassesConfiguredModelAndStopTokenToProbe) {
  OneMockFactory<NiceMock<MockReadyProvider>> made;
  Config config = TestConfig();
  config.model = "m1";
  std::stop_source stop;
  EXPECT_CALL(*made.raw, CheckReady(std::optional<std::string>("m1"), _))
      .WillOnce([&](const std::optional<std::string>&, std::stop_token token) {
        EXPECT_TRUE(token.stop_possible());
        return ProviderReadiness{.ready = false, .message = "Loading model"};
      });
  Session session(config, made.factory());
  EXPECT_EQ(session.CheckReady(stop.get_token()).message, "Loading model");
}

TEST(Session, InvalidConfigThrowsBeforeAnyProviderIsBuilt) {
  OneMockFactory<NiceMock<MockProvider>> made;
  Config config = TestConfig();
  config.base_url = "";
  EXPECT_THROW(Session(config, made.factory()), ConfigurationError);
  EXPECT_EQ(made.calls, 0);
}

TEST(Session, UnknownProviderNameIsAConfigurationErrorNamingTheField) {
  Config config = TestConfig();
  config.provider = "no-such-provider";
  try {
    Session session(config);
    ADD_FAILURE() << "expected ConfigurationError";
  } catch (const ConfigurationError& error) {
    EXPECT_EQ(error.field(), "provider");
    EXPECT_THAT(error.what(), ::testing::HasSubstr("no-such-provider"));
    EXPECT_THAT(error.hint(), ::testing::HasSubstr("local"));
  }
}

TEST(Session, S8DoneOfStreamCarriesTheProviderOutput) {
  RecordProperty("clause", "S8");
  OneMockFactory<NiceMock<MockProvider>> made;
  const Output answer{.text = "hi", .finish_reason = "stop", .response_id = "r1"};
  EXPECT_CALL(*made.raw, Stream(_, _, _)).WillOnce([&](auto&&...) {
    return StreamAnswering(answer);
  });
  Session session(TestConfig(), made.factory());
  std::vector<EventType> types;
  Output done;
  for (const StreamEvent& event : session.Stream({}, {.text = "x"})) {
    types.push_back(event.type);
    if (event.type == EventType::kDone) done = *event.output;
  }
  EXPECT_THAT(types,
              ::testing::ElementsAre(EventType::kStart, EventType::kTextDelta, EventType::kDone));
  EXPECT_TRUE(done.SameAnswer(answer));
}

TEST(Session, S9RunManyKeepsInputOrderAndBoundsConcurrency) {
  RecordProperty("clause", "S9");
  OneMockFactory<NiceMock<MockProvider>> made;
  std::atomic<int> in_flight{0};
  std::atomic<int> max_in_flight{0};
  EXPECT_CALL(*made.raw, Generate(_, _, _)).WillRepeatedly([&](auto&, const Input& input, auto&) {
    const int now = ++in_flight;
    int seen = max_in_flight.load();
    while (now > seen && !max_in_flight.compare_exchange_weak(seen, now)) {
    }
    // Later inputs finish first, so order must come from the index, not completion.
    std::this_thread::sleep_for(std::chrono::milliseconds(20 - std::stoi(input.text)));
    --in_flight;
    return Output{.text = input.text};
  });
  Session session(TestConfig(), made.factory());
  std::vector<Input> inputs;
  for (int i = 0; i < 16; ++i) inputs.push_back({.text = std::to_string(i)});
  const std::vector<Output> outputs = session.RunMany({}, inputs, {}, 4);
  ASSERT_EQ(outputs.size(), inputs.size());
  for (std::size_t i = 0; i < outputs.size(); ++i) EXPECT_EQ(outputs[i].text, inputs[i].text);
  EXPECT_LE(max_in_flight.load(), 4);
  EXPECT_GE(max_in_flight.load(), 2) << "turns never overlapped: RunMany ran sequentially";
}

TEST(Session, S9RunManyRethrowsFirstFailureInInputOrderAfterAllFinish) {
  RecordProperty("clause", "S9");
  OneMockFactory<NiceMock<MockProvider>> made;
  std::atomic<int> calls{0};
  EXPECT_CALL(*made.raw, Generate(_, _, _)).WillRepeatedly([&](auto&, const Input& input, auto&) {
    ++calls;
    if (input.text == "1" || input.text == "3") {
      throw APIError(ErrorKind::kHttpStatus, "scripted", Phase::kGenerate, "failed " + input.text);
    }
    return Output{.text = input.text};
  });
  Session session(TestConfig(), made.factory());
  std::vector<Input> inputs;
  for (int i = 0; i < 5; ++i) inputs.push_back({.text = std::to_string(i)});
  try {
    session.RunMany({}, inputs, {}, 2);
    ADD_FAILURE() << "expected the failure of input 1";
  } catch (const APIError& error) {
    EXPECT_STREQ(error.what(), "failed 1");
  }
  EXPECT_EQ(calls.load(), 5);
}

TEST(Session, RunManyRejectsZeroConcurrency) {
  OneMockFactory<NiceMock<MockProvider>> made;
  Session session(TestConfig(), made.factory());
  EXPECT_THROW(session.RunMany({}, {{.text = "x"}}, {}, 0), ConfigurationError);
}

TEST(Session, S10ConcurrentCallsFromManyThreadsAllComplete) {
  RecordProperty("clause", "S10");
  OneMockFactory<NiceMock<MockReadyProvider>> made;
  std::atomic<int> generated{0};
  EXPECT_CALL(*made.raw, Generate(_, _, _)).WillRepeatedly([&](auto&&...) {
    ++generated;
    return Output{.text = "ok"};
  });
  EXPECT_CALL(*made.raw, Stream(_, _, _)).WillRepeatedly([](auto&&...) {
    return StreamAnswering(Output{.text = "ok"});
  });
  EXPECT_CALL(*made.raw, CheckReady(_, _)).WillRepeatedly(Return(ProviderReadiness{.ready = true}));
  Session session(TestConfig(), made.factory());
  std::atomic<int> completed{0};
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < 50; ++i) {
          if (session.Interact({}, {.text = "x"}).text == "ok" &&
              session.Stream({}, {.text = "x"}).Collect().text == "ok" &&
              session.CheckReady().ready) {
            ++completed;
          }
        }
      });
    }
  }
  EXPECT_EQ(completed.load(), 400);
  EXPECT_EQ(generated.load(), 400);
}

TEST(Session, S11CloseEndsStreamInFlightWithError) {
  RecordProperty("clause", "S11");
  OneMockFactory<NiceMock<MockProvider>> made;
  EXPECT_CALL(*made.raw, Stream(_, _, _)).WillOnce([](auto&&...) {
    auto source = std::make_unique<QueueEventSource>();
    source->Push({.type = EventType::kStart});  // Then nothing: the server went quiet.
    return EventStream(std::move(source));
  });
  Session session(TestConfig(), made.factory());
  EventStream stream = session.Stream({}, {.text = "x"});
  ASSERT_EQ(stream.Next()->type, EventType::kStart);
  auto reader = std::async(std::launch::async, [&] {
    try {
      stream.Next();
      return std::string("no error");
    } catch (const APIError& error) {
      return std::string(ErrorKindId(error.kind()));
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // Let the reader block in Next().
  const auto closed_at = std::chrono::steady_clock::now();
  session.Close();
  ASSERT_EQ(reader.wait_for(std::chrono::seconds(5)), std::future_status::ready) << "stream hung";
  const auto latency = std::chrono::steady_clock::now() - closed_at;
  RecordProperty(
      "close_to_error_us",
      std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(latency).count()));
  EXPECT_EQ(reader.get(), "cancelled");
}

class OneShot : public ::testing::Test {
 protected:
  void SetUp() override {
    ProviderRegistry::Default().Register(
        "scripted", [this](const Config&) -> std::unique_ptr<Provider> {
          ++created_;
          auto mock = std::make_unique<NiceMock<MockReadyProvider>>();
          ON_CALL(*mock, Close()).WillByDefault([this] { ++closed_; });
          ON_CALL(*mock, Generate(_, _, _)).WillByDefault([this](auto&, const Input& input, auto&) {
            if (input.text == "fail") {
              throw APIError(ErrorKind::kHttpStatus, "scripted", Phase::kGenerate, "boom", {}, 500);
            }
            return Output{.text = "echo " + input.text};
          });
          ON_CALL(*mock, Stream(_, _, _)).WillByDefault([](auto&, const Input& input, auto&) {
            return StreamAnswering(Output{.text = "echo " + input.text});
          });
          ON_CALL(*mock, CheckReady(_, _)).WillByDefault(Return(ProviderReadiness{.ready = true}));
          return mock;
        });
  }
  void TearDown() override { ProviderRegistry::Default().Unregister("scripted"); }

  void ExpectOneInstanceClosedOnce() {
    EXPECT_EQ(created_.load(), 1) << "provider created " << created_ << " times (expected 1)";
    EXPECT_EQ(closed_.load(), 1) << "provider closed " << closed_ << " times (expected 1)";
  }

  std::atomic<int> created_{0};
  std::atomic<int> closed_{0};
};

TEST_F(OneShot, S4InteractIsASingleUseSession) {
  RecordProperty("clause", "S4");
  EXPECT_EQ(Interact(TestConfig(), {}, {.text = "hi"}).text, "echo hi");
  ExpectOneInstanceClosedOnce();
}

TEST_F(OneShot, S4InteractClosesOnFailure) {
  RecordProperty("clause", "S4");
  EXPECT_THROW(Interact(TestConfig(), {}, {.text = "fail"}), APIError);
  ExpectOneInstanceClosedOnce();
}

TEST_F(OneShot, S4StreamClosesWhenDone) {
  RecordProperty("clause", "S4");
  EventStream stream = Stream(TestConfig(), {}, {.text = "hi"});
  EXPECT_EQ(closed_.load(), 0) << "closed before the stream was read";
  EXPECT_EQ(stream.Collect().text, "echo hi");
  ExpectOneInstanceClosedOnce();
}

TEST_F(OneShot, S4StreamClosesWhenAbandoned) {
  RecordProperty("clause", "S4");
  {
    EventStream stream = Stream(TestConfig(), {}, {.text = "hi"});
    ASSERT_EQ(stream.Next()->type, EventType::kStart);
  }
  ExpectOneInstanceClosedOnce();
}

TEST_F(OneShot, S4RunManyAndCheckReadyAreSingleUseSessions) {
  RecordProperty("clause", "S4");
  const auto outputs = RunMany(TestConfig(), {}, {{.text = "a"}, {.text = "b"}});
  ASSERT_EQ(outputs.size(), 2u);
  EXPECT_EQ(outputs[1].text, "echo b");
  ExpectOneInstanceClosedOnce();
  created_ = closed_ = 0;
  EXPECT_TRUE(CheckReady(TestConfig()).ready);
  ExpectOneInstanceClosedOnce();
}

TEST_F(OneShot, S4OneShotMatchesSessionAnswer) {
  RecordProperty("clause", "S4");
  Output from_session;
  {
    Session session(TestConfig());
    from_session = session.Interact({}, {.text = "same"});
  }
  EXPECT_TRUE(Interact(TestConfig(), {}, {.text = "same"}).SameAnswer(from_session));
}

}  // namespace
}  // namespace provkit
