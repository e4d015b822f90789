// Fuzzes the results-file reader of `provkit report`: ParseResults never throws, names the file in
// every error, and what it accepts writes back to a text it reads again to the same results.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "provkit/reports/results.hpp"

namespace {

using provkit::reports::Outcome;
using provkit::reports::Results;

constexpr std::string_view kFile = "fuzz.results.json";

// Outcome<Results> from ParseResults, with any exception turned into a broken contract.
Outcome<Results> Parse(std::string_view text) {
  try {
    return provkit::reports::ParseResults(text, kFile);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "ParseResults threw %s\n", error.what());
    FUZZ_CHECK(false, "ParseResults reports errors as values, never throws");
  }
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const Outcome<Results> parsed = Parse(text);
  if (!parsed) {
    FUZZ_CHECK(parsed.error().file == kFile, "an error names the file");
    FUZZ_CHECK(!parsed.error().message.empty(), "an error says what is wrong");
    FUZZ_CHECK(parsed.error().line >= 0 && parsed.error().column >= 0,
               "positions are not negative");
    return 0;
  }
  const Results& results = *parsed;
  FUZZ_CHECK(!results.subject.name.empty(), "an accepted file names its subject");
  for (std::size_t i = 0; i < results.clauses.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j)
      FUZZ_CHECK(results.clauses[i].clause_id != results.clauses[j].clause_id, "clauses unique");
  }
  // What was read is writable (WriteResultsFile refuses what ParseResults rejects), and reading
  // the written text gives the same results: the write is a fixed point.
  const std::string written = provkit::reports::ToJsonText(results);
  const Outcome<Results> reread = Parse(written);
  if (!reread) std::fprintf(stderr, "%s\n", reread.error().ToString().c_str());
  FUZZ_CHECK(reread.ok(), "the written form of accepted results is accepted");
  FUZZ_CHECK(provkit::reports::ToJsonText(*reread) == written, "write, read, write is stable");
  return 0;
}
