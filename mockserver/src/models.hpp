// Models: which model answers a generation request in each profile, and the models listing.
#pragma once

#include <optional>
#include <string>

#include "exchange.hpp"
#include "plan.hpp"
#include "responses.hpp"

namespace provkit::mock {

/// The model that answers a generation request, or the error the profile answers instead.
struct Resolution {
  std::optional<Body> error;
  std::string model;  ///< Named in the answer.
};

/// Whether any model name is accepted and answered by the loaded model (tgi; llama.cpp outside
/// router mode).
bool AcceptsAnyModel(const Exchange& exchange);

/// Resolves `requested` (the request's `model`, nullopt when absent) against the exchange's
/// models as its profile does: a missing model, an unknown one, one that is not loaded. In
/// llama.cpp router mode a model that is not loaded is loaded first (this waits).
Resolution ResolveModel(const Exchange& exchange, const std::optional<std::string>& requested);

/// The profile's models listing of the exchange's models.
Plan ListingPlan(Exchange& exchange);

}  // namespace provkit::mock
