// JsonReader: RFC 8259 grammar, checked byte by byte, with no allocation for plain strings.
#include "json_reader.hpp"

#include <utility>

namespace provkit {
namespace {

bool IsJsonSpace(char c) noexcept { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }
bool IsDigit(char c) noexcept { return c >= '0' && c <= '9'; }

int HexValue(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void AppendUtf8(std::string& out, unsigned code_point) {
  if (code_point < 0x80) {
    out.push_back(static_cast<char>(code_point));
  } else if (code_point < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (code_point >> 6)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else if (code_point < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (code_point >> 12)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (code_point >> 18)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  }
}

}  // namespace

void JsonReader::SkipSpace() noexcept {
  while (pos_ < text_.size() && IsJsonSpace(text_[pos_])) ++pos_;
}

JsonReader::Kind JsonReader::Peek() noexcept {
  if (!ok_) return Kind::kInvalid;
  SkipSpace();
  if (pos_ >= text_.size()) return Kind::kInvalid;
  switch (text_[pos_]) {
    case '{':
      return Kind::kObject;
    case '[':
      return Kind::kArray;
    case '"':
      return Kind::kString;
    case 'n':
      return Kind::kNull;
    case 't':
    case 'f':
      return Kind::kBool;
    default:
      return text_[pos_] == '-' || IsDigit(text_[pos_]) ? Kind::kNumber : Kind::kInvalid;
  }
}

bool JsonReader::Enter(char open) noexcept {
  if (Peek() == Kind::kInvalid || text_[pos_] != open) return false;
  if (++depth_ > json_body::kMaxDepth) return Fail();
  ++pos_;
  expect_first_ = true;
  return true;
}

bool JsonReader::NextItem(char close) noexcept {
  if (!ok_) return false;
  SkipSpace();
  if (pos_ >= text_.size()) return Fail();
  const bool first = std::exchange(expect_first_, false);
  if (text_[pos_] == close) {
    ++pos_;
    --depth_;
    return false;
  }
  if (!first) {
    if (text_[pos_] != ',') return Fail();
    ++pos_;
  }
  return true;
}

bool JsonReader::NextKey(std::string_view& key) {
  if (!NextItem('}')) return false;
  SkipSpace();
  if (pos_ >= text_.size() || text_[pos_] != '"') return Fail();
  std::size_t start = 0;
  bool plain = true;
  key_.clear();
  if (!ParseString(&key_, start, plain)) return false;
  key = plain ? text_.substr(start, pos_ - 1 - start) : std::string_view(key_);
  SkipSpace();
  if (pos_ >= text_.size() || text_[pos_] != ':') return Fail();
  ++pos_;
  return true;
}

bool JsonReader::NextElement() noexcept { return NextItem(']'); }

bool JsonReader::ReadString(std::string& out) {
  if (Peek() != Kind::kString) return false;
  out.clear();
  std::size_t start = 0;
  bool plain = true;
  if (!ParseString(&out, start, plain)) return false;
  if (plain) out.assign(text_.substr(start, pos_ - 1 - start));
  return true;
}

bool JsonReader::ParseString(std::string* out, std::size_t& start, bool& plain) {
  ++pos_;  // Opening quote.
  start = pos_;
  plain = true;
  std::size_t run = pos_;  // Start of the bytes not yet copied to `out`.
  while (pos_ < text_.size()) {
    const auto c = static_cast<unsigned char>(text_[pos_]);
    if (c == '"') {
      if (!plain && out != nullptr) out->append(text_.substr(run, pos_ - run));
      ++pos_;
      return true;
    }
    if (c < 0x20) return Fail();
    if (c >= 0x80) {
      const std::size_t length = json_body::Utf8SequenceLength(text_.substr(pos_));
      if (length == 0) return Fail();
      pos_ += length;
      continue;
    }
    if (c != '\\') {
      ++pos_;
      continue;
    }
    if (out != nullptr) out->append(text_.substr(run, pos_ - run));
    plain = false;
    if (++pos_ >= text_.size()) return Fail();
    const char escape = text_[pos_++];
    char simple = 0;
    switch (escape) {
      case '"':
        simple = '"';
        break;
      case '\\':
        simple = '\\';
        break;
      case '/':
        simple = '/';
        break;
      case 'b':
        simple = '\b';
        break;
      case 'f':
        simple = '\f';
        break;
      case 'n':
        simple = '\n';
        break;
      case 'r':
        simple = '\r';
        break;
      case 't':
        simple = '\t';
        break;
      case 'u':
        break;
      default:
        return Fail();
    }
    if (simple != 0) {
      if (out != nullptr) out->push_back(simple);
    } else {
      auto read_hex4 = [this](unsigned& value) {
        if (text_.size() - pos_ < 4) return false;
        value = 0;
        for (int i = 0; i < 4; ++i) {
          const int digit = HexValue(text_[pos_++]);
          if (digit < 0) return false;
          value = value * 16 + static_cast<unsigned>(digit);
        }
        return true;
      };
      unsigned code_point = 0;
      if (!read_hex4(code_point)) return Fail();
      if (code_point >= 0xDC00 && code_point <= 0xDFFF) return Fail();  // Lone low surrogate.
      if (code_point >= 0xD800 && code_point <= 0xDBFF) {
        unsigned low = 0;
        if (text_.size() - pos_ < 2 || text_[pos_] != '\\' || text_[pos_ + 1] != 'u') return Fail();
        pos_ += 2;
        if (!read_hex4(low) || low < 0xDC00 || low > 0xDFFF) return Fail();
        code_point = 0x10000 + ((code_point - 0xD800) << 10) + (low - 0xDC00);
      }
      if (out != nullptr) AppendUtf8(*out, code_point);
    }
    run = pos_;
  }
  return Fail();
}

bool JsonReader::ParseNumber(bool& integral) noexcept {
  integral = true;
  if (text_[pos_] == '-') ++pos_;
  if (pos_ >= text_.size()) return Fail();
  if (text_[pos_] == '0') {
    ++pos_;
  } else if (IsDigit(text_[pos_])) {
    while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
  } else {
    return Fail();
  }
  if (pos_ < text_.size() && text_[pos_] == '.') {
    integral = false;
    ++pos_;
    if (pos_ >= text_.size() || !IsDigit(text_[pos_])) return Fail();
    while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
  }
  if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
    integral = false;
    ++pos_;
    if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
    if (pos_ >= text_.size() || !IsDigit(text_[pos_])) return Fail();
    while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
  }
  return true;
}

bool JsonReader::ReadInteger(long long& out) noexcept {
  if (Peek() != Kind::kNumber) return false;
  const std::size_t start = pos_;
  bool integral = false;
  if (!ParseNumber(integral)) return false;
  const std::string_view digits = text_.substr(start, pos_ - start);
  // 18 digits always fit; longer integers go to the general path.
  if (!integral || digits.size() > (digits.front() == '-' ? 19U : 18U)) return false;
  long long value = 0;
  for (const char c : digits) {
    if (c != '-') value = value * 10 + (c - '0');
  }
  out = digits.front() == '-' ? -value : value;
  return true;
}

bool JsonReader::Literal(std::string_view word) noexcept {
  if (!ok_) return false;
  SkipSpace();
  if (text_.substr(pos_, word.size()) != word) return false;
  pos_ += word.size();
  return true;
}

bool JsonReader::Skip() {
  switch (Peek()) {
    case Kind::kNull:
      return Literal("null") || Fail();
    case Kind::kBool:
      return Literal("true") || Literal("false") || Fail();
    case Kind::kNumber: {
      bool integral = false;
      return ParseNumber(integral);
    }
    case Kind::kString: {
      std::size_t start = 0;
      bool plain = true;
      return ParseString(nullptr, start, plain);
    }
    case Kind::kArray:
      EnterArray();
      while (NextElement()) {
        if (!Skip()) return false;
      }
      return ok_;
    case Kind::kObject: {
      EnterObject();
      std::string_view key;
      while (NextKey(key)) {
        if (!Skip()) return false;
      }
      return ok_;
    }
    case Kind::kInvalid:
      break;
  }
  return Fail();
}

bool JsonReader::AtEnd() noexcept {
  if (!ok_) return false;
  SkipSpace();
  return pos_ == text_.size();
}

}  // namespace provkit
