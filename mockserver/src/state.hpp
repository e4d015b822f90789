// ServerState: what a mock server answers from (scenario, profile, models, script, timing), and the
// snapshot one request is answered from.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "fault_state.hpp"
#include "provkit/mockserver/config.hpp"
#include "stop_signal.hpp"

namespace provkit::mock {

/// The server state one request is answered from: immutable, shared, taken at arrival.
struct Snapshot {
  std::shared_ptr<const Scenario> scenario;
  Profile profile = Profile::kOpenAi;
  StreamTiming timing;
  std::shared_ptr<const std::vector<Model>> models;
  /// The counters of `scenario` (rate limits, chaos draws), created with it.
  std::shared_ptr<FaultState> faults;
};

/// The mutable state behind a Server. Every member function is thread-safe.
class ServerState {
 public:
  using Clock = std::chrono::steady_clock;

  ServerState(const ServerOptions& options, const StopSignal& stop);

  /// The state for a request arriving now. A scenario that is over (loading after its time or
  /// its requests) turns healthy first.
  Snapshot Take();
  /// Counts a request to `endpoint` toward the end of the scenario it was answered under.
  void Count(const Snapshot& snapshot, Endpoint endpoint);

  void SetScenario(Scenario scenario);
  Scenario scenario();
  void SetProfile(Profile profile);
  Profile profile() const;
  void SetScript(Script script);
  Script script() const;
  /// Throws ConfigError when chunk_chars is 0.
  void SetTiming(StreamTiming timing);
  StreamTiming timing() const;
  /// Throws ConfigError naming the first empty id.
  void SetModels(std::vector<Model> models);
  /// The models with their current status (router-mode loads that are due are finished).
  std::vector<Model> models();

  /// The scripted answer to a generation request carrying `conversation` (any dialect).
  Reply PickReply(const Conversation& conversation);
  /// The healthy listing of `snapshot`, rendered once per model set and profile.
  std::shared_ptr<const std::string> Listing(const Snapshot& snapshot);

  /// Router-mode model management (llama.cpp). What a load or unload request found.
  enum class LoadResult { kStarted, kUnknown, kAlreadyRunning, kNotRunning, kDone };
  /// Starts loading `id` (status "loading" for model_load_time, then "loaded").
  LoadResult Load(const std::string& id);
  /// Sets `id` "unloaded" when it is loaded, loading or sleeping.
  LoadResult Unload(const std::string& id);
  /// Loads `id` unless it is loaded, and waits until it is (a load request in flight, or one
  /// started now). False when the server stops first or `id` is unknown.
  bool WaitLoaded(const std::string& id);

 private:
  /// Needs mutex_.
  void EndScenarioWhenOver();
  /// Finishes the loads that are due. Needs mutex_.
  void FinishDueLoads();
  /// Replaces the status of `id`. Needs mutex_.
  void SetStatus(const std::string& id, const std::string& status);
  /// The model called `id`, or nullptr. Needs mutex_.
  const Model* Find(const std::string& id) const;

  const ServerOptions& options_;
  const StopSignal& stop_;
  mutable std::mutex mutex_;
  std::shared_ptr<const Scenario> scenario_;
  std::shared_ptr<FaultState> faults_;
  Clock::time_point scenario_since_;
  int counted_ = 0;
  Profile profile_;
  StreamTiming timing_;
  std::shared_ptr<const std::vector<Model>> models_;
  std::shared_ptr<const std::string> listing_cache_;
  /// Shared so that PickReply matches the rules outside the lock (a Pattern may be slow).
  std::shared_ptr<const Script> script_;
  std::size_t script_next_ = 0;
  /// Router-mode loads in flight: model id -> when it is loaded.
  std::map<std::string, Clock::time_point> loads_;
};

}  // namespace provkit::mock
