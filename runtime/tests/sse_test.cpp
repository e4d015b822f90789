// Tests SseParser against the WHATWG event-stream rules: line ends, fields, comments, BOM, size
// limit.
#include "provkit/runtime/sse.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace provkit {
namespace {

struct Seen {
  std::string event;
  std::string data;
  std::string id;
  bool operator==(const Seen&) const = default;
};

class Collector {
 public:
  explicit Collector(std::size_t max_event_bytes = SseParser::kDefaultMaxEventBytes)
      : parser_(
            [this](const SseEvent& event) {
              seen_.push_back(
                  {std::string(event.event), std::string(event.data), std::string(event.id)});
            },
            max_event_bytes) {}

  bool Feed(std::string_view bytes) { return parser_.Feed(bytes); }
  // Feeds `bytes` in pieces of `piece` bytes.
  bool FeedInPieces(std::string_view bytes, std::size_t piece) {
    bool ok = true;
    for (std::size_t at = 0; at < bytes.size(); at += piece)
      ok = parser_.Feed(bytes.substr(at, piece)) && ok;
    return ok;
  }
  std::vector<std::string> data() const {
    std::vector<std::string> out;
    for (const Seen& seen : seen_) out.push_back(seen.data);
    return out;
  }
  const std::vector<Seen>& seen() const { return seen_; }
  SseParser& parser() { return parser_; }

