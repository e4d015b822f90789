// The stream input format of the codec fuzz targets: each line a data payload; a line
// "event: NAME" names the next payload's SSE event.
#pragma once

#include <string>
#include <string_view>
#include <vector>

/// One SSE event of a fuzzed stream: `event:` name (empty: message) and `data`.
struct Chunk {
  std::string event;
  std::string data;
};

inline std::vector<Chunk> Chunks(std::string_view text) {
  std::vector<Chunk> chunks;
  std::string event;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (line.substr(0, 7) == "event: ") {
      event = std::string(line.substr(7));
      continue;
    }
    chunks.push_back({std::move(event), std::string(line)});
    event.clear();
  }
  return chunks;
}
