// Tests JsonReader: it accepts exactly the JSON nlohmann::json accepts, and reads strings and
// integers the same way.
#include "json_reader.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace provkit {
namespace {

bool ReaderAccepts(std::string_view text) {
  JsonReader reader(text);
  return reader.Skip() && reader.AtEnd();
}

bool NlohmannAccepts(std::string_view text) {
  nlohmann::json out;
  return json_body::Parse(text, out);
}

TEST(JsonReader, AcceptsWhatNlohmannAccepts) {
  const std::vector<std::string> valid = {
      "null",
      "true",
      "false",
      "0",
      "-0",
      "12",
      "-3.5e+2",
      "1E5",
      "0.25",
      R"("")",
      R"("a\"b\\c\/\b\f\n\r\t")",
      R"("\u00e9\ud83d\ude00")",
      "\"\xC3\xA9\"",
      "[]",
      "{}",
      " [ 1 , [ ] , { } ] ",
      R"({"a":{"b":[null,true]}})",
      std::string(json_body::kMaxDepth, '[') + std::string(json_body::kMaxDepth, ']')};
  for (const std::string& text : valid) {
    EXPECT_TRUE(NlohmannAccepts(text)) << text;
    EXPECT_TRUE(ReaderAccepts(text)) << text;
  }
}

TEST(JsonReader, RejectsWhatNlohmannRejects) {
  const std::vector<std::string> invalid = {
      "",
      " ",
      "nul",
      "tru",
      "01",
      "-",
      "1.",
      ".5",
      "1e",
      "+1",
      "[1,]",
      "[,1]",
      "{\"a\":1,}",
      "{\"a\"}",
      "{a:1}",
      "[1 2]",
      "{\"a\":1 \"b\":2}",
      R"("\x")",
      R"("\u12")",
      R"("\ud800")",
      R"("\udc00")",
      R"("\ud800\u0041")",
      "\"tab\there\"",
      "\"\xFF\"",
      "\"\xC3\"",
      "\"\xED\xA0\x80\"",
      "\"unterminated",
      "[1]]",
      "{}x",
      "NaN",
      std::string(json_body::kMaxDepth + 1, '[') + std::string(json_body::kMaxDepth + 1, ']')};
  for (const std::string& text : invalid) {
    EXPECT_FALSE(NlohmannAccepts(text)) << text;
    EXPECT_FALSE(ReaderAccepts(text)) << text;
  }
}

TEST(JsonReader, ReadsStringsLikeNlohmann) {
  for (const std::string text :
       {R"("plain")", R"("a\"b\\c\/\b\f\n\r\t")", R"("\u00e9 \ud83d\ude00 \u0000")",
        "\"mixed \xE2\x82\xAC and \\u20ac\""}) {
    JsonReader reader(text);
    std::string value;
    ASSERT_TRUE(reader.ReadString(value)) << text;
    EXPECT_EQ(value, nlohmann::json::parse(text).get<std::string>()) << text;
    EXPECT_TRUE(reader.AtEnd());
  }
}

TEST(JsonReader, WalksObjectsAndArrays) {
  JsonReader reader(R"( {"a\u0062":[1,-20,3.5],"c":{"d":null},"e":"x"} )");
  ASSERT_TRUE(reader.EnterObject());
  std::string_view key;
  ASSERT_TRUE(reader.NextKey(key));
  EXPECT_EQ(key, "ab");
  ASSERT_TRUE(reader.EnterArray());
  long long number = 0;
  ASSERT_TRUE(reader.NextElement());
  ASSERT_TRUE(reader.ReadInteger(number));
  EXPECT_EQ(number, 1);
  ASSERT_TRUE(reader.NextElement());
  ASSERT_TRUE(reader.ReadInteger(number));
  EXPECT_EQ(number, -20);
  ASSERT_TRUE(reader.NextElement());
  EXPECT_FALSE(reader.ReadInteger(number));
  EXPECT_TRUE(reader.ok()) << "3.5 is valid JSON, just not an integer";
  EXPECT_FALSE(reader.NextElement());
  ASSERT_TRUE(reader.NextKey(key));
  EXPECT_EQ(key, "c");
  EXPECT_EQ(reader.Peek(), JsonReader::Kind::kObject);
  ASSERT_TRUE(reader.Skip());
  ASSERT_TRUE(reader.NextKey(key));
  EXPECT_EQ(key, "e");
  std::string text;
  ASSERT_TRUE(reader.ReadString(text));
  EXPECT_EQ(text, "x");
  EXPECT_FALSE(reader.NextKey(key));
  EXPECT_TRUE(reader.AtEnd());
}

TEST(JsonReader, IntegersOutsideEighteenDigitsAreLeftToTheGeneralPath) {
  long long value = 0;
  JsonReader fits("999999999999999999");
  EXPECT_TRUE(fits.ReadInteger(value));
  EXPECT_EQ(value, 999999999999999999LL);
  JsonReader negative("-999999999999999999");
  EXPECT_TRUE(negative.ReadInteger(value));
  EXPECT_EQ(value, -999999999999999999LL);
  JsonReader too_long("9223372036854775808");
  EXPECT_FALSE(too_long.ReadInteger(value));
  EXPECT_TRUE(too_long.ok());
}

TEST(JsonReader, AnErrorStopsEverything) {
  JsonReader reader(R"({"a":x})");
  ASSERT_TRUE(reader.EnterObject());
  std::string_view key;
  ASSERT_TRUE(reader.NextKey(key));
  EXPECT_FALSE(reader.Skip());
  EXPECT_FALSE(reader.ok());
  EXPECT_FALSE(reader.NextKey(key));
  EXPECT_FALSE(reader.AtEnd());
}

// Differential fuzzing: random mutations of realistic documents are accepted
// by the reader exactly when nlohmann::json (with the depth bound) accepts them.
TEST(JsonReader, MutationsAgreeWithNlohmann) {
  std::mt19937 random(99);
  const std::vector<std::string> seeds = {
      R"({"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"h\u00e9\n"},"finish_reason":null}]})",
      R"({"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":-7,"total_tokens":1.2e1}})",
      R"([true,false,null,"\ud83d\ude00",{"a":[[]]},-0.5E-3])"};
  const std::string alphabet = "{}[]\":,0123456789.-+eE truefalsnul\\/u\xC3\xA9\x80\xFF\t\n";
  int accepted = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string text = seeds[random() % seeds.size()];
    const int edits = static_cast<int>(random() % 4);
    for (int i = 0; i < edits && !text.empty(); ++i) {
      const std::size_t at = random() % text.size();
      switch (random() % 3) {
        case 0:
          text[at] = alphabet[random() % alphabet.size()];
          break;
        case 1:
          text.erase(at, 1 + random() % 3);
          break;
        default:
          text.insert(at, 1, alphabet[random() % alphabet.size()]);
          break;
      }
    }
    const bool expected = NlohmannAccepts(text);
    accepted += expected;
    ASSERT_EQ(ReaderAccepts(text), expected) << text;
  }
  EXPECT_GT(accepted, 1000) << "the corpus must exercise both answers";
}

}  // namespace
}  // namespace provkit
