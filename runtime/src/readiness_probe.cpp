// The readiness verdict: each branch below implements the clause named next to it.
#include "readiness_probe.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <utility>

#include "json_body.hpp"
#include "provkit/runtime/config.hpp"

namespace provkit::readiness_probe {
namespace {

using json_body::Member;
using json_body::Printable;
using json_body::StringMember;
using json_body::Trim;
using nlohmann::json;

constexpr std::size_t kListedIdsShown = 8;
constexpr std::size_t kIdBytesShown = 200;

char AsciiLower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return AsciiLower(x) == AsciiLower(y);
         });
}

// The id without its `org/` prefix and `:tag` suffix, in lower case.
std::string BaseName(std::string_view id) {
  if (const auto slash = id.rfind('/'); slash != std::string_view::npos)
    id.remove_prefix(slash + 1);
  if (const auto colon = id.find(':'); colon != std::string_view::npos) id = id.substr(0, colon);
  std::string out(id);
  for (char& c : out) c = AsciiLower(c);
  return out;
}

std::optional<std::string> NonEmptyString(const std::string* text) {
  if (text == nullptr || Trim(*text).empty()) return std::nullopt;
  return Printable(Trim(*text));
}

// The not-ready load state named by a listing entry's `status` (object with `value`, or a string).
std::optional<std::string> NotReadyLoadState(const json& entry) {
  const json* status = Member(entry, "status");
  if (status == nullptr) return std::nullopt;
  const std::string* value =
      status->is_object() ? StringMember(*status, "value") : status->get_ptr<const std::string*>();
  if (value == nullptr) return std::nullopt;
  for (const std::string_view state : kNotReadyLoadStates) {
    if (EqualsIgnoreCase(*value, state)) return std::string(state);
  }
  return std::nullopt;
}

std::string Quoted(std::string_view id) { return "'" + Printable(id, kIdBytesShown) + "'"; }

std::string NotListedMessage(const Target& target, std::string_view model, const Listing& listing) {
  std::string message = "Model " + Quoted(model) + " is not listed";
  if (!listing.readable) {
    return message + ": the models listing at " + target.models_url + " could not be read (" +
           listing.problem + ").";
  }
  if (listing.ids.empty())
    return message + " at " + target.models_url + ": the server lists no models.";
  message += " at " + target.models_url + ". Listed: ";
  for (std::size_t i = 0; i < listing.ids.size() && i < kListedIdsShown; ++i) {
    if (i > 0) message += ", ";
    message += Quoted(listing.ids[i]);
  }
  if (listing.ids.size() > kListedIdsShown) {
    message += " and " + std::to_string(listing.ids.size() - kListedIdsShown) + " more";
  }
  message += ".";
  const std::vector<std::string> suggestions = Suggestions(model, listing.ids);
  if (!suggestions.empty()) {
    message += " Did you mean " + Quoted(suggestions.front());
    for (std::size_t i = 1; i < suggestions.size() && i < 3; ++i)
      message += " or " + Quoted(suggestions[i]);
    message += "?";
  }
  return message;
}

// R8 and R9: the transport failed before an answer.
ProviderReadiness TransportFailure(ProviderReadiness verdict, const Target& target,
                                   const Answer& answer, const std::string& url) {
  verdict.ready = false;
  verdict.status_code = std::nullopt;
  const std::string detail =
      answer.detail.empty() ? std::string() : " (" + Printable(answer.detail) + ")";
  if (answer.outcome == Answer::Outcome::kTimedOut) {
    verdict.message = "Readiness probe timed out after " + std::to_string(target.budget.count()) +
                      " ms: GET " + url + " did not complete" + detail +
                      ". Check that the server at " + target.base_url +
                      " is running and not overloaded.";
  } else {
    verdict.message = "Cannot reach the local server at " + target.base_url + ": GET " + url +
                      " failed" + detail +
                      ". Check that the server is running and that the base URL is right "
                      "(PROVKIT_LOCAL_BASE_URL).";
  }
  return verdict;
}

bool CredentialsRejected(int status) noexcept { return status == 401 || status == 403; }

std::string CredentialsMessage(const std::string& url, int status,
                               const std::optional<std::string>& server_message) {
  return "The credentials were rejected: GET " + url + " answered HTTP " + std::to_string(status) +
         (server_message ? " (" + *server_message + ")" : "") +
         ". Check the API key (Config.api_key, sent as Authorization: Bearer).";
}

}  // namespace

Target MakeTarget(std::string provider, std::string_view base_url,
                  std::chrono::milliseconds budget) {
  while (!base_url.empty() && base_url.back() == '/') base_url.remove_suffix(1);
  Target target{
      .provider = std::move(provider), .base_url = std::string(base_url), .budget = budget};
  target.health_url = ServerRoot(base_url) + "/health";
  target.models_url = target.base_url + "/models";
  return target;
}

// R3: 404, 405 or 501, or a 200 holding an error envelope (LM Studio answers every unknown path
// so): there is no health endpoint.
bool HealthAbsent(const Answer& health) {
  if (health.status == 404 || health.status == 405 || health.status == 501) return true;
  if (health.status != 200 || health.truncated) return false;
  const std::string_view body = Trim(health.body);
  if (body.empty() || body.front() != '{') return false;
  json parsed;
  return json_body::Parse(body, parsed) && parsed.is_object() && parsed.contains("error") &&
         !parsed.contains("status");
}

std::optional<std::string> HealthMessage(const Answer& health) {
  const std::string_view body = Trim(health.body);
  if (body.empty()) return std::nullopt;
  if (!health.truncated && body.front() == '{') {
    json parsed;
    if (json_body::Parse(body, parsed)) {
      if (auto status = NonEmptyString(StringMember(parsed, "status"))) return status;
      if (auto error = json_body::ErrorMessage(parsed)) return error;
    }
  }
  return Printable(body);
}

