// The W checks (one function per clause) and WireRun, the findings of one W clause against a URL.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "provkit/conformance/server_checks.hpp"
#include "provkit/reports/results.hpp"
#include "provkit/runtime/config.hpp"
#include "wire_client.hpp"

namespace provkit::conformance::internal {

/// Collects the findings of one W clause against one live server and turns
/// them into a ClauseResult. Every request goes through a bounded WireClient;
/// every text from the server reaches the evidence through wire::Printable.
/// Not thread-safe: one check, one thread.
class WireRun {
 public:
  /// `url` is target.base_url parsed (ValidateServerUrl accepted it).
  WireRun(std::string_view clause_id, ServerTarget target, Url url);
  ~WireRun();
  WireRun(const WireRun&) = delete;
  WireRun& operator=(const WireRun&) = delete;

  const std::string& clause_id() const { return clause_id_; }
  const ServerTarget& target() const { return target_; }
  /// `<server root path>/health`, `<base path>/models`, `<base path>/chat/completions`.
  const std::string& health_path() const { return health_path_; }
  const std::string& models_path() const { return models_path_; }
  const std::string& chat_path() const { return chat_path_; }

  /// A client bound to the target, the run's limits and its time budget; its
  /// connections are numbered across the run.
  std::unique_ptr<wire::WireClient> NewClient();
  /// Sends `request` on `client`; records it in the evidence unless `record` is false.
  wire::WireAnswer Send(wire::WireClient& client, const wire::WireRequest& request,
                        bool record = true);

  /// The model chat requests name: the target's, else the first id of the
  /// listing (fetched once). Nullopt when neither exists; listing_problem() says why.
  const std::optional<std::string>& Model();
  /// The ids the listing names (fetched once); nullopt when it could not be read.
  const std::optional<std::vector<std::string>>& ListedIds();
  /// Why the listing could not be read, or why it named no model.
  const std::string& listing_problem() const { return listing_problem_; }
  /// Uses a listing fetched before (by the run this clause is part of) instead of fetching it.
  void UseListing(std::optional<std::vector<std::string>> ids, std::string problem);

  /// A required part: FAIL when `ok` is false. Returns `ok`.
  bool Require(bool ok, std::string_view expectation, std::string_view observation);
  /// A strict part: NON-STRICT when `ok` is false. Returns `ok`.
  bool Should(bool ok, std::string_view expectation, std::string_view observation);
  /// FAILs unless `answer` is a well-formed answer within the limits; the
  /// failure names the problem (or says to check that the server is running
  /// when it could not be reached). Returns whether the answer is usable.
  bool RequireAnswer(const wire::WireAnswer& answer, std::string_view what);
  /// A sentence of evidence that judges nothing.
  void Note(std::string sentence);
  /// An observation shown as evidence.
  void Observe(std::string text);
  /// Marks the clause measured, not judged (INFO), with the reason.
  void Info(std::string reason);
  /// SKIP with the reason, unless something failed.
  void Skip(std::string reason);
  /// ERROR: the harness could not judge.
  void Error(std::string reason);
  bool failed() const { return !failures_.empty(); }

  /// The verdict: ERROR > FAIL > NON-STRICT > SKIP > INFO > PASS; a run that
  /// judged nothing is an ERROR.
  reports::ClauseResult Finish(double duration_ms);

 private:
  std::string clause_id_;
  ServerTarget target_;
  Url url_;
  std::string health_path_;
  std::string models_path_;
  std::string chat_path_;
  wire::WireLimits limits_;
  wire::Clock::time_point deadline_;
  int connections_ = 0;
  bool listing_fetched_ = false;
  std::optional<std::vector<std::string>> listed_ids_;
  std::optional<std::string> model_;
  std::string listing_problem_;
  std::vector<std::string> failures_;
  std::vector<std::string> non_strict_;
  std::vector<std::string> errors_;
  std::optional<std::string> skip_;
  std::optional<std::string> info_;
  std::vector<std::string> expected_;
  std::vector<std::string> observed_;
  std::vector<std::string> invariants_;
  std::vector<reports::RequestRecord> requests_;
};

/// A W check: judges its clause into `run`. Never throws for anything a server does.
using WireCheckFn = void (*)(WireRun&);

void CheckW1(WireRun& run);  ///< GET /health of a ready server.
void CheckW2(WireRun& run);  ///< The OpenAI model list.
void CheckW3(WireRun& run);  ///< Control chat request; strict: an unknown model is refused.
void CheckW4(WireRun& run);  ///< Streaming shape, usage chunk, [DONE].
void CheckW5(WireRun& run);  ///< 20 sequential requests over one connection.
void CheckW6(WireRun& run);  ///< INFO: latency of /health and /models on one connection.
void CheckW7(WireRun& run);  ///< Streamed requests refused before generating.

/// The check of a W clause, or nullptr for any other ID.
WireCheckFn WireCheck(std::string_view clause_id);
/// One line on what the check of `clause_id` does; empty for an unknown ID.
std::string_view WireCheckSummary(std::string_view clause_id);

/// The model id sent to provoke W3's refusal: a name no server lists.
inline constexpr std::string_view kUnlistedModel = "provkit-no-such-model-7f3a";

}  // namespace provkit::conformance::internal
