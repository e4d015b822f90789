// Exchange: one request as the code that answers it sees it, with the state it is answered from.
#pragma once

#include <httplib.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "provkit/mockserver/config.hpp"
#include "state.hpp"
#include "stop_signal.hpp"
#include "traits.hpp"

namespace provkit::mock {

/// One request being answered, on the thread that serves it. Not thread-safe.
class Exchange {
 public:
  Exchange(const httplib::Request& request, Endpoint endpoint, bool served, Snapshot snapshot,
           ServerState& state, const ServerOptions& options, const StopSignal& stop)
      : request_(request),
        endpoint_(endpoint),
        served_(served),
        snapshot_(std::move(snapshot)),
        state_(state),
        options_(options),
        stop_(stop) {}

  const httplib::Request& request() const { return request_; }
  /// The endpoint scenarios know it as (every generation dialect is kChat).
  Endpoint endpoint() const { return endpoint_; }
  /// Whether a route serves the path (false: the profile's answer for unknown paths).
  bool served() const { return served_; }
  const Snapshot& snapshot() const { return snapshot_; }
  const Scenario& scenario() const { return *snapshot_.scenario; }
  Profile profile() const { return snapshot_.profile; }
  const ProfileTraits& traits() const { return TraitsOf(snapshot_.profile); }
  const ServerOptions& options() const { return options_; }
  ServerState& state() const { return state_; }
  const StopSignal& stop() const { return stop_; }

  /// The first header called `name` (case-insensitive), or nullopt.
  std::optional<std::string> Header(std::string_view name) const;
  /// The request body as JSON, parsed on first use; nullptr when it is not JSON.
  const nlohmann::json* Json() const;
  /// The parser's message when Json() is nullptr.
  const std::string& JsonError() const;

  /// The model that answers, once the handler resolved it (before Stage::kResolved).
  const std::string& resolved_model() const { return resolved_model_; }
  /// The header besides Authorization that carries the API key on this route (the dialect's,
  /// e.g. "x-api-key"); empty when there is none.
  std::string_view api_key_header() const { return api_key_header_; }
  void set_api_key_header(std::string_view header) { api_key_header_ = header; }
  void set_resolved_model(std::string model) { resolved_model_ = std::move(model); }

 private:
  const httplib::Request& request_;
  Endpoint endpoint_;
  bool served_;
  Snapshot snapshot_;
  ServerState& state_;
  const ServerOptions& options_;
  const StopSignal& stop_;
  mutable bool parsed_ = false;
  mutable nlohmann::json json_;
  mutable std::string json_error_;
  std::string resolved_model_;
  std::string_view api_key_header_;
};

}  // namespace provkit::mock
