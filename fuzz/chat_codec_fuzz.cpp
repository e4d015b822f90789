// Fuzzes the chat codec: chat.completion decoding, and chunk streams through ChunkDecoder, where
// the fast reader must agree with the nlohmann::json path and the output must match the events.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chat_codec.hpp"
#include "event_lines.hpp"
#include "fuzz_check.hpp"
#include "provkit/runtime/error.hpp"

namespace {

using provkit::APIError;
using provkit::ErrorKind;
using provkit::EventType;
using provkit::Phase;
using provkit::StreamEvent;

constexpr const char* kProvider = "fuzz";

void CheckCompletion(std::string_view body) {
  try {
    const provkit::Output output =
        provkit::chat::DecodeCompletion(body, kProvider, Phase::kGenerate);
    for (const provkit::ToolCall& call : output.tool_calls) {
      if (!call.arguments.is_null())
        FUZZ_CHECK(!call.arguments_text.empty(), "parsed arguments come from arguments_text");
    }
  } catch (const APIError& error) {
    FUZZ_CHECK(error.kind() == ErrorKind::kMalformedResponse, "decode fails as malformed_response");
    FUZZ_CHECK(error.provider() == kProvider && error.phase() == Phase::kGenerate,
               "the error names the provider and phase");
    FUZZ_CHECK(!error.hint().empty(), "the error carries a hint");
  } catch (const std::exception& error) {
    std::fprintf(stderr, "DecodeCompletion threw %s\n", error.what());
    FUZZ_CHECK(false, "DecodeCompletion throws only APIError");
  }
}

struct Decoded {
  std::vector<StreamEvent> events;
  std::optional<std::string> error;
  provkit::Output output;
  bool done = false;
  bool finished = false;
  bool produced = false;
};

Decoded Decode(const std::vector<Chunk>& chunks, bool accumulate_text, bool fast_path) {
  provkit::chat::ChunkDecoder decoder(kProvider, accumulate_text, fast_path);
  Decoded decoded;
  for (const Chunk& chunk : chunks) {
    const bool was_done = decoder.done();
    const std::size_t before = decoded.events.size();
    try {
      decoder.Decode(chunk.data, decoded.events, chunk.event);
    } catch (const APIError& error) {
      FUZZ_CHECK(error.kind() == ErrorKind::kStreamFailure && error.phase() == Phase::kStream,
                 "a chunk fails as stream_failure in the stream phase");
      FUZZ_CHECK(error.provider() == kProvider, "the error names the provider");
      decoded.error = error.what();
      break;
    } catch (const std::exception& error) {
      std::fprintf(stderr, "ChunkDecoder::Decode threw %s\n", error.what());
      FUZZ_CHECK(false, "ChunkDecoder::Decode throws only APIError");
    }
    if (was_done) FUZZ_CHECK(decoded.events.size() == before, "nothing is decoded after [DONE]");
  }
  if (!decoded.error) decoder.Finish(decoded.events);
  decoded.done = decoder.done();
  decoded.finished = decoder.finished();
  decoded.produced = decoder.produced();
  decoded.output = decoder.TakeOutput();
  return decoded;
}

bool SameEvent(const StreamEvent& a, const StreamEvent& b) {
  return a.type == b.type && a.delta == b.delta && a.tool_index == b.tool_index &&
         a.tool_call == b.tool_call && a.usage == b.usage && a.finish_reason == b.finish_reason;
}

bool SameEvents(const Decoded& a, const Decoded& b) {
  if (a.events.size() != b.events.size()) return false;
  for (std::size_t i = 0; i < a.events.size(); ++i) {
    if (!SameEvent(a.events[i], b.events[i])) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  CheckCompletion(text);

  const std::vector<Chunk> chunks = Chunks(text);
  const Decoded fast = Decode(chunks, true, true);
  const Decoded general = Decode(chunks, true, false);
  if (fast.error != general.error) {
    std::fprintf(stderr, "fast: %s\ngeneral: %s\n", fast.error.value_or("(none)").c_str(),
                 general.error.value_or("(none)").c_str());
  }
  FUZZ_CHECK(fast.error == general.error, "the fast reader fails exactly as the general path");
  FUZZ_CHECK(SameEvents(fast, general), "the fast reader gives the general path's events");
  FUZZ_CHECK(fast.output.SameAnswer(general.output), "the fast reader gives the same output");
  FUZZ_CHECK(fast.done == general.done && fast.finished == general.finished &&
                 fast.produced == general.produced,
             "the fast reader reaches the same state");

  // S8: the assembled output is what the events said.
  std::string text_deltas;
  std::string reasoning_deltas;
  std::string finish_reason;
  std::size_t tool_calls = 0;
  bool delta_seen = false;
  for (const StreamEvent& event : fast.events) {
    switch (event.type) {
      case EventType::kTextDelta:
        FUZZ_CHECK(!event.delta.empty(), "no empty text delta");
        text_deltas += event.delta;
        delta_seen = true;
        break;
      case EventType::kReasoningDelta:
        FUZZ_CHECK(!event.delta.empty(), "no empty reasoning delta");
        reasoning_deltas += event.delta;
        delta_seen = true;
        break;
      case EventType::kToolCallDelta:
        FUZZ_CHECK(event.tool_index >= 0, "a tool call index is not negative");
        delta_seen = true;
        break;
      case EventType::kToolCall:
        ++tool_calls;
        break;
      case EventType::kFinish:
        FUZZ_CHECK(!event.finish_reason.empty(), "a finish event has a reason");
        finish_reason = event.finish_reason;
        break;
      default:
        break;
    }
  }
  if (!fast.error) {
    FUZZ_CHECK(fast.output.text == text_deltas, "output text is the text deltas joined");
    FUZZ_CHECK(fast.output.reasoning == reasoning_deltas, "reasoning is the deltas joined");
    FUZZ_CHECK(fast.output.tool_calls.size() == tool_calls, "one output call per tool_call event");
    FUZZ_CHECK(fast.output.finish_reason == finish_reason, "finish_reason is the last finish");
    FUZZ_CHECK(fast.produced == delta_seen, "produced() exactly when a delta was emitted");
  }

  // Events only: the same events, no text kept.
  const Decoded lean = Decode(chunks, false, true);
  FUZZ_CHECK(lean.error == fast.error && SameEvents(lean, fast),
             "accumulate_text changes no event");
  FUZZ_CHECK(lean.output.text.empty() && lean.output.reasoning.empty(),
             "events only keeps no text");
  return 0;
}
