// Reads a provkit::EventStream into a StreamOutcome: events, the done output or the failure.
#pragma once

#include <optional>

#include "provkit/conformance/provider_subject.hpp"
#include "provkit/conformance/subject.hpp"
#include "provkit/runtime/stream.hpp"

namespace provkit::conformance {

/// Opens a stream with `open` and reads it: to kDone, to a failure, or (with
/// `stop_after`) for that many events, then abandons it by destroying it.
template <typename Open>
StreamOutcome ReadStream(Open&& open, std::optional<int> stop_after,
                         const EventCallback& on_event) {
  StreamOutcome outcome;
  try {
    EventStream stream = open();
    int seen = 0;
    while (std::optional<StreamEvent> event = stream.Next()) {
      if (event->type == EventType::kDone) {
        if (event->output)
          outcome.done = *event->output;
        else
          outcome.done = Output{};
        continue;  // read on: a correct stream ends right after kDone
      }
      outcome.events.push_back(*event);
      if (on_event) on_event(*event);
      if (stop_after && ++seen >= *stop_after) {
        outcome.abandoned = true;
        break;  // destroying the stream abandons it (S6)
      }
    }
  } catch (...) {
    outcome.error = CurrentExceptionAsSubjectError();
  }
  return outcome;
}

}  // namespace provkit::conformance
