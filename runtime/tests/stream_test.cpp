// Tests EventStream and QueueEventSource: ordering, iteration, failure, cancellation.
#include "provkit/runtime/stream.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "provkit/runtime/error.hpp"

namespace provkit {
namespace {

TEST(QueueEventSource, DeliversEventsPushedFromAnotherThreadInOrder) {
  auto source = std::make_unique<QueueEventSource>();
  QueueEventSource* producer = source.get();
  EventStream stream(std::move(source));
  std::jthread thread([producer] {
    producer->Push({.type = EventType::kStart});
    for (int i = 0; i < 100; ++i)
      producer->Push({.type = EventType::kTextDelta, .delta = std::to_string(i)});
    producer->Push(
        {.type = EventType::kDone, .output = std::make_shared<Output>(Output{.text = "all"})});
    producer->Finish();
  });
  int deltas = 0;
  for (const StreamEvent& event : stream) {
    if (event.type == EventType::kTextDelta) {
      EXPECT_EQ(event.delta, std::to_string(deltas++));
    }
  }
  EXPECT_EQ(deltas, 100);
  EXPECT_TRUE(stream.finished());
}

TEST(QueueEventSource, FailureIsThrownAfterQueuedEventsAndNoDoneIsYielded) {
  auto source = std::make_unique<QueueEventSource>();
  source->Push({.type = EventType::kStart});
  source->Fail(std::make_exception_ptr(Error(ErrorKind::kStreamFailure, "dropped", "")));
  EventStream stream(std::move(source));
  EXPECT_EQ(stream.Next()->type, EventType::kStart);
  EXPECT_THROW(stream.Next(), Error);
  EXPECT_TRUE(stream.finished());
  EXPECT_FALSE(stream.Next().has_value());
}

TEST(QueueEventSource, CancelWakesABlockedConsumerAndRunsHookOnce) {
  int hook_calls = 0;
  auto source = std::make_unique<QueueEventSource>([&] { ++hook_calls; });
  QueueEventSource* raw = source.get();
  EventStream stream(std::move(source));
  auto reader = std::async(std::launch::async, [&] {
    try {
      stream.Next();
    } catch (const Error& error) {
      return error.kind();
    }
    return ErrorKind::kConfiguration;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
  raw->Cancel();
  raw->Cancel();
  ASSERT_EQ(reader.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_EQ(reader.get(), ErrorKind::kCancelled);
  EXPECT_EQ(hook_calls, 1);
  EXPECT_FALSE(raw->Push({.type = EventType::kTextDelta})) << "producer not told to stop";
}

TEST(EventStream, DestroyingUnfinishedStreamCancelsIt) {
  bool cancelled = false;
  {
    auto source = std::make_unique<QueueEventSource>([&] { cancelled = true; });
    source->Push({.type = EventType::kStart});
    EventStream stream(std::move(source));
    stream.Next();
  }
  EXPECT_TRUE(cancelled);
}

TEST(EventStream, CollectWithoutDoneIsAStreamFailure) {
  auto source = std::make_unique<QueueEventSource>();
  source->Push({.type = EventType::kStart});
  source->Finish();
  EventStream stream(std::move(source));
  try {
    stream.Collect();
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::kStreamFailure);
  }
}

TEST(EventStream, EventTypeNamesMatchTheIssueVocabulary) {
  EXPECT_EQ(EventTypeName(EventType::kToolCallDelta), "tool_call_delta");
  EXPECT_EQ(EventTypeName(EventType::kDone), "done");
}

}  // namespace
}  // namespace provkit
