// JSON helpers for the mock: fast string escaping and strict readers that name the offending key.
#include "json_util.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "provkit/mockserver/config.hpp"

namespace provkit::mock {

std::string StringField(const nlohmann::json& object, const char* key) {
  const auto value = object.find(key);
  return value != object.end() && value->is_string() ? value->get<std::string>() : std::string();
}

void AppendJsonString(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  std::size_t run_start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(text.data() + run_start, i - run_start);
    run_start = i + 1;
    switch (c) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      case '\b':
        out.append("\\b");
        break;
      case '\f':
        out.append("\\f");
        break;
      default:
        out.append("\\u00");
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 0xF]);
    }
  }
  out.append(text.data() + run_start, text.size() - run_start);
  out.push_back('"');
}

std::size_t Utf8PrefixBytes(std::string_view text, std::size_t code_points) {
  std::size_t i = 0;
  while (i < text.size() && code_points > 0) {
    ++i;
    while (i < text.size() && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) ++i;
    --code_points;
  }
  return i;
}

long long CountWords(std::string_view text) {
  long long words = 0;
  bool in_word = false;
  for (char c : text) {
    const bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
    if (!space && !in_word) ++words;
    in_word = !space;
  }
  return words;
}

std::string FormatUtc(std::chrono::system_clock::time_point time) {
  using std::chrono::duration_cast;
  const auto since_epoch = duration_cast<std::chrono::microseconds>(time.time_since_epoch());
  const std::time_t seconds = static_cast<std::time_t>(since_epoch.count() / 1000000);
  const long long micros = since_epoch.count() % 1000000;
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", parts.tm_year + 1900,
                parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec, micros);
  return text;
}

std::string PointerJoin(const std::string& pointer, std::string_view key) {
  std::string out = pointer;
  out.push_back('/');
  for (char c : key) {
    if (c == '~') {
      out.append("~0");
    } else if (c == '/') {
      out.append("~1");
    } else {
      out.push_back(c);
    }
  }
  return out;
}

ObjectReader::ObjectReader(const nlohmann::json& value, std::string pointer)
    : value_(value), pointer_(std::move(pointer)) {
  if (!value_.is_object()) {
    throw ConfigError("expected an object, got " + std::string(value_.type_name()), pointer_);
  }
}

const nlohmann::json* ObjectReader::Find(std::string_view key) {
  seen_.emplace_back(key);
  const auto found = value_.find(std::string(key));
  return found == value_.end() ? nullptr : &*found;
}

std::string ObjectReader::String(std::string_view key, std::string fallback) {
  const nlohmann::json* value = Find(key);
  if (value == nullptr) return fallback;
  if (!value->is_string()) throw ConfigError("expected a string", PointerOf(key));
  return value->get<std::string>();
}

bool ObjectReader::Bool(std::string_view key, bool fallback) {
  const nlohmann::json* value = Find(key);
  if (value == nullptr) return fallback;
  if (!value->is_boolean()) throw ConfigError("expected true or false", PointerOf(key));
  return value->get<bool>();
}

long long ObjectReader::Integer(std::string_view key, long long fallback, long long min,
                                long long max) {
  const nlohmann::json* value = Find(key);
  if (value == nullptr) return fallback;
  if (!value->is_number_integer()) throw ConfigError("expected an integer", PointerOf(key));
  const auto number = value->get<long long>();
  if (number < min || number > max) {
    throw ConfigError(
        "expected an integer from " + std::to_string(min) + " to " + std::to_string(max),
        PointerOf(key));
  }
  return number;
}

double ObjectReader::Number(std::string_view key, double fallback, double min, double max) {
  const nlohmann::json* value = Find(key);
  if (value == nullptr) return fallback;
  if (!value->is_number()) throw ConfigError("expected a number", PointerOf(key));
  const auto number = value->get<double>();
  if (!std::isfinite(number) || number < min || number > max) {
    throw ConfigError("expected a number from " + nlohmann::json(min).dump() + " to " +
                          nlohmann::json(max).dump(),
                      PointerOf(key));
  }
  return number;
}

std::chrono::microseconds ObjectReader::Millis(std::string_view key,
                                               std::chrono::microseconds fallback) {
  constexpr double kDay = 86400.0 * 1000.0;
  const double millis = Number(key, static_cast<double>(fallback.count()) / 1000.0, 0.0, kDay);
  return std::chrono::microseconds(std::llround(millis * 1000.0));
}

void ObjectReader::RejectUnknownKeys() const {
  for (const auto& [key, unused] : value_.items()) {
    if (std::find(seen_.begin(), seen_.end(), key) == seen_.end()) {
      throw ConfigError("unknown key '" + key + "'", PointerJoin(pointer_, key));
    }
  }
}

}  // namespace provkit::mock
