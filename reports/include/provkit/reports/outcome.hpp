// Outcome<T>: a value, or the FileError saying which file was wrong and why.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

namespace provkit::reports {

/// A problem with one file, in words a person can act on: which file, where
/// (1-based line and column, 0 when not known) and what.
struct FileError {
  std::string file;
  std::string message;
  int line = 0;
  int column = 0;

  /// "file:line:column: message", leaving out the parts that are not known.
  std::string ToString() const;
};

/// The outcome of reading, writing or combining files: a T, or the FileError
/// explaining why there is none. Bad input is reported here, never thrown.
/// Asking an error outcome for its value (or a value for its error) is a
/// programming error and throws std::logic_error.
template <typename T>
class [[nodiscard]] Outcome {
 public:
  Outcome(T value)
      : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Outcome(FileError error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & { return std::get<0>(Checked(true)); }
  const T& value() const& { return std::get<0>(Checked(true)); }
  T&& value() && { return std::get<0>(std::move(Checked(true))); }
  const FileError& error() const { return std::get<1>(Checked(false)); }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, FileError>& Checked(bool want_value) {
    if (ok() != want_value)
      throw std::logic_error(want_value ? "Outcome holds an error" : "Outcome holds a value");
    return state_;
  }
  const std::variant<T, FileError>& Checked(bool want_value) const {
    if (ok() != want_value)
      throw std::logic_error(want_value ? "Outcome holds an error" : "Outcome holds a value");
    return state_;
  }

  std::variant<T, FileError> state_;
};

/// An Outcome with no value: success, or the FileError.
template <>
class [[nodiscard]] Outcome<void> {
 public:
  Outcome() = default;
  Outcome(FileError error) : error_(std::move(error)), ok_(false) {}  // NOLINT: implicit by design

  bool ok() const noexcept { return ok_; }
  explicit operator bool() const noexcept { return ok_; }
  const FileError& error() const {
    if (ok_) throw std::logic_error("Outcome holds no error");
    return error_;
  }

 private:
  FileError error_;
  bool ok_ = true;
};

}  // namespace provkit::reports
