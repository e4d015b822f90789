// Whole-file reads and all-or-nothing writes: a report never replaces a good file with half a file.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "provkit/reports/outcome.hpp"

namespace provkit::reports {

/// Largest file ReadTextFile accepts: results and baselines are far smaller.
inline constexpr std::size_t kMaxInputBytes = 64u << 20;

/// The contents of `path`. Errors name the file: missing, unreadable, a
/// directory, larger than kMaxInputBytes.
Outcome<std::string> ReadTextFile(const std::filesystem::path& path);

/// Writes `content` to a new temporary file beside `path`, flushes it to disk,
/// then renames it over `path`: readers see the old file or the new one, never
/// a part. Creates missing parent directories. On failure `path` is untouched
/// and the temporary file removed. Safe to call from several threads for
/// different paths.
Outcome<void> WriteFileAtomically(const std::filesystem::path& path, std::string_view content);

}  // namespace provkit::reports
