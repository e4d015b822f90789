// TestServer: an in-test cpp-httplib server on 127.0.0.1 (port 0) that counts TCP connections and
// records requests.
#pragma once

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace provkit::testing {

/// What the server saw of one request, recorded before routing.
struct RecordedRequest {
  std::string method;
  std::string path;
  std::string authorization;
  std::string content_length;  ///< The Content-Length header, empty when absent.
  std::string transfer_encoding;
};

/// Register handlers on server(), then Start(). Stop() (or the destructor)
/// releases handlers blocked in WaitForRelease(), stops the server and joins
/// every thread. A subclass whose handlers use its own members calls Stop()
/// in its destructor. Each accepted connection runs on its own thread and is
/// counted when accepted, so connections() is exact.
class TestServer {
 public:
  TestServer() {
    server_.new_task_queue = [this] { return new ThreadPerConnection(connections_); };
    server_.set_tcp_nodelay(true);
    server_.set_keep_alive_max_count(100000);
    server_.set_pre_routing_handler([this](const httplib::Request& request, httplib::Response&) {
      std::lock_guard lock(mutex_);
      requests_.push_back({request.method, request.path, request.get_header_value("Authorization"),
                           request.get_header_value("Content-Length"),
                           request.get_header_value("Transfer-Encoding")});
      return httplib::Server::HandlerResponse::Unhandled;
    });
  }

  virtual ~TestServer() { Stop(); }

  /// Releases blocked handlers, stops serving and joins every server thread. Idempotent.
  void Stop() {
    Release();
    if (thread_.joinable()) {
      server_.stop();
      thread_.join();
    }
  }

  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  httplib::Server& server() { return server_; }

  /// Binds 127.0.0.1 on a free port and serves on a thread; returns once accepting.
  void Start() {
    port_ = server_.bind_to_any_port("127.0.0.1");
    if (port_ <= 0) throw std::runtime_error("TestServer: cannot bind 127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::yield();
  }

  int port() const { return port_; }
  std::string root_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string base_url() const { return root_url() + "/v1"; }

  /// TCP connections accepted so far.
  int connections() const { return connections_.load(); }

  std::vector<RecordedRequest> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }

  /// For handlers that hang: blocks until the server is torn down or `timeout`
  /// passes. Returns true when released.
  bool WaitForRelease(std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    std::unique_lock lock(mutex_);
    return released_cv_.wait_for(lock, timeout, [this] { return released_; });
  }

  /// Releases every handler blocked in WaitForRelease.
  void Release() {
    {
      std::lock_guard lock(mutex_);
      released_ = true;
    }
    released_cv_.notify_all();
  }

  bool released() const {
    std::lock_guard lock(mutex_);
    return released_;
  }

 private:
  // One thread per accepted connection: one enqueued task is one connection.
  class ThreadPerConnection : public httplib::TaskQueue {
   public:
    explicit ThreadPerConnection(std::atomic<int>& count) : count_(count) {}
    void enqueue(std::function<void()> task) override {
      ++count_;
      std::lock_guard lock(mutex_);
      threads_.emplace_back(std::move(task));
    }
    void shutdown() override {
      std::vector<std::thread> threads;
      {
        std::lock_guard lock(mutex_);
        threads.swap(threads_);
      }
      for (std::thread& thread : threads) thread.join();
    }

   private:
    std::atomic<int>& count_;
    std::mutex mutex_;
    std::vector<std::thread> threads_;
  };

  httplib::Server server_;
  std::thread thread_;
  int port_ = -1;
  std::atomic<int> connections_{0};
  mutable std::mutex mutex_;
  std::condition_variable released_cv_;
  bool released_ = false;
  std::vector<RecordedRequest> requests_;
};

}  // namespace provkit::testing
