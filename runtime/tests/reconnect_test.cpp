// Tests that a Session survives its server being killed and restarted on the same port: S7
// mid-stream, then reconnection.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>

#include "provkit/mockserver/server.hpp"
#include "provkit/runtime/error.hpp"
#include "provkit/runtime/local_provider.hpp"
#include "provkit/runtime/session.hpp"

namespace provkit {
namespace {

using namespace std::chrono_literals;

constexpr const char* kModel = "provkit-mock";
// Echoed back by the mock one character per event: long enough to be mid-way when the server dies.
constexpr const char* kLongPrompt =
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen";

// LocalProvider with a count of the Close calls the Session makes (S2: exactly once).
class CloseCountingProvider final : public Provider, public ReadinessProvider {
 public:
  CloseCountingProvider(const Config& config, std::shared_ptr<std::atomic<int>> closes)
      : inner_(config), closes_(std::move(closes)) {}
  Output Generate(const Environment& environment, const Input& input,
                  const Requirements& requirements) override {
    return inner_.Generate(environment, input, requirements);
  }
  EventStream Stream(const Environment& environment, const Input& input,
                     const Requirements& requirements) override {
    return inner_.Stream(environment, input, requirements);
  }
  void Close() override {
    ++*closes_;
    inner_.Close();
  }
  ProviderReadiness CheckReady(const std::optional<std::string>& model,
                               std::stop_token stop) override {
    return inner_.CheckReady(model, std::move(stop));
  }

