// Capture: the journal entry of a request as cpp-httplib parsed it.
#include "capture.hpp"

#include <cctype>
#include <optional>
#include <string>
#include <string_view>

namespace provkit::mock {
namespace {

// cpp-httplib adds the peer's address as headers of its own.
bool PseudoHeader(std::string_view name) {
  return name == "REMOTE_ADDR" || name == "REMOTE_PORT" || name == "LOCAL_ADDR" ||
         name == "LOCAL_PORT";
}

// The real method of the request the calling thread is reading, while it poses as a POST.
thread_local std::string posing_method;
// The real Content-Type of a form the calling thread is reading as plain bytes.
thread_local std::optional<std::string> posing_content_type;
thread_local bool reached_handler = false;

bool StartsWithNoCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) return false;
  }
  return true;
}

// Content types whose bodies cpp-httplib parses instead of handing them over.
bool FormContentType(std::string_view content_type) {
  return StartsWithNoCase(content_type, "application/x-www-form-urlencoded") ||
         StartsWithNoCase(content_type, "multipart/form-data");
}

bool CarriesBody(const httplib::Request& request) {
  const std::string length = request.get_header_value("Content-Length");
  if (!length.empty() && length != "0") return true;
  const std::string encoding = request.get_header_value("Transfer-Encoding");
  return encoding.find("chunked") != std::string::npos;
}

}  // namespace

void ReadEveryBody(httplib::Server& server) {
  server.set_pre_routing_handler([](const httplib::Request& request, httplib::Response&) {
    posing_method.clear();
    posing_content_type.reset();
    reached_handler = false;
    // The request object is cpp-httplib's own, not const; only its method and Content-Type
    // change, and only until the handler restores them.
    auto& mutable_request = const_cast<httplib::Request&>(request);
    const std::string& method = request.method;
    if ((method == "GET" || method == "HEAD" || method == "OPTIONS") && CarriesBody(request)) {
      posing_method = method;
      mutable_request.method = "POST";
    }
    // cpp-httplib looks at the first Content-Type header, as equal_range lists it.
    const auto content_types = mutable_request.headers.equal_range("Content-Type");
    if (content_types.first != content_types.second &&
        FormContentType(content_types.first->second)) {
      posing_content_type = content_types.first->second;
      content_types.first->second = "application/octet-stream";
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
}

void RestoreRequest(const httplib::Request& request) {
  reached_handler = true;
  auto& mutable_request = const_cast<httplib::Request&>(request);
  if (!posing_method.empty()) {
    mutable_request.method = posing_method;
    posing_method.clear();
  }
  if (posing_content_type) {
    const auto content_types = mutable_request.headers.equal_range("Content-Type");
    if (content_types.first != content_types.second)
      content_types.first->second = *posing_content_type;
    posing_content_type.reset();
  }
}

bool ReachedHandler() { return reached_handler; }

JournalEntry Capture(const httplib::Request& request, std::uint64_t connection_id,
                     std::size_t body_limit) {
  JournalEntry entry;
  entry.connection_id = connection_id;
  entry.method = request.method;
  entry.path = request.path;
  entry.headers.reserve(request.headers.size());
  for (const auto& [name, value] : request.headers) {
    if (!PseudoHeader(name)) entry.headers.emplace_back(name, value);
  }
  entry.body_truncated = request.body.size() > body_limit;
  entry.body = request.body.substr(0, body_limit);
  entry.time = std::chrono::system_clock::now();
  return entry;
}

std::size_t HeaderBytes(const httplib::Request& request) {
  std::size_t bytes = 0;
  for (const auto& [name, value] : request.headers) bytes += name.size() + value.size();
  return bytes;
}

}  // namespace provkit::mock
