// JsonReader: a strict pull reader of one JSON document, for hot paths that want a few fields
// without a DOM.
#pragma once

#include <string>
#include <string_view>

#include "json_body.hpp"

namespace provkit {

/// Reads one JSON text front to back. Accepts exactly what RFC 8259 (and
/// nlohmann::json) accepts: strict numbers, valid escapes and surrogate pairs,
/// valid UTF-8, no control characters in strings, nesting up to kMaxDepth.
/// Any error makes every later call return false and ok() false. Never throws
/// except std::bad_alloc. Not thread-safe.
///
/// Usage: EnterObject(), then `while (NextKey(key)) { read or Skip() the value }`;
/// EnterArray(), then `while (NextElement()) { ... }`.
class JsonReader {
 public:
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject, kInvalid };

  explicit JsonReader(std::string_view text) noexcept : text_(text) {}

  /// The kind of the next value, from its first byte; does not consume it.
  Kind Peek() noexcept;
  /// Consumes '{' or '['. False when the next value is not one.
  bool EnterObject() noexcept { return Enter('{'); }
  bool EnterArray() noexcept { return Enter('['); }
  /// The next key of the current object (and consumes its ':'), or false at
  /// its end (the '}' is consumed) or on an error. The view lives until the
  /// next call.
  bool NextKey(std::string_view& key);
  /// True when the current array has another element, false at its end (the
  /// ']' is consumed) or on an error.
  bool NextElement() noexcept;
  /// Reads a string value, unescaped, into `out` (replacing its content).
  bool ReadString(std::string& out);
  /// Reads a number without fraction or exponent that fits a long long.
  /// False (with ok() still true) for other valid numbers.
  bool ReadInteger(long long& out) noexcept;
  bool ReadNull() noexcept { return Literal("null"); }
  /// Skips one value of any kind, checking it.
  bool Skip();
  /// True when only whitespace is left and no error occurred.
  bool AtEnd() noexcept;
  bool ok() const noexcept { return ok_; }

 private:
  bool Enter(char open) noexcept;
  // Consumes the container's `close` (false) or, before any item but the first, its ','.
  bool NextItem(char close) noexcept;
  bool Fail() noexcept {
    ok_ = false;
    return false;
  }
  void SkipSpace() noexcept;
  bool Literal(std::string_view word) noexcept;
  // Parses a string at pos_; appends the unescaped text to `out` when non-null.
  // Sets `plain` when it had no escapes (then text_[start, pos_-1) is the value).
  bool ParseString(std::string* out, std::size_t& start, bool& plain);
  // Parses a number at pos_. Sets `integral` when it has no fraction or exponent.
  bool ParseNumber(bool& integral) noexcept;

  std::string_view text_;
  std::size_t pos_ = 0;
  int depth_ = 0;
  bool ok_ = true;
  bool expect_first_ = false;  // Just entered a container: no ',' before its first item.
  std::string key_;            // Unescaped key, when the key had escapes.
};

}  // namespace provkit