 private:
  LocalProvider inner_;
  std::shared_ptr<std::atomic<int>> closes_;
};

mock::ServerOptions SlowStreaming(int port) {
  mock::ServerOptions options;
  options.port = port;
  options.models = {kModel};
  options.timing.chunk_chars = 1;
  options.timing.chunk_interval = 20ms;
  return options;
}

Config ConfigFor(int port) {
  Config config;
  config.base_url = "http://127.0.0.1:" + std::to_string(port) + "/v1";
  config.model = kModel;
  config.connect_timeout = 2000ms;
  config.request_timeout = 10000ms;
  return config;
}

// The TCP states of the sockets whose local port is `port`, from /proc/net/tcp: "TIME_WAIT x2,
// ...".
std::string SocketStatesOnPort(int port) {
  static const std::map<std::string, std::string> kNames = {
      {"01", "ESTABLISHED"}, {"02", "SYN_SENT"},  {"03", "SYN_RECV"}, {"04", "FIN_WAIT1"},
      {"05", "FIN_WAIT2"},   {"06", "TIME_WAIT"}, {"07", "CLOSE"},    {"08", "CLOSE_WAIT"},
      {"09", "LAST_ACK"},    {"0A", "LISTEN"},    {"0B", "CLOSING"}};
  std::ifstream table("/proc/net/tcp");
  std::string line;
  std::getline(table, line);  // header
  std::map<std::string, int> counts;
  while (std::getline(table, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state;
    fields >> slot >> local >> remote >> state;
    const std::size_t colon = local.find(':');
    if (colon == std::string::npos) continue;
    if (std::stoi(local.substr(colon + 1), nullptr, 16) != port) continue;
    const auto name = kNames.find(state);
    ++counts[name == kNames.end() ? state : name->second];
  }
  std::string text;
  for (const auto& [state, count] : counts) {
    text += (text.empty() ? "" : ", ") + state + " x" + std::to_string(count);
  }
  return text.empty() ? "none" : text;
}

// Whether a listening socket bound without SO_REUSEADDR could take 127.0.0.1:`port` now.
bool PlainBindSucceeds(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool bound = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  close(fd);
  return bound;
}

class Reconnect : public ::testing::Test {
 protected:
  std::unique_ptr<Session> OpenSession(int port) {
    return std::make_unique<Session>(ConfigFor(port), [this](const Config& config) {
      return std::make_unique<CloseCountingProvider>(config, closes_);
    });
  }

  // Destroys `server` (closing its connections) and starts a new one on the same port.
  void Restart(std::unique_ptr<mock::Server>& server) {
    const int port = server->port();
    server.reset();
    states_after_stop_ = SocketStatesOnPort(port);
    plain_bind_after_stop_ = PlainBindSucceeds(port);
    server = std::make_unique<mock::Server>(SlowStreaming(port));
    ASSERT_EQ(server->port(), port);
    ASSERT_TRUE(server->listening());
    RecordProperty("sockets_after_stop", states_after_stop_);
    RecordProperty("plain_bind_after_stop", plain_bind_after_stop_ ? "yes" : "no");
  }

  std::shared_ptr<std::atomic<int>> closes_ = std::make_shared<std::atomic<int>>(0);
  std::string states_after_stop_;
  bool plain_bind_after_stop_ = false;
};

// S7: the server killed mid-stream fails the stream (never done); after a restart on the same
// port, the same Session's next turn and stream succeed over one new connection (S5); S2 at the
// end.
TEST_F(Reconnect, S7ServerKilledMidStreamThenRestartedOnTheSamePort) {
  RecordProperty("clause", "S7");
  auto server = std::make_unique<mock::Server>(SlowStreaming(0));
  const int port = server->port();
  {
    std::unique_ptr<Session> session = OpenSession(port);
    EventStream stream = session->Stream({}, {.text = kLongPrompt});
    int deltas = 0;
    while (deltas < 3) {
      std::optional<StreamEvent> event = stream.Next();
      ASSERT_TRUE(event.has_value());
      ASSERT_NE(event->type, EventType::kDone);
      if (event->type == EventType::kTextDelta) ++deltas;
    }
    server.reset();  // mid-stream: most of the answer is still to come

    std::optional<ErrorKind> failure;
    bool done = false;
    try {
      while (std::optional<StreamEvent> event = stream.Next()) {
        if (event->type == EventType::kDone) done = true;
      }
    } catch (const APIError& error) {
      failure = error.kind();
      EXPECT_EQ(error.phase(), Phase::kStream) << error.what();
      std::cout << "mid-stream: " << ErrorKindId(error.kind()) << ": " << error.what() << "\n";
    }
    EXPECT_FALSE(done);
    ASSERT_TRUE(failure.has_value()) << "the stream ended without an error";
    EXPECT_TRUE(*failure == ErrorKind::kStreamFailure || *failure == ErrorKind::kConnection)
        << ErrorKindId(*failure);

    server = std::make_unique<mock::Server>(SlowStreaming(port));
    ASSERT_EQ(server->port(), port);
    server->SetTiming({});
    EXPECT_EQ(session->Interact({}, {.text = "after restart"}).text, "after restart");
    EXPECT_EQ(session->Stream({}, {.text = "streamed again"}).Collect().text, "streamed again");
    EXPECT_EQ(server->connections_opened(), 1u);
    EXPECT_EQ(closes_->load(), 0);
    session->Close();
    EXPECT_EQ(closes_->load(), 1);
  }
  EXPECT_EQ(closes_->load(), 1);
}

// The server restarted while the Session's pooled connection sat idle: the stale connection
// is retried once on a fresh one, so the next turn succeeds with no error at all.
TEST_F(Reconnect, S5StaleConnectionAfterARestartIsRetriedTransparently) {
  RecordProperty("clause", "S5");
  auto server = std::make_unique<mock::Server>(SlowStreaming(0));
  server->SetTiming({});
  {
    std::unique_ptr<Session> session = OpenSession(server->port());
    EXPECT_EQ(session->Interact({}, {.text = "first"}).text, "first");
    ASSERT_EQ(server->connections_opened(), 1u);
    Restart(server);
    server->SetTiming({});
    EXPECT_EQ(session->Interact({}, {.text = "second"}).text, "second");
    EXPECT_EQ(session->Stream({}, {.text = "third"}).Collect().text, "third");
    EXPECT_TRUE(session->CheckReady().ready);
    EXPECT_EQ(server->connections_opened(), 1u);
  }
  EXPECT_EQ(closes_->load(), 1);
}

// Non-streaming: with the server gone between turns, Interact and Stream throw APIError
// kConnection and CheckReady answers not-ready (never throws); after the restart all succeed.
TEST_F(Reconnect, ServerGoneBetweenTurnsIsAConnectionErrorThenRecovers) {
  auto server = std::make_unique<mock::Server>(SlowStreaming(0));
  server->SetTiming({});
  const int port = server->port();
  {
    std::unique_ptr<Session> session = OpenSession(port);
    EXPECT_EQ(session->Interact({}, {.text = "first"}).text, "first");
    server.reset();

    try {
      session->Interact({}, {.text = "nobody there"});
      ADD_FAILURE() << "Interact succeeded with the server gone";
    } catch (const APIError& error) {
      EXPECT_EQ(error.kind(), ErrorKind::kConnection) << error.what();
      EXPECT_EQ(error.phase(), Phase::kGenerate);
      EXPECT_TRUE(error.retryable());
    }
    try {
      session->Stream({}, {.text = "nobody there"});
      ADD_FAILURE() << "Stream started with the server gone";
    } catch (const APIError& error) {
      EXPECT_EQ(error.kind(), ErrorKind::kConnection) << error.what();
      EXPECT_EQ(error.phase(), Phase::kStream);
    }
    const ProviderReadiness gone = session->CheckReady();
    EXPECT_FALSE(gone.ready);
    ASSERT_TRUE(gone.message.has_value());
    EXPECT_NE(gone.message->find("refused"), std::string::npos) << *gone.message;

    server = std::make_unique<mock::Server>(SlowStreaming(port));
    ASSERT_EQ(server->port(), port);
    server->SetTiming({});
    EXPECT_TRUE(session->CheckReady().ready);
    EXPECT_EQ(session->Interact({}, {.text = "back"}).text, "back");
    EXPECT_EQ(session->Stream({}, {.text = "streaming"}).Collect().text, "streaming");
    EXPECT_EQ(server->connections_opened(), 1u);
    EXPECT_EQ(closes_->load(), 0);
  }
  EXPECT_EQ(closes_->load(), 1);
}

// The mock server sets SO_REUSEADDR on its listening socket, so a restart binds the port while
// the old server's closed connections still hold it. Checks the premise too: a socket without
// SO_REUSEADDR cannot bind the port at that moment.
TEST_F(Reconnect, RestartBindsThePortWhileClosedConnectionsHoldIt) {
  auto server = std::make_unique<mock::Server>(SlowStreaming(0));
  server->SetTiming({});
  {
    std::unique_ptr<Session> session = OpenSession(server->port());
    EXPECT_EQ(session->Interact({}, {.text = "first"}).text, "first");
    Restart(server);  // asserts the new server bound and listens on the old port
    server->SetTiming({});
    EXPECT_EQ(session->Interact({}, {.text = "second"}).text, "second");
  }
  std::cout << "sockets on the port after stop: " << states_after_stop_
            << "; bind without SO_REUSEADDR: " << (plain_bind_after_stop_ ? "succeeded" : "failed")
            << "\n";
  // The old server's side of the closed connection still holds the port (FIN_WAIT2 until the
  // client closes, then TIME_WAIT for 60 s): a socket without SO_REUSEADDR cannot bind it.
  EXPECT_NE(states_after_stop_, "none");
  EXPECT_FALSE(plain_bind_after_stop_);
}

}  // namespace
}  // namespace provkit
