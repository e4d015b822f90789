// Delivery: sends a plan on a cpp-httplib response, as a whole body, a trickle, a generated body, a
// paced event stream, or not at all (hang).
#pragma once

#include <httplib.h>

#include <cstdint>

#include "connections.hpp"
#include "metrics.hpp"
#include "plan.hpp"
#include "stop_signal.hpp"

namespace provkit::mock {

class SlotGate;

/// What delivery knows of the request beyond its plan.
struct Generation {
  std::uint64_t sequence = 0;            ///< The request's journal sequence number: seeds draws.
  const StreamTiming* timing = nullptr;  ///< The server's timing (slots, non-streamed delays).
  SlotGate* slots = nullptr;             ///< Where generations take a slot; null: no limit.
  Metrics* metrics = nullptr;  ///< Where a paced stream reports; null: nowhere. Outlives it.
  Metrics::Clock::time_point arrival{};  ///< When the request arrived (time to first token).
};

/// Sends `plan` on `response` (for streams and generated bodies: sets the content provider that
/// cpp-httplib calls once the handler returns). Every wait ends at once when `stop` is set;
/// `stop` must outlive the response. `connection` (may be null) is closed when a plan ends
/// unanswered. A generation (a chat answer, not a replayed stream) first takes a slot of
/// `generation.slots` when the timing has slots, waiting while the client stays; its waits are
/// drawn from the timing's distributions; a paced event stream reports to `generation.metrics`
/// from `generation.arrival` on. Returns the status to journal: 0 when nothing will be answered.
int Deliver(Plan plan, httplib::Response& response, Connection* connection, const StopSignal& stop,
            const Generation& generation = {});

}  // namespace provkit::mock
