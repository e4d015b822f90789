// Faults: what each scenario does to an exchange, one table entry per scenario.
#pragma once

#include <chrono>
#include <optional>

#include "exchange.hpp"
#include "plan.hpp"
#include "provkit/mockserver/scenario.hpp"

namespace provkit::mock {

/// One scenario's whole behaviour. Every hook is optional (nullptr: does nothing).
struct Fault {
  ScenarioKind kind;
  /// Endpoints whose journal entries name the scenario whenever it applies to them.
  bool (*marks)(Endpoint endpoint) = nullptr;
  /// Whether a request to `endpoint` counts toward the scenario's end.
  bool (*counts)(const Scenario& scenario, Endpoint endpoint) = nullptr;
  /// Whether the scenario is over after `elapsed` and `counted` requests (it then turns healthy).
  bool (*over)(const Scenario& scenario, std::chrono::steady_clock::duration elapsed,
               int counted) = nullptr;
  /// An answer instead of the server's at `stage`, or nullopt.
  std::optional<Plan> (*answer)(const Exchange& exchange, Stage stage) = nullptr;
  /// Changes the server's own (not final) answer before it is sent.
  void (*shape)(const Exchange& exchange, Plan& plan) = nullptr;
};

/// The entry of `kind`.
const Fault& FaultFor(ScenarioKind kind) noexcept;

/// Whether `scenario` applies to a request to `endpoint`: it is not healthy and is confined to
/// that endpoint or to all.
bool Applies(const Scenario& scenario, Endpoint endpoint) noexcept;

}  // namespace provkit::mock
