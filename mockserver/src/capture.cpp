// Capture: the journal entry of a request as cpp-httplib parsed it.
#include "capture.hpp"

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
    const std::string& method = request.method;
    if ((method == "GET" || method == "HEAD" || method == "OPTIONS") && CarriesBody(request)) {
      posing_method = method;
      // The request object is cpp-httplib's own, not const; only its method changes, and only
      // until the handler restores it.
      const_cast<httplib::Request&>(request).method = "POST";
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
}

void RestoreMethod(const httplib::Request& request) {
  if (posing_method.empty()) return;
  const_cast<httplib::Request&>(request).method = posing_method;
  posing_method.clear();
}

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
