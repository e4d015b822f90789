// provkit::mock::Server: an embedded OpenAI-compatible server for tests, with faults and a journal.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "provkit/mockserver/config.hpp"
#include "provkit/mockserver/journal.hpp"
#include "provkit/mockserver/profile.hpp"
#include "provkit/mockserver/scenario.hpp"
#include "provkit/mockserver/script.hpp"

namespace provkit::mock {

/// A running mock server. RAII: the constructor returns once the port is bound
/// and listening (unless ServerOptions::listen_delay asks for a late start);
/// the destructor stops it, ends hanging and trickling answers at once, closes
/// every connection that has sent a request and joins every thread.
///
/// Every member function is thread-safe and may be called while requests are
/// in flight; a setter takes effect for requests that arrive after it returns.
///
///     provkit::mock::Server server({.models = {"m1"}});
///     server.SetScenario(provkit::mock::Scenario::Loading(2));
///     ... point a client at server.base_url() ...
///     EXPECT_EQ(server.connections_opened(), 1u);
class Server {
 public:
  /// Throws ConfigError on invalid options, std::system_error when the address
  /// cannot be bound.
  explicit Server(ServerOptions options = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// "http://127.0.0.1:PORT", the server root.
  std::string url() const;
  /// url() + base_path: "http://127.0.0.1:PORT/v1", the OpenAI-compatible API root.
  std::string base_url() const;
  const std::string& host() const;
  int port() const;

  /// True while the server accepts connections.
  bool listening() const;
  /// Waits until the server listens (after a listen delay); false on timeout or once stopped.
  bool WaitUntilListening(std::chrono::milliseconds timeout) const;
  /// Stops accepting, ends every answer in flight and joins the threads; connections
  /// are refused afterwards. Idempotent; the destructor calls it.
  void Stop();

  /// Switches the scenario; a kLoading scenario starts counting now.
  void SetScenario(Scenario scenario);
  Scenario scenario() const;
  void SetProfile(Profile profile);
  Profile profile() const;
  /// Replaces the script; the sequence starts again from its first reply.
  void SetScript(Script script);
  void SetTiming(StreamTiming timing);
  StreamTiming timing() const;
  void SetModels(std::vector<Model> models);
  std::vector<Model> models() const;

  /// A snapshot of the journal, oldest first (at most journal_size entries). Raw: headers and
  /// bodies as received, API keys included, for the judges that check them (clause R12 looks
  /// for "Authorization: Bearer <key>"); GET /__provkit/journal serves it redacted.
  std::vector<JournalEntry> journal() const;
  /// `text` with every secret this server knows replaced by "<redacted>": the admin token and the
  /// token of every auth scenario it was given (at start or since; values of 4 bytes or more).
  /// For logging journal entries, e.g. from ServerOptions::on_request.
  std::string Redact(std::string_view text) const;
  /// Empties the journal and zeroes connections_opened and requests; connections_open stays exact.
  void ResetJournal();
  /// TCP connections accepted since start or ResetJournal. Exact: S5 is judged from it.
  std::uint64_t connections_opened() const;
  /// TCP connections open now. Exact once the server has seen each close.
  std::uint64_t connections_open() const;
  /// Requests journalled since start or ResetJournal.
  std::uint64_t requests() const;
  ServerStats stats() const;

  /// Waits until at least `count` requests were journalled since the last reset; false on timeout.
  bool WaitForRequests(std::uint64_t count, std::chrono::milliseconds timeout) const;
  /// Waits until at most `count` connections are open; false on timeout.
  bool WaitForOpenConnectionsAtMost(std::uint64_t count, std::chrono::milliseconds timeout) const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace provkit::mock
