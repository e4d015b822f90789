// Profile fidelity: every exchange recorded from a real llama.cpp server, replayed against the
// mock's llama.cpp profile in the same state, gets the same status, content type, error envelope
// and stream event sequence.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "provkit/mockserver/cassette.hpp"
#include "provkit/mockserver/server.hpp"
#include "test_support.hpp"

namespace provkit::mock {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::ClientOf;
using testing::DataEvents;

const std::filesystem::path kData = std::filesystem::path(PROVKIT_MOCK_DATA_DIR) / "llama.cpp";

// Recorded behaviour the mock does not simulate, with the reason. Every other exchange must
// match; the list is the honest remainder (docs/mockserver.md, Fidelity).
const std::map<std::string, std::string>& NotSimulated() {
  static const std::map<std::string, std::string> kList = {
      {"10c_apply_template_thinking", "/apply-template renders chat templates; the mock has none"},
      {"12c_stream_prompt_beyond_ctx", "the mock has no context window"},
      {"12d_nonstream_prompt_beyond_ctx", "the mock has no context window"},
      {"14_slots", "/slots is not simulated"},
      {"16_completions_oai", "the legacy Completions dialect is not implemented yet"},
      {"21_tokenize", "/tokenize is not simulated"},
      {"22c_rawmodel_completions_stream_error",
       "the legacy Completions dialect is not implemented yet"},
      {"23d_think_no_kwargs_nonstream",
       "a template that thinks by default: the mock sends reasoning only when enable_thinking is "
       "true"},
      {"23e_think_enable_true_reasoning_format_none", "reasoning_format is not simulated"},
      {"23g_think_apply_template_default",
       "/apply-template renders chat templates; the mock has none"},
  };
  return kList;
}

// ---- What is compared --------------------------------------------------------------------

// One stream event as a kind: role (with how content is given), reasoning, content, finish,
// usage, error, done. Runs of reasoning or content count once: the text differs by design.
std::vector<std::string> StreamShape(const std::vector<std::string>& events, std::string* model) {
  std::vector<std::string> shape;
  for (const std::string& event : events) {
    std::string kind;
    if (event == "[DONE]") {
      kind = "done";
    } else {
      const json chunk = json::parse(event, nullptr, false);
      if (chunk.is_discarded()) {
        kind = "not-json";
      } else if (chunk.contains("error")) {
        kind = "error";
      } else {
        if (chunk.value("object", "") != "chat.completion.chunk") {
          kind = "not-a-chunk ";
        }
        if (model != nullptr && chunk.contains("model")) *model = chunk["model"];
        const json& choices = chunk["choices"];
        if (choices.empty()) {
          kind += chunk.contains("usage") ? "usage" : "empty";
        } else {
          const json& delta = choices[0]["delta"];
          if (delta.contains("role")) {
            kind += "role, content " + delta.value("content", json("absent")).dump();
          } else if (delta.contains("reasoning_content")) {
            kind += "reasoning";
          } else if (delta.contains("content")) {
            kind += "content";
          } else if (choices[0]["finish_reason"].is_string()) {
            kind += "finish";
          } else {
            kind += "other " + delta.dump();
          }
        }
      }
    }
    if (!shape.empty() && shape.back() == kind && (kind == "content" || kind == "reasoning"))
      continue;
    shape.push_back(kind);
  }
  return shape;
}

std::set<std::string> Keys(const json& object) {
  std::set<std::string> keys;
  if (object.is_object()) {
    for (const auto& item : object.items()) keys.insert(item.key());
  }
  return keys;
}

// A listing entry's facts: id, status value (or none), whether meta is there.
std::vector<std::string> ListingFacts(const json& listing) {
  std::vector<std::string> facts = {listing.contains("models") ? "models[]" : "no models[]"};
  for (const json& entry : listing["data"]) {
    std::string fact = entry.value("id", "?");
    fact += entry.contains("status") ? " " + entry["status"].value("value", "?") : " no status";
    fact += entry.contains("meta") ? " meta" : " no meta";
    facts.push_back(fact);
  }
  return facts;
}

void CompareJsonBodies(const RecordedExchange& recorded, const std::string& body) {
  const json want = json::parse(recorded.response_body, nullptr, false);
  const json got = json::parse(body, nullptr, false);
  ASSERT_FALSE(want.is_discarded()) << "the recording's body is not JSON";
  ASSERT_FALSE(got.is_discarded()) << "the mock's body is not JSON: " << body;
  if (want.contains("error")) {
    ASSERT_TRUE(got.contains("error")) << body;
    const json& expected = want["error"];
    const json& actual = got["error"];
    EXPECT_EQ(Keys(actual), Keys(expected)) << body;
    EXPECT_EQ(actual.value("type", json()), expected.value("type", json()));
    EXPECT_EQ(actual.value("code", json()), expected.value("code", json()));
    EXPECT_EQ(actual.value("message", json()), expected.value("message", json()));
    return;
  }
  if (want.value("object", "") == "list") {
    EXPECT_EQ(ListingFacts(got), ListingFacts(want)) << body;
    return;
  }
  if (want.value("object", "") == "chat.completion") {
    EXPECT_EQ(got.value("object", ""), "chat.completion");
    EXPECT_EQ(got.value("model", ""), want.value("model", "")) << "the answer names the model";
    const json& message = want["choices"][0]["message"];
    EXPECT_EQ(Keys(got["choices"][0]["message"]), Keys(message)) << body;
    EXPECT_TRUE(got["choices"][0]["message"]["content"].is_string()) << body;
    EXPECT_TRUE(got["choices"][0]["finish_reason"].is_string()) << body;
    EXPECT_TRUE(got.contains("usage")) << body;
    return;
  }
  if (Keys(want).size() <= 2) {
    EXPECT_EQ(got, want);  // {"status":"ok"}, {"success":true}
    return;
  }
  // Larger objects (/props): every recorded key is there; the model is the same.
  for (const std::string& key : Keys(want)) EXPECT_TRUE(got.contains(key)) << key;
  if (want.contains("model_alias")) {
    EXPECT_EQ(got["model_alias"], want["model_alias"]);
  }
}

// ---- Replaying ---------------------------------------------------------------------------

struct Answer {
  int status = 0;
  std::string content_type;
  httplib::Headers headers;
  std::string body;
};

Answer Send(const Server& server, const RecordedExchange& exchange) {
  auto client = ClientOf(server);
  httplib::Request request;
  request.method = exchange.method;
  request.path = exchange.path + (exchange.query.empty() ? "" : "?" + exchange.query);
  for (const auto& [name, value] : exchange.request_headers) request.set_header(name, value);
  if (exchange.request_body) request.body = *exchange.request_body;
  httplib::Response response;
  httplib::Error error = httplib::Error::Success;
  Answer answer;
  if (!client.send(request, response, error)) {
    ADD_FAILURE() << exchange.id << ": no answer: " << httplib::to_string(error);
    return answer;
  }
  answer.status = response.status;
  answer.content_type = response.get_header_value("Content-Type");
  answer.headers = response.headers;
  answer.body = response.body;
  return answer;
}

void Compare(const RecordedExchange& recorded, const Answer& answer) {
  EXPECT_EQ(answer.status, recorded.status);
  if (const auto type = recorded.ResponseHeader("Content-Type")) {
    EXPECT_EQ(answer.content_type, *type);
  }
  if (const auto origin = recorded.ResponseHeader("Access-Control-Allow-Origin");
      origin && !origin->empty()) {
    const auto found = answer.headers.find("Access-Control-Allow-Origin");
    EXPECT_TRUE(found != answer.headers.end() && found->second == *origin);
  }
  if (recorded.stream) {
    std::string recorded_events;
    for (const RecordedChunk& chunk : recorded.chunks) recorded_events += chunk.text;
    std::string want_model;
    std::string got_model;
    EXPECT_EQ(StreamShape(DataEvents(answer.body), &got_model),
              StreamShape(DataEvents(recorded_events), &want_model))
        << answer.body.substr(0, 600);
    EXPECT_EQ(got_model, want_model) << "the chunks name the model";
    return;
  }
  if (recorded.response_body.empty()) {
    EXPECT_EQ(answer.body, "");
    return;
  }
  const auto type = recorded.ResponseHeader("Content-Type").value_or("");
  if (type.starts_with("application/json")) CompareJsonBodies(recorded, answer.body);
}

/// The mock in the state a cassette was recorded in, and what changes between its exchanges.
struct Situation {
  std::function<ServerOptions()> options;
  /// Called before the exchange `id` is replayed.
  std::function<void(Server&, const std::string& id)> before;
};

ServerOptions LlamaCpp(std::vector<Model> models = {"tiny"}) {
  ServerOptions options;
  options.profile = Profile::kLlamaCpp;
  options.models = std::move(models);
  return options;
}

// Waits until the mock's listing says `model` is loaded (a router load takes model_load_time).
void WaitUntilLoaded(const Server& server, const std::string& model) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    for (const Model& listed : server.models()) {
      if (listed.id == model && listed.status == "loaded") return;
    }
    std::this_thread::yield();
  }
  ADD_FAILURE() << model << " never loaded";
}

