// Fuzzes SseParser: any byte stream, fed whole, byte by byte and in random splits, gives the same
// events; dispatched fields are well-formed; the event size limit holds.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "provkit/runtime/sse.hpp"

namespace {

struct Event {
  std::string event;
  std::string data;
  std::string id;
  bool operator==(const Event&) const = default;
};

struct Parse {
  std::vector<Event> events;
  bool accepted = true;  // Every Feed returned true.
  bool partial = false;
  bool overflowed = false;
  bool operator==(const Parse&) const = default;
};

// Split sizes come from a hash of the input, so a crash reproduces from the input alone.
std::uint64_t Hash(std::string_view bytes) {
  std::uint64_t hash = 1469598103934665603u;
  for (const char c : bytes) hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211u;
  return hash;
}

Parse Run(std::string_view stream, std::size_t max_event_bytes,
          const std::vector<std::size_t>& pieces) {
  Parse parse;
  provkit::SseParser parser(
      [&parse](const provkit::SseEvent& event) {
        parse.events.push_back(
            {std::string(event.event), std::string(event.data), std::string(event.id)});
      },
      max_event_bytes);
  std::size_t at = 0;
  for (const std::size_t piece : pieces) {
    const bool accepted = parser.Feed(stream.substr(at, piece));
    FUZZ_CHECK(accepted == !parser.overflowed(), "Feed returns false exactly once overflowed");
    parse.accepted = parse.accepted && accepted;
    at += piece;
  }
  parse.partial = parser.HasPartialEvent();
  parse.overflowed = parser.overflowed();
  if (parse.overflowed) {
    const std::size_t before = parse.events.size();
    FUZZ_CHECK(!parser.Feed("data: more\n\n"), "input after an overflow is refused");
    FUZZ_CHECK(parse.events.size() == before, "no event after an overflow");
  }
  return parse;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view stream(reinterpret_cast<const char*>(data), size);

  const Parse whole = Run(stream, provkit::SseParser::kDefaultMaxEventBytes, {size});
  for (const Event& event : whole.events) {
    FUZZ_CHECK(event.data.find('\r') == std::string::npos, "data holds no CR (a line end)");
    FUZZ_CHECK(event.event.find_first_of("\r\n") == std::string::npos, "event is one line");
    FUZZ_CHECK(event.id.find_first_of(std::string_view("\r\n\0", 3)) == std::string::npos,
               "id is one line without NUL");
  }
  // Inputs are far below the default limit: nothing may overflow.
  FUZZ_CHECK(whole.accepted && !whole.overflowed, "a small stream never overflows");

  std::vector<std::size_t> bytes(size, 1);
  FUZZ_CHECK(Run(stream, provkit::SseParser::kDefaultMaxEventBytes, bytes) == whole,
             "byte-by-byte feeding gives the events of one feed");

  std::vector<std::size_t> pieces;
  std::uint64_t state = Hash(stream) | 1;
  for (std::size_t left = size; left > 0;) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    const std::size_t piece = std::min<std::size_t>(left, state % 9);  // 0-8: empty feeds too
    pieces.push_back(piece);
    left -= piece;
  }
  FUZZ_CHECK(Run(stream, provkit::SseParser::kDefaultMaxEventBytes, pieces) == whole,
             "random splits give the events of one feed");

  // A tiny limit: the same verdict and events however the stream is split, no dispatched data
  // over the limit, and before an overflow exactly the events of the unlimited parser (data is
  // never cut, only refused).
  constexpr std::size_t kTinyLimit = 64;
  const Parse tiny = Run(stream, kTinyLimit, {size});
  FUZZ_CHECK(Run(stream, kTinyLimit, bytes) == tiny, "byte-by-byte feeding overflows alike");
  FUZZ_CHECK(Run(stream, kTinyLimit, pieces) == tiny, "random splits overflow alike");
  FUZZ_CHECK(tiny.events.size() <= whole.events.size(), "a limit never adds events");
  for (std::size_t i = 0; i < tiny.events.size(); ++i) {
    FUZZ_CHECK(tiny.events[i].data.size() <= kTinyLimit, "dispatched data fits the limit");
    FUZZ_CHECK(tiny.events[i].data == whole.events[i].data, "data before an overflow is exact");
  }
  if (!tiny.overflowed) {
    FUZZ_CHECK(tiny.events.size() == whole.events.size(), "without overflow every event comes");
  }
  return 0;
}
