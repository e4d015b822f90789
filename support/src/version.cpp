// VersionLine: the one format of every provkit command's --version.
#include "provkit/support/version.hpp"

namespace provkit::support {

std::string VersionLine(int contract_version) {
  return "provkit " + std::string(kVersion) + " (contract version " +
         std::to_string(contract_version) + ")";
}

}  // namespace provkit::support
