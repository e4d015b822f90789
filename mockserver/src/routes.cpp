// Routes: the route table and the handlers every profile serves (health, listing, root, unknown).
#include "routes.hpp"

#include <algorithm>

#include "chat_dialect.hpp"
#include "completions_dialect.hpp"
#include "messages_dialect.hpp"
#include "models.hpp"
#include "responses.hpp"
#include "responses_dialect.hpp"

namespace provkit::mock {
namespace {

std::string ParentPath(const std::string& base_path) {
  const std::size_t slash = base_path.rfind('/');
  return slash == std::string::npos ? std::string() : base_path.substr(0, slash);
}

class HealthHandler final : public Handler {
 public:
  Plan Answer(Exchange& exchange, const Checkpoint& checkpoint) const override {
    if (auto plan = checkpoint(Stage::kValidated)) return std::move(*plan);
    const Scenario& scenario = exchange.scenario();
    if (scenario.kind == ScenarioKind::kHealthy && scenario.status != 0 && scenario.status != 200) {
      return Plan::Of(Body{scenario.status, "", ""});  // 204 and the like: no body
    }
    return Plan::Of(HealthOk(exchange.profile()));
  }
};

/// The profile's listing, or Anthropic's when the request carries an `anthropic-version` header.
class ModelsHandler final : public Handler {
 public:
  Plan Answer(Exchange& exchange, const Checkpoint& checkpoint) const override {
    if (auto plan = checkpoint(Stage::kValidated)) return std::move(*plan);
    if (exchange.Header("anthropic-version")) {
      return Plan::Of({200, "application/json",
                       AnthropicListing(*exchange.snapshot().models, exchange.options().created)});
    }
    return ListingPlan(exchange);
  }
};

/// Paths no route serves: GET / answers the profile's root page (Ollama: "Ollama is running"),
/// anything else the profile's 404.
class UnknownHandler final : public Handler {
 public:
  explicit UnknownHandler(std::string root) : root_(std::move(root)) {}
  Plan Answer(Exchange& exchange, const Checkpoint& checkpoint) const override {
    if (auto plan = checkpoint(Stage::kValidated)) return std::move(*plan);
    const auto& request = exchange.request();
    if (request.path == root_ && request.method == "GET") return Plan::Of(Root(exchange.profile()));
    return Plan::Of(NotFound(exchange.profile(), request.method, request.path));
  }

 private:
  std::string root_;
};

}  // namespace

Router::Router(const std::string& base_path)
    : base_(base_path),
      parent_(ParentPath(base_path)),
      root_(parent_ + "/"),
      unknown_(std::make_shared<UnknownHandler>(root_)) {}

void Router::Add(std::string path, std::vector<std::string> methods, Endpoint endpoint,
                 std::shared_ptr<const Handler> handler, std::optional<Profile> only) {
  entries_.push_back({std::move(path), std::move(methods), endpoint, std::move(handler), only});
}

void Router::AddDialect(std::shared_ptr<const Dialect> dialect) {
  std::string path = base_ + std::string(dialect->path());
  std::vector<std::string> methods{std::string(dialect->method())};
  Add(std::move(path), std::move(methods), Endpoint::kChat, std::move(dialect));
}

void Router::AddEveryPath(std::string method, Endpoint endpoint,
                          std::shared_ptr<const Handler> handler, std::optional<Profile> only) {
  every_path_.push_back({{}, {std::move(method)}, endpoint, std::move(handler), only});
}

Route Router::Find(std::string_view method, std::string_view path, Profile profile) const {
  for (const Entry& entry : every_path_) {
    if ((!entry.only || *entry.only == profile) && entry.methods.front() == method)
      return {entry.endpoint, entry.handler.get(), true, true};
  }
  const Entry* known_path = nullptr;
  for (const Entry& entry : entries_) {
    if (entry.path != path || (entry.only && *entry.only != profile)) continue;
    const bool any = entry.methods.empty();
    if (any || std::find(entry.methods.begin(), entry.methods.end(), method) != entry.methods.end())
      return {entry.endpoint, entry.handler.get(), true, true};
    if (known_path == nullptr) known_path = &entry;
  }
  if (known_path != nullptr) return {known_path->endpoint, known_path->handler.get(), true, false};
  return {Endpoint::kRoot, unknown_.get(), false, true};
}

std::vector<std::string> Router::Paths() const {
  std::vector<std::string> paths{root_};
  for (const Entry& entry : entries_) paths.push_back(entry.path);
  return paths;
}

std::shared_ptr<const Handler> HealthRoute() {
  static const auto kHandler = std::make_shared<const HealthHandler>();
  return kHandler;
}

std::shared_ptr<const Handler> ModelsRoute() {
  static const auto kHandler = std::make_shared<const ModelsHandler>();
  return kHandler;
}

Router DefaultRouter(const std::string& base_path) {
  Router router(base_path);
  router.Add(router.parent() + "/health", {"GET", "HEAD"}, Endpoint::kHealth, HealthRoute());
  router.Add(router.base() + "/models", {"GET", "HEAD"}, Endpoint::kModels, ModelsRoute());
  router.AddDialect(std::make_shared<ChatCompletions>());
  router.AddDialect(std::make_shared<Responses>());
  router.AddDialect(std::make_shared<Messages>());
  router.AddDialect(std::make_shared<Completions>());
  router.AddDialect(std::make_shared<Embeddings>());
  AddLlamaCppRoutes(router);
  return router;
}

}  // namespace provkit::mock
