// Admin access: which /__provkit/ requests the server obeys (Host, Origin, Content-Type, token).
#include "admin_access.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cctype>
#include <random>
#include <string_view>
#include <vector>

#include "provkit/mockserver/config.hpp"
#include "provkit/support/clip.hpp"

namespace provkit::mock {
namespace {

constexpr std::size_t kQuoted = 200;  // bytes of a refused header value quoted in a message

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::string Quoted(std::string_view value) {
  return "'" + support::ClipPrintable(value, kQuoted) + "'";
}

/// A host as it appears in a Host header or an origin: lower case, an IPv6 address in brackets.
std::string AuthorityName(std::string_view host) {
  if (host.find(':') != std::string_view::npos && host.front() != '[') {
    return "[" + Lower(host) + "]";
  }
  return Lower(host);
}

/// "name:port", "[v6]:port" or "name" split into the lower-case name and the port (-1: none);
/// nullopt when it is neither.
struct HostPort {
  std::string name;
  int port = -1;
};
std::optional<HostPort> SplitHostPort(std::string_view text) {
  HostPort out;
  std::string_view rest;
  if (!text.empty() && text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    out.name = Lower(text.substr(0, close + 1));
    rest = text.substr(close + 1);
  } else {
    const std::size_t colon = text.find(':');
    if (colon != std::string_view::npos && text.find(':', colon + 1) != std::string_view::npos)
      return std::nullopt;  // an IPv6 address needs brackets
    out.name = Lower(text.substr(0, colon));
    rest = colon == std::string_view::npos ? std::string_view() : text.substr(colon);
  }
  if (out.name.empty() || out.name == "[]") return std::nullopt;
  if (rest.empty()) return out;
  if (rest.front() != ':' || rest.size() < 2 || rest.size() > 6) return std::nullopt;
  int port = 0;
  for (const char c : rest.substr(1)) {
    if (std::isdigit(static_cast<unsigned char>(c)) == 0) return std::nullopt;
    port = port * 10 + (c - '0');
  }
  out.port = port;
  return out;
}

/// The names a request to this server may be addressed to: the address listened on, the address
/// the connection reached (for a wildcard listener), and the loopback names.
std::vector<std::string> OwnNames(const AdminPolicy& policy, const httplib::Request& request) {
  std::vector<std::string> names = {AuthorityName(policy.host), "localhost", "127.0.0.1", "[::1]"};
  if (!request.local_addr.empty()) names.push_back(AuthorityName(request.local_addr));
  return names;
}

bool Addressed(const HostPort& target, const std::vector<std::string>& names, int port) {
  const bool port_matches = target.port == port || (target.port == -1 && port == 80);
  return port_matches && std::find(names.begin(), names.end(), target.name) != names.end();
}

std::string OwnOrigin(const AdminPolicy& policy) {
  return "http://" + AuthorityName(policy.host) + ":" + std::to_string(policy.port);
}

/// Compares without stopping at the first difference, so that the time taken does not tell how
/// much of a guessed token was right.
bool SameSecret(std::string_view given, std::string_view expected) {
  if (expected.empty()) return given.empty();
  unsigned char difference = given.size() == expected.size() ? 0 : 1;
  for (std::size_t i = 0; i < given.size(); ++i) {
    difference |= static_cast<unsigned char>(given[i] ^ expected[i % expected.size()]);
  }
  return difference == 0;
}

std::optional<AdminRefusal> CheckHost(const AdminPolicy& policy, const httplib::Request& request) {
  if (!request.has_header("Host")) return std::nullopt;  // HTTP/1.0; browsers always send one
  const std::string host = request.get_header_value("Host");
  const std::optional<HostPort> target = SplitHostPort(Trimmed(host));
  if (target && Addressed(*target, OwnNames(policy, request), policy.port)) return std::nullopt;
  const std::string port = std::to_string(policy.port);
  return AdminRefusal{
      403, "admin_host",
      "refused: the Host header " + Quoted(host) + " names neither this server (" +
          AuthorityName(policy.host) + ":" + port +
          ") nor localhost, 127.0.0.1 or [::1] with port " + port +
          "; admin endpoints obey only requests addressed to the server itself, so that a web "
          "page under another name (DNS rebinding) cannot read or change them"};
}

std::optional<AdminRefusal> CheckOrigin(const AdminPolicy& policy,
                                        const httplib::Request& request) {
  if (!request.has_header("Origin")) return std::nullopt;
  const std::string origin = request.get_header_value("Origin");
  const std::string_view text = Trimmed(origin);
  constexpr std::string_view kScheme = "http://";
  if (text.size() > kScheme.size() && Lower(text.substr(0, kScheme.size())) == kScheme) {
    const std::optional<HostPort> target = SplitHostPort(text.substr(kScheme.size()));
    if (target && Addressed(*target, OwnNames(policy, request), policy.port)) return std::nullopt;
  }
  return AdminRefusal{403, "admin_origin",
                      "refused: the request comes from the web page origin " + Quoted(origin) +
                          ", not from this server's own origin (" + OwnOrigin(policy) +
                          "); admin endpoints do not answer other web pages"};
}

std::optional<AdminRefusal> CheckToken(const AdminPolicy& policy, const httplib::Request& request) {
  if (policy.token.empty()) {
    if (IsLoopbackHost(policy.host)) return std::nullopt;
    return AdminRefusal{
        403, "admin_disabled",
        "refused: this server listens on " + AuthorityName(policy.host) +
            ", beyond loopback, without an admin token, so its admin endpoints are disabled; set "
            "ServerOptions::admin_token (provkit mock: --admin-token or $PROVKIT_ADMIN_TOKEN)"};
  }
  std::vector<std::string> given;
  if (request.has_header("Authorization")) {
    const std::string authorization = request.get_header_value("Authorization");
    const std::string_view value = Trimmed(authorization);
    if (value.size() > 7 && Lower(value.substr(0, 7)) == "bearer ")
      given.emplace_back(Trimmed(value.substr(7)));
  }
  if (request.has_header("X-Provkit-Admin-Token"))
    given.emplace_back(Trimmed(request.get_header_value("X-Provkit-Admin-Token")));
  bool accepted = false;
  for (const std::string& candidate : given) accepted |= SameSecret(candidate, policy.token);
  if (accepted) return std::nullopt;
  if (given.empty()) {
    return AdminRefusal{401, "admin_token_missing",
                        "refused: the admin endpoints of this server need its admin token; send "
                        "'Authorization: Bearer <token>' or 'X-Provkit-Admin-Token: <token>' "
                        "(provkit mock prints a generated token at start, or takes --admin-token "
                        "or $PROVKIT_ADMIN_TOKEN)"};
  }
  return AdminRefusal{401, "admin_token_wrong",
                      "refused: the admin token sent is not this server's admin token"};
}

std::optional<AdminRefusal> CheckContentType(const httplib::Request& request) {
  const std::string& method = request.method;
  if (method != "POST" && method != "PUT" && method != "PATCH") return std::nullopt;
  const std::string content_type = request.get_header_value("Content-Type");
  const std::string media =
      Lower(Trimmed(std::string_view(content_type)
                        .substr(0, std::min(content_type.size(), content_type.find(';')))));
  if (media == "application/json") return std::nullopt;
  return AdminRefusal{
      403, "admin_content_type",
      "refused: " + method + " " + support::ClipPrintable(request.path, kQuoted) + " with " +
          (request.has_header("Content-Type") ? "Content-Type " + Quoted(content_type)
                                              : std::string("no Content-Type")) +
          "; admin bodies must be sent as 'Content-Type: application/json', which a web page's "
          "form or simple request cannot send"};
}

}  // namespace

bool IsLoopbackHost(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (Lower(host) == "localhost") return true;
  const std::string text(host);
  in_addr v4{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
  }
  return false;
}

std::string NewAdminToken() {
  std::random_device device;  // /dev/urandom on Linux
  constexpr char kHex[] = "0123456789abcdef";
  std::string token = "pkadm-";
  for (int word = 0; word < 4; ++word) {
    std::uint32_t bits = device();
    for (int nibble = 0; nibble < 8; ++nibble, bits >>= 4) token += kHex[bits & 0xF];
  }
  return token;
}

std::optional<AdminRefusal> CheckAdminAccess(const AdminPolicy& policy,
                                             const httplib::Request& request) {
  if (auto refusal = CheckHost(policy, request)) return refusal;
  if (auto refusal = CheckOrigin(policy, request)) return refusal;
  if (auto refusal = CheckToken(policy, request)) return refusal;
  return CheckContentType(request);
}

}  // namespace provkit::mock
