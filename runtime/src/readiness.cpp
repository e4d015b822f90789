// JSON conversion of ProviderReadiness.
#include "provkit/runtime/readiness.hpp"

namespace provkit {
namespace {

template <typename T>
nlohmann::json OrNull(const std::optional<T>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

template <typename T>
std::optional<T> OptionalField(const nlohmann::json& in, const char* key) {
  const auto it = in.find(key);
  if (it == in.end() || it->is_null()) return std::nullopt;
  return it->get<T>();
}

}  // namespace

void to_json(nlohmann::json& out, const ProviderReadiness& readiness) {
  out = {{"ready", readiness.ready},
         {"provider", readiness.provider},
         {"status_code", OrNull(readiness.status_code)},
         {"message", OrNull(readiness.message)},
         {"model", OrNull(readiness.model)},
         {"model_verified", OrNull(readiness.model_verified)}};
}

void from_json(const nlohmann::json& in, ProviderReadiness& readiness) {
  readiness.ready = in.at("ready").get<bool>();
  readiness.provider = in.value("provider", std::string());
  readiness.status_code = OptionalField<int>(in, "status_code");
  readiness.message = OptionalField<std::string>(in, "message");
  readiness.model = OptionalField<std::string>(in, "model");
  readiness.model_verified = OptionalField<bool>(in, "model_verified");
}

}  // namespace provkit