const std::map<std::string, Situation>& Situations() {
  static const std::map<std::string, Situation> kSituations = {
      {"single-model", {[] { return LlamaCpp(); }, nullptr}},
      {"loading",
       {[] {
          ServerOptions options = LlamaCpp();
          options.scenario = Scenario::Loading(0);
          return options;
        },
        [](Server& server, const std::string& id) {
          // The "_after" exchanges were recorded once loaded; the cassette keeps file-name order.
          server.SetScenario(id.ends_with("_after") ? Scenario::Healthy() : Scenario::Loading(0));
        }}},
      {"loading-api-key",
       {[] {
          ServerOptions options = LlamaCpp();
          options.scenario = Scenario::Loading(0);
          return options;
        },
        [](Server& server, const std::string& id) {
          // Loaded, the key is checked (one scenario at a time: loading answers before any key
          // is looked at, as recorded).
          server.SetScenario(id.ends_with("_after") ? Scenario::Auth("<api-key>")
                                                    : Scenario::Loading(0));
        }}},
      {"api-key",
       {[] {
          ServerOptions options = LlamaCpp();
          options.scenario = Scenario::Auth("<api-key>");
          return options;
        },
        nullptr}},
      {"stream-error",
       {[] {
          ServerOptions options = LlamaCpp();
          Scenario scenario = Scenario::StreamError(2);
          scenario.error_message =
              "The model produced output that does not match the expected peg-native format";
          options.scenario = scenario;
          return options;
        },
        nullptr}},
      {"thinking",
       {[] {
          ServerOptions options = LlamaCpp();
          Reply reply;
          reply.reasoning = "thinking about it";
          options.script.sequence = {reply};
          options.script.loop = true;
          return options;
        },
        nullptr}},
      {"router",
       {[] {
          ServerOptions options =
              LlamaCpp({Model("tiny", "unloaded"), Model("tiny-bpe", "unloaded")});
          options.model_load_time = 300ms;
          return options;
        },
        [](Server& server, const std::string& id) {
          if (id == "35_router_models_after_load") WaitUntilLoaded(server, "tiny");
        }}},
  };
  return kSituations;
}

