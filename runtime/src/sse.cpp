// SseParser: the WHATWG event-stream line and field rules, fed incrementally.
#include "provkit/runtime/sse.hpp"

#include <cstring>
#include <utility>

namespace provkit {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

// Finds line ends (CR or LF) in one buffer. Remembers where the next LF is so
// that CR-only streams do not rescan the rest of the buffer for every line.
class LineEndFinder {
 public:
  explicit LineEndFinder(std::string_view bytes) : bytes_(bytes) {}

  // Index of the first CR or LF at or after `from`, or npos.
  std::size_t Next(std::size_t from) noexcept {
    if (next_lf_ != std::string_view::npos && next_lf_ < from) next_lf_ = kUnknown;
    if (next_lf_ == kUnknown) next_lf_ = Find('\n', from, bytes_.size());
    const std::size_t limit = next_lf_ == std::string_view::npos ? bytes_.size() : next_lf_;
    const std::size_t cr = Find('\r', from, limit);
    return cr != std::string_view::npos ? cr : next_lf_;
  }

 private:
  static constexpr std::size_t kUnknown = std::string_view::npos - 1;

  std::size_t Find(char c, std::size_t from, std::size_t limit) const noexcept {
    const void* found = std::memchr(bytes_.data() + from, c, limit - from);
    return found == nullptr
               ? std::string_view::npos
               : static_cast<std::size_t>(static_cast<const char*>(found) - bytes_.data());
  }

  std::string_view bytes_;
  std::size_t next_lf_ = kUnknown;
};

}  // namespace

SseParser::SseParser(Handler handler, std::size_t max_event_bytes)
    : handler_(std::move(handler)), max_event_bytes_(max_event_bytes) {}

bool SseParser::Feed(std::string_view bytes) {
  if (overflowed_) return false;
  if (!bom_checked_) {
    // Until three bytes are seen, line_ holds only a candidate BOM prefix.
    while (!bytes.empty() && line_.size() < kBom.size() && kBom.substr(0, line_.size()) == line_) {
      line_.push_back(bytes.front());
      bytes.remove_prefix(1);
    }
    if (line_ == kBom) {
      line_.clear();
      bom_checked_ = true;
    } else if (kBom.substr(0, line_.size()) == line_) {
      return true;  // Still a BOM prefix: wait for more bytes.
    } else {
      bom_checked_ = true;
      std::string head = std::move(line_);
      line_.clear();
      if (!Feed(head)) return false;
    }
  }

  std::size_t pos = 0;
  if (skip_lf_ && !bytes.empty()) {
    skip_lf_ = false;
    if (bytes.front() == '\n') pos = 1;
  }
  LineEndFinder finder(bytes);
  while (pos < bytes.size()) {
    const std::size_t end = finder.Next(pos);
    if (end == std::string_view::npos) {
      if (line_.size() + data_.size() + (bytes.size() - pos) > max_event_bytes_) break;
      line_.append(bytes.substr(pos));
      return true;
    }
    const std::string_view piece = bytes.substr(pos, end - pos);
    if (line_.empty()) {
      // The limit counted on a whole line too, as on one split across feeds: same input, same
      // verdict however it arrives.
      if (piece.size() + data_.size() > max_event_bytes_) break;
      ProcessLine(piece);
    } else {
      if (line_.size() + piece.size() + data_.size() > max_event_bytes_) break;
      line_.append(piece);
      ProcessLine(line_);
      line_.clear();
    }
    if (overflowed_) return false;
    pos = end + 1;
    if (bytes[end] == '\r') {
      if (pos < bytes.size()) {
        if (bytes[pos] == '\n') ++pos;
      } else {
        skip_lf_ = true;
      }
    }
  }
  if (pos < bytes.size() || overflowed_) {
    overflowed_ = true;
    line_.clear();
    data_.clear();
    has_data_ = false;
    return false;
  }
  return true;
}

bool SseParser::HasPartialEvent() const noexcept { return has_data_ || !line_.empty(); }

void SseParser::ProcessLine(std::string_view line) {
  if (line.empty()) {
    Dispatch();
    return;
  }
  if (line.front() == ':') return;
  const std::size_t colon = line.find(':');
  const std::string_view field = line.substr(0, colon);
  std::string_view value;
  if (colon != std::string_view::npos) {
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    if (data_.size() + value.size() + 1 > max_event_bytes_) {
      overflowed_ = true;
      return;
    }
    if (has_data_) data_.push_back('\n');
    data_.append(value);
    has_data_ = true;
  } else if (field == "event") {
    event_.assign(value.substr(0, max_event_bytes_));
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) id_.assign(value.substr(0, max_event_bytes_));
  }
  // "retry" and unknown fields are ignored: a client of one request never reconnects.
}

void SseParser::Dispatch() {
  if (!has_data_) {
    event_.clear();
    return;
  }
  struct Reset {
    SseParser* parser;
    ~Reset() {
      parser->data_.clear();
      parser->event_.clear();
      parser->has_data_ = false;
    }
  } reset{this};
  handler_(SseEvent{.event = event_, .data = data_, .id = id_});
}

}  // namespace provkit
