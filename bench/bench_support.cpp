// Helpers shared by the benchmarks: configs, medians, /proc/self/status, the child mock process.
#include "bench_support.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>

#include "provkit/mockserver/script.hpp"
#include "provkit/runtime/local_provider.hpp"

extern char** environ;

namespace provkit::bench {
namespace {

std::size_t StatusField(std::string_view field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field, 0) == 0) {
      return std::stoull(line.substr(field.size() + 1)) * 1024;  // "VmRSS:   1234 kB"
    }
  }
  return 0;
}

}  // namespace

Config MakeConfig(const std::string& base_url) {
  Config config;
  config.base_url = base_url;
  config.model = std::string(kModel);
  return config;
}

std::string MakeText(std::size_t chars) {
  static constexpr std::string_view kWords =
      "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor ";
  std::string text;
  text.reserve(chars);
  while (text.size() < chars) {
    text.append(kWords.substr(0, std::min(kWords.size(), chars - text.size())));
  }
  return text;
}

double MicrosSince(Clock::time_point start) {
  return std::chrono::duration<double, std::micro>(Clock::now() - start).count();
}

double Samples::Median() const {
  if (values_.empty()) return 0.0;
  std::vector<double> sorted = values_;
  const auto middle = sorted.begin() + static_cast<std::ptrdiff_t>(sorted.size() / 2);
  std::nth_element(sorted.begin(), middle, sorted.end());
  return *middle;
}

std::string ChatRequestBody(bool stream) {
  const LocalProvider provider(MakeConfig("http://127.0.0.1:9/v1"));
  return provider.BuildRequestBody({}, Input{.text = "Say something."}, {}, stream).dump();
}

std::size_t ResidentBytes() { return StatusField("VmRSS:"); }
std::size_t PeakResidentBytes() { return StatusField("VmHWM:"); }

bool ResetPeakResident() {
  std::ofstream clear("/proc/self/clear_refs");
  clear << "5";
  clear.flush();
  return static_cast<bool>(clear);
}

std::string HoldCpuWakeLatency() {
  const int fd = open("/dev/cpu_dma_latency", O_WRONLY | O_CLOEXEC);
  if (fd < 0) return std::string("not held: /dev/cpu_dma_latency: ") + std::strerror(errno);
  const std::int32_t microseconds = 0;
  if (write(fd, &microseconds, sizeof microseconds) != sizeof microseconds) {
    const std::string reason = std::strerror(errno);
    close(fd);
    return "not held: write: " + reason;
  }
  return "0 us, held for the run";  // The request lasts while fd is open: until exit.
}

ChildMock::ChildMock(std::size_t text_bytes, std::size_t chunk_chars) {
  int to_child[2];
  int from_child[2];
  if (pipe2(to_child, O_CLOEXEC) != 0 || pipe2(from_child, O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe failed");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, to_child[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, from_child[1], STDOUT_FILENO);
  std::string bytes_arg = std::to_string(text_bytes);
  std::string chunk_arg = std::to_string(chunk_chars);
  std::string self = "/proc/self/exe";
  std::string flag = "--provkit-mock-child";
  char* argv[] = {self.data(), flag.data(), bytes_arg.data(), chunk_arg.data(), nullptr};
  const int rc = posix_spawn(&pid_, "/proc/self/exe", &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  close(to_child[0]);
  close(from_child[1]);
  if (rc != 0) throw std::runtime_error("posix_spawn failed");
  stdin_fd_ = to_child[1];
  std::string line;
  char c = 0;
  while (read(from_child[0], &c, 1) == 1 && c != '\n') line.push_back(c);
  close(from_child[0]);
  if (line.rfind("http://", 0) != 0) throw std::runtime_error("child mock did not start: " + line);
  base_url_ = line;
}

ChildMock::~ChildMock() {
  if (stdin_fd_ >= 0) close(stdin_fd_);
  if (pid_ > 0) {
    int status = 0;
    waitpid(pid_, &status, 0);
  }
}

int RunChildMock(std::size_t text_bytes, std::size_t chunk_chars) {
  mock::ServerOptions options;
  options.models = {std::string(kModel)};
  options.script.sequence = {mock::Reply{.text = MakeText(text_bytes)}};
  options.script.loop = true;
  options.timing.chunk_chars = chunk_chars;
  mock::Server server(std::move(options));
  std::cout << server.base_url() << std::endl;
  char buffer[64];
  while (read(STDIN_FILENO, buffer, sizeof buffer) > 0) {
  }
  return 0;
}

}  // namespace provkit::bench
