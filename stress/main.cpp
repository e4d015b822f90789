// provkit-stress: the bounded load, soak and pressure campaigns of the reliability checks.
#include <cstdio>
#include <exception>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "modes.hpp"
#include "provkit/support/clip.hpp"
#include "stress_support.hpp"

namespace {

constexpr char kDescription[] =
    "modes:\n"
    "  load   N keep-alive clients against an embedded mock server: probes, turns,\n"
    "         streams; zero errors, exact journal, one connection per client, flat RSS\n"
    "  soak   threads sharing Sessions while the mock flips between healthy, loading\n"
    "         and stream-drop; verdicts match the scenario, no hang, no leaks\n"
    "  pressure  2000 keep-alive clients, 1000 streams, slow-header clients and a\n"
    "         connection limit: all answered, paced, cut off or refused with 503\n"
    "\n"
    "'provkit-stress <mode> --help' describes one mode. Exit 0 when every check holds,\n"
    "1 when one fails, 2 on a bad command line.";

}  // namespace

int main(int argc, char** argv) {
  namespace stress = provkit::stress;
  std::optional<std::string> mode;
  std::vector<std::string> rest;
  provkit::support::FlagParser parser = stress::NewFlagParser("", "<mode> [options]");
  parser.Description(kDescription).Positional("mode", "", &mode, /*required=*/false).Rest(&rest);
  if (const std::optional<int> exit = parser.ParseOrExit(argc, argv, std::cout, std::cerr)) {
    return *exit;
  }
  if (!mode) return parser.PrintUsageError("a mode is required: load, soak or pressure", std::cerr);
  if (*mode == "help") {
    std::cout << parser.Help();
    return stress::kExitPass;
  }
  int (*run)(int, char**) = nullptr;
  if (*mode == "load") run = stress::RunLoad;
  if (*mode == "soak") run = stress::RunSoak;
  if (*mode == "pressure") run = stress::RunPressure;
  if (run == nullptr) {
    std::string message = "unknown mode '" + provkit::support::ClipPrintable(*mode, 120) + "'";
    const std::vector<std::string> modes = {"load", "soak", "pressure"};
    if (const auto match = provkit::support::ClosestMatch(*mode, modes)) {
      message += " (did you mean " + *match + "?)";
    }
    return parser.PrintUsageError(message, std::cerr);
  }
  // The mode sees its own name as argv[0], then its flags.
  std::vector<std::string> mode_args = {*mode};
  mode_args.insert(mode_args.end(), rest.begin(), rest.end());
  std::vector<char*> mode_argv;
  for (std::string& arg : mode_args) mode_argv.push_back(arg.data());
  mode_argv.push_back(nullptr);
  try {
    return run(static_cast<int>(mode_args.size()), mode_argv.data());
  } catch (const std::exception& error) {
    // A campaign that cannot even start (no port, no threads) fails with the reason.
    std::fprintf(stderr, "provkit-stress %s: %s\nFAIL\n", mode->c_str(), error.what());
    return stress::kExitFail;
  }
}
