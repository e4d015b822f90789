// ServerOptions from JSON: the config file loader, with file, line and column in every error.
#include "provkit/mockserver/config.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "json_util.hpp"
#include "provkit/support/json_text.hpp"
#include "provkit/support/text_position.hpp"
#include "readers.hpp"

namespace provkit::mock {
namespace {

std::string Describe(const std::string& message, const std::string& pointer,
                     const std::string& file, int line, int column) {
  std::string out;
  if (!file.empty()) {
    out = file;
    if (line > 0) out += ":" + std::to_string(line) + ":" + std::to_string(column);
    out += ": ";
  }
  if (!pointer.empty()) out += pointer + ": ";
  return out + message;
}

/// An input iterator over the config text that publishes how far the parser has read.
class CountingIterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;

  CountingIterator(const char* position, const char* begin, std::size_t* consumed)
      : position_(position), begin_(begin), consumed_(consumed) {}
  reference operator*() const { return *position_; }
  CountingIterator& operator++() {
    ++position_;
    *consumed_ = static_cast<std::size_t>(position_ - begin_);
    return *this;
  }
  CountingIterator operator++(int) {
    CountingIterator before = *this;
    ++*this;
    return before;
  }
  bool operator==(const CountingIterator& other) const { return position_ == other.position_; }
  bool operator!=(const CountingIterator& other) const { return position_ != other.position_; }

 private:
  const char* position_;
  const char* begin_;
  std::size_t* consumed_;
};

/// Records where each value of a document starts, by JSON pointer, while nlohmann parses it.
class PositionRecorder {
 public:
  PositionRecorder(std::string_view text, const std::size_t* consumed)
      : text_(text), consumed_(consumed) {}

  bool operator()(int /*depth*/, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using Event = nlohmann::json::parse_event_t;
    switch (event) {
      case Event::object_start:
      case Event::array_start: {
        std::string pointer = frames_.empty() ? std::string() : MemberPointer();
        if (!frames_.empty() && frames_.back().array) Record(pointer, *consumed_ - 1);
        frames_.push_back({event == Event::array_start, 0, {}, std::move(pointer)});
        break;
      }
      case Event::object_end:
      case Event::array_end:
        if (!frames_.empty()) frames_.pop_back();
        if (!frames_.empty() && frames_.back().array) ++frames_.back().next_index;
        break;
      case Event::key: {
        frames_.back().key = parsed.get<std::string>();
        // The parser has just read the key's closing quote; point at its opening one.
        const std::size_t end = *consumed_ == 0 ? 0 : *consumed_ - 1;
        const std::size_t open = end == 0 ? 0 : text_.rfind('"', end - 1);
        Record(MemberPointer(), open == std::string_view::npos ? end : open);
        break;
      }
      case Event::value:
        if (!frames_.empty() && frames_.back().array) {
          Record(MemberPointer(), *consumed_ == 0 ? 0 : *consumed_ - 1);
          ++frames_.back().next_index;
        }
        break;
    }
    return true;
  }

  /// The recorded position of `pointer` or of its nearest recorded ancestor.
  std::size_t PositionOf(std::string pointer) const {
    for (;;) {
      const auto found = positions_.find(pointer);
      if (found != positions_.end()) return found->second;
      const std::size_t slash = pointer.rfind('/');
      if (slash == std::string::npos || pointer.empty()) return 0;
      pointer.erase(slash);
    }
  }

 private:
  struct Frame {
    bool array;
    int next_index;
    std::string key;
    std::string pointer;
  };

  std::string MemberPointer() const {
    const Frame& frame = frames_.back();
    return PointerJoin(frame.pointer, frame.array ? std::to_string(frame.next_index) : frame.key);
  }
  void Record(const std::string& pointer, std::size_t offset) {
    positions_.emplace(pointer, offset);
  }