std::optional<std::string> ErrorAnswerMessage(const Answer& answer) {
  const std::string_view body = Trim(answer.body);
  if (body.empty()) return std::nullopt;
  if (!answer.truncated && body.front() == '{') {
    json parsed;
    if (json_body::Parse(body, parsed)) {
      if (auto error = json_body::ErrorMessage(parsed)) return error;
      if (auto status = NonEmptyString(StringMember(parsed, "status"))) return status;
    }
  }
  return Printable(body);
}

Listing ReadListing(std::string_view body, bool truncated, std::string_view model) {
  Listing listing;
  if (truncated) {
    listing.problem = "it is larger than " + std::to_string(kMaxModelsBodyBytes >> 20) + " MiB";
    return listing;
  }
  json parsed;
  if (!json_body::Parse(body, parsed)) {
    listing.problem = "it is not JSON";
    return listing;
  }
  if (!parsed.is_object()) {
    listing.problem = "it is not a JSON object";
    return listing;
  }
  listing.message = NonEmptyString(StringMember(parsed, "status"));
  if (!listing.message) listing.message = json_body::ErrorMessage(parsed);
  const json* data = Member(parsed, "data");
  if (data == nullptr || !data->is_array()) {
    listing.problem =
        data == nullptr || data->is_null() ? "it has no `data` list" : "its `data` is not a list";
    return listing;
  }
  listing.readable = true;
  for (const json& entry : *data) {
    const std::string* id = StringMember(entry, "id");
    if (id == nullptr) continue;
    listing.ids.push_back(*id);
    if (!listing.listed && *id == model) {
      listing.listed = true;
      listing.load_status = NotReadyLoadState(entry);
    }
  }
  return listing;
}

std::vector<std::string> Suggestions(std::string_view model, const std::vector<std::string>& ids) {
  std::vector<std::string> out;
  const std::string wanted = BaseName(model);
  if (wanted.empty()) return out;
  for (const std::string& id : ids) {
    if (id != model && BaseName(id) == wanted &&
        std::find(out.begin(), out.end(), id) == out.end()) {
      out.push_back(id);
    }
  }
  return out;
}

bool NeedsListing(const std::optional<std::string>& model, const Answer& health) noexcept {
  return model.has_value() && health.outcome == Answer::Outcome::kAnswered;
}

ProviderReadiness Decide(const Target& target, const std::optional<std::string>& model,
                         const Answer& health, const Answer* models) {
  ProviderReadiness verdict{.ready = false, .provider = target.provider, .model = model};
  if (model) verdict.model_verified = false;

  if (health.outcome != Answer::Outcome::kAnswered) {  // R8, R9
    return TransportFailure(std::move(verdict), target, health, target.health_url);
  }
  if (!model) {  // R1
    verdict.ready = health.status < 400;
    verdict.status_code = health.status;
    verdict.message = HealthMessage(health);
    return verdict;
  }
  if (models == nullptr) {  // R6: never verified without a listing
    verdict.status_code = health.status;
    verdict.message = "The models listing at " + target.models_url + " was not fetched; model " +
                      Quoted(*model) + " is not verified.";
    return verdict;
  }
  if (models->outcome != Answer::Outcome::kAnswered) {  // R8, R9
    return TransportFailure(std::move(verdict), target, *models, target.models_url);
  }

  // R3: an absent health endpoint does not decide; any other failing health status does
  // (R7 names 5xx; a 4xx such as 401 or 429 refuses service just the same).
  const bool health_absent = HealthAbsent(health);
  const bool health_failing = !health_absent && health.status >= 400;
  const std::optional<std::string> health_message =
      health_absent ? std::nullopt : HealthMessage(health);

  if (models->status >= 400) {  // R5, R6, R12
    verdict.status_code = models->status;
    const std::optional<std::string> server_message = ErrorAnswerMessage(*models);
    if (CredentialsRejected(models->status)) {
      verdict.message = CredentialsMessage(target.models_url, models->status, server_message);
    } else if (server_message) {
      verdict.message = server_message;
    } else if (health_message) {
      verdict.message = health_message;
    } else {
      verdict.message = "GET " + target.models_url + " answered HTTP " +
                        std::to_string(models->status) + "; model " + Quoted(*model) +
                        " cannot be verified.";
    }
    return verdict;
  }

  const Listing listing = ReadListing(models->body, models->truncated, *model);
  verdict.status_code = models->status;
  std::string health_note;
  if (health_failing) {
    verdict.status_code = health.status;
    if (CredentialsRejected(health.status)) {
      health_note =
          CredentialsMessage(target.health_url, health.status, ErrorAnswerMessage(health));
    } else {
      health_note = health_message.value_or("GET " + target.health_url + " answered HTTP " +
                                            std::to_string(health.status));
    }
  }

  if (!listing.listed) {  // R4, R6, R10
    verdict.message = NotListedMessage(target, *model, listing);
    if (health_failing) *verdict.message += " The server's health check fails too: " + health_note;
    return verdict;
  }
  verdict.model_verified = true;
  if (health_failing) {  // R7
    verdict.message = health_note;
    if (listing.load_status) *verdict.message += " (model status: " + *listing.load_status + ")";
    return verdict;
  }
  if (listing.load_status) {  // R16
    verdict.message = "Model " + Quoted(*model) + " is listed but not ready: its status is '" +
                      *listing.load_status + "'.";
    return verdict;
  }
  verdict.ready = true;  // R2
  verdict.message = health_message ? health_message : listing.message;
  return verdict;
}

}  // namespace provkit::readiness_probe
