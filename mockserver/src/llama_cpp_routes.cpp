// llama.cpp's own routes: health and listing aliases, /props, /metrics, router-mode model
// loading, and CORS preflights. Shapes and statuses as recorded (mockserver/tests/data/llama.cpp).
#include <nlohmann/json.hpp>

#include "responses.hpp"
#include "routes.hpp"

namespace provkit::mock {
namespace {

constexpr Profile kLlama = Profile::kLlamaCpp;

Plan Final(Body body) { return Plan::Of(std::move(body), true); }

Body Success() { return {200, "application/json", R"({"success":true})"}; }

/// GET /props: the loaded model's properties; in router mode the model named by ?model=.
class PropsHandler final : public Handler {
 public:
  Plan Answer(Exchange& exchange, const Checkpoint& checkpoint) const override {
    if (auto plan = checkpoint(Stage::kValidated)) return std::move(*plan);
    const std::vector<Model>& models = *exchange.snapshot().models;
    std::string model = models.empty() ? "llama.cpp" : models.front().id;
    if (exchange.request().has_param("model")) model = exchange.request().get_param_value("model");
    return Plan::Of(LlamaCppProps(model));
  }
};

/// GET /metrics of a server started without --metrics.
class MetricsHandler final : public Handler {
 public:
  Plan Answer(Exchange& /*exchange*/, const Checkpoint& checkpoint) const override {
    if (auto plan = checkpoint(Stage::kValidated)) return std::move(*plan);
    return Plan::Of(LlamaCppNotSupported(
        "This server does not support metrics endpoint. Start it with `--metrics`"));
  }
};

/// POST /models/load and /models/unload {"model": M} (router mode only; elsewhere 404). Answers
/// as post_router_models_load / _unload in llama.cpp tools/server/server-models.cpp.
class ModelCommandHandler final : public Handler {
 public:
  explicit ModelCommandHandler(bool load) : load_(load) {}

  Plan Answer(Exchange& exchange, const Checkpoint& checkpoint) const override {
    const auto& request = exchange.request();
    if (!RouterMode(*exchange.snapshot().models))
      return Plan::Of(NotFound(kLlama, request.method, request.path));
    const nlohmann::json* body = exchange.Json();
    if (body == nullptr)
      return Final(ErrorAnswer(kLlama, 500, exchange.JsonError(), "server_error"));
    if (auto plan = checkpoint(Stage::kValidated)) return std::move(*plan);
    std::string model;
    if (body->is_object() && body->contains("model") && (*body)["model"].is_string())
      model = (*body)["model"].get<std::string>();
    if (load_) {
      switch (exchange.state().Load(model)) {
        case ServerState::LoadResult::kUnknown:
          return Final(ErrorAnswer(kLlama, 404, "model is not found", "not_found_error"));
        case ServerState::LoadResult::kAlreadyRunning:
          return Final(
              ErrorAnswer(kLlama, 400, "model is already running", "invalid_request_error"));
        default:
          return Plan::Of(Success());
      }
    }
    switch (exchange.state().Unload(model)) {
      case ServerState::LoadResult::kUnknown:
        return Final(ErrorAnswer(kLlama, 400, "model is not found", "invalid_request_error"));
      case ServerState::LoadResult::kNotRunning:
        return Final(ErrorAnswer(kLlama, 400, "model is not running", "invalid_request_error"));
      default:
        return Plan::Of(Success());
    }
  }

 private:
  bool load_;
};

/// OPTIONS on any path: a CORS preflight, allowed for the asking origin (recorded 20).
class PreflightHandler final : public Handler {
 public:
  Plan Answer(Exchange& exchange, const Checkpoint& checkpoint) const override {
    if (auto plan = checkpoint(Stage::kValidated)) return std::move(*plan);
    return Plan::Of(LlamaCppPreflight(exchange.Header("Origin").value_or("*")));
  }
};

}  // namespace

void AddLlamaCppRoutes(Router& router) {
  const std::string& root = router.parent();
  router.Add(router.base() + "/health", {"GET", "HEAD"}, Endpoint::kHealth, HealthRoute(), kLlama);
  router.Add(root + "/models", {"GET", "HEAD"}, Endpoint::kModels, ModelsRoute(), kLlama);
  router.Add(root + "/props", {"GET"}, Endpoint::kRoot, std::make_shared<PropsHandler>(), kLlama);
  router.Add(root + "/metrics", {"GET"}, Endpoint::kRoot, std::make_shared<MetricsHandler>(),
             kLlama);
  router.Add(root + "/models/load", {"POST"}, Endpoint::kRoot,
             std::make_shared<ModelCommandHandler>(true), kLlama);
  router.Add(root + "/models/unload", {"POST"}, Endpoint::kRoot,
             std::make_shared<ModelCommandHandler>(false), kLlama);
  router.AddEveryPath("OPTIONS", Endpoint::kRoot, std::make_shared<PreflightHandler>(), kLlama);
}

}  // namespace provkit::mock
