// Fuzzes the cloud dialects' decoders: OpenAI Responses and Anthropic Messages answers, and their
// named-event streams, whose assembled output must be what the events said.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "event_lines.hpp"
#include "fuzz_check.hpp"
#include "provkit/runtime/error.hpp"
#include "wire_dialect.hpp"

namespace {

using provkit::APIError;
using provkit::ErrorKind;
using provkit::EventType;
using provkit::Phase;
using provkit::StreamEvent;

constexpr const char* kProvider = "fuzz";

void CheckAnswer(const provkit::wire::Dialect& dialect, std::string_view body) {
  try {
    const provkit::Output output = dialect.decode(body, kProvider, Phase::kGenerate);
    for (const provkit::ToolCall& call : output.tool_calls) {
      if (!call.arguments.is_null())
        FUZZ_CHECK(!call.arguments_text.empty(), "parsed arguments come from arguments_text");
    }
  } catch (const APIError& error) {
    FUZZ_CHECK(error.kind() == ErrorKind::kMalformedResponse, "decode fails as malformed_response");
    FUZZ_CHECK(error.provider() == kProvider && error.phase() == Phase::kGenerate,
               "the error names the provider and phase");
  } catch (const std::exception& error) {
    std::fprintf(stderr, "decode threw %s\n", error.what());
    FUZZ_CHECK(false, "decode throws only APIError");
  }
}

struct Decoded {
  std::vector<StreamEvent> events;
  std::optional<std::string> error;
  provkit::Output output;
};

Decoded Decode(const provkit::wire::Dialect& dialect, const std::vector<Chunk>& chunks,
               bool accumulate_text) {
  const std::unique_ptr<provkit::wire::StreamDecoder> decoder =
      dialect.new_decoder(kProvider, accumulate_text);
  Decoded decoded;
  for (const Chunk& chunk : chunks) {
    const bool was_done = decoder->done();
    const std::size_t before = decoded.events.size();
    try {
      decoder->Decode(chunk.data, decoded.events, chunk.event);
    } catch (const APIError& error) {
      FUZZ_CHECK(error.kind() == ErrorKind::kStreamFailure && error.phase() == Phase::kStream,
                 "an event fails as stream_failure in the stream phase");
      FUZZ_CHECK(error.provider() == kProvider, "the error names the provider");
      FUZZ_CHECK(std::string_view(error.what()).size() < 4096, "the message is bounded");
      decoded.error = error.what();
      break;
    } catch (const std::exception& error) {
      std::fprintf(stderr, "Decode threw %s\n", error.what());
      FUZZ_CHECK(false, "Decode throws only APIError");
    }
    if (was_done) FUZZ_CHECK(decoded.events.size() == before, "nothing is decoded after the end");
  }
  if (!decoded.error) decoder->Finish(decoded.events);
  decoded.output = decoder->TakeOutput();
  return decoded;
}

bool SameEvents(const Decoded& a, const Decoded& b) {
  if (a.events.size() != b.events.size()) return false;
  for (std::size_t i = 0; i < a.events.size(); ++i) {
    const StreamEvent& x = a.events[i];
    const StreamEvent& y = b.events[i];
    if (x.type != y.type || x.delta != y.delta || x.tool_index != y.tool_index ||
        !(x.tool_call == y.tool_call) || !(x.usage == y.usage) ||
        x.finish_reason != y.finish_reason) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // The first byte picks the dialect; the rest is the body or the stream.
  const provkit::wire::Dialect& dialect =
      (data[0] & 1) != 0 ? provkit::wire::Messages() : provkit::wire::Responses();
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  CheckAnswer(dialect, text);

  const std::vector<Chunk> chunks = Chunks(text);
  const Decoded full = Decode(dialect, chunks, true);
  std::string text_deltas;
  std::string reasoning_deltas;
  std::size_t tool_calls = 0;
  for (const StreamEvent& event : full.events) {
    if (event.type == EventType::kTextDelta) {
      FUZZ_CHECK(!event.delta.empty(), "no empty text delta");
      text_deltas += event.delta;
    } else if (event.type == EventType::kReasoningDelta) {
      FUZZ_CHECK(!event.delta.empty(), "no empty reasoning delta");
      reasoning_deltas += event.delta;
    } else if (event.type == EventType::kToolCall) {
      ++tool_calls;
    } else if (event.type == EventType::kToolCallDelta) {
      FUZZ_CHECK(event.tool_index >= 0, "a tool call index is not negative");
    }
  }
  if (!full.error) {
    FUZZ_CHECK(full.output.text == text_deltas, "output text is the text deltas joined");
    FUZZ_CHECK(full.output.reasoning == reasoning_deltas, "reasoning is the deltas joined");
    FUZZ_CHECK(full.output.tool_calls.size() == tool_calls, "one output call per tool_call event");
  }
  const Decoded lean = Decode(dialect, chunks, false);
  FUZZ_CHECK(lean.error == full.error && SameEvents(lean, full),
             "accumulate_text changes no event");
  FUZZ_CHECK(lean.output.text.empty() && lean.output.reasoning.empty(),
             "events only keeps no text");
  return 0;
}
