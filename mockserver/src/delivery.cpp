// Delivery: sends a plan on a cpp-httplib response, as a whole body, a trickle, a generated body, a
// paced event stream, or not at all (hang).
#include "delivery.hpp"

#include "latency.hpp"
#include "sockets.hpp"

namespace provkit::mock {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kStreamBatchBytes = 32 * 1024;

void SetBody(httplib::Response& response, const Body& body) {
  response.status = body.status;
  for (const auto& [name, value] : body.headers) response.set_header(name, value);
  if (body.content_type.empty()) {
    response.body = body.text;
  } else {
    response.set_content(body.text, body.content_type);
  }
}

int Hang(httplib::Response& response, Connection* connection, std::chrono::milliseconds hold,
         const StopSignal& stop) {
  stop.WaitFor(hold);
  if (connection != nullptr && connection->socket >= 0) {
    ShutdownSocket(connection->socket);
  } else {
    // The socket is unknown: end the connection right after the status line instead.
    response.status = 503;
    response.set_chunked_content_provider("application/json",
                                          [](std::size_t, httplib::DataSink&) { return false; });
  }
  return 0;
}

void CutHalf(httplib::Response& response, const Body& body) {
  auto text = std::make_shared<const std::string>(body.text);
  response.status = body.status;
  response.set_content_provider(text->size(), body.content_type,
                                [text](std::size_t offset, std::size_t, httplib::DataSink& sink) {
                                  const std::size_t half = text->size() / 2;
                                  if (offset < half)
                                    sink.write(text->data() + offset, half - offset);
                                  return false;
                                });
}

/// A generation slot, given back when the last holder lets go.
using SlotToken = std::shared_ptr<void>;

SlotToken HoldSlot(SlotGate* gate) {
  if (gate == nullptr) return nullptr;
  return {gate, [](SlotGate* held) { held->Release(); }};
}

/// True when the client closed its end of `connection` (a read would see the end of the stream).
bool ClientGone(const Connection* connection) {
  return connection != nullptr && connection->socket >= 0 && PeerGone(connection->socket);
}

void Trickle(httplib::Response& response, int status, std::string content_type, std::string text,
             const Plan::Trickle& pace, bool chunked, const StopSignal& stop, SlotToken slot) {
  struct State {
    std::string text;
    Clock::time_point deadline;
    std::chrono::milliseconds interval;
    std::size_t sent = 0;
    SlotToken slot;
  };
  auto state = std::make_shared<State>(
      State{std::move(text), Clock::now() + pace.hold, pace.interval, 0, std::move(slot)});
  response.status = status;
  if (content_type.empty()) content_type = "application/octet-stream";
  const auto step = [&stop, state](httplib::DataSink& sink) {
    if (state->sent > 0 && !stop.WaitFor(state->interval)) return false;
    if (Clock::now() > state->deadline) return false;
    if (state->sent >= state->text.size()) {
      sink.done();
      return true;
    }
    return sink.write(state->text.data() + state->sent++, 1);
  };
  if (chunked) {
    response.set_chunked_content_provider(
        content_type, [step](std::size_t, httplib::DataSink& sink) { return step(sink); });
  } else {
    const std::size_t size = state->text.size();
    response.set_content_provider(
        size, content_type,
        [step](std::size_t, std::size_t, httplib::DataSink& sink) { return step(sink); });
  }
}

void Generated(httplib::Response& response, std::shared_ptr<HugeBody> body,
               const std::string& content_type, const StopSignal& stop) {
  response.status = 200;
  response.set_chunked_content_provider(content_type,
                                        [&stop, body](std::size_t, httplib::DataSink& sink) {
                                          if (stop.stopping()) return false;
                                          std::string piece;
                                          if (!body->Next(piece)) {
                                            sink.done();
                                            return true;
                                          }
                                          return sink.write(piece.data(), piece.size());
                                        });
}

/// Waits until `since` + `wait` (at once when that has passed); false when the server stopped.
bool WaitFrom(const StopSignal& stop, Clock::time_point since, std::chrono::microseconds wait) {
  const auto left =
      std::chrono::duration_cast<std::chrono::microseconds>(since + wait - Clock::now());
  return stop.WaitFor(std::max(left, std::chrono::microseconds(0)));
}

void Stream(httplib::Response& response, std::shared_ptr<EventSource> source, StreamTiming timing,
            std::uint64_t stream_key, const StopSignal& stop, SlotToken slot, Metrics* metrics,
            Clock::time_point arrival) {
  struct State {
    State(std::shared_ptr<EventSource> events, StreamTiming pace, std::uint64_t stream_key,
          SlotToken token, Metrics* metrics, Clock::time_point arrival)
        : source(std::move(events)),
          timing(pace),
          sampler(pace, stream_key),
          slot(std::move(token)),
          last_sent(Clock::now()),
          probe(metrics, arrival) {}
    std::shared_ptr<EventSource> source;
    StreamTiming timing;
    LatencySampler sampler;
    SlotToken slot;
    bool started = false;
    Clock::time_point last_sent;
    std::string buffer;
    Metrics::StreamProbe probe;  ///< In flight until cpp-httplib drops the provider.
  };
  auto state = std::make_shared<State>(std::move(source), timing, stream_key, std::move(slot),
                                       metrics, arrival);
  response.status = 200;
  response.set_header("Cache-Control", "no-cache");
  response.set_chunked_content_provider(
      "text/event-stream", [&stop, state](std::size_t, httplib::DataSink& sink) {
        EventSource& events = *state->source;
        const std::optional<std::chrono::microseconds> own_delay = events.NextDelay();
        const bool paced = own_delay.has_value() || state->timing.chunk_interval.count() > 0;
        if (own_delay) {
          if (!stop.WaitFor(*own_delay)) return false;
        } else if (!state->started) {
          if (!stop.WaitFor(state->sampler.FirstToken())) return false;
        } else if (paced) {
          // Timed from the previous event's send, so the time spent writing is not added on.
          if (!WaitFrom(stop, state->last_sent, state->sampler.InterToken())) return false;
        }
        state->started = true;
        std::string& buffer = state->buffer;
        buffer.clear();
        EventSource::Step step;
        for (;;) {
          step = events.Next(buffer);
          if (step == EventSource::Step::kEnd || step == EventSource::Step::kDrop) break;
          if (paced && step == EventSource::Step::kEvent) break;
          if (buffer.size() >= kStreamBatchBytes) break;
        }
        state->last_sent = Clock::now();
        if (!buffer.empty()) {
          if (!sink.write(buffer.data(), buffer.size())) return false;
          state->probe.Wrote();
        }
        if (step == EventSource::Step::kDrop) return false;
        if (step == EventSource::Step::kEnd) {
          state->slot.reset();
          sink.done();
          return true;
        }
        return !stop.stopping();
      });
}

}  // namespace

