// Fuzzes the mock server's config loader: ParseConfig either returns well-formed options or throws
// ConfigError naming the file, line and column; OptionsFromJson throws nothing but ConfigError.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "provkit/mockserver/config.hpp"

namespace {

using provkit::mock::ConfigError;
using provkit::mock::ServerOptions;

constexpr const char* kFile = "fuzz.json";

// What ValidateOptions promises of every ServerOptions a config yields (docs/mockserver.md).
void CheckOptions(const ServerOptions& options) {
  FUZZ_CHECK(!options.host.empty(), "the host is not empty");
  FUZZ_CHECK(options.port >= 0 && options.port <= 65535, "the port is 0..65535");
  FUZZ_CHECK(options.base_path.empty() ||
                 (options.base_path.front() == '/' && options.base_path.back() != '/'),
             "base_path starts with '/' and does not end with one");
  FUZZ_CHECK(options.threads >= 1 && options.journal_size >= 1, "threads and journal are >= 1");
  FUZZ_CHECK(options.keep_alive_timeout.count() >= 1, "keep_alive_timeout_s >= 1");
  FUZZ_CHECK(options.max_connections >= 1 && options.header_timeout.count() >= 1,
             "max_connections and header_timeout_ms are >= 1");
  FUZZ_CHECK(options.timing.chunk_chars >= 1, "chunk_chars >= 1");
  FUZZ_CHECK(options.max_request_bytes >= 1 && options.max_header_bytes >= 1, "limits >= 1");
  FUZZ_CHECK(options.listen_delay.count() >= 0, "listen_delay is not negative");
  for (const provkit::mock::Model& model : options.models)
    FUZZ_CHECK(!model.id.empty(), "no model id is empty");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    CheckOptions(provkit::mock::ParseConfig(text, kFile));
  } catch (const ConfigError& error) {
    FUZZ_CHECK(error.file() == kFile, "a config error names the file");
    const long lines = 1 + std::count(text.begin(), text.end(), '\n');
    FUZZ_CHECK(error.line() >= 1 && error.line() <= lines, "the line is in the text");
    FUZZ_CHECK(error.column() >= 1, "the column is 1-based");
    const std::string prefix = std::string(kFile) + ":" + std::to_string(error.line()) + ":" +
                               std::to_string(error.column()) + ": ";
    FUZZ_CHECK(std::string_view(error.what()).substr(0, prefix.size()) == prefix,
               "what() reads file:line:column: message");
    FUZZ_CHECK(std::string_view(error.what()).size() > prefix.size(), "the message is not empty");
  } catch (const std::exception& error) {
    std::fprintf(stderr, "ParseConfig threw %s\n", error.what());
    FUZZ_CHECK(false, "ParseConfig throws only ConfigError");
  }

  // The same document through OptionsFromJson, as code building options from JSON does.
  const nlohmann::json document = nlohmann::json::parse(text, nullptr, false);
  if (document.is_discarded()) return 0;
  try {
    CheckOptions(provkit::mock::OptionsFromJson(document));
  } catch (const ConfigError& error) {
    FUZZ_CHECK(error.file().empty() && error.line() == 0, "no file position without a file");
  } catch (const std::exception& error) {
    std::fprintf(stderr, "OptionsFromJson threw %s\n", error.what());
    FUZZ_CHECK(false, "OptionsFromJson throws only ConfigError");
  }
  return 0;
}
