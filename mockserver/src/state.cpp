// ServerState: what a mock server answers from, and the snapshot one request is answered from.
#include "state.hpp"

#include "faults.hpp"
#include "responses.hpp"

namespace provkit::mock {

ServerState::ServerState(const ServerOptions& options, const StopSignal& stop)
    : options_(options),
      stop_(stop),
      scenario_(std::make_shared<const Scenario>(options.scenario)),
      faults_(std::make_shared<FaultState>()),
      scenario_since_(Clock::now()),
      profile_(options.profile),
      timing_(options.timing),
      models_(std::make_shared<const std::vector<Model>>(options.models)),
      script_(std::make_shared<const Script>(options.script)) {}

void ServerState::EndScenarioWhenOver() {
  const Fault& fault = FaultFor(scenario_->kind);
  if (fault.over == nullptr || !fault.over(*scenario_, Clock::now() - scenario_since_, counted_))
    return;
  scenario_ = std::make_shared<const Scenario>();
  faults_ = std::make_shared<FaultState>();
  scenario_since_ = Clock::now();
  counted_ = 0;
}

Snapshot ServerState::Take() {
  std::lock_guard lock(mutex_);
  EndScenarioWhenOver();
  FinishDueLoads();
  return {scenario_, profile_, timing_, models_, faults_};
}

void ServerState::Count(const Snapshot& snapshot, Endpoint endpoint) {
  const Fault& fault = FaultFor(snapshot.scenario->kind);
  if (fault.counts == nullptr || !fault.counts(*snapshot.scenario, endpoint)) return;
  std::lock_guard lock(mutex_);
  if (scenario_ == snapshot.scenario) ++counted_;
}

void ServerState::SetScenario(Scenario scenario) {
  std::lock_guard lock(mutex_);
  scenario_ = std::make_shared<const Scenario>(std::move(scenario));
  faults_ = std::make_shared<FaultState>();
  scenario_since_ = Clock::now();
  counted_ = 0;
}

Scenario ServerState::scenario() {
  std::lock_guard lock(mutex_);
  EndScenarioWhenOver();
  return *scenario_;
}

void ServerState::SetProfile(Profile profile) {
  std::lock_guard lock(mutex_);
  profile_ = profile;
  listing_cache_.reset();
}

Profile ServerState::profile() const {
  std::lock_guard lock(mutex_);
  return profile_;
}

void ServerState::SetScript(Script script) {
  std::lock_guard lock(mutex_);
  script_ = std::make_shared<const Script>(std::move(script));
  script_next_ = 0;
}

Script ServerState::script() const {
  std::lock_guard lock(mutex_);
  return *script_;
}

void ServerState::SetTiming(StreamTiming timing) {
  if (timing.chunk_chars == 0)
    throw ConfigError("chunk_chars must be at least 1", "/timing/chunk_chars");
  std::lock_guard lock(mutex_);
  timing_ = timing;
}

StreamTiming ServerState::timing() const {
  std::lock_guard lock(mutex_);
  return timing_;
}

void ServerState::SetModels(std::vector<Model> models) {
  for (std::size_t i = 0; i < models.size(); ++i) {
    if (models[i].id.empty())
      throw ConfigError("a model id is empty", "/models/" + std::to_string(i));
  }
  std::lock_guard lock(mutex_);
  models_ = std::make_shared<const std::vector<Model>>(std::move(models));
  listing_cache_.reset();
  loads_.clear();
}

std::vector<Model> ServerState::models() {
  std::lock_guard lock(mutex_);
  FinishDueLoads();
  return *models_;
}

void ServerState::FinishDueLoads() {
  const auto now = Clock::now();
  for (auto load = loads_.begin(); load != loads_.end();) {
    if (load->second > now) {
      ++load;
      continue;
    }
    SetStatus(load->first, "loaded");
    load = loads_.erase(load);
  }
}

void ServerState::SetStatus(const std::string& id, const std::string& status) {
  auto models = std::make_shared<std::vector<Model>>(*models_);
  for (Model& model : *models) {
    if (model.id == id) model.status = status;
  }
  models_ = std::move(models);
  listing_cache_.reset();
}

const Model* ServerState::Find(const std::string& id) const {
  for (const Model& model : *models_) {
    if (model.id == id) return &model;
  }
  return nullptr;
}

ServerState::LoadResult ServerState::Load(const std::string& id) {
  std::lock_guard lock(mutex_);
  FinishDueLoads();
  const Model* model = Find(id);
  if (model == nullptr) return LoadResult::kUnknown;
  if (model->status.empty() || model->status == "loaded" || loads_.count(id) > 0)
    return LoadResult::kAlreadyRunning;
  loads_[id] = Clock::now() + options_.model_load_time;
  SetStatus(id, "loading");
  return LoadResult::kStarted;
}

ServerState::LoadResult ServerState::Unload(const std::string& id) {
  std::lock_guard lock(mutex_);
  FinishDueLoads();
  const Model* model = Find(id);
  if (model == nullptr) return LoadResult::kUnknown;
  const std::string& status = model->status;
  if (status != "loaded" && status != "loading" && status != "sleeping" && !status.empty())
    return LoadResult::kNotRunning;
  loads_.erase(id);
  SetStatus(id, "unloaded");
  return LoadResult::kDone;
}

bool ServerState::WaitLoaded(const std::string& id) {
  for (;;) {
    Clock::time_point ready;
    {
      std::lock_guard lock(mutex_);
      FinishDueLoads();
      const Model* model = Find(id);
      if (model == nullptr) return false;
      if (model->status.empty() || model->status == "loaded") return true;
      auto load = loads_.find(id);
      if (load == loads_.end()) {
        load = loads_.emplace(id, Clock::now() + options_.model_load_time).first;
        SetStatus(id, "loading");
      }
      ready = load->second;
    }
    const auto left = std::chrono::duration_cast<std::chrono::microseconds>(ready - Clock::now());
    if (left.count() > 0 && !stop_.WaitFor(left)) return false;
    if (stop_.stopping()) return false;
  }
}

Reply ServerState::PickReply(const Conversation& conversation) {
  std::shared_ptr<const Script> script;
  {
    std::lock_guard lock(mutex_);
    script = script_;
  }
  for (const Rule& rule : script->rules) {
    if (rule.Matches(conversation)) return rule.reply;
  }
  std::lock_guard lock(mutex_);
  const Script& current = *script_;
  if (script_next_ < current.sequence.size()) {
    Reply reply = current.sequence[script_next_++];
    if (current.loop && script_next_ == current.sequence.size()) script_next_ = 0;
    return reply;
  }
  Reply echo;
  echo.text = conversation.LastUserText();
  return echo;
}

std::shared_ptr<const std::string> ServerState::Listing(const Snapshot& snapshot) {
  {
    std::lock_guard lock(mutex_);
    if (listing_cache_ != nullptr && models_ == snapshot.models && profile_ == snapshot.profile)
      return listing_cache_;
  }
  auto listing = std::make_shared<const std::string>(
      mock::Listing(snapshot.profile, *snapshot.models, options_.created));
  std::lock_guard lock(mutex_);
  if (models_ == snapshot.models && profile_ == snapshot.profile) listing_cache_ = listing;
  return listing;
}

}  // namespace provkit::mock
