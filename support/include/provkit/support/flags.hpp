// One command-line parser for every provkit command: declared flags and positionals, --help,
// --version, and usage errors of one message and one usage line.
#pragma once

#include <concepts>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace provkit::support {

/// The exit code of a bad command line, for every command.
inline constexpr int kExitUsage = 2;

/// How a flag is spelled and described in the help.
struct FlagSpec {
  std::string name;  ///< Long name without the dashes: "port" is `--port`.
  std::string
      value_name;    ///< The value's placeholder in the help ("P", "FILE"); bool flags: unused.
  std::string help;  ///< Help text; each '\n' starts a new line, indented under the first.
  char short_name = '\0';  ///< Optional one-letter alias: 'q' makes `-q` mean `--quiet`.
  bool non_empty = false;  ///< String flags: refuse an empty value.
};

/// What FlagParser::Parse decided.
struct ParseResult {
  enum class Action {
    kRun,         ///< Every argument was accepted: run the command.
    kHelp,        ///< -h or --help was given: print Help() to stdout, exit 0.
    kVersion,     ///< --version was given: print the version line to stdout, exit 0.
    kUsageError,  ///< The command line is bad; `error` says what was wrong.
  };
  Action action = Action::kRun;
  std::string error;  ///< kUsageError: one line, e.g. "--port needs a value".
};

/// A command's flags and positional arguments, declared once, parsed, and described in --help.
///
/// Syntax: `--name value` and `--name=value`; `-x value` for a one-letter alias; bool flags take
/// no value; `--` ends the flags (what follows is positional); "-" alone is positional. A flag
/// given twice keeps the last value (repeated flags collect every value). `-h`/`--help` and, once
/// Version() is set, `--version` are built in. Arguments are read left to right and the first
/// problem stops the parse: "unknown option '--prot' (did you mean --port?)", "--port needs a
/// value", "--port expects an integer from 0 to 65535, got 'x'", "unexpected argument 'x'",
/// "URL is required".
///
/// The pointers given to the declaring calls must outlive Parse, which writes through them as
/// it goes (a value before a usage error may already be stored). Not thread-safe; a parser is
/// built and used by one thread.
class FlagParser {
 public:
  /// `command` names the command in messages ("provkit mock"); `usage` is what follows it on
  /// the one usage line ("[options]" gives "usage: provkit mock [options]").
  FlagParser(std::string command, std::string usage);

  /// Text shown in the help between the usage line and the flags.
  FlagParser& Description(std::string text);
  /// Text shown in the help after the flags.
  FlagParser& Epilogue(std::string text);
  /// Enables --version, which prints `line` (see VersionLine in version.hpp).
  FlagParser& Version(std::string line);
  /// Flags declared from now on are listed in the help under "title:" (default "options").
  FlagParser& Section(std::string title);

  /// A flag without a value: sets `*value` to true.
  FlagParser& Bool(FlagSpec spec, bool* value);
  /// A string value.
  FlagParser& String(FlagSpec spec, std::string* value);
  FlagParser& String(FlagSpec spec, std::optional<std::string>* value);
  /// Every value of a flag that may be given several times, in order.
  FlagParser& Repeated(FlagSpec spec, std::vector<std::string>* values);
  /// A decimal integer from `min` to `max` (a range that fits std::int64_t).
  template <std::integral T>
  FlagParser& Int(FlagSpec spec, T* value, T min, T max) {
    return AddInteger(std::move(spec), static_cast<std::int64_t>(min),
                      static_cast<std::int64_t>(max),
                      [value](std::int64_t number) { *value = static_cast<T>(number); });
  }
  template <std::integral T>
  FlagParser& Int(FlagSpec spec, std::optional<T>* value, T min, T max) {
    return AddInteger(std::move(spec), static_cast<std::int64_t>(min),
                      static_cast<std::int64_t>(max),
                      [value](std::int64_t number) { *value = static_cast<T>(number); });
  }
  /// A finite decimal number from `min` to `max` ("2", "0.5", "1e3").
  FlagParser& Number(FlagSpec spec, std::optional<double>* value, double min, double max);
  /// A value checked and stored by `accept`, which returns false to refuse it; the error then
  /// reads "--NAME expects EXPECTS, got 'VALUE'".
  FlagParser& Value(FlagSpec spec, std::string expects,
                    std::function<bool(std::string_view)> accept);

