// Tests UTF-8 validation, repair, cut points and character prefixes (support/utf8.hpp).
#include "provkit/support/utf8.hpp"

#include <gtest/gtest.h>

#include <string>

namespace provkit::support {
namespace {

TEST(Utf8, SequenceLengthOfValidSequences) {
  EXPECT_EQ(Utf8SequenceLength("a"), 1u);
  EXPECT_EQ(Utf8SequenceLength("\xC3\xA9"), 2u);           // é
  EXPECT_EQ(Utf8SequenceLength("\xE2\x82\xAC rest"), 3u);  // €
  EXPECT_EQ(Utf8SequenceLength("\xF0\x9F\x98\x80"), 4u);   // U+1F600
  EXPECT_EQ(Utf8SequenceLength("\xF4\x8F\xBF\xBF"), 4u);   // U+10FFFF
}

TEST(Utf8, SequenceLengthRefusesInvalidSequences) {
  EXPECT_EQ(Utf8SequenceLength(""), 0u);
  EXPECT_EQ(Utf8SequenceLength("\x80"), 0u);              // stray continuation
  EXPECT_EQ(Utf8SequenceLength("\xC0\xAF"), 0u);          // overlong '/'
  EXPECT_EQ(Utf8SequenceLength("\xE0\x80\xAF"), 0u);      // overlong
  EXPECT_EQ(Utf8SequenceLength("\xED\xA0\x80"), 0u);      // UTF-16 surrogate
  EXPECT_EQ(Utf8SequenceLength("\xF4\x90\x80\x80"), 0u);  // above U+10FFFF
  EXPECT_EQ(Utf8SequenceLength("\xF5\x80\x80\x80"), 0u);
  EXPECT_EQ(Utf8SequenceLength("\xE2\x82"), 0u);  // truncated
  EXPECT_EQ(Utf8SequenceLength("\xE2\x41\xAC"), 0u);
  EXPECT_EQ(Utf8SequenceLength("\xFF"), 0u);
}

TEST(Utf8, IsValid) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain \xC3\xA9t\xC3\xA9 \xF0\x9F\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("ok \xFF"));
  EXPECT_FALSE(IsValidUtf8("\xC3"));
}

TEST(Utf8, RepairReplacesEachInvalidByte) {
  EXPECT_EQ(RepairUtf8("ok \xFF end"), "ok \xEF\xBF\xBD end");
  EXPECT_EQ(RepairUtf8("\xC3\xA9t\xC3\xA9"), "\xC3\xA9t\xC3\xA9");
  EXPECT_EQ(RepairUtf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(RepairUtf8(std::string("a\0b", 3)), std::string("a\0b", 3));  // NUL is valid UTF-8
  EXPECT_TRUE(IsValidUtf8(RepairUtf8("\x80\x81\xFE\xC3")));
}

TEST(Utf8, CutPointNeverSplitsACharacter) {
  const std::string text =
      "a\xE2\x82\xAC"
      "b";  // a € b
  EXPECT_EQ(Utf8CutPoint(text, 0), 0u);
  EXPECT_EQ(Utf8CutPoint(text, 1), 1u);
  EXPECT_EQ(Utf8CutPoint(text, 2), 1u);
  EXPECT_EQ(Utf8CutPoint(text, 3), 1u);
  EXPECT_EQ(Utf8CutPoint(text, 4), 4u);
  EXPECT_EQ(Utf8CutPoint(text, 99), text.size());
  // Stray continuation bytes are characters of their own: cutting between them is fine.
  EXPECT_EQ(Utf8CutPoint("a\x80\x80\x80\x80z", 3), 3u);
}

TEST(Utf8, PrefixBytesCountsCharacters) {
  EXPECT_EQ(Utf8PrefixBytes("h\xC3\xA9llo", 2), 3u);
  EXPECT_EQ(Utf8PrefixBytes("h\xC3\xA9llo", 0), 0u);
  EXPECT_EQ(Utf8PrefixBytes("ab", 10), 2u);
  EXPECT_EQ(Utf8PrefixBytes("\xF0\x9F\x98\x80x", 1), 4u);
}

}  // namespace
}  // namespace provkit::support