int Deliver(Plan plan, httplib::Response& response, Connection* connection, const StopSignal& stop,
            const Generation& generation) {
  if (plan.kind == Plan::Kind::kHang) return Hang(response, connection, plan.hold, stop);
  const bool streamed = plan.kind == Plan::Kind::kStream && plan.stream != nullptr;
  const bool generates = (streamed && !plan.stream->NextDelay().has_value()) ||
                         (plan.kind == Plan::Kind::kBody && plan.pad_body != nullptr);
  SlotToken slot;
  if (generates && generation.slots != nullptr && generation.timing != nullptr &&
      generation.timing->slots > 0) {
    if (!generation.slots->Acquire(generation.timing->slots,
                                   [connection] { return ClientGone(connection); })) {
      if (connection != nullptr) ShutdownSocket(connection->socket);
      return 0;
    }
    slot = HoldSlot(generation.slots);
  }
  if (generates && !streamed && generation.timing != nullptr &&
      plan.delay == generation.timing->first_chunk_delay) {
    plan.delay = LatencySampler(*generation.timing, generation.sequence).FirstToken();
  }
  if (plan.delay.count() > 0 && !stop.WaitFor(plan.delay)) {
    if (connection != nullptr) ShutdownSocket(connection->socket);
    return 0;
  }
  switch (plan.kind) {
    case Plan::Kind::kStream:
      if (plan.trickle) {
        std::string text;
        for (;;) {
          const EventSource::Step step = plan.stream->Next(text);
          if (step == EventSource::Step::kEnd || step == EventSource::Step::kDrop) break;
        }
        Trickle(response, 200, "text/event-stream", std::move(text), *plan.trickle, true, stop,
                std::move(slot));
      } else {
        Stream(response, std::move(plan.stream), plan.timing, generation.sequence, stop,
               std::move(slot), generation.metrics, generation.arrival);
      }
      return 200;
    case Plan::Kind::kGenerated:
      Generated(response, std::move(plan.generated), plan.generated_type, stop);
      return 200;
    case Plan::Kind::kBody:
      if (plan.cut_half) {
        CutHalf(response, plan.body);
      } else if (plan.trickle) {
        Trickle(response, plan.body.status, plan.body.content_type, plan.body.text, *plan.trickle,
                false, stop, std::move(slot));
      } else {
        SetBody(response, plan.body);
      }
      return plan.body.status;
    case Plan::Kind::kHang:
      break;
  }
  return 0;
}

}  // namespace provkit::mock
