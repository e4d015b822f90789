// provkit: one command, dispatching to the subcommands of cli/commands.hpp.
#include <cstdio>
#include <string_view>

#include "commands.hpp"

namespace {

struct Subcommand {
  std::string_view name;
  int (*run)(int argc, char** argv);
  std::string_view summary;
};

constexpr Subcommand kSubcommands[] = {
    {"mock", provkit::cli::MockCommand, "run the mock OpenAI-compatible local server"},
    {"report", provkit::cli::ReportCommand,
     "turn results files into HTML, Markdown, JUnit, diffs, badges"},
    {"conform", provkit::cli::ConformCommand,
     "judge a provider, adapter or server against the contract"},
    {"check", provkit::cli::CheckCommand,
     "readiness preflight of a live server (exit 0 ready, 1 not)"},
};

void PrintUsage(std::FILE* out) {
  std::fprintf(out, "usage: provkit <command> [options]\n\ncommands:\n");
  for (const Subcommand& command : kSubcommands) {
    std::fprintf(out, "  %-8.*s %.*s\n", static_cast<int>(command.name.size()), command.name.data(),
                 static_cast<int>(command.summary.size()), command.summary.data());
  }
  std::fprintf(out, "\n'provkit <command> --help' describes one command.\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    PrintUsage(stderr);
    return provkit::cli::kExitUsage;
  }
  std::string_view name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    PrintUsage(stdout);
    return provkit::cli::kExitOk;
  }
  for (const Subcommand& command : kSubcommands) {
    if (command.name == name) return command.run(argc - 1, argv + 1);
  }
  std::fprintf(stderr, "provkit: unknown command '%s'\n\n", argv[1]);
  PrintUsage(stderr);
  return provkit::cli::kExitUsage;
}
