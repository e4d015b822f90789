// Keeping secrets out of files and terminals: API keys, URL credentials and queries, secret-named
// command-line values and token-looking words, replaced by "<redacted>".
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace provkit::support {

/// What every secret is replaced by.
inline constexpr std::string_view kRedacted = "<redacted>";

/// True for a name that names a secret, in any case, '-' and '_' alike: it holds api_key, apikey,
/// secret, password, passwd, credential, authorization or bearer, or it is token or ends in
/// _token ("max_tokens" and "tokenizer" are not secrets).
bool IsSecretName(std::string_view name);

/// True for an HTTP header whose value is a credential, in any case: Authorization,
/// Proxy-Authorization, X-Api-Key, Api-Key, X-Provkit-Admin-Token, Cookie, and any name
/// IsSecretName holds (X-Auth-Token).
bool IsSecretHeader(std::string_view name);

/// A secret header's value as it may be shown: the authentication scheme kept when the value has
/// one ("Bearer abc" -> "Bearer <redacted>"), else kRedacted; an empty value stays empty.
std::string RedactHeaderValue(std::string_view value);

/// `text` with each `sk-` token (8 or more word characters after "sk-", the OpenAI key form) and
/// each word after "Bearer " replaced. Thread-safe (pure).
std::string RedactTokens(std::string_view text);

/// `text` with the credentials of every URL in it ("user:password@") and the value of every query
/// parameter of such a URL ("?api_key=...") replaced: http://<redacted>@host/v1?api_key=<redacted>.
std::string RedactUrls(std::string_view text);

/// Collects the secrets of a run, then redacts them from any text: the values it was given, plus
/// what RedactTokens and RedactUrls find. Add* before Apply; Apply is then thread-safe.
class Redactor {
 public:
  /// A secret value (an API key). Values shorter than 4 bytes are ignored: redacting "ab" from
  /// every text would destroy the text and hide nothing.
  void Add(std::string_view secret);
  /// Learns the secrets of a shell command line: the value of each secret-named option
  /// (--api-key=V, --api-key V, -token V), of each secret-named variable assignment
  /// (OPENAI_API_KEY=V), and the credentials and query values of each URL in it.
  void AddCommandLine(std::string_view command);
  /// Learns the credentials and query values of `url`.
  void AddUrl(std::string_view url);

  /// `text` with every known secret (longest first), then tokens and URL credentials, replaced.
  std::string Apply(std::string_view text) const;
  /// `text` with only the known secrets (longest first) replaced: for text that is data, such as
  /// a request body, which the token and URL heuristics of Apply would alter.
  std::string ApplyKnown(std::string_view text) const;
  bool empty() const noexcept { return secrets_.empty(); }

 private:
  std::vector<std::string> secrets_;
};

}  // namespace provkit::support
