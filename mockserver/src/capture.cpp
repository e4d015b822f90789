// Capture: the journal entry of a request as cpp-httplib parsed it.
#include "capture.hpp"

#include <string_view>

namespace provkit::mock {
namespace {

// cpp-httplib adds the peer's address as headers of its own.
bool PseudoHeader(std::string_view name) {
  return name == "REMOTE_ADDR" || name == "REMOTE_PORT" || name == "LOCAL_ADDR" ||
         name == "LOCAL_PORT";
}

}  // namespace

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
