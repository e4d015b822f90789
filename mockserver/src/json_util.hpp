// JSON helpers for the mock: fast string escaping and strict readers that name the offending key.
#pragma once

#include <chrono>
#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace provkit::mock {

/// `object[key]` when it is a string, else "".
std::string StringField(const nlohmann::json& object, const char* key);

/// Appends `text` as a JSON string literal (quotes included). Bytes >= 0x80 pass through.
void AppendJsonString(std::string& out, std::string_view text);

/// Byte length of the first `code_points` UTF-8 code points of `text`.
std::size_t Utf8PrefixBytes(std::string_view text, std::size_t code_points);

/// Whitespace-separated words in `text`.
long long CountWords(std::string_view text);

/// RFC 3339 UTC with microseconds: 2025-01-31T12:00:00.123456Z.
std::string FormatUtc(std::chrono::system_clock::time_point time);

/// `pointer` + "/" + `key`, escaped as RFC 6901 requires.
std::string PointerJoin(const std::string& pointer, std::string_view key);

/// Reads the keys of one JSON object, each at most once, and refuses keys it was
/// not asked about. Every failure throws ConfigError carrying the key's pointer.
class ObjectReader {
 public:
  /// Throws ConfigError when `value` is not an object.
  ObjectReader(const nlohmann::json& value, std::string pointer);

  /// The value of `key`, or nullptr when absent.
  const nlohmann::json* Find(std::string_view key);
  std::string String(std::string_view key, std::string fallback);
  bool Bool(std::string_view key, bool fallback);
  long long Integer(std::string_view key, long long fallback, long long min, long long max);
  double Number(std::string_view key, double fallback, double min, double max);
  /// A duration given in (possibly fractional) milliseconds.
  std::chrono::microseconds Millis(std::string_view key, std::chrono::microseconds fallback);

  std::string PointerOf(std::string_view key) const { return PointerJoin(pointer_, key); }
  /// Throws ConfigError naming the first key no call above asked about.
  void RejectUnknownKeys() const;

 private:
  const nlohmann::json& value_;
  std::string pointer_;
  std::vector<std::string> seen_;
};

}  // namespace provkit::mock
