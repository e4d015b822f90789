// Admin API: /__provkit/... endpoints that read the journal and switch the server's state.
#include "admin.hpp"

#include <nlohmann/json.hpp>

#include "readers.hpp"

namespace provkit::mock {
namespace {

using nlohmann::json;

constexpr std::string_view kAdminPrefix = "/__provkit/";

void SetAdminJson(httplib::Response& response, int status, const json& value) {
  response.status = status;
  // The journal holds request bytes as received; invalid UTF-8 is written as U+FFFD.
  response.set_content(value.dump(-1, ' ', false, json::error_handler_t::replace),
                       "application/json");
}

json ErrorJson(const std::string& message) {
  return {{"error", {{"message", message}, {"type", "invalid_request_error"}}}};
}

}  // namespace

bool IsAdminPath(std::string_view path) {
  return path.substr(0, kAdminPrefix.size()) == kAdminPrefix;
}

void HandleAdmin(AdminControls& controls, const httplib::Request& request,
                 httplib::Response& response) {
  const std::string_view what = std::string_view(request.path).substr(kAdminPrefix.size());
  const bool get = request.method == "GET";
  const bool post = request.method == "POST";
  ServerState& state = controls.State();
  try {
    if (what == "journal" && get) {
      json entries = json::array();
      for (const JournalEntry& entry : controls.JournalSnapshot()) entries.push_back(ToJson(entry));
      SetAdminJson(response, 200,
                   {{"entries", std::move(entries)}, {"stats", ToJson(controls.Stats())}});
    } else if (what == "journal" && request.method == "DELETE") {
      controls.ResetJournal();
      SetAdminJson(response, 200, {{"reset", true}});
    } else if (what == "stats" && get) {
      json models = json::array();
      for (const Model& model : state.models()) models.push_back(model.id);
      SetAdminJson(response, 200,
                   {{"stats", ToJson(controls.Stats())},
                    {"scenario", ToJson(state.scenario())},
                    {"profile", ProfileName(state.profile())},
                    {"timing", ToJson(state.timing())},
                    {"models", std::move(models)},
                    {"url", controls.Url()}});
    } else if (what == "scenario" && (get || post)) {
      if (post) state.SetScenario(ReadScenario(json::parse(request.body), ""));
      SetAdminJson(response, 200, ToJson(state.scenario()));
    } else if (what == "profile" && (get || post)) {
      if (post) {
        const json body = json::parse(request.body);
        state.SetProfile(
            ReadProfile(body.is_object() && body.contains("name") ? body["name"] : body, "/name"));
      }
      SetAdminJson(response, 200, {{"name", ProfileName(state.profile())}});
    } else if (what == "script" && (get || post)) {
      if (post) state.SetScript(ReadScript(json::parse(request.body), ""));
      SetAdminJson(response, 200, ToJson(state.script()));
    } else if (what == "timing" && (get || post)) {
      if (post) state.SetTiming(ReadTiming(json::parse(request.body), ""));
      SetAdminJson(response, 200, ToJson(state.timing()));
    } else if (what == "models" && (get || post)) {
      if (post) state.SetModels(ReadModels(json::parse(request.body), ""));
      json models = json::array();
      for (const Model& model : state.models()) {
        models.push_back(
            {{"id", model.id}, {"status", model.status}, {"owned_by", model.owned_by}});
      }
      SetAdminJson(response, 200, models);
    } else {
      SetAdminJson(response, 404,
                   ErrorJson("unknown admin endpoint " + request.method + " " + request.path));
    }
  } catch (const json::parse_error& error) {
    SetAdminJson(response, 400, ErrorJson(error.what()));
  } catch (const ConfigError& error) {
    SetAdminJson(response, 400, ErrorJson(error.what()));
  }
}

}  // namespace provkit::mock
