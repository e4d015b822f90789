// provkit report: adapts argc/argv to provkit::reports::RunReportCommand (which parses its own
// flags), answering --version here like every other command.
#include <iostream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "provkit/reports/command.hpp"

namespace provkit::cli {

int ReportCommand(int argc, char** argv) {
  const std::vector<std::string> args(argv, argv + argc);
  for (std::size_t i = 1; i < args.size() && args[i] != "--"; ++i) {
    if (args[i] == "--version") {
      std::cout << VersionLine() << "\n";
      return kExitOk;
    }
  }
  return provkit::reports::RunReportCommand(args, std::cout, std::cerr);
}

}  // namespace provkit::cli
