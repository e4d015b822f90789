// Tests byte offset to line and column, and the file:line:column format.
#include "provkit/support/text_position.hpp"

#include <gtest/gtest.h>

namespace provkit::support {
namespace {

TEST(TextPosition, OffsetsToLinesAndColumns) {
  const std::string_view text = "ab\ncd\r\n\nxyz";
  EXPECT_EQ(PositionAt(text, 0), (TextPosition{1, 1}));
  EXPECT_EQ(PositionAt(text, 1), (TextPosition{1, 2}));
  EXPECT_EQ(PositionAt(text, 2), (TextPosition{1, 3}));  // the '\n' itself ends line 1
  EXPECT_EQ(PositionAt(text, 3), (TextPosition{2, 1}));
  EXPECT_EQ(PositionAt(text, 5), (TextPosition{2, 3}));  // '\r' is a byte of line 2
  EXPECT_EQ(PositionAt(text, 7), (TextPosition{3, 1}));
  EXPECT_EQ(PositionAt(text, 8), (TextPosition{4, 1}));
}

TEST(TextPosition, OffsetPastTheEndIsJustAfterTheLastByte) {
  EXPECT_EQ(PositionAt("ab\nc", 1000), (TextPosition{2, 2}));
  EXPECT_EQ(PositionAt("", 5), (TextPosition{1, 1}));
}

TEST(TextPosition, ColumnsCountBytes) {
  EXPECT_EQ(PositionAt("\xC3\xA9x", 2), (TextPosition{1, 3}));
}

TEST(TextPosition, Format) {
  EXPECT_EQ(FormatPosition("mock.json", {3, 14}), "mock.json:3:14");
  EXPECT_EQ(FormatPosition("", {1, 2}), "1:2");
}

}  // namespace
}  // namespace provkit::support
