// Faults: what each scenario does to an exchange, one table entry per scenario.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

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

/// What one request drew under the chaos scenario.
struct ChaosDraw {
  std::shared_ptr<const Scenario> scenario;  ///< The scenario it is answered under.
  std::string_view fault;                    ///< The journal's name, e.g. "chaos:stream-drop".
};

/// The fault the `draw`-th generation request under the kChaos `chaos` draws, or nullopt for
/// none. A pure function of the seed, the odds and `draw`.
std::optional<ChaosDraw> DrawChaos(const Scenario& chaos, std::uint64_t draw);
/// The draw of a request to `endpoint` answered from `snapshot`: nullopt unless its scenario is
/// chaos and the request is a generation request it applies to (which takes the next draw).
std::optional<ChaosDraw> DrawChaos(const Snapshot& snapshot, Endpoint endpoint);

/// Whether `scenario` applies to a request to `endpoint`: it is not healthy and is confined to
/// that endpoint or to all.
bool Applies(const Scenario& scenario, Endpoint endpoint) noexcept;

}  // namespace provkit::mock
