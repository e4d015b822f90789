// Tests of whole-file reads and temp-file-then-rename writes.
#include "provkit/reports/file.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "golden.hpp"

namespace provkit::reports {
namespace {

using ::testing::HasSubstr;
using testing::ScratchDir;
using testing::Slurp;

std::size_t EntriesIn(const std::filesystem::path& directory) {
  std::size_t count = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(directory)) ++count;
  return count;
}

TEST(FileTest, WriteCreatesParentsReplacesAndLeavesNoTemporaryFile) {
  ScratchDir dir;
  const auto path = dir / "a/b/report.html";
  ASSERT_TRUE(WriteFileAtomically(path, "first"));
  ASSERT_TRUE(WriteFileAtomically(path, "second"));
  EXPECT_EQ(Slurp(path), "second");
  EXPECT_EQ(EntriesIn(path.parent_path()), 1u);
}

TEST(FileTest, FailedWriteLeavesTheTargetAloneAndCleansUp) {
  ScratchDir dir;
  std::filesystem::create_directories(dir / "taken");
  const Outcome<void> written = WriteFileAtomically(dir / "taken", "content");
  ASSERT_FALSE(written);
  EXPECT_THAT(written.error().ToString(), HasSubstr("it is a directory"));
  EXPECT_TRUE(std::filesystem::is_directory(dir / "taken"));
  EXPECT_EQ(EntriesIn(dir.path()), 1u);
}

TEST(FileTest, WriteIntoAnUnwritableDirectoryIsAnError) {
  ScratchDir dir;
  std::ofstream(dir / "plain") << "a file, not a directory";
  const Outcome<void> written = WriteFileAtomically(dir / "plain/report.md", "x");
  ASSERT_FALSE(written);
  EXPECT_THAT(written.error().ToString(), HasSubstr("cannot create directory"));
}

TEST(FileTest, ReadReturnsContentOrNamesTheProblem) {
  ScratchDir dir;
  ASSERT_TRUE(WriteFileAtomically(dir / "f.txt", std::string("a\0b", 3)));
  const Outcome<std::string> read = ReadTextFile(dir / "f.txt");
  ASSERT_TRUE(read);
  EXPECT_EQ(*read, std::string("a\0b", 3));
  const Outcome<std::string> missing = ReadTextFile(dir / "missing.txt");
  ASSERT_FALSE(missing);
  EXPECT_THAT(missing.error().ToString(), HasSubstr("missing.txt: cannot read"));
}

}  // namespace
}  // namespace provkit::reports
