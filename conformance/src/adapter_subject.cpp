// AdapterSubject: runs an adapter in its own process group and speaks the JSON-lines protocol with
// per-step deadlines.
#include "provkit/conformance/adapter_subject.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "adapter_protocol.hpp"
#include "provkit/conformance/interrupt.hpp"
#include "provkit/conformance/judge.hpp"

namespace provkit::conformance {

using adapter_protocol::Clip;
using adapter_protocol::ErrorFromJson;
using adapter_protocol::EventFromJson;
using adapter_protocol::OutputFromJson;
using adapter_protocol::ReadinessFromJson;
using adapter_protocol::Violation;
using nlohmann::json;
using Millis = std::chrono::milliseconds;

namespace {

constexpr std::size_t kStderrTailBytes = 2048;
// How long an adapter that exited may take to have its last stderr words read.
constexpr std::chrono::milliseconds kStderrDrain{500};

// ---- values to JSON

json ToJson(const Config& config) {
  return {{"base_url", config.base_url},
          {"dialect", DialectOfProvider(config.provider).name},
          {"model", config.model ? json(*config.model) : json(nullptr)},
          {"api_key", config.api_key},
          {"connect_timeout_ms", config.connect_timeout.count()},
          {"request_timeout_ms", config.request_timeout.count()},
          {"probe_budget_ms", config.probe_budget.count()}};
}

json ToJson(const Environment& environment) {
  json tools = json::array();
  for (const Tool& tool : environment.tools) {
    tools.push_back(
        {{"name", tool.name}, {"description", tool.description}, {"parameters", tool.parameters}});
  }
  return {{"instructions", environment.instructions}, {"tools", tools}};
}

json ToJson(const Input& input) {
  json history = json::array();
  for (const Message& message : input.history) {
    json item = {{"role", message.role}, {"content", message.content}};
    if (!message.tool_calls.empty()) item["tool_calls"] = message.tool_calls;
    if (!message.tool_call_id.empty()) item["tool_call_id"] = message.tool_call_id;
    history.push_back(std::move(item));
  }
  json results = json::array();
  for (const ToolResult& result : input.tool_results) {
    results.push_back({{"call_id", result.call_id}, {"content", result.content}});
  }
  return {{"text", input.text}, {"history", history}, {"tool_results", results}};
}

json ToJson(const Requirements& requirements) {
  json out = json::object();
  if (requirements.temperature) out["temperature"] = *requirements.temperature;
  if (requirements.top_p) out["top_p"] = *requirements.top_p;
  if (requirements.max_tokens) out["max_tokens"] = *requirements.max_tokens;
  if (requirements.seed) out["seed"] = *requirements.seed;
  if (requirements.tool_choice) out["tool_choice"] = *requirements.tool_choice;
  if (!requirements.provider_options.empty())
    out["provider_options"] = requirements.provider_options;
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

class AdapterSubject::Process {
 public:
  explicit Process(AdapterOptions options) : options_(std::move(options)) { Start(); }
  ~Process() { Stop(); }

  /// Sends `request` (an id is added) and waits for its final answer.
  json Call(json request, const std::function<void(const json&)>& on_event = {},
            std::optional<Millis> timeout = std::nullopt) {
    std::unique_lock serial(serial_mutex_, std::defer_lock);
    if (!concurrent_) serial.lock();
    const std::string op = request.value("op", std::string("?"));
    auto pending = std::make_shared<Pending>();
    pending->on_event = on_event;
    std::int64_t id = 0;
    {
      std::lock_guard lock(mutex_);
      if (broken_) throw HarnessError(*broken_ + StderrNote());
      id = ++next_id_;
      pending_[id] = pending;
    }
    request["id"] = id;
    const std::size_t output_before = total_output_.load();
    const Millis limit = timeout.value_or(options_.step_timeout);
    Write(request.dump(-1, ' ', false, json::error_handler_t::replace) + "\n", limit);
    std::unique_lock lock(mutex_);
    const bool answered =
        done_cv_.wait_for(lock, limit, [&] { return pending->done || broken_.has_value(); });
    pending_.erase(id);
    if (!pending->done) {
      if (broken_)
        throw HarnessError(*broken_ + " (while waiting for '" + op + "')" + StderrNote());
      (void)answered;
      abandoned_.insert(id);
      // Name what the adapter did meanwhile: silence (a hang) or output that never answered (a
      // flood).
      const std::int64_t events = pending->events.load();
      const std::size_t written = total_output_.load() - output_before;
      std::string meanwhile;
      if (written > 0) {
        meanwhile = " (meanwhile it wrote " + std::to_string(written) + " bytes of output";
        if (events > 0) meanwhile += ", " + std::to_string(events) + " events for it,";
        meanwhile += " but no result)";
      }
      throw HarnessError("the adapter did not answer '" + op + "' within " +
                         std::to_string(limit.count()) + " ms" + meanwhile + StderrNote());
    }
    if (pending->error) throw *pending->error;
    return pending->result;
  }

  void set_concurrent(bool concurrent) { concurrent_ = concurrent; }

  /// Whether the next clause may use this process: it has not crashed, broken the protocol, let
  /// a step time out or been retired by the harness.
  bool Reusable() const {
    std::lock_guard lock(mutex_);
    return !broken_ && abandoned_.empty() && !Exited();
  }

  /// The harness no longer trusts the process (a clause ended in a harness error).
  void Retire(std::string why) {
    std::lock_guard lock(mutex_);
    if (!broken_) broken_ = std::move(why);
  }

  // The last bytes of stderr. When older output was dropped, the tail starts at the next line
  // (or word): the cut may have split a secret, and a split secret is no longer recognisable
  // by the redactor that cleans the evidence.
  std::string StderrTail() const {
    std::lock_guard lock(stderr_mutex_);
    if (!stderr_trimmed_) return stderr_tail_;
    std::size_t start = stderr_tail_.find('\n');
    if (start == std::string::npos) start = stderr_tail_.find_first_of(" \t");
    return "[...] " + (start == std::string::npos ? std::string() : stderr_tail_.substr(start + 1));
  }

 private:
  struct Pending {
    std::function<void(const json&)> on_event;
    std::atomic<std::int64_t> events{0};
    bool done = false;
    json result;
    std::optional<SubjectError> error;
  };

  // The stderr tail of an adapter that has just exited: its last words may still be in the pipe,
  // so this waits (bounded) until the reader saw the pipe close.
  std::string LastWordsNote() const {
    std::unique_lock lock(stderr_mutex_);
    stderr_closed_.wait_for(lock, kStderrDrain, [this] { return stderr_eof_; });
    lock.unlock();
    return StderrNote();
  }

  std::string StderrNote() const {
    const std::string tail = StderrTail();
    return tail.empty() ? std::string() : "; adapter stderr ends: " + Clip(tail, 600);
  }

  void Start() {
    int in[2], out[2], err[2];
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
      throw HarnessError(std::string("cannot create pipes: ") + std::strerror(errno));
    }
    pid_ = fork();
    if (pid_ < 0) throw HarnessError(std::string("cannot fork: ") + std::strerror(errno));
    if (pid_ == 0) {
      setpgid(0, 0);
      dup2(in[0], STDIN_FILENO);
      dup2(out[1], STDOUT_FILENO);
      dup2(err[1], STDERR_FILENO);
      execl("/bin/sh", "sh", "-c", options_.command.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    setpgid(pid_, pid_);
    RegisterProcessGroup(pid_);
    close(in[0]);
    close(out[1]);
    close(err[1]);
    stdin_fd_ = in[1];
    stdout_fd_ = out[0];
    stderr_fd_ = err[0];
    fcntl(stdin_fd_, F_SETFL, O_NONBLOCK);
    signal(SIGPIPE, SIG_IGN);  // a dead adapter must give EPIPE, not kill the harness
    reader_ = std::thread([this] { ReadLoop(); });
  }

  void Write(const std::string& line, Millis limit) {
    std::lock_guard lock(write_mutex_);
    const auto deadline = std::chrono::steady_clock::now() + limit;
    std::size_t sent = 0;
    while (sent < line.size()) {
      const ssize_t n = write(stdin_fd_, line.data() + sent, line.size() - sent);
      if (n > 0) {
        sent += static_cast<std::size_t>(n);
        continue;
      }
      if (n < 0 && errno != EAGAIN && errno != EINTR) {
        Break("the adapter's stdin is closed (" + std::string(std::strerror(errno)) +
              "): it exited or crashed");
        throw HarnessError("the adapter's stdin is closed: it exited or crashed" + LastWordsNote());
      }
      const auto left =
          std::chrono::duration_cast<Millis>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0)
        throw HarnessError("the adapter does not read its stdin" + StderrNote());
      pollfd fd{stdin_fd_, POLLOUT, 0};
      poll(&fd, 1, static_cast<int>(std::min<long long>(left.count(), 100)));
    }
  }

  void ReadLoop() {
    std::string out_buffer;
    char chunk[65536];
    bool out_open = true;
    bool err_open = true;
    while (!stopping_ && (out_open || err_open)) {
      const bool exited = !exit_seen_ && Exited();
      pollfd fds[2] = {{out_open ? stdout_fd_ : -1, POLLIN, 0},
                       {err_open ? stderr_fd_ : -1, POLLIN, 0}};
      const int ready = poll(fds, 2, exited ? 0 : 50);
      if (exited && (ready <= 0 || ((fds[0].revents | fds[1].revents) & POLLIN) == 0)) {
        // What it wrote before exiting (its last words on stderr too) has been read; a grandchild
        // may still hold the pipes open, so the exit itself ends the adapter.
        exit_seen_ = true;
        Break("the adapter exited" + ExitNote());
      }
      if (ready <= 0) continue;
      if (out_open && (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
        const ssize_t n = read(stdout_fd_, chunk, sizeof chunk);
        if (n <= 0) {
          out_open = false;
          const std::string note = ExitNote();
          exit_seen_ = exit_seen_ || !note.empty();
          Break("the adapter exited or closed its stdout" + note);
        } else {
          total_output_ += static_cast<std::size_t>(n);
          if (total_output_ > options_.max_output_bytes) {
            Break("protocol violation: the adapter wrote more than " +
                  std::to_string(options_.max_output_bytes) + " bytes (flooding)");
            out_open = false;
            continue;
          }
          out_buffer.append(chunk, static_cast<std::size_t>(n));
          // One erase per chunk: erasing per line is quadratic under a flood of short lines.
          std::size_t start = 0;
          std::size_t newline;
          while ((newline = out_buffer.find('\n', start)) != std::string::npos) {
            Dispatch(out_buffer.substr(start, newline - start));
            start = newline + 1;
          }
          out_buffer.erase(0, start);
          if (out_buffer.size() > options_.max_line_bytes) {
            Break("protocol violation: a line longer than " +
                  std::to_string(options_.max_line_bytes) + " bytes");
            out_open = false;
          }
        }
      }
      if (err_open && (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
        const ssize_t n = read(stderr_fd_, chunk, sizeof chunk);
        if (n <= 0) {
          err_open = false;
          {
            std::lock_guard lock(stderr_mutex_);
            stderr_eof_ = true;
          }
          stderr_closed_.notify_all();
        } else {
          std::lock_guard lock(stderr_mutex_);
          stderr_tail_.append(chunk, static_cast<std::size_t>(n));
          if (stderr_tail_.size() > kStderrTailBytes) {
            stderr_tail_.erase(0, stderr_tail_.size() - kStderrTailBytes);
            stderr_trimmed_ = true;
          }
        }
      }
    }
  }

  // Whether the adapter process has ended, without reaping it: its pid (and so its process
  // group id) stays reserved until Stop() has killed the group and reaped it.
  bool Exited(siginfo_t* info = nullptr) const {
    siginfo_t local{};
    siginfo_t& out = info != nullptr ? *info : local;
    out.si_pid = 0;
    return waitid(P_PID, static_cast<id_t>(pid_), &out, WEXITED | WNOHANG | WNOWAIT) == 0 &&
           out.si_pid == pid_;
  }

  std::string ExitNote() const {
    for (int i = 0; i < 20; ++i) {  // the pipe closes a moment before the exit status is ready
      siginfo_t info{};
      if (Exited(&info)) {
        if (info.si_code == CLD_EXITED)
          return " (exit status " + std::to_string(info.si_status) + ")";
        return " (killed by signal " + std::to_string(info.si_status) + ")";
      }
      std::this_thread::sleep_for(Millis{5});
    }
    return {};
  }

  void Dispatch(const std::string& text) {
    adapter_protocol::Line line = adapter_protocol::ParseLine(text);
    if (line.kind == adapter_protocol::Line::Kind::kBlank) return;
    if (!line.id) {
      Break(std::move(line.violation));
      return;
    }
    const std::int64_t id = *line.id;
    std::shared_ptr<Pending> pending;
    {
      std::lock_guard lock(mutex_);
      const auto it = pending_.find(id);
      if (it == pending_.end()) {
        if (abandoned_.count(id) != 0) return;  // a late answer to a step that already timed out
        broken_locked("protocol violation: an answer to id " + std::to_string(id) +
                      " that was never asked or is already answered: " + Clip(text));
        return;
      }
      pending = it->second;
    }
    if (line.kind == adapter_protocol::Line::Kind::kEvent) {
      ++pending->events;
      if (pending->on_event) pending->on_event(line.payload);
      return;
    }
    std::lock_guard lock(mutex_);
    switch (line.kind) {
      case adapter_protocol::Line::Kind::kResult:
        pending->result = std::move(line.payload);
        break;
      case adapter_protocol::Line::Kind::kError:
        pending->error = std::move(line.error);
        break;
      default:
        broken_locked(std::move(line.violation));
        return;
    }
    pending->done = true;
    pending_.erase(id);
    done_cv_.notify_all();
  }

  void broken_locked(std::string why) {
    if (!broken_) broken_ = std::move(why);
    done_cv_.notify_all();
    if (pid_ > 0) kill(-pid_, SIGKILL);
  }

  void Break(std::string why) {
    std::lock_guard lock(mutex_);
    broken_locked(std::move(why));
  }

  void Stop() {
    bool alive;
    {
      std::lock_guard lock(mutex_);
      // An adapter that let a step time out gets no polite shutdown: it would not answer that
      // either.
      alive = !broken_.has_value() && (abandoned_.empty() || concurrent_);
    }
    if (alive) {
      // One grace period for answering `shutdown` and exiting, not one for each.
      const auto deadline = std::chrono::steady_clock::now() + options_.shutdown_grace;
      bool answered = false;
      try {
        Call({{"op", "shutdown"}}, {}, options_.shutdown_grace);
        answered = true;
      } catch (const std::exception&) {
        // Killed below either way.
      }
      while (answered && !Exited() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(Millis{5});
      }
    }
    // The whole group, children the adapter started included. The adapter is not reaped yet,
    // so its pid still names this group and no other.
    kill(-pid_, SIGKILL);
    stopping_ = true;
    if (reader_.joinable()) reader_.join();
    UnregisterProcessGroup(pid_);  // before the reaping frees the id for another process
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    close(stdin_fd_);
    close(stdout_fd_);
    close(stderr_fd_);
  }

  AdapterOptions options_;
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  int stderr_fd_ = -1;
  std::thread reader_;
  std::atomic<bool> stopping_{false};
  bool exit_seen_ = false;  // reader thread only
  std::atomic<bool> concurrent_{false};
  std::atomic<std::size_t> total_output_{0};  // written by the reader thread only
  mutable std::mutex mutex_;
  mutable std::mutex stderr_mutex_;
  std::mutex write_mutex_;
  std::mutex serial_mutex_;
  std::condition_variable done_cv_;
  std::map<std::int64_t, std::shared_ptr<Pending>> pending_;
  std::set<std::int64_t> abandoned_;
  std::int64_t next_id_ = 0;
  std::optional<std::string> broken_;
  std::string stderr_tail_;
  bool stderr_trimmed_ = false;  // older stderr output was dropped from the tail
  bool stderr_eof_ = false;      // the reader saw the adapter's stderr close
  mutable std::condition_variable stderr_closed_;
};

namespace {

StreamOutcome StreamCall(AdapterSubject::Process& process, json request,
                         const EventCallback& on_event) {
  StreamOutcome outcome;
  try {
    const json result = process.Call(std::move(request), [&](const json& event) {
      StreamEvent parsed;
      try {
        parsed = EventFromJson(event);
      } catch (const HarnessError&) {
        return;  // judged below: an unreadable event never counts
      }
      outcome.events.push_back(parsed);
      if (on_event) on_event(parsed);
    });
    if (!result.is_object()) Violation("a stream result that is not an object", result);
    if (result.value("abandoned", false)) {
      outcome.abandoned = true;
    } else if (result.value("done", false)) {
      outcome.done = OutputFromJson(result.value("output", json(nullptr)));
    } else {
      Violation("a stream result with neither done nor abandoned", result);
    }
  } catch (const SubjectError& error) {
    outcome.error = error;
  }
  return outcome;
}

class AdapterSession final : public SubjectSession {
 public:
  AdapterSession(std::shared_ptr<AdapterSubject::Process> process, std::string id)
      : process_(std::move(process)), id_(std::move(id)) {}

  ProviderReadiness CheckReady(std::stop_token /*stop*/) override {
    return ReadinessFromJson(process_->Call({{"op", "check_ready"}, {"session", id_}}));
  }
  ProviderReadiness CheckReadyOf(const std::optional<std::string>& model) override {
    return ReadinessFromJson(process_->Call({{"op", "check_ready"},
                                             {"session", id_},
                                             {"model", model ? json(*model) : json(nullptr)}}));
  }
  Output Interact(const Environment& environment, const Input& input,
                  const Requirements& requirements) override {
    return OutputFromJson(process_->Call({{"op", "interact"},
                                          {"session", id_},
                                          {"environment", ToJson(environment)},
                                          {"input", ToJson(input)},
                                          {"requirements", ToJson(requirements)}}));
  }
  StreamOutcome Stream(const Environment& environment, const Input& input,
                       const Requirements& requirements, std::optional<int> stop_after,
                       const EventCallback& on_event) override {
    json request = {{"op", "stream"},
                    {"session", id_},
                    {"environment", ToJson(environment)},
                    {"input", ToJson(input)},
                    {"requirements", ToJson(requirements)}};
    if (stop_after) request["stop_after"] = *stop_after;
    return StreamCall(*process_, std::move(request), on_event);
  }
  std::vector<Output> RunMany(const Environment& environment, const std::vector<Input>& inputs,
                              const Requirements& requirements, int concurrency) override {
    json list = json::array();
    for (const Input& input : inputs) list.push_back(ToJson(input));
    const json result = process_->Call({{"op", "run_many"},
                                        {"session", id_},
                                        {"environment", ToJson(environment)},
                                        {"inputs", list},
                                        {"requirements", ToJson(requirements)},
                                        {"concurrency", concurrency}});
    if (!result.is_object() || !result.contains("outputs") || !result["outputs"].is_array()) {
      Violation("a run_many result without an outputs list", result);
    }
    std::vector<Output> outputs;
    for (const json& output : result["outputs"]) outputs.push_back(OutputFromJson(output));
    return outputs;
  }
  void Close() override { process_->Call({{"op", "close"}, {"session", id_}}); }
  void Drop() override { process_->Call({{"op", "drop"}, {"session", id_}}); }

 private:
  std::shared_ptr<AdapterSubject::Process> process_;
  std::string id_;
};

}  // namespace

AdapterSubject::AdapterSubject(AdapterOptions options)
    : process_(std::make_shared<Process>(std::move(options))) {
  Hello();
}

AdapterSubject::AdapterSubject(const AdapterSubject& running)
    : process_(running.process_), name_(running.name_), capabilities_(running.capabilities_) {}

void AdapterSubject::Retire() { process_->Retire("retired by the harness after a harness error"); }

void AdapterSubject::Hello() {
  json hello;
  try {
    hello = process_->Call({{"op", "hello"}, {"protocol", 1}});
  } catch (const SubjectError& error) {
    throw HarnessError(std::string("the adapter refused hello: ") + error.what());
  }
  if (!hello.is_object() || hello.value("protocol", 0) != 1)
    Violation("hello without protocol 1", hello);
  name_ = hello.value("name", std::string("adapter"));
  const json caps = hello.value("capabilities", json::object());
  auto flag = [&](const char* key) { return caps.is_object() && caps.value(key, false); };
  capabilities_.readiness = flag("readiness");
  capabilities_.streaming = flag("streaming");
  capabilities_.tools = flag("tools");
  capabilities_.run_many = flag("run_many");
  capabilities_.one_shot = flag("one_shot");
  capabilities_.concurrent = flag("concurrent");
  capabilities_.probe_optional = flag("probe_optional");
  capabilities_.cancellation = false;  // R14 applies to C++ subjects only
  if (caps.is_object() && caps.contains("dialects")) {
    const json& dialects = caps["dialects"];
    if (!dialects.is_array()) Violation("capabilities.dialects that is not a list", hello);
    capabilities_.dialects.clear();
    for (const json& dialect : dialects) {
      if (!dialect.is_string()) Violation("capabilities.dialects with a non-string entry", hello);
      capabilities_.dialects.push_back(dialect.get<std::string>());
    }
  }
  process_->set_concurrent(capabilities_.concurrent);
}

AdapterSubject::~AdapterSubject() = default;

std::string AdapterSubject::Name() const { return name_; }
Capabilities AdapterSubject::GetCapabilities() const { return capabilities_; }
std::string AdapterSubject::StderrTail() const { return process_->StderrTail(); }

std::unique_ptr<SubjectSession> AdapterSubject::Open(const Config& config, bool readiness_probe) {
  const json result = process_->Call(
      {{"op", "open"}, {"config", ToJson(config)}, {"readiness_probe", readiness_probe}});
  if (!result.is_object() || !result.contains("session") || !result["session"].is_string()) {
    Violation("an open result without a session id", result);
  }
  return std::make_unique<AdapterSession>(process_, result["session"].get<std::string>());
}

OneShotResult AdapterSubject::OneShot(OneShotCall call, const Config& config,
                                      const OneShotArgs& args) {
  static const char* const kNames[] = {"interact", "stream", "run_many", "check_ready"};
  json inputs = json::array();
  for (const Input& input : args.inputs) inputs.push_back(ToJson(input));
  json request = {{"op", "oneshot"},
                  {"call", kNames[static_cast<int>(call)]},
                  {"config", ToJson(config)},
                  {"environment", ToJson(args.environment)},
                  {"input", ToJson(args.input)},
                  {"inputs", inputs},
                  {"requirements", ToJson(args.requirements)},
                  {"concurrency", args.concurrency}};
  if (call == OneShotCall::kStream && args.stop_after) request["stop_after"] = *args.stop_after;
  OneShotResult result;
  switch (call) {
    case OneShotCall::kInteract:
      result.output = OutputFromJson(process_->Call(request));
      break;
    case OneShotCall::kCheckReady:
      result.readiness = ReadinessFromJson(process_->Call(request));
      break;
    case OneShotCall::kStream:
      result.stream = StreamCall(*process_, request, {});
      break;
    case OneShotCall::kRunMany: {
      const json answer = process_->Call(request);
      if (!answer.is_object() || !answer.contains("outputs") || !answer["outputs"].is_array()) {
        Violation("a run_many result without an outputs list", answer);
      }
      for (const json& output : answer["outputs"]) result.outputs.push_back(OutputFromJson(output));
      break;
    }
  }
  return result;
}

SubjectCounters AdapterSubject::Counters() {
  const json stats = process_->Call({{"op", "stats"}});
  auto number = [&](const char* key) -> std::int64_t {
    if (!stats.is_object() || !stats.contains(key) || !stats[key].is_number_integer()) {
      Violation(std::string("stats without an integer '") + key + "'", stats);
    }
    return stats[key].get<std::int64_t>();
  };
  return {.instances_created = number("instances_created"),
          .instances_closed = number("instances_closed"),
          .calls_after_close = number("calls_after_close")};
}

SubjectFactory AdapterSubjectFactory(AdapterOptions options) {
  if (options.isolate) {
    return [options] { return std::make_unique<AdapterSubject>(options); };
  }
  // One process for the whole run, replaced only when it can no longer be trusted. It ends when
  // the last copy of the factory and the last subject using it are gone.
  struct Shared {
    std::mutex mutex;
    std::unique_ptr<AdapterSubject> running;
  };
  auto shared = std::make_shared<Shared>();
  return [options, shared]() -> std::unique_ptr<Subject> {
    std::lock_guard lock(shared->mutex);
    if (!shared->running || !shared->running->Reusable()) {
      shared->running.reset();  // the old process group is killed before a new one starts
      shared->running = std::make_unique<AdapterSubject>(options);
    }
    return std::unique_ptr<AdapterSubject>(new AdapterSubject(*shared->running));
  };
}

bool AdapterSubject::Reusable() const { return process_->Reusable(); }

}  // namespace provkit::conformance
