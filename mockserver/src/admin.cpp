// Admin API: /__provkit/... endpoints that read the journal and switch the server's state.
#include "admin.hpp"

#include <nlohmann/json.hpp>

#include "metrics.hpp"
#include "readers.hpp"
#include "redaction.hpp"

namespace provkit::mock {
namespace {

using nlohmann::json;

constexpr std::string_view kAdminPrefix = "/__provkit/";

void SetAdminJson(httplib::Response& response, int status, json value,
                  const support::Redactor& secrets) {
  RedactStrings(value, secrets);
  response.status = status;
  // The journal holds request bytes as received; invalid UTF-8 is written as U+FFFD.
  response.set_content(value.dump(-1, ' ', false, json::error_handler_t::replace),
                       "application/json");
}

json ErrorJson(const std::string& message) {
  return {{"error", {{"message", message}, {"type", "invalid_request_error"}}}};
}

json RefusalJson(const AdminRefusal& refusal) {
  return {{"error",
           {{"message", refusal.message},
            {"type", refusal.status == 401 ? "authentication_error" : "permission_error"},
            {"code", refusal.code}}}};
}

/// The scenario as admin views show it: the token of an auth scenario is never shown, however
/// short (the Redactor skips values under 4 bytes).
json ScenarioView(const Scenario& scenario) {
  json out = ToJson(scenario);
  if (out.contains("token")) out["token"] = std::string(support::kRedacted);
  return out;
}

}  // namespace

bool IsAdminPath(std::string_view path) {
  return path.substr(0, kAdminPrefix.size()) == kAdminPrefix;
}

void HandleAdmin(AdminControls& controls, const httplib::Request& request,
                 httplib::Response& response) {
  // Taken when answering: a POSTed scenario's token is a secret of the answer that shows it.
  const auto answer = [&](int status, json value) {
    SetAdminJson(response, status, std::move(value), controls.Secrets());
  };
  if (const std::optional<AdminRefusal> refusal = CheckAdminAccess(controls.Access(), request)) {
    if (refusal->status == 401)
      response.set_header("WWW-Authenticate", R"(Bearer realm="provkit admin")");
    answer(refusal->status, RefusalJson(*refusal));
    return;
  }
  const std::string_view what = std::string_view(request.path).substr(kAdminPrefix.size());
  const bool get = request.method == "GET";
  const bool post = request.method == "POST";
  ServerState& state = controls.State();
  try {
    if (what == "metrics" && (get || request.method == "HEAD")) {
      response.status = 200;
      response.set_content(controls.MetricsText(), std::string(kMetricsContentType));
    } else if (what == "journal" && get) {
      json entries = json::array();
      const support::Redactor secrets = controls.Secrets();
      for (const JournalEntry& entry : controls.JournalSnapshot())
        entries.push_back(ToJson(Redacted(entry, secrets)));
      answer(200, {{"entries", std::move(entries)}, {"stats", ToJson(controls.Stats())}});
    } else if (what == "journal" && request.method == "DELETE") {
      controls.ResetJournal();
      answer(200, {{"reset", true}});
    } else if (what == "stats" && get) {
      json models = json::array();
      for (const Model& model : state.models()) models.push_back(model.id);
      answer(200, {{"stats", ToJson(controls.Stats())},
                   {"scenario", ScenarioView(state.scenario())},
                   {"profile", ProfileName(state.profile())},
                   {"timing", ToJson(state.timing())},
                   {"models", std::move(models)},
                   {"url", controls.Url()}});
    } else if (what == "scenario" && (get || post)) {
      if (post) controls.SetScenario(ReadScenario(json::parse(request.body), ""));
      answer(200, ScenarioView(state.scenario()));
    } else if (what == "profile" && (get || post)) {
      if (post) {
        const json body = json::parse(request.body);
        state.SetProfile(
            ReadProfile(body.is_object() && body.contains("name") ? body["name"] : body, "/name"));
      }
      answer(200, {{"name", ProfileName(state.profile())}});
    } else if (what == "script" && (get || post)) {
      if (post) state.SetScript(ReadScript(json::parse(request.body), ""));
      answer(200, ToJson(state.script()));
    } else if (what == "timing" && (get || post)) {
      if (post) state.SetTiming(ReadTiming(json::parse(request.body), ""));
      answer(200, ToJson(state.timing()));
    } else if (what == "models" && (get || post)) {
      if (post) state.SetModels(ReadModels(json::parse(request.body), ""));
      json models = json::array();
      for (const Model& model : state.models()) {
        models.push_back(
            {{"id", model.id}, {"status", model.status}, {"owned_by", model.owned_by}});
      }
      answer(200, models);
    } else {
      answer(404, ErrorJson("unknown admin endpoint " + request.method + " " + request.path));
    }
  } catch (const json::parse_error& error) {
    answer(400, ErrorJson(error.what()));
  } catch (const ConfigError& error) {
    answer(400, ErrorJson(error.what()));
  }
}

}  // namespace provkit::mock
