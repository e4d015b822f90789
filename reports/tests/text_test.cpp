// Tests of the renderers' text helpers: UTF-8 repair, one-line, excerpts and escaping.
#include "text.hpp"

#include <gtest/gtest.h>

namespace provkit::reports::text {
namespace {

TEST(TextTest, ValidUtf8KeepsValidTextAndReplacesInvalidBytes) {
  EXPECT_EQ(ValidUtf8("caf\xC3\xA9 \xE2\x9C\x85"), "caf\xC3\xA9 \xE2\x9C\x85");
  EXPECT_EQ(ValidUtf8("a\xFF"
                      "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(ValidUtf8("\xC3"), "\xEF\xBF\xBD");  // truncated sequence
  EXPECT_EQ(ValidUtf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // UTF-16 surrogate
  EXPECT_EQ(ValidUtf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");                  // overlong '/'
}

TEST(TextTest, OneLineFlattensControlCharactersAndTrims) {
  EXPECT_EQ(OneLine("  first\r\nsecond\t\tthird\x01 "), "first second third");
  EXPECT_EQ(OneLine(""), "");
}

TEST(TextTest, ExcerptCutsOnACharacterBoundaryAndSaysHowMuchIsLeft) {
  EXPECT_EQ(Excerpt("short", 10), "short");
  // "é" is two bytes: a cut after 2 bytes would split it, so it is cut before.
  EXPECT_EQ(Excerpt("a\xC3\xA9xyz", 2), "a\xE2\x80\xA6 (5 more bytes)");
}

TEST(TextTest, EscapeMarkupNeutralisesMarkupAndCharactersXmlForbids) {
  EXPECT_EQ(EscapeMarkup("<script>alert(\"x\")</script> & 'q'"),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;");
  EXPECT_EQ(EscapeMarkup("a\x01"
                         "b\x7F"
                         "c"),
            "a\xEF\xBF\xBD"
            "b\xEF\xBF\xBD"
            "c");
  EXPECT_EQ(EscapeMarkup("tab\tline\n"), "tab\tline\n");
  EXPECT_EQ(EscapeMarkup("cr\r"), "cr&#13;");
  EXPECT_EQ(EscapeMarkup("\xEF\xBF\xBF"), "\xEF\xBF\xBD");  // U+FFFF is not an XML character
  EXPECT_EQ(EscapeMarkup("bad\xFF"), "bad\xEF\xBF\xBD");
}

TEST(TextTest, EscapeMarkdownRendersHostileTextLiterally) {
  EXPECT_EQ(EscapeMarkdown("a | b `c` *d* _e_ [f](g) <h> & \\ ~i~ $j$"),
            "a \\| b \\`c\\` \\*d\\* \\_e\\_ \\[f\\](g) &lt;h&gt; &amp; \\\\ \\~i\\~ \\$j\\$");
  EXPECT_EQ(EscapeMarkdown("two\nlines"), "two lines");
}

TEST(TextTest, FormatMsPicksAReadableUnit) {
  EXPECT_EQ(FormatMs(0), "0 ms");
  EXPECT_EQ(FormatMs(0.44), "0.4 ms");
  EXPECT_EQ(FormatMs(12.6), "13 ms");
  EXPECT_EQ(FormatMs(5012), "5.01 s");
  EXPECT_EQ(FormatNumber(2.50, 2), "2.5");
}

TEST(TextTest, OnlyHttpAndRelativeBaseUrlsAreLinkable) {
  EXPECT_TRUE(IsLinkableBaseUrl("https://ci.example/runs/7/report.html"));
  EXPECT_TRUE(IsLinkableBaseUrl("HTTP://ci.example"));
  EXPECT_TRUE(IsLinkableBaseUrl("report.html"));
  EXPECT_TRUE(IsLinkableBaseUrl("../artifacts/report.html?x=1:2"));
  EXPECT_FALSE(IsLinkableBaseUrl(""));
  EXPECT_FALSE(IsLinkableBaseUrl("javascript:alert(1)"));
  EXPECT_FALSE(IsLinkableBaseUrl("JavaScript:alert(1)"));
  EXPECT_FALSE(IsLinkableBaseUrl("data:text/html,<b>"));
  EXPECT_FALSE(IsLinkableBaseUrl("ftp://x.example/r"));
  EXPECT_FALSE(IsLinkableBaseUrl("https://"));
  EXPECT_FALSE(IsLinkableBaseUrl("//evil.example/r.html"));
  EXPECT_FALSE(IsLinkableBaseUrl("https://x.example/r.html#matrix"));
  EXPECT_FALSE(IsLinkableBaseUrl("https://x.example/a b"));
  EXPECT_FALSE(IsLinkableBaseUrl("https://x.example/\nb"));
}

TEST(TextTest, EncodeUrlLeavesNothingThatEndsALinkOrACell) {
  EXPECT_EQ(EncodeUrl("https://x.example/a-b_c.d~e?f=1&g=%20#h"),
            "https://x.example/a-b_c.d~e?f=1&g=%20#h");
  EXPECT_EQ(EncodeUrl("a b)(][|<>\"'`\\*"), "a%20b%29%28%5D%5B%7C%3C%3E%22%27%60%5C%2A");
  EXPECT_EQ(EncodeUrl("caf\xC3\xA9"), "caf%C3%A9");
}

}  // namespace
}  // namespace provkit::reports::text
