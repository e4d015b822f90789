// Models: which model answers a generation request in each profile, and the models listing.
#include "models.hpp"

#include <algorithm>

namespace provkit::mock {
namespace {

// llama.cpp router mode: the model is required, must be known, and is loaded on demand
// (router_validate_model in llama.cpp tools/server/server-models.cpp; recorded 38, 38b, 39).
Resolution RouterModel(const Exchange& exchange, const std::optional<std::string>& requested) {
  const Profile profile = exchange.profile();
  Resolution resolution;
  if (!requested || requested->empty()) {
    resolution.error = ErrorAnswer(profile, 400, "model name is missing from the request",
                                   "invalid_request_error");
    return resolution;
  }
  resolution.model = *requested;
  const std::vector<Model>& models = *exchange.snapshot().models;
  const auto found = std::find_if(models.begin(), models.end(),
                                  [&](const Model& m) { return m.id == resolution.model; });
  if (found == models.end()) {
    resolution.error = ModelNotFound(profile, resolution.model);
  } else if (!exchange.state().WaitLoaded(resolution.model)) {
    resolution.error = ModelNotLoaded(profile, resolution.model, "unloaded");
  }
  return resolution;
}

}  // namespace

bool AcceptsAnyModel(const Exchange& exchange) {
  if (exchange.profile() == Profile::kLlamaCpp) return !RouterMode(*exchange.snapshot().models);
  return exchange.traits().any_model;
}

Resolution ResolveModel(const Exchange& exchange, const std::optional<std::string>& requested) {
  const Profile profile = exchange.profile();
  const ProfileTraits& traits = exchange.traits();
  const std::vector<Model>& models = *exchange.snapshot().models;
  if (profile == Profile::kLlamaCpp && RouterMode(models)) return RouterModel(exchange, requested);
  Resolution resolution;
  const std::string first = models.empty() ? std::string(ProfileName(profile)) : models.front().id;
  if (profile == Profile::kLlamaCpp) {
    // One model loaded: any name, or none, is answered by it; the answer names it (recorded 07).
    resolution.model = first;
    return resolution;
  }
  if (requested) {
    resolution.model = *requested;
  } else if (traits.model_optional) {
    resolution.model = first;
  } else {
    resolution.error = ErrorAnswer(profile, 400, "'model' is required", "invalid_request_error");
    return resolution;
  }
  if (profile == Profile::kLmStudio && models.empty()) {
    resolution.error = NoModelLoaded(profile, resolution.model);
    return resolution;
  }
  if (AcceptsAnyModel(exchange)) return resolution;
  const auto found = std::find_if(models.begin(), models.end(),
                                  [&](const Model& m) { return m.id == resolution.model; });
  if (found == models.end()) {
    resolution.error = ModelNotFound(profile, resolution.model);
  } else if (!found->status.empty() && found->status != "loaded") {
    resolution.error = ModelNotLoaded(profile, resolution.model, found->status);
  }
  return resolution;
}

Plan ListingPlan(Exchange& exchange) {
  return Plan::Of({200, std::string(exchange.traits().json_type),
                   *exchange.state().Listing(exchange.snapshot())});
}

}  // namespace provkit::mock