 private:
  std::vector<Seen> seen_;
  SseParser parser_;
};

using Strings = std::vector<std::string>;

TEST(SseParser, DispatchesOneEventPerBlankLine) {
  Collector collector;
  EXPECT_TRUE(collector.Feed("data: a\n\ndata: b\n\n"));
  EXPECT_EQ(collector.data(), (Strings{"a", "b"}));
  EXPECT_FALSE(collector.parser().HasPartialEvent());
}

TEST(SseParser, JoinsSeveralDataLinesWithNewline) {
  Collector collector;
  collector.Feed("data: first\ndata: second\ndata: third\n\n");
  EXPECT_EQ(collector.data(), (Strings{"first\nsecond\nthird"}));
}

TEST(SseParser, DataWithOrWithoutSpaceAfterColon) {
  Collector collector;
  collector.Feed("data:tight\n\ndata: spaced\n\ndata:  two spaces\n\n");
  EXPECT_EQ(collector.data(), (Strings{"tight", "spaced", " two spaces"}));
}

TEST(SseParser, AcceptsLfCrAndCrLfLineEnds) {
  Collector collector;
  collector.Feed("data: lf\n\ndata: cr\r\rdata: crlf\r\n\r\ndata: a\rdata: b\r\ndata: c\n\n");
  EXPECT_EQ(collector.data(), (Strings{"lf", "cr", "crlf", "a\nb\nc"}));
}

TEST(SseParser, CrAtEndOfOneFeedAndLfAtStartOfNextIsOneLineEnd) {
  Collector collector;
  collector.Feed("data: a\r");
  collector.Feed("\ndata: b\r");
  collector.Feed("\n");
  EXPECT_TRUE(collector.data().empty()) << "a split CRLF must not count as a blank line";
  collector.Feed("\r");
  EXPECT_EQ(collector.data(), (Strings{"a\nb"}));
  collector.Feed("\ndata: c\n\n");
  EXPECT_EQ(collector.data(), (Strings{"a\nb", "c"}));
}

TEST(SseParser, SplitAnywhereGivesTheSameEvents) {
  const std::string stream =
      "\xEF\xBB\xBF: comment\r\nevent: delta\r\ndata: {\"x\":1}\r\n\r\ndata: two\rdata: lines\r\r"
      "id: 42\ndata:[DONE]\n\n";
  Collector whole;
  whole.Feed(stream);
  ASSERT_EQ(whole.seen().size(), 3u);
  for (std::size_t piece = 1; piece <= stream.size(); ++piece) {
    Collector pieces;
    pieces.FeedInPieces(stream, piece);
    EXPECT_EQ(pieces.seen(), whole.seen()) << "piece size " << piece;
  }
}

TEST(SseParser, IgnoresCommentsAndUnknownFields) {
  Collector collector;
  collector.Feed(": keep-alive\n\n:\nretry: 100\nfoo: bar\ndata: x\n\n");
  EXPECT_EQ(collector.data(), (Strings{"x"}));
}

TEST(SseParser, EventTypeAppliesToOneEventAndIdPersists) {
  Collector collector;
  collector.Feed("event: error\nid: 7\ndata: boom\n\ndata: next\n\n");
  ASSERT_EQ(collector.seen().size(), 2u);
  EXPECT_EQ(collector.seen()[0], (Seen{"error", "boom", "7"}));
  EXPECT_EQ(collector.seen()[1], (Seen{"", "next", "7"}));
}

TEST(SseParser, EventWithoutDataIsNotDispatchedAndResetsType) {
  Collector collector;
  collector.Feed("event: ping\n\ndata: x\n\n");
  ASSERT_EQ(collector.seen().size(), 1u);
  EXPECT_EQ(collector.seen()[0].event, "");
}

TEST(SseParser, EmptyDataFieldDispatchesEmptyData) {
  Collector collector;
  collector.Feed("data\n\ndata:\n\n");
  EXPECT_EQ(collector.data(), (Strings{"", ""}));
}

TEST(SseParser, SkipsOneLeadingBomEvenWhenSplit) {
  Collector collector;
  collector.Feed("\xEF");
  collector.Feed("\xBB");
  collector.Feed(
      "\xBF"
      "data: x\n\n");
  EXPECT_EQ(collector.data(), (Strings{"x"}));
}

TEST(SseParser, BomPrefixThatIsNotABomIsKeptAsData) {
  Collector collector;
  collector.Feed("\xEF");
  collector.Feed(
      "\n"
      "data: y\n\n");
  EXPECT_EQ(collector.data(), (Strings{"y"}));
  Collector starts_with_data;
  starts_with_data.Feed("d");
  starts_with_data.Feed("ata: z\n\n");
  EXPECT_EQ(starts_with_data.data(), (Strings{"z"}));
}

TEST(SseParser, ReportsAPartialEventAtEndOfStream) {
  Collector collector;
  collector.Feed("data: x\n");
  EXPECT_TRUE(collector.parser().HasPartialEvent());
  EXPECT_TRUE(collector.data().empty());
  Collector unterminated;
  unterminated.Feed("data: x");
  EXPECT_TRUE(unterminated.parser().HasPartialEvent());
}

TEST(SseParser, EventOverTheLimitStopsTheParser) {
  Collector collector(16);
  EXPECT_TRUE(collector.Feed("data: small\n\n"));
  EXPECT_FALSE(collector.Feed("data: " + std::string(32, 'x') + "\n\n"));
  EXPECT_TRUE(collector.parser().overflowed());
  EXPECT_FALSE(collector.Feed("data: later\n\n"));
  EXPECT_EQ(collector.data(), (Strings{"small"}));
}

TEST(SseParser, LimitCountsDataLinesAcrossFeeds) {
  Collector collector(16);
  EXPECT_TRUE(collector.Feed("data: 0123456789\n"));
  EXPECT_FALSE(collector.Feed("data: 0123456789\n"));
  EXPECT_TRUE(collector.parser().overflowed());
  Collector unterminated(16);
  EXPECT_TRUE(unterminated.Feed("data: 01234"));
  EXPECT_FALSE(unterminated.Feed("56789abcdefghij"));
}

TEST(SseParser, HandlerExceptionPropagatesAndParserRecovers) {
  int calls = 0;
  SseParser parser([&](const SseEvent& event) {
    ++calls;
    if (event.data == "bad") throw std::runtime_error("handler failed");
  });
  EXPECT_THROW(parser.Feed("data: bad\n\n"), std::runtime_error);
  EXPECT_TRUE(parser.Feed("data: good\n\n"));
  EXPECT_EQ(calls, 2);
}

TEST(SseParser, CrOnlyStreamInOneLargeFeed) {
  std::string stream;
  for (int i = 0; i < 20000; ++i) stream += "data: " + std::to_string(i) + "\r\r";
  Collector collector;
  EXPECT_TRUE(collector.Feed(stream));
  ASSERT_EQ(collector.data().size(), 20000u);
  EXPECT_EQ(collector.data().back(), "19999");
}

}  // namespace
}  // namespace provkit
