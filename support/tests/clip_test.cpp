// Tests Clip and ClipPrintable: bounded, valid UTF-8, cut between characters, controls escaped.
#include "provkit/support/clip.hpp"

#include <gtest/gtest.h>

#include <string>

#include "provkit/support/utf8.hpp"

namespace provkit::support {
namespace {

TEST(Clip, TextThatFitsComesBackRepairedOnly) {
  EXPECT_EQ(Clip("short", 5), "short");
  EXPECT_EQ(Clip("", 0), "");
  EXPECT_EQ(Clip("ok \xFF", 100), "ok \xEF\xBF\xBD");
  EXPECT_EQ(Clip("line\nnext", 100), "line\nnext");
}

TEST(Clip, CutsBetweenCharactersAndMarksTheCut) {
  EXPECT_EQ(Clip("abcdef", 3), "abc...");
  EXPECT_EQ(Clip("\xC3\xA9\xC3\xA9", 3), "\xC3\xA9...");
  EXPECT_EQ(Clip("abcdef", 0), "...");
  // The bound applies to the repaired text: three bytes per replaced byte.
  EXPECT_EQ(Clip("\xFF\xFF", 4), "\xEF\xBF\xBD...");
}

TEST(Clip, CountRestNamesTheInputBytesLeftOut) {
  EXPECT_EQ(Clip("abcdefgh", 3, ClipMarker::kCountRest), "abc\xE2\x80\xA6 (5 more bytes)");
  EXPECT_EQ(Clip("abc", 3, ClipMarker::kCountRest), "abc");
}

TEST(Clip, HugeInputGivesABoundedResult) {
  const std::string huge(1 << 20, '\xFF');
  const std::string clipped = Clip(huge, 200);
  EXPECT_LE(clipped.size(), 203u);
  EXPECT_TRUE(IsValidUtf8(clipped));
}

TEST(ClipPrintable, EscapesControlCharacters) {
  EXPECT_EQ(ClipPrintable("a\nb\r\tc", 100), "a\\nb\\r\\tc");
  EXPECT_EQ(ClipPrintable("\x1b[31mred\x1b[0m", 100), "\\x1b[31mred\\x1b[0m");
  EXPECT_EQ(ClipPrintable(std::string("nul\0", 4), 100), "nul\\x00");
  EXPECT_EQ(ClipPrintable("del\x7f", 100), "del\\x7f");
  EXPECT_EQ(ClipPrintable("c1 \xC2\x9B", 100), "c1 \\u009b");          // 8-bit CSI
  EXPECT_EQ(ClipPrintable("bidi \xE2\x80\xAE", 100), "bidi \\u202e");  // RIGHT-TO-LEFT OVERRIDE
  EXPECT_EQ(ClipPrintable("sep \xE2\x80\xA8", 100), "sep \\u2028");    // LINE SEPARATOR
  EXPECT_EQ(ClipPrintable("bad \xFF", 100), "bad \\xff");              // invalid byte
  EXPECT_EQ(ClipPrintable("\xC3\xA9 \\ \"q\"", 100), "\xC3\xA9 \\ \"q\"");  // kept as is
}

TEST(ClipPrintable, BoundCountsTheEscapedText) {
  EXPECT_EQ(ClipPrintable("\n\n\n", 4), "\\n\\n...");
  EXPECT_EQ(ClipPrintable("ab\x1b", 4), "ab...");  // "\x1b" would not fit whole
  const std::string huge(1 << 20, '\x01');
  const std::string clipped = ClipPrintable(huge, 100);
  EXPECT_LE(clipped.size(), 103u);
  EXPECT_EQ(clipped.find('\x01'), std::string::npos);
}

}  // namespace
}  // namespace provkit::support
