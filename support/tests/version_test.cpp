// Tests the generated version header and the one --version format.
#include "provkit/support/version.hpp"

#include <gtest/gtest.h>

#include <string>

namespace provkit::support {
namespace {

TEST(Version, ComponentsMatchTheVersionString) {
  EXPECT_EQ(std::string(kVersion), std::to_string(kVersionMajor) + "." +
                                       std::to_string(kVersionMinor) + "." +
                                       std::to_string(kVersionPatch));
}

TEST(Version, LineNamesProvkitItsVersionAndTheContractVersion) {
  EXPECT_EQ(VersionLine(7), "provkit " + std::string(kVersion) + " (contract version 7)");
}

}  // namespace
}  // namespace provkit::support
