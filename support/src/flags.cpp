// FlagParser: parsing, the generated help, and "did you mean" suggestions.
#include "provkit/support/flags.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <ostream>
#include <system_error>

#include "provkit/support/clip.hpp"

namespace provkit::support {
namespace {

// Arguments echoed in errors are the user's own, but may be long or hold control characters.
constexpr std::size_t kEchoBytes = 120;
// The help lists a flag's text from this column at most; longer spellings wrap.
constexpr std::size_t kMaxHelpColumn = 30;

std::string Quoted(std::string_view text) { return "'" + ClipPrintable(text, kEchoBytes) + "'"; }

std::optional<std::int64_t> ParseInt64(std::string_view text) {
  std::int64_t value = 0;
  if (text.size() > 1 && text.front() == '+' && text[1] != '-') text.remove_prefix(1);
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<double> ParseDouble(std::string_view text) {
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() ||
      !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

std::string FormatDouble(double value) {
  char buffer[64];
  const auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return error == std::errc() ? std::string(buffer, end) : std::to_string(value);
}

// Optimal string alignment distance: insertions, deletions, substitutions, adjacent swaps.
std::size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

std::string WithoutTrailingNewlines(std::string text) {
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

}  // namespace

std::optional<std::string> ClosestMatch(std::string_view word,
                                        std::span<const std::string> candidates) {
  // Words longer than this are not typos of a flag or command name (and cost quadratic time).
  constexpr std::size_t kLongestWord = 64;
  if (word.empty() || word.size() > kLongestWord) return std::nullopt;
  const std::size_t allowed = word.size() <= 5 ? 1 : 2;
  std::optional<std::string> best;
  std::size_t best_distance = allowed + 1;
  for (const std::string& candidate : candidates) {
    if (candidate.size() > kLongestWord) continue;
    const std::size_t distance = EditDistance(word, candidate);
    if (distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  if (best) return best;
  if (word.size() < 3) return std::nullopt;
  std::optional<std::string> prefixed;
  for (const std::string& candidate : candidates) {
    if (candidate.size() <= word.size() || candidate.compare(0, word.size(), word) != 0) continue;
    if (prefixed) return std::nullopt;  // ambiguous
    prefixed = candidate;
  }
  return prefixed;
}

FlagParser::FlagParser(std::string command, std::string usage)
    : command_(std::move(command)), usage_(std::move(usage)) {}

FlagParser& FlagParser::Description(std::string text) {
  description_ = WithoutTrailingNewlines(std::move(text));
  return *this;
}

FlagParser& FlagParser::Epilogue(std::string text) {
  epilogue_ = WithoutTrailingNewlines(std::move(text));
  return *this;
}

FlagParser& FlagParser::Version(std::string line) {
  version_ = std::move(line);
  return *this;
}

FlagParser& FlagParser::Section(std::string title) {
  sections_.push_back({std::move(title), {}});
  return *this;
}

FlagParser& FlagParser::AddFlag(FlagSpec spec, bool takes_value,
                                std::function<std::optional<std::string>(std::string_view)> apply) {
  if (takes_value && spec.value_name.empty()) spec.value_name = "VALUE";
  if (sections_.empty()) sections_.push_back({"options", {}});
  sections_.back().flags.push_back(flags_.size());
  flags_.push_back({std::move(spec), takes_value, std::move(apply)});
  return *this;
}

FlagParser& FlagParser::Bool(FlagSpec spec, bool* value) {
  return AddFlag(std::move(spec), false, [value](std::string_view) -> std::optional<std::string> {
    *value = true;
    return std::nullopt;
  });
}

FlagParser& FlagParser::String(FlagSpec spec, std::string* value) {
  return AddFlag(std::move(spec), true, [value](std::string_view text) {
    *value = std::string(text);
    return std::optional<std::string>();
  });
}

FlagParser& FlagParser::String(FlagSpec spec, std::optional<std::string>* value) {
  return AddFlag(std::move(spec), true, [value](std::string_view text) {
    *value = std::string(text);
    return std::optional<std::string>();
  });
}

FlagParser& FlagParser::Repeated(FlagSpec spec, std::vector<std::string>* values) {
  return AddFlag(std::move(spec), true, [values](std::string_view text) {
    values->emplace_back(text);
    return std::optional<std::string>();
  });
}

FlagParser& FlagParser::AddInteger(FlagSpec spec, std::int64_t min, std::int64_t max,
                                   std::function<void(std::int64_t)> store) {
  const std::string name = spec.name;
  return AddFlag(std::move(spec), true,
                 [name, min, max,
                  store = std::move(store)](std::string_view text) -> std::optional<std::string> {
                   const std::optional<std::int64_t> number = ParseInt64(text);
                   if (!number || *number < min || *number > max) {
                     return "--" + name + " expects an integer from " + std::to_string(min) +
                            " to " + std::to_string(max) + ", got " + Quoted(text);
                   }
                   store(*number);
                   return std::nullopt;
                 });
}

FlagParser& FlagParser::Number(FlagSpec spec, std::optional<double>* value, double min,
                               double max) {
  const std::string name = spec.name;
  return AddFlag(std::move(spec), true,
                 [name, value, min, max](std::string_view text) -> std::optional<std::string> {
                   const std::optional<double> number = ParseDouble(text);
                   if (!number || *number < min || *number > max) {
                     return "--" + name + " expects a number from " + FormatDouble(min) + " to " +
                            FormatDouble(max) + ", got " + Quoted(text);
                   }
                   *value = *number;
                   return std::nullopt;
                 });
}

FlagParser& FlagParser::Value(FlagSpec spec, std::string expects,
                              std::function<bool(std::string_view)> accept) {
  const std::string name = spec.name;
  return AddFlag(std::move(spec), true,
                 [name, expects = std::move(expects),
                  accept = std::move(accept)](std::string_view text) -> std::optional<std::string> {
                   if (accept(text)) return std::nullopt;
                   return "--" + name + " expects " + expects + ", got " + Quoted(text);
                 });
}

FlagParser& FlagParser::Positional(std::string name, std::string help,
                                   std::optional<std::string>* value, bool required) {
  positionals_.push_back({std::move(name), std::move(help), value, required});
  return *this;
}

FlagParser& FlagParser::Operands(std::string name, std::string help,
                                 std::vector<std::string>* values, std::size_t min) {
  operands_name_ = {std::move(name), std::move(help), nullptr, min > 0};
  operands_ = values;
  operands_min_ = min;
  return *this;
}

FlagParser& FlagParser::Rest(std::vector<std::string>* rest) {
  rest_ = rest;
  return *this;
}

const FlagParser::Flag* FlagParser::FindLong(std::string_view name) const {
  for (const Flag& flag : flags_) {
    if (flag.spec.name == name) return &flag;
  }
  return nullptr;
}

const FlagParser::Flag* FlagParser::FindShort(char name) const {
  for (const Flag& flag : flags_) {
    if (flag.spec.short_name != '\0' && flag.spec.short_name == name) return &flag;
  }
  return nullptr;
}

std::string FlagParser::UnknownOption(std::string_view spelled, std::string_view name) const {
  std::string message = "unknown option " + Quoted(spelled);
  std::vector<std::string> names;
  for (const Flag& flag : flags_) names.push_back(flag.spec.name);
  names.emplace_back("help");
  if (version_) names.emplace_back("version");
  if (const auto match = ClosestMatch(name, names)) message += " (did you mean --" + *match + "?)";
  return message;
}

ParseResult FlagParser::Parse(std::span<const std::string> args) {
  const auto error = [](std::string message) {
    return ParseResult{ParseResult::Action::kUsageError, std::move(message)};
  };
  std::size_t next_positional = 0;
  bool flags_done = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (!flags_done && arg == "--") {
      flags_done = true;
      continue;
    }
    if (flags_done || arg.size() < 2 || arg.front() != '-') {
      if (next_positional < positionals_.size()) {
        *positionals_[next_positional++].value = std::string(arg);
        if (next_positional == positionals_.size() && rest_ != nullptr) {
          rest_->assign(args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
          break;
        }
      } else if (operands_ != nullptr) {
        operands_->emplace_back(arg);
      } else if (rest_ != nullptr) {
        rest_->assign(args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
        break;
      } else {
        return error("unexpected argument " + Quoted(arg));
      }
      continue;
    }

    const Flag* flag = nullptr;
    std::string_view name;
    std::optional<std::string_view> inline_value;
    if (arg.substr(0, 2) == "--") {
      name = arg.substr(2);
      if (const std::size_t equals = name.find('='); equals != std::string_view::npos) {
        inline_value = name.substr(equals + 1);
        name = name.substr(0, equals);
      }
      if (name == "help") return {ParseResult::Action::kHelp, {}};
      if (name == "version" && version_) return {ParseResult::Action::kVersion, {}};
      flag = FindLong(name);
      if (flag == nullptr) return error(UnknownOption(arg.substr(0, name.size() + 2), name));
    } else {
      if (arg == "-h") return {ParseResult::Action::kHelp, {}};
      if (arg.size() == 2) flag = FindShort(arg[1]);
      if (flag == nullptr) return error(UnknownOption(arg, arg.substr(1)));
    }
    const std::string display = "--" + flag->spec.name;

    if (!flag->takes_value) {
      if (inline_value) return error(display + " takes no value");
      flag->apply({});
      continue;
    }
    std::string_view value;
    if (inline_value) {
      value = *inline_value;
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return error(display + " needs a value (" + flag->spec.value_name + ")");
    }
    if (flag->spec.non_empty && value.empty()) return error(display + " needs a non-empty value");
    if (auto refused = flag->apply(value)) return error(std::move(*refused));
  }
  for (std::size_t i = next_positional; i < positionals_.size(); ++i) {
    if (positionals_[i].required) return error(positionals_[i].name + " is required");
  }
  if (operands_ != nullptr && operands_->size() < operands_min_) {
    return error(operands_min_ == 1 ? operands_name_.name + " is required"
                                    : "at least " + std::to_string(operands_min_) + " " +
                                          operands_name_.name + " arguments are required");
  }
  return {};
}

ParseResult FlagParser::Parse(int argc, const char* const* argv) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  return Parse(args);
}

std::optional<int> FlagParser::ParseOrExit(int argc, const char* const* argv, std::ostream& out,
                                           std::ostream& err) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  return ParseOrExit(args, out, err);
}

std::optional<int> FlagParser::ParseOrExit(std::span<const std::string> args, std::ostream& out,
                                           std::ostream& err) {
  const ParseResult result = Parse(args);
  switch (result.action) {
    case ParseResult::Action::kRun:
      return std::nullopt;
    case ParseResult::Action::kHelp:
      out << Help() << std::flush;
      return 0;
    case ParseResult::Action::kVersion:
      out << *version_ << "\n" << std::flush;
      return 0;
    case ParseResult::Action::kUsageError:
      break;
  }
  return PrintUsageError(result.error, err);
}

int FlagParser::PrintUsageError(std::string_view message, std::ostream& err) const {
  err << command_ << ": " << message << "\n" << UsageLine() << "\n" << std::flush;
  return kExitUsage;
}

std::string FlagParser::UsageLine() const {
  return "usage: " + command_ + (usage_.empty() ? "" : " " + usage_);
}

std::string FlagParser::Help() const {
  struct Row {
    std::string spelling;
    std::string help;
  };
  struct Block {
    std::string title;
    std::vector<Row> rows;
  };
  std::vector<Block> blocks;
  std::vector<Row> arguments;
  for (const PositionalArg& positional : positionals_) {
    if (!positional.help.empty()) arguments.push_back({positional.name, positional.help});
  }
  if (operands_ != nullptr && !operands_name_.help.empty()) {
    arguments.push_back({operands_name_.name + "...", operands_name_.help});
  }
  if (!arguments.empty()) blocks.push_back({"arguments", std::move(arguments)});
  for (const HelpSection& section : sections_) {
    Block block{section.title, {}};
    for (const std::size_t index : section.flags) {
      const FlagSpec& spec = flags_[index].spec;
      std::string spelling;
      if (spec.short_name != '\0') spelling = std::string{'-', spec.short_name} + ", ";
      spelling += "--" + spec.name;
      if (flags_[index].takes_value) spelling += " " + spec.value_name;
      block.rows.push_back({std::move(spelling), spec.help});
    }
    blocks.push_back(std::move(block));
  }
  if (blocks.empty() || blocks.back().title == "arguments") blocks.push_back({"options", {}});
  blocks.back().rows.push_back({"-h, --help", "print this help and exit"});
  if (version_) blocks.back().rows.push_back({"--version", "print the version and exit"});

  std::size_t column = 0;
  for (const Block& block : blocks) {
    for (const Row& row : block.rows) {
      const std::size_t width = 2 + row.spelling.size() + 2;
      if (width <= kMaxHelpColumn) column = std::max(column, width);
    }
  }
  std::string out = UsageLine() + "\n";
  if (!description_.empty()) out += "\n" + description_ + "\n";
  for (const Block& block : blocks) {
    out += "\n" + block.title + ":\n";
    for (const Row& row : block.rows) {
      std::string line = "  " + row.spelling;
      std::string_view help = row.help;
      if (help.empty()) {
        out += line + "\n";
        continue;
      }
      if (line.size() + 2 > column) {
        out += line + "\n";
        line.clear();
      }
      bool first = true;
      while (first || !help.empty()) {
        const std::size_t newline = help.find('\n');
        const std::string_view part = help.substr(0, newline);
        line.resize(column, ' ');
        out += line;
        out.append(part);
        out += "\n";
        line.clear();
        help = newline == std::string_view::npos ? std::string_view() : help.substr(newline + 1);
        first = false;
      }
    }
  }
  if (!epilogue_.empty()) out += "\n" + epilogue_ + "\n";
  return out;
}

}  // namespace provkit::support
