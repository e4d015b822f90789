#include "provkit/support/redact.hpp"

#include <algorithm>
#include <cctype>
#include <cstddef>

namespace provkit::support {
namespace {

constexpr std::size_t kShortestSecret = 4;

bool TokenCharacter(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-';
}

// Where a URL inside running text ends: at white space, a quote or an angle bracket.
bool EndsUrl(char c) {
  return std::isspace(static_cast<unsigned char>(c)) != 0 || c == '"' || c == '\'' || c == '<' ||
         c == '>' || c == '`';
}

bool StartsWithNoCase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), text.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) ==
                  std::tolower(static_cast<unsigned char>(b));
         });
}

std::string_view Unquoted(std::string_view word) {
  while (!word.empty() && (word.front() == '"' || word.front() == '\'')) word.remove_prefix(1);
  while (!word.empty() && (word.back() == '"' || word.back() == '\'')) word.remove_suffix(1);
  return word;
}

// The parts of one URL starting at `text[scheme_end]` == "://": the credentials before '@' in the
// authority, and each query value. Offsets are into `text`.
struct UrlSecrets {
  std::size_t end = 0;                                     // one past the URL
  std::vector<std::pair<std::size_t, std::size_t>> spans;  // [begin, end) of each secret
};

UrlSecrets FindUrlSecrets(std::string_view text, std::size_t scheme_end) {
  UrlSecrets found;
  std::size_t i = scheme_end + 3;
  const std::size_t authority = i;
  while (i < text.size() && !EndsUrl(text[i]) && text[i] != '/' && text[i] != '?' &&
         text[i] != '#') {
    ++i;
  }
  const std::size_t at = text.substr(authority, i - authority).rfind('@');
  if (at != std::string_view::npos && at > 0) found.spans.emplace_back(authority, authority + at);
  while (i < text.size() && !EndsUrl(text[i]) && text[i] != '?' && text[i] != '#') ++i;
  if (i < text.size() && text[i] == '?') {
    ++i;
    while (i < text.size() && !EndsUrl(text[i]) && text[i] != '#') {
      std::size_t end = i;
      while (end < text.size() && !EndsUrl(text[end]) && text[end] != '&' && text[end] != '#') {
        ++end;
      }
      const std::size_t equals = text.substr(i, end - i).find('=');
      if (equals != std::string_view::npos && i + equals + 1 < end) {
        found.spans.emplace_back(i + equals + 1, end);
      }
      i = end < text.size() && text[end] == '&' ? end + 1 : end;
    }
  }
  while (i < text.size() && !EndsUrl(text[i])) ++i;
  found.end = i;
  return found;
}

template <typename OnUrl>
void ForEachUrl(std::string_view text, OnUrl on_url) {
  std::size_t from = 0;
  while (true) {
    const std::size_t scheme_end = text.find("://", from);
    if (scheme_end == std::string_view::npos) return;
    const UrlSecrets found = FindUrlSecrets(text, scheme_end);
    on_url(found);
    from = std::max(found.end, scheme_end + 3);
  }
}

}  // namespace