  std::string_view text_;
  const std::size_t* consumed_;
  std::vector<Frame> frames_;
  std::map<std::string, std::size_t> positions_;
};

/// The start of the token that ends at byte `offset` (nlohmann reports the last byte it read).
std::size_t TokenStart(std::string_view text, std::size_t offset) {
  if (offset >= text.size()) return offset;
  if (text[offset] == '"' && offset > 0) {
    std::size_t open = offset;
    while (open > 0) {
      --open;
      if (text[open] == '"' && (open == 0 || text[open - 1] != '\\')) return open;
    }
    return offset;
  }
  const auto part_of_literal = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-' || c == '+';
  };
  std::size_t start = offset;
  while (start > 0 && part_of_literal(text[start]) && part_of_literal(text[start - 1])) --start;
  return start;
}

}  // namespace

ConfigError::ConfigError(const std::string& message, std::string pointer, std::string file,
                         int line, int column)
    : std::runtime_error(Describe(message, pointer, file, line, column)),
      pointer_(std::move(pointer)),
      file_(std::move(file)),
      line_(line),
      column_(column) {}

std::vector<Model> ReadModels(const nlohmann::json& value, const std::string& pointer) {
  if (!value.is_array()) throw ConfigError("expected an array of model ids or objects", pointer);
  std::vector<Model> models;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const std::string item_pointer = PointerJoin(pointer, std::to_string(i));
    if (value[i].is_string()) {
      models.emplace_back(value[i].get<std::string>());
      continue;
    }
    ObjectReader reader(value[i], item_pointer);
    Model model(reader.String("id", ""), reader.String("status", ""),
                reader.String("owned_by", ""));
    reader.RejectUnknownKeys();
    models.push_back(std::move(model));
  }
  return models;
}

Profile ReadProfile(const nlohmann::json& value, const std::string& pointer) {
  if (!value.is_string()) throw ConfigError("expected a profile name", pointer);
  const auto profile = ParseProfile(value.get<std::string>());
  if (!profile) {
    std::string names;
    for (const ProfileInfo& info : Profiles())
      names += (names.empty() ? "" : ", ") + std::string(info.name);
    throw ConfigError("unknown profile '" + value.get<std::string>() + "' (known: " + names + ")",
                      pointer);
  }
  return *profile;
}

void ValidateOptions(const ServerOptions& options) {
  if (options.host.empty()) throw ConfigError("the host is empty", "/host");
  if (options.port < 0 || options.port > 65535)
    throw ConfigError("the port must be 0..65535", "/port");
  if (!options.base_path.empty() &&
      (options.base_path.front() != '/' || options.base_path.back() == '/')) {
    throw ConfigError("base_path must start with '/' and not end with one, e.g. \"/v1\"",
                      "/base_path");
  }
  if (options.threads == 0) throw ConfigError("threads must be at least 1", "/threads");
  if (options.max_connections == 0)
    throw ConfigError("max_connections must be at least 1", "/max_connections");
  if (options.header_timeout.count() < 1)
    throw ConfigError("header_timeout_ms must be at least 1", "/header_timeout_ms");
  // A token is sent in a header: only characters a header value carries as they are. The error
  // never quotes it.
  if (!std::all_of(options.admin_token.begin(), options.admin_token.end(),
                   [](char c) { return c > ' ' && c < 0x7F; })) {
    throw ConfigError("admin_token must be printable ASCII without spaces", "/admin_token");
  }
  if (options.journal_size == 0)
    throw ConfigError("journal_size must be at least 1", "/journal_size");
  if (options.keep_alive_timeout.count() < 1) {
    throw ConfigError("keep_alive_timeout_s must be at least 1", "/keep_alive_timeout_s");
  }
  if (options.timing.chunk_chars == 0)
    throw ConfigError("chunk_chars must be at least 1", "/timing/chunk_chars");
  for (std::size_t i = 0; i < options.models.size(); ++i) {
    if (options.models[i].id.empty())
      throw ConfigError("a model id is empty", "/models/" + std::to_string(i));
  }
}

