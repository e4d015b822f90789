// Config defaults, validation and URL helpers.
#include "provkit/runtime/config.hpp"

#include <charconv>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "provkit/runtime/error.hpp"

namespace provkit {

std::optional<Url> ParseUrl(std::string_view text) {
  Url url;
  const auto scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) return std::nullopt;
  url.scheme = std::string(text.substr(0, scheme_end));
  if (url.scheme != "http" && url.scheme != "https") return std::nullopt;
  std::string_view rest = text.substr(scheme_end + 3);
  const auto path_start = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, path_start);
  std::string_view path = path_start == std::string_view::npos ? "" : rest.substr(path_start);
  if (const auto query = path.find_first_of("?#"); query != std::string_view::npos) {
    path = path.substr(0, query);
  }
  if (authority.find('@') != std::string_view::npos) return std::nullopt;

  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {  // IPv6 literal
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    url.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return std::nullopt;
      port_text = after.substr(1);
    }
  } else {
    const auto colon = authority.rfind(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (url.host.empty()) return std::nullopt;
  if (!port_text.empty()) {
    const auto [end, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), url.port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || url.port <= 0 ||
        url.port > 65535) {
      return std::nullopt;
    }
  } else {
    url.port = url.scheme == "https" ? 443 : 80;
  }
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  url.path = std::string(path);
  return url;
}

std::string ServerRoot(std::string_view base_url) {
  while (!base_url.empty() && base_url.back() == '/') base_url.remove_suffix(1);
  const auto scheme_end = base_url.find("://");
  const auto path_start =
      base_url.find('/', scheme_end == std::string_view::npos ? 0 : scheme_end + 3);
  if (path_start == std::string_view::npos) return std::string(base_url);
  const auto last_slash = base_url.rfind('/');
  return std::string(base_url.substr(0, last_slash));
}

std::string Config::DefaultBaseUrl() {
  const char* from_env = std::getenv("PROVKIT_LOCAL_BASE_URL");
  if (from_env != nullptr && *from_env != '\0') return from_env;
  return "http://127.0.0.1:8080/v1";
}

void Config::Validate() const {
  if (provider.empty()) {
    throw ConfigurationError("Config.provider is empty",
                             "Name a registered provider, e.g. \"local\".", "provider");
  }
  if (model.has_value() && model->empty()) {
    throw ConfigurationError("Config.model is set but empty",
                             "Leave model unset to skip model verification, or name a model.",
                             "model");
  }
  if (base_url.empty()) {
    throw ConfigurationError("Config.base_url is empty",
                             "Set it to the API root, e.g. http://127.0.0.1:8080/v1.", "base_url");
  }
  if (!ParseUrl(base_url)) {
    throw ConfigurationError(
        "Config.base_url '" + base_url + "' is not an http(s) URL with a host",
        "Use a URL such as http://127.0.0.1:8080/v1 (scheme, host, optional port and path).",
        "base_url");
  }
  auto check_timeout = [](std::chrono::milliseconds value, const char* field) {
    if (value.count() <= 0) {
      throw ConfigurationError(std::string("Config.") + field + " must be positive, got " +
                                   std::to_string(value.count()) + " ms",
                               "Give a duration greater than zero.", field);
    }
  };
  check_timeout(connect_timeout, "connect_timeout");
  check_timeout(request_timeout, "request_timeout");
  check_timeout(probe_budget, "probe_budget");
}

nlohmann::json RedactedJson(const Config& config) {
  nlohmann::json out = {
      {"provider", config.provider},
      {"model", config.model ? nlohmann::json(*config.model) : nlohmann::json(nullptr)},
      {"base_url", config.base_url},
      {"api_key", config.api_key.empty() ? "" : "<redacted>"},
      {"connect_timeout_ms", config.connect_timeout.count()},
      {"request_timeout_ms", config.request_timeout.count()},
      {"probe_budget_ms", config.probe_budget.count()},
  };
  return out;
}

}  // namespace provkit
