// FileError's one-line form.
#include "provkit/reports/outcome.hpp"

namespace provkit::reports {

std::string FileError::ToString() const {
  std::string text = file.empty() ? "<input>" : file;
  if (line > 0) {
    text += ':' + std::to_string(line);
    if (column > 0) text += ':' + std::to_string(column);
  }
  return text + ": " + message;
}

}  // namespace provkit::reports
