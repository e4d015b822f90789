// JSON conversion of ProviderReadiness.
#include "provkit/runtime/readiness.hpp"

#include <cstdint>
#include <limits>

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

// An integer that fits an int. A fraction, or a number out of range, throws rather than being
// cut (a float cast out of range is undefined behaviour; a wide integer would be truncated).
std::optional<int> OptionalInt(const nlohmann::json& in, const char* key) {
  const auto it = in.find(key);
  if (it == in.end() || it->is_null()) return std::nullopt;
  if (!it->is_number_integer()) {
    throw nlohmann::json::type_error::create(
        302, std::string("'") + key + "' must be an integer, not " + it->type_name(), &*it);
  }
  constexpr auto kMax = std::numeric_limits<int>::max();
  const bool fits = it->is_number_unsigned()
                        ? it->get<std::uint64_t>() <= static_cast<std::uint64_t>(kMax)
                        : it->get<std::int64_t>() >= std::numeric_limits<int>::min() &&
                              it->get<std::int64_t>() <= kMax;
  if (!fits) {
    throw nlohmann::json::out_of_range::create(
        406, std::string("'") + key + "' is out of range: " + it->dump(), &*it);
  }
  return static_cast<int>(it->get<std::int64_t>());
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
  readiness.status_code = OptionalInt(in, "status_code");
  readiness.message = OptionalField<std::string>(in, "message");
  readiness.model = OptionalField<std::string>(in, "model");
  readiness.model_verified = OptionalField<bool>(in, "model_verified");
}

}  // namespace provkit
