// Replay: the responder that answers from a cassette before the route's handler.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "provkit/mockserver/replay.hpp"
#include "routes.hpp"

namespace provkit::mock {

/// What a request is matched on (ReplayOptions says the rule).
struct ReplayKey {
  std::string method;
  std::string path;
  std::string query;
  std::optional<std::string> model;
  std::optional<std::string> last_message;
  bool stream = false;
  std::optional<std::string> raw_body;  ///< Set when the body is not JSON: compared whole.
};

ReplayKey KeyOfRequest(const std::string& method, const std::string& path, const std::string& query,
                       const std::string& body);

/// Answers from the recorded exchanges of a cassette. Thread-safe.
class ReplayResponder final : public Responder {
 public:
  explicit ReplayResponder(ReplayOptions options);
  std::optional<Plan> Answer(Exchange& exchange, const Checkpoint& checkpoint) const override;

 private:
  /// The recording that answers `key` (marking it used), or nullptr.
  const RecordedExchange* Take(const ReplayKey& key) const;
  /// 404 naming the closest recording and how it differs.
  Body Mismatch(const ReplayKey& key) const;

  ReplayOptions options_;
  std::vector<ReplayKey> keys_;
  mutable std::mutex mutex_;
  mutable std::vector<bool> used_;
};

}  // namespace provkit::mock