ServerOptions OptionsFromJson(const nlohmann::json& value, ServerOptions defaults) {
  ObjectReader reader(value, "");
  ServerOptions options = std::move(defaults);
  options.host = reader.String("host", options.host);
  options.port = static_cast<int>(reader.Integer("port", options.port, 0, 65535));
  options.base_path = reader.String("base_path", options.base_path);
  if (const nlohmann::json* models = reader.Find("models"))
    options.models = ReadModels(*models, "/models");
  if (const nlohmann::json* profile = reader.Find("profile"))
    options.profile = ReadProfile(*profile, "/profile");
  if (const nlohmann::json* scenario = reader.Find("scenario")) {
    options.scenario = ReadScenario(*scenario, "/scenario");
  }
  if (const nlohmann::json* script = reader.Find("script"))
    options.script = ReadScript(*script, "/script");
  if (const nlohmann::json* timing = reader.Find("timing"))
    options.timing = ReadTiming(*timing, "/timing");
  constexpr long long kBig = 1LL << 40;
  options.threads = static_cast<std::size_t>(
      reader.Integer("threads", static_cast<long long>(options.threads), 1, 4096));
  options.max_connections = static_cast<std::size_t>(reader.Integer(
      "max_connections", static_cast<long long>(options.max_connections), 1, 1000000));
  options.header_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
      reader.Millis("header_timeout_ms", options.header_timeout));
  options.keep_alive_timeout = std::chrono::seconds(
      reader.Integer("keep_alive_timeout_s", options.keep_alive_timeout.count(), 1, 86400));
  options.journal_size = static_cast<std::size_t>(
      reader.Integer("journal_size", static_cast<long long>(options.journal_size), 1, 10000000));
  options.journal_body_limit = static_cast<std::size_t>(reader.Integer(
      "journal_body_limit", static_cast<long long>(options.journal_body_limit), 0, kBig));
  options.max_request_bytes = static_cast<std::size_t>(reader.Integer(
      "max_request_bytes", static_cast<long long>(options.max_request_bytes), 1, kBig));
  options.max_header_bytes = static_cast<std::size_t>(reader.Integer(
      "max_header_bytes", static_cast<long long>(options.max_header_bytes), 1, kBig));
  options.listen_delay = std::chrono::duration_cast<std::chrono::milliseconds>(
      reader.Millis("listen_delay_ms", options.listen_delay));
  options.model_load_time = std::chrono::duration_cast<std::chrono::milliseconds>(
      reader.Millis("model_load_ms", options.model_load_time));
  options.created = reader.Integer("created", options.created, 0, kBig);
  reader.RejectUnknownKeys();
  ValidateOptions(options);
  return options;
}

ServerOptions ParseConfig(std::string_view text, const std::string& file, ServerOptions defaults) {
  std::size_t consumed = 0;
  PositionRecorder recorder(text, &consumed);
  nlohmann::json document;
  try {
    const char* begin = text.data();
    document = nlohmann::json::parse(CountingIterator(begin, begin, &consumed),
                                     CountingIterator(begin + text.size(), begin, &consumed),
                                     std::ref(recorder));
  } catch (const nlohmann::json::parse_error& error) {
    const std::size_t offset = TokenStart(text, error.byte == 0 ? 0 : error.byte - 1);
    const auto [line, column] = support::PositionAt(text, offset);
    throw ConfigError(support::JsonErrorReason(error.what()), {}, file, line, column);
  } catch (const nlohmann::json::exception& error) {
    // A number too large for a double ("1e309") is out_of_range 406, not a parse_error; the
    // parser stopped just after it.
    const std::size_t offset = TokenStart(text, consumed == 0 ? 0 : consumed - 1);
    const auto [line, column] = support::PositionAt(text, offset);
    throw ConfigError(support::JsonErrorReason(error.what()), {}, file, line, column);
  }
  try {
    return OptionsFromJson(document, std::move(defaults));
  } catch (const ConfigError& error) {
    const auto [line, column] = support::PositionAt(text, recorder.PositionOf(error.pointer()));
    // Strip the pointer prefix Describe() added; the new error adds file and position.
    std::string message = error.what();
    if (!error.pointer().empty() && message.rfind(error.pointer() + ": ", 0) == 0) {
      message.erase(0, error.pointer().size() + 2);
    }
    throw ConfigError(message, error.pointer(), file, line, column);
  }
}

ServerOptions LoadConfigFile(const std::filesystem::path& path, ServerOptions defaults) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError("cannot read the config file", {}, path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return ParseConfig(text.str(), path.string(), std::move(defaults));
}

}  // namespace provkit::mock
