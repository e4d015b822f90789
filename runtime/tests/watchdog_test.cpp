// Tests the Watchdog: deadlines stop requests that per-read timeouts miss (trickling), aborts
// before and during a request.
#include "watchdog.hpp"

#include <gtest/gtest.h>

#include <chrono>

#include "test_server.hpp"

namespace provkit {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// A server whose /trickle sends one byte every 10 ms until released or the client leaves.
class TrickleServer : public testing::TestServer {
 public:
  TrickleServer() {
    server().Get("/trickle", [this](const httplib::Request&, httplib::Response& response) {
      response.set_chunked_content_provider("text/plain",
                                            [this](std::size_t, httplib::DataSink& sink) {
                                              if (!sink.write("x", 1)) return false;
                                              return !WaitForRelease(milliseconds(10));
                                            });
    });
    server().Get("/fast", [](const httplib::Request&, httplib::Response& response) {
      response.set_content("ok", "text/plain");
    });
    Start();
  }
  ~TrickleServer() override { Stop(); }
};

TEST(Watchdog, DeadlineStopsATricklingRequest) {
  TrickleServer server;
  httplib::Client client("127.0.0.1", server.port());
  client.set_read_timeout(std::chrono::seconds(5));  // Never trips: a byte comes every 10 ms.
  Watchdog watchdog;
  Watchdog::Entry entry;
  const auto start = Clock::now();
  watchdog.Arm(entry, &client, this, start + milliseconds(200));
  const auto result = client.Get("/trickle");
  const auto elapsed = Clock::now() - start;
  EXPECT_EQ(watchdog.Disarm(entry), StopReason::kDeadline);
  EXPECT_FALSE(result);
  EXPECT_GE(elapsed, milliseconds(200));
  EXPECT_LT(elapsed, milliseconds(1500));
}

TEST(Watchdog, AbortBeforeTheRequestStartsStillStopsIt) {
  TrickleServer server;
  httplib::Client client("127.0.0.1", server.port());
  Watchdog watchdog;
  Watchdog::Entry entry;
  watchdog.Abort(entry);
  watchdog.Arm(entry, &client, this, Clock::time_point::max());
  const auto start = Clock::now();
  EXPECT_FALSE(client.Get("/trickle"));
  EXPECT_LT(Clock::now() - start, milliseconds(1500));
  EXPECT_EQ(watchdog.Disarm(entry), StopReason::kAborted);
}

TEST(Watchdog, AbortOwnerStopsOnlyThatOwnersRequests) {
  TrickleServer server;
  httplib::Client trickling("127.0.0.1", server.port());
  httplib::Client fast("127.0.0.1", server.port());
  Watchdog watchdog;
  Watchdog::Entry aborted;
  Watchdog::Entry spared;
  int owner_a = 0;
  int owner_b = 0;
  watchdog.Arm(aborted, &trickling, &owner_a, Clock::time_point::max());
  watchdog.Arm(spared, &fast, &owner_b, Clock::time_point::max());
  std::thread abort_later([&] {
    while (server.requests().empty()) std::this_thread::yield();
    watchdog.AbortOwner(&owner_a);
  });
  EXPECT_FALSE(trickling.Get("/trickle"));
  abort_later.join();
  EXPECT_EQ(watchdog.Disarm(aborted), StopReason::kAborted);
  EXPECT_TRUE(fast.Get("/fast"));
  EXPECT_EQ(watchdog.Disarm(spared), StopReason::kNone);
}

TEST(Watchdog, DisarmedEntryIsNeverStopped) {
  TrickleServer server;
  httplib::Client client("127.0.0.1", server.port());
  client.set_keep_alive(true);
  Watchdog watchdog;
  Watchdog::Entry entry;
  watchdog.Arm(entry, &client, this, Clock::now() + std::chrono::seconds(30));
  EXPECT_TRUE(client.Get("/fast"));
  EXPECT_EQ(watchdog.Disarm(entry), StopReason::kNone);
  watchdog.Abort(entry);  // After Disarm: marks the entry only.
  EXPECT_TRUE(client.Get("/fast"));
  EXPECT_EQ(server.connections(), 1);
}

}  // namespace
}  // namespace provkit
