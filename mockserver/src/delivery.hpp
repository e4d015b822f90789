// Delivery: sends a plan on a cpp-httplib response, as a whole body, a trickle, a generated body, a
// paced event stream, or not at all (hang).
#pragma once

#include <httplib.h>

#include "connection_pool.hpp"
#include "metrics.hpp"
#include "plan.hpp"
#include "stop_signal.hpp"

namespace provkit::mock {

/// Sends `plan` on `response` (for streams and generated bodies: sets the content provider that
/// cpp-httplib calls once the handler returns). Every wait ends at once when `stop` is set;
/// `stop` must outlive the response. `connection` (may be null) is closed when a plan ends
/// unanswered. Returns the status to journal: 0 when nothing will be answered. A paced event
/// stream reports to `metrics` (may be null; must outlive the response) from `arrival` on.
int Deliver(Plan plan, httplib::Response& response, Connection* connection, const StopSignal& stop,
            Metrics* metrics = nullptr, Metrics::Clock::time_point arrival = {});

}  // namespace provkit::mock
