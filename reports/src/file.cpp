// Whole-file reads and temp-file-then-rename writes.
#include "provkit/reports/file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <system_error>

namespace provkit::reports {
namespace {

std::string ErrnoText(int error) { return std::generic_category().message(error); }

}  // namespace

Outcome<std::string> ReadTextFile(const std::filesystem::path& path) {
  const std::string name = path.string();
  std::error_code error;
  const auto status = std::filesystem::status(path, error);
  if (error) return FileError{name, "cannot read: " + error.message()};
  if (std::filesystem::is_directory(status))
    return FileError{name, "cannot read: it is a directory"};
  const auto size = std::filesystem::file_size(path, error);
  if (!error && size > kMaxInputBytes) {
    return FileError{name, "cannot read: " + std::to_string(size) + " bytes is more than the " +
                               std::to_string(kMaxInputBytes) + " bytes accepted"};
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return FileError{name, "cannot read: " + ErrnoText(errno)};
  std::string content;
  char buffer[1 << 16];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    content.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (content.size() > kMaxInputBytes) {
      return FileError{
          name, "cannot read: more than the " + std::to_string(kMaxInputBytes) + " bytes accepted"};
    }
  }
  if (in.bad()) return FileError{name, "cannot read: input error"};
  return content;
}

Outcome<void> WriteFileAtomically(const std::filesystem::path& path, std::string_view content) {
  static std::atomic<unsigned> counter{0};
  const std::string name = path.string();
  if (path.filename().empty()) return FileError{name, "cannot write: not a file name"};
  std::error_code error;
  const std::filesystem::path directory = path.parent_path();
  if (!directory.empty()) {
    std::filesystem::create_directories(directory, error);
    if (error)
      return FileError{name,
                       "cannot create directory " + directory.string() + ": " + error.message()};
  }
  if (std::filesystem::is_directory(path, error))
    return FileError{name, "cannot write: it is a directory"};

  const std::filesystem::path temporary =
      directory / ("." + path.filename().string() + ".tmp-" + std::to_string(::getpid()) + "-" +
                   std::to_string(counter.fetch_add(1)));
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) return FileError{name, "cannot write: " + ErrnoText(errno)};
  auto fail = [&](int saved_errno) -> Outcome<void> {
    ::close(fd);
    ::unlink(temporary.c_str());
    return FileError{name, "cannot write: " + ErrnoText(saved_errno)};
  };
  std::size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(errno);
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) return fail(errno);
  if (::close(fd) != 0) {
    const int saved = errno;
    ::unlink(temporary.c_str());
    return FileError{name, "cannot write: " + ErrnoText(saved)};
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    const int saved = errno;
    ::unlink(temporary.c_str());
    return FileError{name, "cannot write: " + ErrnoText(saved)};
  }
  return {};
}

}  // namespace provkit::reports
