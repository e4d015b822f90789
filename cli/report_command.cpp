// provkit report: adapts argc/argv to provkit::reports::RunReportCommand, which parses its flags
// with the shared support::FlagParser.
#include <iostream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "provkit/reports/command.hpp"

namespace provkit::cli {

int ReportCommand(int argc, char** argv) {
  const std::vector<std::string> args(argv, argv + argc);
  return provkit::reports::RunReportCommand(args, std::cout, std::cerr, VersionLine());
}

}  // namespace provkit::cli
