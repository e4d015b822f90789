// provkit-stress: the bounded load and soak campaigns of the reliability checks (issue 7).
#include <cstdio>
#include <exception>
#include <string_view>

#include "modes.hpp"
#include "stress_support.hpp"

namespace {

void PrintUsage(std::FILE* out) {
  std::fprintf(out,
               "usage: provkit-stress <mode> [options]\n\n"
               "modes:\n"
               "  load   N keep-alive clients against an embedded mock server: probes, turns,\n"
               "         streams; zero errors, exact journal, one connection per client, flat RSS\n"
               "  soak   threads sharing Sessions while the mock flips between healthy, loading\n"
               "         and stream-drop; verdicts match the scenario, no hang, no leaks\n\n"
               "'provkit-stress <mode> --help' describes one mode. Exit 0 when every check holds,\n"
               "1 when one fails, 2 on a bad command line.\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    PrintUsage(stderr);
    return provkit::stress::kExitUsage;
  }
  const std::string_view mode = argv[1];
  if (mode == "--help" || mode == "-h" || mode == "help") {
    PrintUsage(stdout);
    return provkit::stress::kExitPass;
  }
  try {
    if (mode == "load") return provkit::stress::RunLoad(argc, argv);
    if (mode == "soak") return provkit::stress::RunSoak(argc, argv);
  } catch (const std::exception& error) {
    // A campaign that cannot even start (no port, no threads) fails with the reason.
    std::fprintf(stderr, "provkit-stress %s: %s\nFAIL\n", argv[1], error.what());
    return provkit::stress::kExitFail;
  }
  std::fprintf(stderr, "provkit-stress: unknown mode '%s'\n\n", argv[1]);
  PrintUsage(stderr);
  return provkit::stress::kExitUsage;
}
