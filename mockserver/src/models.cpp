// Models: which model answers a generation request in each profile, and the models listing.
#include "models.hpp"

#include <algorithm>

namespace provkit::mock {

Resolution ResolveModel(const Exchange& exchange, const std::optional<std::string>& requested) {
  const Profile profile = exchange.profile();
  const ProfileTraits& traits = exchange.traits();
  const std::vector<Model>& models = *exchange.snapshot().models;
  Resolution resolution;
  if (requested) {
    resolution.model = *requested;
  } else if (traits.model_optional) {
    resolution.model = models.empty() ? std::string(ProfileName(profile)) : models.front().id;
  } else {
    resolution.error = ErrorAnswer(profile, 400, "'model' is required", "invalid_request_error");
    return resolution;
  }
  if (profile == Profile::kLmStudio && models.empty()) {
    resolution.error = NoModelLoaded(profile, resolution.model);
    return resolution;
  }
  if (traits.any_model) return resolution;
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
  const Snapshot& snapshot = exchange.snapshot();
  const std::string type(exchange.traits().json_type);
  if (exchange.scenario().kind == ScenarioKind::kLoading) {
    return Plan::Of(
        {200, type, Listing(snapshot.profile, *snapshot.models, true, exchange.options().created)});
  }
  return Plan::Of({200, type, *exchange.state().Listing(snapshot)});
}

}  // namespace provkit::mock
