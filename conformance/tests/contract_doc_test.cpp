// Tests that docs/contract.md carries the clause catalog exactly as the code has it, so the two
// cannot drift.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "provkit/conformance/judge.hpp"
#include "provkit/runtime/contract.hpp"

namespace provkit::conformance {
namespace {

std::string ReadContractDoc() {
  std::ifstream in(std::string(PROVKIT_SOURCE_DIR) + "/docs/contract.md");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(ContractDoc, CatalogSectionEqualsTheCatalogInCode) {
  const std::string doc = ReadContractDoc();
  ASSERT_FALSE(doc.empty()) << "docs/contract.md is missing";
  const std::string begin = "<!-- catalog:begin -->\n";
  const std::string end = "<!-- catalog:end -->";
  const std::size_t from = doc.find(begin);
  const std::size_t to = doc.find(end);
  ASSERT_NE(from, std::string::npos) << "no catalog:begin marker";
  ASSERT_NE(to, std::string::npos) << "no catalog:end marker";
  ASSERT_LT(from, to);
  EXPECT_EQ(doc.substr(from + begin.size(), to - from - begin.size()), ClauseCatalogMarkdown())
      << "docs/contract.md and the catalog disagree; regenerate the section between the markers "
         "with `provkit conform --list --format markdown`";
}

TEST(ContractDoc, NamesTheContractVersionAndEveryClause) {
  const std::string doc = ReadContractDoc();
  EXPECT_NE(doc.find("# The provider contract (version " + std::to_string(kContractVersion) + ")"),
            std::string::npos);
  for (const Clause& clause : Clauses()) {
    EXPECT_NE(doc.find("#### " + std::string(clause.id) + "\n"), std::string::npos) << clause.id;
  }
}

}  // namespace
}  // namespace provkit::conformance
