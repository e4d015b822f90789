// Tests TextAssembler: the text comes back whole and in order, across the inline-to-blocks switch.
#include "text_assembler.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace provkit {
namespace {

std::string Pattern(std::size_t bytes, char first) {
  std::string text(bytes, ' ');
  for (std::size_t i = 0; i < bytes; ++i) text[i] = static_cast<char>(first + i % 26);
  return text;
}

TEST(TextAssembler, ShortTextStaysWhole) {
  TextAssembler text;
  text.Append("hello, ");
  text.Append("");
  text.Append("world");
  EXPECT_EQ(text.size(), 12u);
  EXPECT_EQ(text.Take(), "hello, world");
  EXPECT_EQ(text.size(), 0u);
  EXPECT_EQ(text.Take(), "");
}

TEST(TextAssembler, LongTextCrossesBlocksInOrder) {
  // Pieces of an odd size, so that they straddle the inline limit and every block boundary.
  const std::size_t piece_bytes = 4093;
  const std::size_t total = 3 * TextAssembler::kBlockBytes + TextAssembler::kInlineBytes + 17;
  std::string expected;
  TextAssembler text;
  for (char first = 'a'; expected.size() < total;
       first = first == 'z' ? 'a' : static_cast<char>(first + 1)) {
    const std::string piece = Pattern(std::min(piece_bytes, total - expected.size()), first);
    expected += piece;
    text.Append(piece);
  }
  EXPECT_EQ(text.size(), total);
  const std::string taken = text.Take();
  ASSERT_EQ(taken.size(), total);
  EXPECT_TRUE(taken == expected) << "the assembled text differs from the pieces appended";
}

TEST(TextAssembler, OnePieceLargerThanABlock) {
  const std::string big = Pattern(2 * TextAssembler::kBlockBytes + 5, 'a');
  TextAssembler text;
  text.Append("head:");
  text.Append(big);
  EXPECT_TRUE(text.Take() == "head:" + big);
}

TEST(TextAssembler, UsableAgainAfterTake) {
  TextAssembler text;
  text.Append(Pattern(TextAssembler::kInlineBytes + 1, 'a'));
  (void)text.Take();
  text.Append("again");
  EXPECT_EQ(text.Take(), "again");
}

}  // namespace
}  // namespace provkit