TEST(RecordingsTest, EveryCassetteIsASituationTheTestKnows) {
  int cassettes = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kData)) {
    if (entry.path().extension() != ".jsonl") continue;
    ++cassettes;
    const Cassette cassette = LoadCassette(entry.path());
    EXPECT_EQ(cassette.server, "llama.cpp") << entry.path();
    EXPECT_TRUE(Situations().contains(cassette.situation)) << entry.path();
    EXPECT_EQ(entry.path().stem().string(), cassette.situation);
  }
  EXPECT_EQ(cassettes, static_cast<int>(Situations().size()));
  for (const auto& [id, reason] : NotSimulated()) {
    bool found = false;
    for (const auto& [situation, setup] : Situations()) {
      found = found || LoadCassette(kData / (situation + ".jsonl")).Find(id) != nullptr;
    }
    EXPECT_TRUE(found) << id << " is listed as not simulated but recorded nowhere";
  }
}

class RecordedSituation : public ::testing::TestWithParam<std::string> {};

TEST_P(RecordedSituation, MockAnswersEveryRecordedExchangeAsTheServerDid) {
  const std::string& situation = GetParam();
  const Cassette cassette = LoadCassette(kData / (situation + ".jsonl"));
  ASSERT_FALSE(cassette.exchanges.empty());
  const Situation& setup = Situations().at(situation);
  Server server(setup.options());
  int compared = 0;
  for (const RecordedExchange& exchange : cassette.exchanges) {
    if (NotSimulated().contains(exchange.id)) continue;
    SCOPED_TRACE(exchange.id + ": " + exchange.method + " " + exchange.path);
    if (setup.before) setup.before(server, exchange.id);
    Compare(exchange, Send(server, exchange));
    ++compared;
  }
  RecordProperty("exchanges_compared", compared);
  EXPECT_GT(compared, 0);
}

INSTANTIATE_TEST_SUITE_P(LlamaCpp, RecordedSituation,
                         ::testing::Values("single-model", "loading", "loading-api-key", "api-key",
                                           "stream-error", "thinking", "router"),
                         [](const ::testing::TestParamInfo<std::string>& param_info) {
                           std::string name;
                           for (char c : param_info.param) {
                             if (c != '-') name += c;
                           }
                           return name;
                         });

TEST(CassetteTest, RoundTripsThroughJsonLinesAndRefusesBrokenLinesWithTheirNumber) {
  const Cassette cassette = LoadCassette(kData / "router.jsonl");
  EXPECT_EQ(ToJsonLines(ParseCassette(ToJsonLines(cassette))), ToJsonLines(cassette));
  const RecordedExchange* load = cassette.Find("33_router_load");
  ASSERT_NE(load, nullptr);
  EXPECT_EQ(load->request_body, R"({"model":"tiny"})");
  EXPECT_EQ(load->response_body, R"({"success":true})");
  const RecordedExchange* stream = cassette.Find("39_router_chat_autoload_other");
  ASSERT_NE(stream, nullptr);
  ASSERT_TRUE(stream->stream);
  EXPECT_EQ(stream->chunks.back().text, "data: [DONE]\n\n");

  const std::string header = R"({"cassette":"provkit","version":1,"server":"s"})";
  try {
    ParseCassette(header + "\n{\"type\":\"response\",\"id\":\"x\",\"status\":200}\n", "c.jsonl");
    ADD_FAILURE() << "a response without its request was accepted";
  } catch (const ConfigError& error) {
    EXPECT_EQ(error.line(), 2);
    EXPECT_THAT(error.what(), ::testing::HasSubstr("not the open exchange"));
  }
  EXPECT_THROW(ParseCassette(header + "\nnot json\n"), ConfigError);
  EXPECT_THROW(ParseCassette(R"({"cassette":"provkit","version":2})"), ConfigError);
}

}  // namespace
}  // namespace provkit::mock
