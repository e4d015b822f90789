// Routes: the handler interface, API dialects, and the table that maps a request to its handler.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "exchange.hpp"
#include "plan.hpp"

namespace provkit::mock {

/// Answers the requests of one route. Implementations are stateless (the state lives in the
/// Exchange) and shared by every serving thread.
class Handler {
 public:
  virtual ~Handler() = default;
  /// The answer to `exchange`. Calls `checkpoint(Stage::kValidated)` once the request is found
  /// valid, and generation handlers `checkpoint(Stage::kResolved)` once the answering model is
  /// set on the exchange; a plan a checkpoint returns is the answer. Errors the handler answers
  /// itself are final plans (faults leave them alone).
  virtual Plan Answer(Exchange& exchange, const Checkpoint& checkpoint) const = 0;
  /// Reshapes an error body answered on this route (by the handler, a fault or the server) into
  /// the route's own error shape; the default keeps the profile's envelope.
  virtual void ShapeError(Body& /*body*/) const {}
  /// A header besides Authorization that carries the API key on this route (the auth fault
  /// accepts it), or empty.
  virtual std::string_view ApiKeyHeader() const { return {}; }
};

/// An API dialect: one generation API (Chat Completions, Responses, Anthropic Messages, legacy
/// Completions, embeddings). Scenarios see every dialect as
/// Endpoint::kChat. A dialect reads its own request shape, picks the reply with
/// ServerState::PickReply, resolves the model with ResolveModel (models.hpp), and renders the
/// reply as a body or an EventSource in its own wire shape; faults, delivery, the journal and
/// replay are shared.
class Dialect : public Handler {
 public:
  /// A stable name, e.g. "chat-completions".
  virtual std::string_view name() const = 0;
  /// The path it serves under the base path, e.g. "/chat/completions".
  virtual std::string_view path() const = 0;
  /// The HTTP method it serves.
  virtual std::string_view method() const { return "POST"; }
};

/// Answers before the route's handler when it can; replay from a cassette is one. It calls the
/// checkpoint as a handler does, so faults apply on top of what it answers (a recorded stream
/// cut after N events, a recorded server made to hang). Shared by every serving thread.
class Responder {
 public:
  virtual ~Responder() = default;
  /// The answer to `exchange`, or nullopt to leave it to the route's handler.
  virtual std::optional<Plan> Answer(Exchange& exchange, const Checkpoint& checkpoint) const = 0;
};

/// What a request was routed to.
struct Route {
  Endpoint endpoint = Endpoint::kRoot;
  const Handler* handler = nullptr;
  bool served = false;         ///< False: no route knows the path (the unknown-path answer).
  bool method_allowed = true;  ///< False: a route knows the path, not the method.
};

/// Maps method and path (and the active profile) to a handler. Built once, then read-only:
/// thread-safe for concurrent Find.
class Router {
 public:
  /// `base_path` as in ServerOptions; the server root is base_path without its last segment.
  explicit Router(const std::string& base_path);

  /// Serves `path` for `methods` (empty: any) with `handler`, which the router shares; `only`
  /// limits the route to one profile.
  void Add(std::string path, std::vector<std::string> methods, Endpoint endpoint,
           std::shared_ptr<const Handler> handler, std::optional<Profile> only = std::nullopt);
  /// Serves `dialect` under the base path.
  void AddDialect(std::shared_ptr<const Dialect> dialect);
  /// Serves every path for `method` with `handler` (a CORS preflight), before the path routes.
  void AddEveryPath(std::string method, Endpoint endpoint, std::shared_ptr<const Handler> handler,
                    std::optional<Profile> only = std::nullopt);

  Route Find(std::string_view method, std::string_view path, Profile profile) const;

  /// Every path a route serves (the root page's included), for bounded metric labels.
  std::vector<std::string> Paths() const;

  const std::string& root() const { return root_; }
  const std::string& parent() const { return parent_; }
  const std::string& base() const { return base_; }

 private:
  struct Entry {
    std::string path;
    std::vector<std::string> methods;
    Endpoint endpoint;
    std::shared_ptr<const Handler> handler;
    std::optional<Profile> only;
  };
  std::string base_;
  std::string parent_;
  std::string root_;
  std::vector<Entry> entries_;
  std::vector<Entry> every_path_;
  std::shared_ptr<const Handler> unknown_;
};

/// The health endpoint's and the listing's handlers, for routes that alias them.
std::shared_ptr<const Handler> HealthRoute();
std::shared_ptr<const Handler> ModelsRoute();

/// llama.cpp's own routes (llama_cpp_routes.cpp): /v1/health and /models beside the usual ones,
/// /props, /metrics, router-mode /models/load and /models/unload, CORS preflights.
void AddLlamaCppRoutes(Router& router);

/// The routes every profile serves: /health, <base>/models and the dialects. Other paths answer
/// the profile's root page (GET /) or its 404.
Router DefaultRouter(const std::string& base_path);

}  // namespace provkit::mock
