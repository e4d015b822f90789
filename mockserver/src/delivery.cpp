// Delivery: sends a plan on a cpp-httplib response, as a whole body, a trickle, a generated body, a
// paced event stream, or not at all (hang).
#include "delivery.hpp"

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

void Trickle(httplib::Response& response, int status, std::string content_type, std::string text,
             const Plan::Trickle& pace, bool chunked, const StopSignal& stop) {
  struct State {
    std::string text;
    Clock::time_point deadline;
    std::chrono::milliseconds interval;
    std::size_t sent = 0;
  };
  auto state =
      std::make_shared<State>(State{std::move(text), Clock::now() + pace.hold, pace.interval});
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

void Stream(httplib::Response& response, std::shared_ptr<EventSource> source, StreamTiming timing,
            const StopSignal& stop, Metrics* metrics, Clock::time_point arrival) {
  struct State {
    State(std::shared_ptr<EventSource> events, StreamTiming pace, Metrics* metrics,
          Clock::time_point arrival)
        : source(std::move(events)), timing(pace), probe(metrics, arrival) {}
    std::shared_ptr<EventSource> source;
    StreamTiming timing;
    bool started = false;
    std::string buffer;
    Metrics::StreamProbe probe;  ///< In flight until cpp-httplib drops the provider.
  };
  auto state = std::make_shared<State>(std::move(source), timing, metrics, arrival);
  response.status = 200;
  response.set_header("Cache-Control", "no-cache");
  response.set_chunked_content_provider(
      "text/event-stream", [&stop, state](std::size_t, httplib::DataSink& sink) {
        EventSource& events = *state->source;
        const std::optional<std::chrono::microseconds> own_delay = events.NextDelay();
        if (own_delay) {
          if (!stop.WaitFor(*own_delay)) return false;
        } else if (!state->started) {
          if (!stop.WaitFor(state->timing.first_chunk_delay)) return false;
        }
        state->started = true;
        const bool paced = own_delay.has_value() || state->timing.chunk_interval.count() > 0;
        std::string& buffer = state->buffer;
        buffer.clear();
        EventSource::Step step;
        for (;;) {
          step = events.Next(buffer);
          if (step == EventSource::Step::kEnd || step == EventSource::Step::kDrop) break;
          if (paced && step == EventSource::Step::kEvent) break;
          if (buffer.size() >= kStreamBatchBytes) break;
        }
        if (!buffer.empty()) {
          if (!sink.write(buffer.data(), buffer.size())) return false;
          state->probe.Wrote();
        }
        if (step == EventSource::Step::kDrop) return false;
        if (step == EventSource::Step::kEnd) {
          sink.done();
          return true;
        }
        if (!own_delay && paced) return stop.WaitFor(state->timing.chunk_interval);
        return !stop.stopping();
      });
}

}  // namespace

int Deliver(Plan plan, httplib::Response& response, Connection* connection, const StopSignal& stop,
            Metrics* metrics, Metrics::Clock::time_point arrival) {
  if (plan.kind == Plan::Kind::kHang) return Hang(response, connection, plan.hold, stop);
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
        Trickle(response, 200, "text/event-stream", std::move(text), *plan.trickle, true, stop);
      } else {
        Stream(response, std::move(plan.stream), plan.timing, stop, metrics, arrival);
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
                false, stop);
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
