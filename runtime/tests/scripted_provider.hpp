// GoogleMock providers shared by the Session tests: one without and one with a readiness probe.
#pragma once

#include <gmock/gmock.h>

#include "provkit/runtime/provider.hpp"

namespace provkit::testing {

class MockProvider : public Provider {
 public:
  MOCK_METHOD(Output, Generate, (const Environment&, const Input&, const Requirements&),
              (override));
  MOCK_METHOD(EventStream, Stream, (const Environment&, const Input&, const Requirements&),
              (override));
  MOCK_METHOD(void, Close, (), (override));
};

class MockReadyProvider : public MockProvider, public ReadinessProvider {
 public:
  MOCK_METHOD(ProviderReadiness, CheckReady, (const std::optional<std::string>&, std::stop_token),
              (override));
};

/// An EventStream that yields the given events, then ends.
inline EventStream StreamOf(std::vector<StreamEvent> events) {
  auto source = std::make_unique<QueueEventSource>();
  for (StreamEvent& event : events) source->Push(std::move(event));
  source->Finish();
  return EventStream(std::move(source));
}

/// start, one text delta, done carrying `output`.
inline EventStream StreamAnswering(const Output& output) {
  StreamEvent start{.type = EventType::kStart};
  StreamEvent delta{.type = EventType::kTextDelta, .delta = output.text};
  StreamEvent done{.type = EventType::kDone, .output = std::make_shared<Output>(output)};
  return StreamOf({start, delta, done});
}

}  // namespace provkit::testing
