// provkit: one command, dispatching to the subcommands of cli/commands.hpp.
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "commands.hpp"
#include "provkit/support/clip.hpp"

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
    {"record", provkit::cli::RecordCommand,
     "record a real server's exchanges for provkit mock --replay"},
};

std::string CommandList() {
  std::string list = "commands:\n";
  for (const Subcommand& command : kSubcommands) {
    std::string name(command.name);
    name.resize(9, ' ');
    list += "  " + name + std::string(command.summary) + "\n";
  }
  return list + "\n'provkit <command> --help' describes one command; 'provkit help <command>' too.";
}

const Subcommand* Find(std::string_view name) {
  for (const Subcommand& command : kSubcommands) {
    if (command.name == name) return &command;
  }
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  std::optional<std::string> name;
  std::vector<std::string> rest;
  provkit::support::FlagParser parser =
      provkit::cli::NewFlagParser("provkit", "<command> [options]");
  parser.Description(CommandList())
      .Positional("command", "", &name, /*required=*/false)
      .Rest(&rest);
  if (const std::optional<int> exit = parser.ParseOrExit(argc, argv, std::cout, std::cerr)) {
    return *exit;
  }
  if (!name)
    return parser.PrintUsageError("a command is required: mock, report, conform, check or record",
                                  std::cerr);

  // `provkit help` and `provkit help <command>`.
  if (*name == "help") {
    if (rest.empty()) {
      std::cout << parser.Help();
      return provkit::cli::kExitOk;
    }
    name = rest.front();
    rest = {"--help"};
  }
  const Subcommand* command = Find(*name);
  if (command == nullptr) {
    std::vector<std::string> names;
    for (const Subcommand& known : kSubcommands) names.emplace_back(known.name);
    std::string message = "unknown command '" + provkit::support::ClipPrintable(*name, 120) + "'";
    if (const auto match = provkit::support::ClosestMatch(*name, names)) {
      message += " (did you mean " + *match + "?)";
    }
    return parser.PrintUsageError(message, std::cerr);
  }
  // The subcommand sees its own name as argv[0], then its arguments.
  std::vector<std::string> sub_args = {std::string(command->name)};
  sub_args.insert(sub_args.end(), rest.begin(), rest.end());
  std::vector<char*> sub_argv;
  for (std::string& arg : sub_args) sub_argv.push_back(arg.data());
  sub_argv.push_back(nullptr);
  return command->run(static_cast<int>(sub_args.size()), sub_argv.data());
}
