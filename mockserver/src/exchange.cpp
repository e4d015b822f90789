// Exchange: header lookup and the request body parsed once.
#include "exchange.hpp"

#include <cctype>

namespace provkit::mock {

std::optional<std::string> Exchange::Header(std::string_view name) const {
  for (const auto& [key, value] : request_.headers) {
    if (key.size() != name.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < key.size() && same; ++i) {
      same = std::tolower(static_cast<unsigned char>(key[i])) ==
             std::tolower(static_cast<unsigned char>(name[i]));
    }
    if (same) return value;
  }
  return std::nullopt;
}

const nlohmann::json* Exchange::Json() const {
  if (!parsed_) {
    parsed_ = true;
    try {
      json_ = nlohmann::json::parse(request_.body);
    } catch (const nlohmann::json::parse_error& error) {
      json_error_ = error.what();
      json_ = nlohmann::json(nlohmann::json::value_t::discarded);
    }
  }
  return json_.is_discarded() ? nullptr : &json_;
}

const std::string& Exchange::JsonError() const {
  Json();
  return json_error_;
}

}  // namespace provkit::mock