  /// The next positional argument, shown in the help as `name` (e.g. "URL"). A missing required
  /// one is the error "NAME is required".
  FlagParser& Positional(std::string name, std::string help, std::optional<std::string>* value,
                         bool required);
  /// Every positional argument after the declared Positional ones, in order, wherever they stand
  /// among the flags, shown as `name...` (e.g. "RESULTS..."). Fewer than `min` is the error
  /// "NAME is required" (min 1) or "at least MIN NAME arguments are required". Excludes Rest.
  FlagParser& Operands(std::string name, std::string help, std::vector<std::string>* values,
                       std::size_t min);
  /// Everything after the last positional, flags included, goes to `*rest` unparsed (without
  /// positionals: the first positional argument and everything after it). For commands that
  /// dispatch to subcommands: `provkit mock --port 1` gives "mock" and {"--port", "1"}.
  FlagParser& Rest(std::vector<std::string>* rest);

  /// Parses `args` (the arguments after the command's name).
  ParseResult Parse(std::span<const std::string> args);
  /// Parses argv[1..argc); argv[0] is the command's own name.
  ParseResult Parse(int argc, const char* const* argv);

  /// Parses argv[1..argc) and, when the command should stop there, prints and returns its exit
  /// code: the help to `out` (0), the version line to `out` (0), or a usage error to `err` (2,
  /// see PrintUsageError). Nullopt when the command should run.
  std::optional<int> ParseOrExit(int argc, const char* const* argv, std::ostream& out,
                                 std::ostream& err);
  /// The same for `args` (the arguments after the command's name).
  std::optional<int> ParseOrExit(std::span<const std::string> args, std::ostream& out,
                                 std::ostream& err);

  /// Prints "COMMAND: MESSAGE" and the usage line to `err` and returns kExitUsage: for problems
  /// the command finds after parsing (two flags that exclude each other, an unknown name).
  int PrintUsageError(std::string_view message, std::ostream& err) const;

  /// "usage: COMMAND USAGE".
  std::string UsageLine() const;
  /// The full help: usage line, description, flags by section, epilogue; ends with '\n'.
  std::string Help() const;

 private:
  struct Flag {
    FlagSpec spec;
    bool takes_value = false;
    // Stores a value; returns the error when it is refused.
    std::function<std::optional<std::string>(std::string_view)> apply;
  };
  struct PositionalArg {
    std::string name;
    std::string help;
    std::optional<std::string>* value = nullptr;
    bool required = false;
  };
  struct HelpSection {
    std::string title;
    std::vector<std::size_t> flags;  // indexes into flags_
  };

  FlagParser& AddFlag(FlagSpec spec, bool takes_value,
                      std::function<std::optional<std::string>(std::string_view)> apply);
  FlagParser& AddInteger(FlagSpec spec, std::int64_t min, std::int64_t max,
                         std::function<void(std::int64_t)> store);
  const Flag* FindLong(std::string_view name) const;
  const Flag* FindShort(char name) const;
  std::string UnknownOption(std::string_view spelled, std::string_view name) const;

  std::string command_;
  std::string usage_;
  std::string description_;
  std::string epilogue_;
  std::optional<std::string> version_;
  std::vector<Flag> flags_;
  std::vector<HelpSection> sections_;
  std::vector<PositionalArg> positionals_;
  std::vector<std::string>* rest_ = nullptr;
  PositionalArg operands_name_;  // name and help of Operands
  std::vector<std::string>* operands_ = nullptr;
  std::size_t operands_min_ = 0;
};

/// The candidate most like `word` when it is close enough to be a typo of it (at most one edit
/// for words up to 5 characters, two for longer ones; a swap of neighbours is one edit), or one
/// that `word` (3 characters or more) is the start of; nullopt when none is. For "did you mean".
std::optional<std::string> ClosestMatch(std::string_view word,
                                        std::span<const std::string> candidates);

}  // namespace provkit::support
