// The request journal: what the mock server received, on which connection, and what it answered.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace provkit::mock {

/// One request as the server saw it. Admin requests (/__provkit/...) are not journalled.
struct JournalEntry {
  std::uint64_t sequence = 0;  ///< 1 for the first request since the server started.
  std::uint64_t connection_id =
      0;  ///< 1 for the first TCP connection accepted; one per connection.
  std::string method;
  std::string path;                                          ///< Without the query string.
  std::vector<std::pair<std::string, std::string>> headers;  ///< In arrival order.
  std::string body;  ///< At most ServerOptions::journal_body_limit bytes.
  bool body_truncated = false;
  /// The status answered; 0 while the request is in flight, and for requests
  /// the server never answered (hang).
  int status = 0;
  /// The scenario that shaped the answer ("hang", "stream-drop", ...); empty when healthy.
  std::string fault;
  std::chrono::system_clock::time_point time;  ///< When the request arrived.

  /// The first header called `name` (case-insensitive), or nullopt.
  std::optional<std::string> Header(std::string_view name) const;
};

/// Counters of a running server.
struct ServerStats {
  std::uint64_t connections_opened = 0;   ///< TCP connections accepted since start or ResetJournal.
  std::uint64_t connections_open = 0;     ///< TCP connections open now.
  std::uint64_t requests = 0;             ///< Requests journalled since start or ResetJournal.
  std::uint64_t journal_dropped = 0;      ///< Entries pushed out of the bounded journal.
  std::uint64_t generations_running = 0;  ///< Generations holding a slot (StreamTiming::slots).
  std::uint64_t generations_waiting = 0;  ///< Requests queued for a slot.
  /// Connections the server answered itself and closed since start: 503 at max_connections,
  /// 408 at header_timeout, 431 for a request head too large to read.
  std::uint64_t connections_refused = 0;
};

/// The entry as served by GET /__provkit/journal: headers as an object
/// (repeated names joined with ", "), time as RFC 3339 UTC with microseconds.
nlohmann::json ToJson(const JournalEntry& entry);
nlohmann::json ToJson(const ServerStats& stats);

}  // namespace provkit::mock
