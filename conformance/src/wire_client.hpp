// WireClient: a bounded raw HTTP/1.1 client for the W checks (one TCP connection at a time).
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace provkit::conformance::wire {

using Millis = std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

/// The bounds every exchange of the W checks obeys. Plain data.
struct WireLimits {
  /// Time for one whole exchange: connect, send, headers and body (or stream) together.
  Millis exchange_timeout{10000};
  /// Largest status line plus header block (and, separately, trailer block).
  std::size_t max_header_bytes = 64 * 1024;
  /// Largest decoded body kept for an ordinary answer.
  std::size_t max_body_bytes = 4 * 1024 * 1024;
  /// Most server-sent events read from one stream.
  std::size_t max_stream_events = 10000;
  /// Most bytes read from one event stream.
  std::size_t max_stream_bytes = 4 * 1024 * 1024;
  /// Longest chunk-size line of a chunked body.
  std::size_t max_chunk_line_bytes = 1024;
};

/// What went wrong with one exchange. Every value but kNone comes with a
/// sentence naming the problem (WireAnswer::problem_text).
enum class WireProblem {
  kNone,
  kResolve,              ///< The host name does not resolve.
  kConnect,              ///< The TCP connection was refused or failed.
  kSend,                 ///< The request could not be sent.
  kTimeout,              ///< The exchange outlived its deadline.
  kClosed,               ///< The connection closed or reset before the answer ended.
  kNotHttp,              ///< The first line is not `HTTP/x.y NNN reason`.
  kHeadersTooLarge,      ///< The header (or trailer) block exceeds the limit.
  kMalformedHeader,      ///< A header line without a name and colon.
  kBadContentLength,     ///< Content-Length is not a number, or two disagree.
  kBadChunk,             ///< A chunk size that is not hex, too large, or framing gone wrong.
  kBadTransferEncoding,  ///< A Transfer-Encoding other than chunked.
  kBodyTooLarge,         ///< The body exceeds the limit.
  kStreamTooLong,        ///< The event stream did not end within the event or byte limit.
  kRedirect,             ///< A 3xx with Location: reported, never followed.
  kUnrequestedEncoding,  ///< A Content-Encoding though the request asked for identity.
};

/// A short stable name, e.g. "bad-content-length".
std::string_view WireProblemName(WireProblem problem) noexcept;

/// One request. Bodies are sent with Content-Type: application/json.
struct WireRequest {
  std::string method = "GET";
  std::string path = "/";
  std::optional<std::string> body{};
  /// Read the answer as a server-sent event stream when it is one.
  bool stream = false;
};

/// The answer to one exchange: everything read before it ended or failed.
struct WireAnswer {
  WireProblem problem = WireProblem::kNone;
  /// A printable sentence naming the problem; empty for kNone.
  std::string problem_text{};
  int status = 0;         ///< 100..999 once a status line was read; 0 before.
  std::string version{};  ///< "HTTP/1.1".
  std::string reason{};   ///< The reason phrase, raw (print it with Printable).
  /// Header fields in arrival order: names in lower case, values trimmed, raw.
  std::vector<std::pair<std::string, std::string>> headers{};
  /// The decoded body (at most max_body_bytes); for an event stream, its first
  /// bytes only (at most 64 KiB), for excerpts.
  std::string body{};
  bool event_stream = false;        ///< The body was read as text/event-stream.
  std::vector<std::string> events;  ///< The data of each event, in order (streams only).
  std::size_t stream_bytes = 0;     ///< Bytes of the event stream read.
  bool keep_alive = false;          ///< The connection stays open for another request.
  int connection = 0;               ///< The client's number for the connection used (1-based).
  double elapsed_ms = 0;

  bool ok() const { return problem == WireProblem::kNone; }
  /// The first header called `name` (lower case), or nullptr.
  const std::string* Header(std::string_view name) const;
  /// The media type of Content-Type in lower case without parameters; "" when absent.
  std::string MediaType() const;
};

/// One HTTP/1.1 connection at a time to host:port, opened on demand. A request
/// after the server closed the connection (or after a failure that left it
/// unusable) opens a new one; connections_opened() counts them, so a check
/// knows which requests shared a connection. Never throws for anything a
/// server does. Not thread-safe: one check, one thread.
class WireClient {
 public:
  /// `deadline_cap`: no exchange runs past it (the clause's whole budget).
  /// `connection_counter`, when given, numbers the connections (shared by the
  /// clients of one check, so its evidence numbers connections uniquely); it
  /// must outlive the client.
  WireClient(std::string host, int port, std::string api_key, WireLimits limits,
             std::optional<Clock::time_point> deadline_cap = std::nullopt,
             int* connection_counter = nullptr);
  ~WireClient();
  WireClient(const WireClient&) = delete;
  WireClient& operator=(const WireClient&) = delete;

  /// Sends `request` and reads its answer within the limits. Always returns an
  /// answer; failures are WireAnswer::problem values.
  WireAnswer Exchange(const WireRequest& request);
  WireAnswer Get(std::string path) { return Exchange({.method = "GET", .path = std::move(path)}); }

  /// TCP connections this client opened so far.
  int connections_opened() const { return connections_opened_; }
  /// Whether a connection is open now (kept alive after the last answer).
  bool connected() const { return fd_ >= 0; }
  /// Closes the connection, if any.
  void Close();

 private:
  class Reader;

  WireAnswer Attempt(const WireRequest& request, Clock::time_point start,
                     Clock::time_point deadline);
  std::optional<std::string> Connect(Clock::time_point deadline, WireProblem& problem);

  std::string host_;
  int port_;
  std::string api_key_;
  WireLimits limits_;
  std::optional<Clock::time_point> deadline_cap_;
  int* connection_counter_;
  int fd_ = -1;
  int connections_opened_ = 0;
  int connection_ = 0;   ///< The number of the open connection.
  std::string pending_;  ///< Bytes read past the end of the previous answer.
};

/// `text` made safe for a terminal and a report: valid UTF-8 with no control
/// characters. Control bytes (ESC, BEL, CR, C1 controls, DEL...) and bytes of
/// invalid UTF-8 become `\xNN`, `\n`, `\r`, `\t`; bidirectional overrides
/// become `\u{NNNN}`. So an ESC or OSC sequence is shown, never run. The result
/// is cut at a character boundary to at most `limit` bytes, followed by
/// "... (N bytes)" naming the input's size when it was cut.
std::string Printable(std::string_view text, std::size_t limit = 200);

/// Milliseconds as "12.3 ms" or "10 s".
std::string FormatDuration(double milliseconds);
/// Bytes as "65536 bytes" or "4 MiB".
std::string FormatBytes(std::size_t bytes);

}  // namespace provkit::conformance::wire