bool IsSecretName(std::string_view name) {
  std::string key;
  key.reserve(name.size());
  for (const char c : name) {
    key += c == '-' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  for (const std::string_view word : {"api_key", "apikey", "secret", "password", "passwd",
                                      "credential", "authorization", "bearer"}) {
    if (key.find(word) != std::string::npos) return true;
  }
  return key == "token" || key.ends_with("_token");
}

bool IsSecretHeader(std::string_view name) {
  for (const std::string_view header : {"authorization", "proxy-authorization", "x-api-key",
                                        "api-key", "x-provkit-admin-token", "cookie"}) {
    if (name.size() == header.size() && StartsWithNoCase(name, header)) return true;
  }
  return IsSecretName(name);
}

std::string RedactHeaderValue(std::string_view value) {
  if (value.empty()) return {};
  // "Scheme credentials" (RFC 9110 11.4): the scheme is a token, the credentials follow a space.
  const std::size_t space = value.find(' ');
  if (space != std::string_view::npos && space > 0 && space + 1 < value.size() &&
      std::all_of(value.begin(), value.begin() + static_cast<std::ptrdiff_t>(space),
                  [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; })) {
    return std::string(value.substr(0, space + 1)) + std::string(kRedacted);
  }
  return std::string(kRedacted);
}

std::string RedactTokens(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const bool word_start = i == 0 || !TokenCharacter(text[i - 1]);
    if (word_start && text.compare(i, 3, "sk-") == 0) {
      std::size_t end = i + 3;
      while (end < text.size() && TokenCharacter(text[end])) ++end;
      if (end - i - 3 >= 8) {
        out += kRedacted;
        i = end;
        continue;
      }
    }
    if (word_start && StartsWithNoCase(text.substr(i), "bearer ")) {
      std::size_t begin = i + 7;
      while (begin < text.size() && text[begin] == ' ') ++begin;
      std::size_t end = begin;
      while (end < text.size() && !EndsUrl(text[end]) && text[end] != ',' && text[end] != ';') {
        ++end;
      }
      if (end > begin) {
        out.append(text.substr(i, begin - i));
        out += kRedacted;
        i = end;
        continue;
      }
    }
    out += text[i++];
  }
  return out;
}

std::string RedactUrls(std::string_view text) {
  std::string out;
  std::size_t copied = 0;
  ForEachUrl(text, [&](const UrlSecrets& found) {
    for (const auto& [begin, end] : found.spans) {
      out.append(text.substr(copied, begin - copied));
      out += kRedacted;
      copied = end;
    }
  });
  out.append(text.substr(copied));
  return out;
}

void Redactor::Add(std::string_view secret) {
  if (secret.size() < kShortestSecret || secret == kRedacted) return;
  if (std::find(secrets_.begin(), secrets_.end(), secret) != secrets_.end()) return;
  secrets_.emplace_back(secret);
  std::stable_sort(secrets_.begin(), secrets_.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

void Redactor::AddUrl(std::string_view url) {
  ForEachUrl(url, [&](const UrlSecrets& found) {
    for (const auto& [begin, end] : found.spans) {
      const std::string_view secret = url.substr(begin, end - begin);
      Add(secret);
      // "user:password": the password alone is a secret too (it may be shown without the user).
      if (const std::size_t colon = secret.find(':'); colon != std::string_view::npos) {
        Add(secret.substr(colon + 1));
      }
    }
  });
}

void Redactor::AddCommandLine(std::string_view command) {
  bool value_follows = false;
  std::size_t i = 0;
  while (i < command.size()) {
    while (i < command.size() && std::isspace(static_cast<unsigned char>(command[i])) != 0) ++i;
    std::size_t end = i;
    while (end < command.size() && std::isspace(static_cast<unsigned char>(command[end])) == 0) {
      ++end;
    }
    const std::string_view word = Unquoted(command.substr(i, end - i));
    i = end;
    if (word.empty()) continue;
    if (value_follows) {
      Add(word);
      value_follows = false;
      continue;
    }
    if (word.find("://") != std::string_view::npos) AddUrl(word);
    if (StartsWithNoCase(word, "bearer")) {
      value_follows = word.size() == 6;
      continue;
    }
    std::string_view name = word;
    const bool option = name.front() == '-';
    while (!name.empty() && name.front() == '-') name.remove_prefix(1);
    const std::size_t equals = name.find('=');
    const std::string_view value =
        equals == std::string_view::npos ? std::string_view() : Unquoted(name.substr(equals + 1));
    name = name.substr(0, equals);
    if (!IsSecretName(name)) continue;
    if (equals != std::string_view::npos) {
      Add(value);
    } else if (option) {
      value_follows = true;
    }
  }
}

std::string Redactor::ApplyKnown(std::string_view text) const {
  std::string out(text);
  for (const std::string& secret : secrets_) {
    std::size_t at = 0;
    while ((at = out.find(secret, at)) != std::string::npos) {
      out.replace(at, secret.size(), kRedacted);
      at += kRedacted.size();
    }
  }
  return out;
}

std::string Redactor::Apply(std::string_view text) const {
  return RedactUrls(RedactTokens(ApplyKnown(text)));
}

}  // namespace provkit::support
