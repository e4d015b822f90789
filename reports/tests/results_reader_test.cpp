// Tests of the strict results reader: bad input is a clear error naming the file, never a crash.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "golden.hpp"
#include "provkit/reports/results.hpp"

namespace provkit::reports {
namespace {

using testing::DataPath;
using ::testing::HasSubstr;
using testing::ScratchDir;
using testing::Slurp;

// A valid results document as JSON, for tests to break one field at a time.
nlohmann::json ValidDocument() {
  return nlohmann::json::parse(Slurp(DataPath("server.results.json")));
}

// The error message of reading `document`, or a failure if it reads.
std::string TextErrorOf(const std::string& text) {
  Outcome<Results> read = ParseResults(text, "bad.json");
  if (read) {
    ADD_FAILURE() << "expected an error for:\n" << text.substr(0, 400);
    return "";
  }
  EXPECT_EQ(read.error().file, "bad.json");
  return read.error().ToString();
}

std::string ErrorOf(const nlohmann::json& document) { return TextErrorOf(document.dump(2)); }

TEST(ResultsReaderTest, ReadsEveryFixture) {
  for (const char* name :
       {"cpp.results.json", "adapter.results.json", "server.results.json", "cpp-old.results.json",
        "shard-0.results.json", "shard-1.results.json"}) {
    const Outcome<Results> read = ReadResultsFile(DataPath(name));
    EXPECT_TRUE(read) << read.error().ToString();
  }
}

TEST(ResultsReaderTest, TheExampleInTheSchemaDocReads) {
  const std::string doc = Slurp(DataPath("../../../docs/results-schema.md"));
  const std::size_t start = doc.find("```json\n");
  ASSERT_NE(start, std::string::npos) << "no JSON example in docs/results-schema.md";
  const std::size_t end = doc.find("```", start + 8);
  const Outcome<Results> read =
      ParseResults(doc.substr(start + 8, end - start - 8), "docs/results-schema.md");
  ASSERT_TRUE(read) << read.error().ToString();
  EXPECT_EQ(read->clauses.size(), 4u);
  EXPECT_EQ(read->shard, (Shard{0, 2}));
}

TEST(ResultsReaderTest, MalformedJsonNamesLineAndColumn) {
  const Outcome<Results> read =
      ParseResults("{\n  \"schema\": \"provkit-results\",\n  oops: 1\n}\n", "bad.json");
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().line, 3);
  EXPECT_EQ(read.error().column, 3);
  EXPECT_THAT(read.error().ToString(), ::testing::StartsWith("bad.json:3:3: malformed JSON: "));
}

TEST(ResultsReaderTest, EmptyAndTruncatedInputAreErrorsAtEveryLength) {
  EXPECT_THAT(TextErrorOf(""), HasSubstr("malformed JSON"));
  const std::string good = Slurp(DataPath("cpp.results.json"));
  for (std::size_t length = 0; length + 2 < good.size(); length += 97) {
    EXPECT_FALSE(ParseResults(good.substr(0, length), "cut.json"))
        << "prefix of " << length << " bytes was accepted";
  }
}

TEST(ResultsReaderTest, TopLevelMustBeAProvkitResultsObject) {
  EXPECT_THAT(TextErrorOf("[1, 2]"),
              HasSubstr("expected a JSON object at the top level, found an array"));
  EXPECT_THAT(TextErrorOf("{}"), HasSubstr("not a provkit results file"));
  nlohmann::json document = ValidDocument();
  document["schema"] = "junit";
  EXPECT_THAT(ErrorOf(document), HasSubstr("schema is \"junit\", expected \"provkit-results\""));
}

TEST(ResultsReaderTest, UnknownSchemaVersionIsNamed) {
  nlohmann::json document = ValidDocument();
  document["schema_version"] = 3;
  EXPECT_THAT(ErrorOf(document),
              HasSubstr("unknown schema version 3 (this provkit reads versions 1 to 2)"));
  document["schema_version"] = 0;
  EXPECT_THAT(ErrorOf(document), HasSubstr("unknown schema version 0"));
  document["schema_version"] = 18446744073709551615u;
  EXPECT_THAT(ErrorOf(document), HasSubstr("unknown schema version 18446744073709551615"));
  document["schema_version"] = "1";
  EXPECT_THAT(ErrorOf(document), HasSubstr("schema_version: expected an integer, found a string"));
}

TEST(ResultsReaderTest, SchemaVersionOneEvidenceStringsAreSplitIntoItems) {
  // Version 1 writers joined items with "; " (the conformance judge) or line breaks (Add).
  const Outcome<Results> read = ReadResultsFile(DataPath("cpp.results.json"));
  ASSERT_TRUE(read) << read.error().ToString();
  EXPECT_EQ(read->schema_version, kResultsSchemaVersion);
  EXPECT_THAT(EvidenceItems(read->Find("R1")->evidence.expected),
              ::testing::ElementsAre("one GET /health", "ready iff status < 400"));
  EXPECT_THAT(EvidenceItems(read->Find("R9")->evidence.observed),
              ::testing::ElementsAre("returned after 5012 ms",
                                     "message: </pre><img src=x onerror=alert(1)> & \x01 done"));
  nlohmann::json document = ValidDocument();
  document["clauses"][0]["evidence"]["expected"] = "a; b\n\nc";
  const Outcome<Results> split = ParseResults(document.dump(), "v1.json");
  ASSERT_TRUE(split) << split.error().ToString();
  EXPECT_EQ(split->clauses[0].evidence.expected, "a\nb\nc");
}

TEST(ResultsReaderTest, SchemaVersionTwoEvidenceIsAnArrayOfStrings) {
  nlohmann::json document = ValidDocument();
  document["schema_version"] = 2;
  for (nlohmann::json& clause : document["clauses"]) {
    clause["evidence"]["expected"] = nlohmann::json::array();
    clause["evidence"]["observed"] = nlohmann::json::array();
  }
  document["clauses"][0]["evidence"]["expected"] = {"a; still one item", "", "b"};
  const Outcome<Results> read = ParseResults(document.dump(), "v2.json");
  ASSERT_TRUE(read) << read.error().ToString();
  EXPECT_EQ(read->clauses[0].evidence.expected, "a; still one item\nb");

  document["clauses"][0]["evidence"]["observed"] = "a string";
  EXPECT_THAT(ErrorOf(document), HasSubstr("clauses[0].evidence.observed: expected an array of "
                                           "strings, found a string"));
  document["clauses"][0]["evidence"]["observed"] = {"ok", 3};
  EXPECT_THAT(ErrorOf(document),
              HasSubstr("clauses[0].evidence.observed[1]: expected a string, found a number"));
  document["clauses"][0]["evidence"].erase("observed");
  EXPECT_THAT(ErrorOf(document), HasSubstr("missing required field \"observed\""));
}

TEST(ResultsReaderTest, UnknownContractVersionsAreRefusedOlderOnesRead) {
  nlohmann::json document = ValidDocument();
  document["contract_version"] = kContractVersion + 1;
  EXPECT_THAT(ErrorOf(document),
              HasSubstr("judged against contract version " + std::to_string(kContractVersion + 1)));
  document["contract_version"] = 0;
  EXPECT_THAT(ErrorOf(document), HasSubstr("judged against contract version 0"));
  document["contract_version"] = 1;
  const Outcome<Results> read = ParseResults(document.dump(), "v1.json");
  ASSERT_TRUE(read) << read.error().ToString();
  EXPECT_EQ(read.value().contract_version, 1);
}

TEST(ResultsReaderTest, MissingFieldsAreNamedWithTheirPath) {
  nlohmann::json document = ValidDocument();
  document.erase("machine");
  EXPECT_THAT(ErrorOf(document), HasSubstr("missing required field \"machine\""));
  document = ValidDocument();
  document["clauses"][2]["evidence"].erase("invariants");
  EXPECT_THAT(ErrorOf(document),
              HasSubstr("clauses[2].evidence: missing required field \"invariants\""));
  document = ValidDocument();
  document["subject"].erase("kind");
  EXPECT_THAT(ErrorOf(document), HasSubstr("subject: missing required field \"kind\""));
}

TEST(ResultsReaderTest, MistypedFieldsSayWhatWasExpected) {
  nlohmann::json document = ValidDocument();
  document["clauses"][0]["duration_ms"] = "12";
  EXPECT_THAT(ErrorOf(document),
              HasSubstr("clauses[0].duration_ms: expected a number, found a string"));
  document = ValidDocument();
  document["clauses"][0]["duration_ms"] = -1;
  EXPECT_THAT(ErrorOf(document),
              HasSubstr("clauses[0].duration_ms: must be a number of milliseconds"));
  document = ValidDocument();
  document["clauses"][0]["evidence"]["requests"][0]["status"] = 999;
  EXPECT_THAT(ErrorOf(document),
              HasSubstr("clauses[0].evidence.requests[0].status: 999 is out of range"));
  document = ValidDocument();
  document["clauses"][0]["evidence"]["requests"][0]["connection"] = 1.5;
  EXPECT_THAT(ErrorOf(document),
              HasSubstr("connection: expected an integer, found a fractional number"));
  document = ValidDocument();
  document["subject"]["capabilities"]["streaming"] = "yes";
  EXPECT_THAT(ErrorOf(document),
              HasSubstr("subject.capabilities.streaming: expected true or false"));
  document = ValidDocument();
  document["configuration"] = "secret";
  EXPECT_THAT(ErrorOf(document), HasSubstr("configuration: expected an object, found a string"));
}

TEST(ResultsReaderTest, ClauseIdsMustBeInTheCatalogAndUnique) {
  nlohmann::json document = ValidDocument();
  document["clauses"][1]["clause"] = "R99";
  EXPECT_THAT(ErrorOf(document),
              HasSubstr("clauses[1].clause: \"R99\" is not a clause of contract version 2"));
  document = ValidDocument();
  document["clauses"][3]["clause"] = document["clauses"][0]["clause"];
  EXPECT_THAT(ErrorOf(document),
              HasSubstr("clauses[3]: clause W1 is listed twice (also at clauses[0])"));
  document = ValidDocument();
  document["selection"] = {"W1", "X1"};
  EXPECT_THAT(ErrorOf(document), HasSubstr("selection[1]: \"X1\" is not a clause"));
}

TEST(ResultsReaderTest, VerdictsAreCheckedAndNeedReasons) {
  nlohmann::json document = ValidDocument();
  document["clauses"][0]["verdict"] = "PASSED";
  EXPECT_THAT(ErrorOf(document), HasSubstr("clauses[0].verdict: unknown verdict \"PASSED\""));
  document = ValidDocument();
  document["clauses"][0]["verdict"] = "SKIP";
  document["clauses"][0]["reason"] = "  ";
  EXPECT_THAT(ErrorOf(document),
              HasSubstr("clauses[0].reason: a SKIP verdict needs a reason (clause W1)"));
}

TEST(ResultsReaderTest, KindTimestampAndShardAreValidated) {
  nlohmann::json document = ValidDocument();
  document["subject"]["kind"] = "python";
  EXPECT_THAT(ErrorOf(document), HasSubstr("subject.kind: unknown kind \"python\""));
  document = ValidDocument();
  document["generated_at"] = "yesterday";
  EXPECT_THAT(ErrorOf(document),
              HasSubstr("generated_at: \"yesterday\" is not an RFC 3339 timestamp"));
  document["generated_at"] = "2025-03-14T09:26:53.125+01:00";
  EXPECT_TRUE(ParseResults(document.dump(), "ok.json"));
  document = ValidDocument();
  document["shard"] = {{"index", 2}, {"total", 2}};
  EXPECT_THAT(ErrorOf(document), HasSubstr("shard.index: 2 is out of range (0 to 1)"));
}

TEST(ResultsReaderTest, UnknownFieldsAreIgnored) {
  nlohmann::json document = ValidDocument();
  document["future_field"] = {{"anything", true}};
  document["clauses"][0]["note"] = "extra";
  EXPECT_TRUE(ParseResults(document.dump(), "extra.json"));
}

TEST(ResultsReaderTest, DeepNestingIsAnErrorNotACrash) {
  nlohmann::json document = ValidDocument();
  std::string nested = std::string(100, '[') + std::string(100, ']');
  std::string text = document.dump();
  text.replace(text.find("\"configuration\":{"), 17, "\"configuration\":{\"deep\":" + nested + ",");
  EXPECT_THAT(TextErrorOf(text), HasSubstr("nested deeper than 64 levels"));
  EXPECT_FALSE(ParseResults(std::string(200000, '['), "abyss.json"));
}

TEST(ResultsReaderTest, UnreadableFilesAreNamed) {
  ScratchDir dir;
  const Outcome<Results> missing = ReadResultsFile(dir / "nope.json");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().file, (dir / "nope.json").string());
  EXPECT_THAT(missing.error().message, HasSubstr("cannot read: No such file or directory"));
  const Outcome<Results> directory = ReadResultsFile(dir.path());
  ASSERT_FALSE(directory);
  EXPECT_THAT(directory.error().message, HasSubstr("it is a directory"));
}

}  // namespace
}  // namespace provkit::reports
