// Fuzzes the readiness probe's body reading: /health messages, /v1/models listings and the verdict
// built from them, for any body under several statuses and models.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fuzz_check.hpp"
#include "json_body.hpp"
#include "readiness_probe.hpp"

namespace {

namespace probe = provkit::readiness_probe;

bool ValidUtf8(const std::string& text) {
  try {
    (void)nlohmann::json(text).dump();  // dump() throws type_error 316 on invalid UTF-8.
    return true;
  } catch (const nlohmann::json::type_error&) {
    return false;
  }
}

// A message shown to people: valid UTF-8, bounded (Printable cuts and adds "...").
void CheckMessage(const std::optional<std::string>& message, const char* what) {
  if (!message) return;
  FUZZ_CHECK(!message->empty(), what);
  FUZZ_CHECK(ValidUtf8(*message), what);
  FUZZ_CHECK(message->size() <= provkit::json_body::kMaxMessageBytes + 3, what);
}

void CheckListing(const probe::Listing& listing, std::string_view model, bool truncated) {
  if (truncated) FUZZ_CHECK(!listing.readable, "a cut listing cannot be read (R10)");
  if (!listing.readable) {
    FUZZ_CHECK(!listing.problem.empty(), "an unreadable listing says why");
    FUZZ_CHECK(!listing.listed && listing.ids.empty(), "an unreadable listing lists nothing");
  } else {
    FUZZ_CHECK(listing.problem.empty(), "a readable listing has no problem");
  }
  if (listing.listed) {
    bool found = false;
    for (const std::string& id : listing.ids) found = found || id == model;
    FUZZ_CHECK(found, "listed means an id equals the model");
  } else {
    for (const std::string& id : listing.ids) FUZZ_CHECK(id != model, "an equal id is listed");
    FUZZ_CHECK(!listing.load_status, "only a listed model has a load status");
  }
  if (listing.load_status) {
    bool known = false;
    for (const std::string_view state : probe::kNotReadyLoadStates)
      known = known || *listing.load_status == state;
    FUZZ_CHECK(known, "a load status is one of the not-ready states (R16)");
  }
  if (listing.message) FUZZ_CHECK(ValidUtf8(*listing.message), "listing message is UTF-8");
  for (const std::string& suggestion : probe::Suggestions(model, listing.ids)) {
    FUZZ_CHECK(suggestion != model, "a suggestion differs from the model");
    bool found = false;
    for (const std::string& id : listing.ids) found = found || id == suggestion;
    FUZZ_CHECK(found, "a suggestion is a listed id");
  }
}

void CheckVerdict(const probe::Target& target, const std::optional<std::string>& model,
                  const probe::Answer& health, const probe::Answer& models) {
  const provkit::ProviderReadiness verdict = probe::Decide(target, model, health, &models);
  FUZZ_CHECK(verdict.provider == target.provider, "the verdict names the provider");
  FUZZ_CHECK(verdict.model == model, "the verdict names the model checked");
  FUZZ_CHECK(verdict.model_verified.has_value() == model.has_value(),
             "model_verified is null exactly when no model is set");
  if (verdict.message) FUZZ_CHECK(ValidUtf8(*verdict.message), "the verdict message is UTF-8");
  if (!model) {
    FUZZ_CHECK(verdict.ready == (health.status < 400), "R1: ready follows the health status");
    FUZZ_CHECK(verdict.status_code == health.status, "R1: the health status decides");
    return;
  }
  if (models.status >= 400) {
    FUZZ_CHECK(!verdict.ready && !*verdict.model_verified, "R5: a failed listing verifies nothing");
    return;
  }
  const probe::Listing listing = probe::ReadListing(models.body, models.truncated, *model);
  FUZZ_CHECK(*verdict.model_verified == listing.listed, "R2/R4: verified exactly when listed");
  // R3/R7: an absent /health (404, 405, 501) never decides; any other status of 400 or more fails.
  const bool health_failing = !probe::HealthAbsent(health) && health.status >= 400;
  FUZZ_CHECK(verdict.ready == (listing.listed && !listing.load_status && !health_failing),
             "R2/R7/R16: ready exactly when listed, loaded and healthy");
  if (!verdict.ready) FUZZ_CHECK(verdict.message.has_value(), "a not-ready verdict says why");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);
  const probe::Target target =
      probe::MakeTarget("local", "http://127.0.0.1:8080/v1", std::chrono::milliseconds(300));

  for (const bool truncated : {false, true}) {
    const probe::Answer answer{.status = 200, .body = body, .truncated = truncated};
    const std::optional<std::string> health = probe::HealthMessage(answer);
    const bool blank = provkit::json_body::Trim(body).empty();
    FUZZ_CHECK(health.has_value() == !blank, "R1/R10: a message exactly when the body has text");
    CheckMessage(health, "HealthMessage is a bounded UTF-8 message");
    const std::optional<std::string> error = probe::ErrorAnswerMessage(answer);
    FUZZ_CHECK(error.has_value() == !blank, "R5: a message exactly when the body has text");
    CheckMessage(error, "ErrorAnswerMessage is a bounded UTF-8 message");
  }

  // The listing read for a model it does not list, then for ids it does list.
  std::vector<std::string> models = {"provkit-mock"};
  const probe::Listing first = probe::ReadListing(body, false, models.front());
  CheckListing(first, models.front(), false);
  CheckListing(probe::ReadListing(body, true, models.front()), models.front(), true);
  for (std::size_t i = 0; i < first.ids.size() && i < 3; ++i) {
    const probe::Listing again = probe::ReadListing(body, false, first.ids[i]);
    CheckListing(again, first.ids[i], false);
    FUZZ_CHECK(again.listed, "every id of data[] is listed");
    FUZZ_CHECK(again.ids == first.ids, "the ids do not depend on the model asked for");
    models.push_back(first.ids[i]);
  }

  // Health and listing statuses that take each branch of Decide: ready, absent /health (R3),
  // failing /health (R7), rejected credentials (R12) and a failing listing (R5).
  constexpr std::pair<int, int> kStatuses[] = {
      {200, 200}, {404, 200}, {503, 200}, {200, 401}, {503, 500}};
  for (const auto& [health_status, models_status] : kStatuses) {
    const probe::Answer health{.status = health_status, .body = body};
    const probe::Answer listing{.status = models_status, .body = body};
    CheckVerdict(target, std::nullopt, health, listing);
    for (const std::string& model : models) CheckVerdict(target, model, health, listing);
  }
  return 0;
}
