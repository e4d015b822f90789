// Cassettes: recorded exchanges of a real server, read from and written to JSON Lines.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace provkit::mock {

/// One piece of a streamed answer: a server-sent event as it was sent, framing included.
struct RecordedChunk {
  /// Milliseconds since the response's status line; nullopt when the recording did not time it.
  std::optional<double> t_ms;
  std::string text;  ///< e.g. "data: {...}\n\n".
};

/// One recorded request and the answer it got.
struct RecordedExchange {
  using Headers = std::vector<std::pair<std::string, std::string>>;

  std::string id;  ///< Unique in its cassette, e.g. "05_chat_nonstream".
  std::string method;
  std::string path;
  std::string query;  ///< Without the '?'; empty when none.
  Headers request_headers;
  std::optional<std::string> request_body;  ///< The bytes sent; nullopt: no body.
  std::string note;                         ///< The recorder's remark, if any.

  int status = 0;
  std::string reason;
  Headers response_headers;   ///< All but Content-Length and Date, in arrival order.
  std::string response_body;  ///< The bytes of a plain answer.
  bool stream = false;        ///< True: the answer is `chunks`.
  std::vector<RecordedChunk> chunks;
  bool complete = true;  ///< False: the answer was cut (the connection closed early).

  /// The first response header called `name` (case-insensitive), or nullopt.
  std::optional<std::string> ResponseHeader(std::string_view name) const;
  /// The first request header called `name` (case-insensitive), or nullopt.
  std::optional<std::string> RequestHeader(std::string_view name) const;
};

/// A recording that is not an exchange (a poll timeline, a load time).
struct CassetteNote {
  std::string id;
  std::vector<std::string> lines;
};

/// A set of exchanges recorded from one server in one situation, in the order they happened.
/// docs/mockserver.md ("Cassettes") specifies the file format.
struct Cassette {
  std::string server;     ///< e.g. "llama.cpp".
  std::string situation;  ///< e.g. "router".
  std::string description;
  std::string source;
  std::vector<RecordedExchange> exchanges;
  std::vector<CassetteNote> notes;

  /// The exchange called `id`, or nullptr.
  const RecordedExchange* Find(std::string_view id) const;
};

/// Reads a cassette from JSON Lines `text`; `file` names it in errors. Throws ConfigError
/// (file and line set) on a line that is not JSON, an unknown record type or version, a record
/// for an exchange that was not opened by a request, or a missing field.
Cassette ParseCassette(std::string_view text, const std::string& file = "<cassette>");

/// Reads the cassette file at `path`. Throws ConfigError when it cannot be read, or as
/// ParseCassette.
Cassette LoadCassette(const std::filesystem::path& path);

/// The cassette as JSON Lines, in the format ParseCassette reads: a body or event that is
/// compact JSON is written as a JSON value, anything else verbatim.
std::string ToJsonLines(const Cassette& cassette);

}  // namespace provkit::mock
