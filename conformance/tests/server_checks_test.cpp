// Tests of the W checks: verdicts per mock profile, faulty servers, and hostile servers in bounded
// time and memory.
#include "provkit/conformance/server_checks.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "provkit/mockserver/server.hpp"
#include "raw_http_server.hpp"
#include "wire_checks.hpp"
#include "wire_client.hpp"

namespace provkit::conformance {
namespace {

using testing::Answer;
using testing::AnswerNormally;
using testing::RawConnection;
using testing::RawHandler;
using testing::RawHttpServer;
using testing::RawRequest;

constexpr auto kHangGuard = std::chrono::seconds(30);

/// Everything of a result a person reads, so tests can require it printable.
std::vector<std::string> Texts(const reports::ClauseResult& result) {
  std::vector<std::string> texts = {result.reason, result.evidence.expected,
                                    result.evidence.observed};
  for (const std::string& sentence : result.evidence.invariants) texts.push_back(sentence);
  for (const reports::RequestRecord& record : result.evidence.requests) {
    texts.push_back(record.path);
    if (record.request_body) texts.push_back(*record.request_body);
    if (record.response_body) texts.push_back(*record.response_body);
  }
  return texts;
}

/// Printable leaves clean text as it is: no control character, no invalid UTF-8. Evidence lists
/// hold one item per line, so each line is one text.
void ExpectPrintable(const reports::ClauseResult& result) {
  for (const std::string& text : Texts(result)) {
    std::size_t start = 0;
    while (start <= text.size()) {
      const std::size_t end = std::min(text.find('\n', start), text.size());
      const std::string line = text.substr(start, end - start);
      EXPECT_EQ(wire::Printable(line, line.size() + 1), line) << result.clause_id;
      start = end + 1;
    }
  }
}

ServerTarget Target(const std::string& base_url, std::optional<std::string> model = "m1") {
  return {.base_url = base_url, .model = std::move(model), .api_key = ""};
}

reports::ClauseResult Judge(std::string_view clause, const RawHttpServer& server,
                            std::optional<std::string> model = "m1") {
  reports::ClauseResult result = JudgeServerClause(clause, Target(server.base_url(), model));
  ExpectPrintable(result);
  return result;
}

/// A server that answers normally except on `path`, where `bad` answers.
RawHandler On(std::string path, RawHandler bad) {
  return [path = std::move(path), bad = std::move(bad)](RawConnection& connection,
                                                        const RawRequest& request) {
    if (path == "*" || request.path == path) return bad(connection, request);
    return AnswerNormally(connection, request);
  };
}

RawHandler Sends(std::string bytes) {
  return [bytes = std::move(bytes)](RawConnection& connection, const RawRequest&) {
    return connection.Send(bytes);
  };
}

std::string Envelope(const std::string& message) {
  return nlohmann::json{{"error", {{"message", message}}}}.dump();
}

// ---------------------------------------------------------------------------------------------
// URL validation and the run without a model

TEST(ValidateServerUrl, RefusesWhatTheWireChecksCannotTalkTo) {
  EXPECT_FALSE(ValidateServerUrl("http://127.0.0.1:8080/v1").has_value());
  EXPECT_FALSE(ValidateServerUrl("http://localhost/v1").has_value());
  const auto not_url = ValidateServerUrl("localhost:8080");
  ASSERT_TRUE(not_url.has_value());
  EXPECT_NE(not_url->find("is not an http:// URL"), std::string::npos) << *not_url;
  const auto tls = ValidateServerUrl("https://api.example.com/v1");
  ASSERT_TRUE(tls.has_value());
  EXPECT_NE(tls->find("TLS is not implemented"), std::string::npos) << *tls;
  EXPECT_TRUE(ValidateServerUrl("http://a b/v1").has_value());
  const auto no_port = ValidateServerUrl("http://127.0.0.1:/v1");
  ASSERT_TRUE(no_port.has_value());
  EXPECT_NE(no_port->find("the port after ':' is empty"), std::string::npos) << *no_port;
  EXPECT_TRUE(ValidateServerUrl("http://host/v1\r\nX-Injected: 1").has_value());
  const auto escape = ValidateServerUrl("\x1b]0;x\x07");
  ASSERT_TRUE(escape.has_value());
  EXPECT_EQ(escape->find('\x1b'), std::string::npos);
}

TEST(ValidateServerUrl, RefusesCredentialsAndQueriesWithoutShowingThem) {
  const auto credentials = ValidateServerUrl("http://user:s3cret-token@127.0.0.1:8080/v1");
  ASSERT_TRUE(credentials.has_value());
  EXPECT_NE(credentials->find("credentials in the URL are not sent"), std::string::npos)
      << *credentials;
  EXPECT_EQ(credentials->find("s3cret-token"), std::string::npos) << *credentials;
  const auto query = ValidateServerUrl("http://127.0.0.1:8080/v1?api_key=s3cret-token");
  ASSERT_TRUE(query.has_value());
  EXPECT_NE(query->find("no query"), std::string::npos) << *query;
  EXPECT_EQ(query->find("s3cret-token"), std::string::npos) << *query;
}

TEST(ServerChecks, AnInvalidTargetIsAnErrorNamingIt) {
  const reports::ClauseResult result = JudgeServerClause("W1", Target("https://127.0.0.1:1/v1"));
  EXPECT_EQ(result.verdict, Verdict::kError);
  EXPECT_NE(result.reason.find("https is not supported"), std::string::npos) << result.reason;
}

TEST(ServerChecks, WithoutAModelTheRunAndTheProbeUseTheFirstListed) {
  RecordProperty("clause", "W3");
  mock::Server server({.models = {"llama3:8b", "other"}, .profile = mock::Profile::kOllama});
  const reports::Results results =
      RunServerChecks(Target(server.base_url(), std::nullopt), std::vector<std::string>{"W3"});
  EXPECT_EQ(results.configuration.value("model_used", ""), "llama3:8b");
  EXPECT_EQ(results.configuration.value("model_source", ""), "first listed");
  const ProviderReadiness probe = results.configuration["reference_probe"].get<ProviderReadiness>();
  EXPECT_TRUE(probe.ready) << nlohmann::json(probe).dump();
  EXPECT_EQ(probe.model, "llama3:8b");
  EXPECT_EQ(probe.model_verified, true);
  ASSERT_EQ(results.clauses.size(), 1u);
  EXPECT_EQ(results.clauses[0].verdict, Verdict::kPass) << results.clauses[0].reason;
}

TEST(ServerChecks, WithoutAModelAndNoListingTheChatChecksSkipAndSayWhy) {
  RawHttpServer server(
      On("/v1/models", Sends(Answer("500 Internal Server Error", "text/plain", "boom"))));
  const reports::Results results = RunServerChecks(Target(server.base_url(), std::nullopt),
                                                   std::vector<std::string>{"W3", "W4", "W7"});
  EXPECT_EQ(results.configuration["model_used"], nullptr);
  for (const reports::ClauseResult& result : results.clauses) {
    RecordProperty("clause", result.clause_id);
    EXPECT_EQ(result.verdict, Verdict::kSkip) << result.clause_id << ": " << result.reason;
    EXPECT_NE(result.reason.find("none was given (--model) and GET /v1/models answered 500"),
              std::string::npos)
        << result.reason;
  }
}

// ---------------------------------------------------------------------------------------------
// The verdicts W1..W7 give each mock profile

struct ProfileVerdicts {
  mock::Profile profile;
  std::map<std::string, Verdict> verdicts;
};

class WireVerdictsByProfile : public ::testing::TestWithParam<ProfileVerdicts> {};

TEST_P(WireVerdictsByProfile, MatchTheContract) {
  const ProfileVerdicts& expected = GetParam();
  mock::Server server({.models = {"m1"}, .profile = expected.profile});
  const reports::Results results =
      RunServerChecks(Target(server.base_url(), std::nullopt), std::nullopt);
  ASSERT_EQ(results.clauses.size(), 7u);
  std::string row = "| " + std::string(mock::ProfileName(expected.profile)) + " |";
  for (const reports::ClauseResult& result : results.clauses) {
    ExpectPrintable(result);
    row += " " + std::string(VerdictName(result.verdict)) + " |";
    const auto want = expected.verdicts.find(result.clause_id);
    ASSERT_NE(want, expected.verdicts.end()) << result.clause_id;
    EXPECT_EQ(result.verdict, want->second) << result.clause_id << ": " << result.reason;
    RecordProperty(result.clause_id,
                   std::string(VerdictName(result.verdict)) + ": " + result.reason);
  }
  std::printf("%s\n", row.c_str());
}

const std::map<std::string, Verdict> kAllPass = {
    {"W1", Verdict::kPass}, {"W2", Verdict::kPass}, {"W3", Verdict::kPass}, {"W4", Verdict::kPass},
    {"W5", Verdict::kPass}, {"W6", Verdict::kInfo}, {"W7", Verdict::kPass}};

std::map<std::string, Verdict> With(std::map<std::string, Verdict> verdicts,
                                    const std::map<std::string, Verdict>& changes) {
  for (const auto& [clause, verdict] : changes) verdicts[clause] = verdict;
  return verdicts;
}

INSTANTIATE_TEST_SUITE_P(
    Profiles, WireVerdictsByProfile,
    ::testing::Values(
        ProfileVerdicts{mock::Profile::kOpenAi, kAllPass},
        // llama.cpp with one model answers any model name, as the recorded server does.
        ProfileVerdicts{mock::Profile::kLlamaCpp, With(kAllPass, {{"W3", Verdict::kNonStrict}})},
        ProfileVerdicts{mock::Profile::kVllm, kAllPass},  // empty 200 health: healthy (R10)
        ProfileVerdicts{mock::Profile::kVllmLegacy, kAllPass},
        ProfileVerdicts{mock::Profile::kOllama, With(kAllPass, {{"W1", Verdict::kInfo}})},
        ProfileVerdicts{mock::Profile::kLmStudio, With(kAllPass, {{"W1", Verdict::kInfo}})},
        // TGI answers any model name: only the listing catches a wrong one.
        ProfileVerdicts{mock::Profile::kTgi, With(kAllPass, {{"W3", Verdict::kNonStrict}})}),
    [](const ::testing::TestParamInfo<ProfileVerdicts>& param_info) {
      std::string name;
      for (const char c : mock::ProfileName(param_info.param.profile)) {
        if (std::isalnum(static_cast<unsigned char>(c)) != 0) name += c;
      }
      return name;
    });

// ---------------------------------------------------------------------------------------------
// Faulty servers: each verdict as contract version 2 words it

TEST(ServerChecks, W1AcceptsAnEmptyOrTextPlainHealthBody) {
  RecordProperty("clause", "W1");
  for (const std::string& answer : {Answer("200 OK", "application/json", ""),
                                    Answer("200 OK", "text/plain; charset=utf-8", "OK"),
                                    Answer("200 OK", "application/json", R"({"status":"ok"})")}) {
    RawHttpServer server(On("/health", Sends(answer)));
    const reports::ClauseResult result = Judge("W1", server);
    EXPECT_EQ(result.verdict, Verdict::kPass) << answer << " -> " << result.reason;
  }
}

TEST(ServerChecks, W1AbsentEndpointIsInfo) {
  RecordProperty("clause", "W1");
  for (const std::string& answer :
       {Answer("404 Not Found", "text/plain", "404 page not found"),
        Answer("405 Method Not Allowed", "text/plain", ""),
        Answer("501 Not Implemented", "text/plain", ""),
        Answer("200 OK", "application/json",
               R"json({"error":"Unexpected endpoint or method. (GET /health)"})json")}) {
    RawHttpServer server(On("/health", Sends(answer)));
    const reports::ClauseResult result = Judge("W1", server);
    EXPECT_EQ(result.verdict, Verdict::kInfo) << answer << " -> " << result.reason;
    EXPECT_NE(result.reason.find("falls back to the listing"), std::string::npos) << result.reason;
  }
}

TEST(ServerChecks, W1FailsOn5xxWhileTheListingNamesTheModel) {
  RecordProperty("clause", "W1");
  RawHttpServer server(On("/health", Sends(Answer("500 Internal Server Error", "text/plain", ""))));
  const reports::ClauseResult result = Judge("W1", server);
  EXPECT_EQ(result.verdict, Verdict::kFail) << result.reason;
  EXPECT_NE(result.reason.find("500 while the listing names model 'm1': every probe will call "
                               "the server not ready"),
            std::string::npos)
      << result.reason;
  EXPECT_NE(result.reason.find("an empty body"), std::string::npos) << result.reason;
  EXPECT_EQ(result.reason.find(": ;"), std::string::npos) << result.reason;
  EXPECT_NE(result.reason.back(), ':') << result.reason;
}

TEST(ServerChecks, W1SkipsAServerThatIsStillLoading) {
  RecordProperty("clause", "W1");
  mock::Server server({.models = {"m1"}, .profile = mock::Profile::kLlamaCpp});
  server.SetScenario(mock::Scenario::Loading(0));
  const reports::ClauseResult result =
      JudgeServerClause("W1", Target(server.base_url(), std::string("not-loaded-yet")));
  EXPECT_EQ(result.verdict, Verdict::kSkip) << result.reason;
  EXPECT_NE(result.reason.find("the server is not ready"), std::string::npos) << result.reason;
  EXPECT_NE(result.reason.find("Loading model"), std::string::npos) << result.reason;
  // llama.cpp answers 503 on every endpoint while it loads, its listing included.
  EXPECT_NE(result.reason.find("GET /v1/models answered 503"), std::string::npos) << result.reason;
  // llama.cpp answers 503 on its listing too while loading (as recorded): still not judged.
  const reports::ClauseResult loading = JudgeServerClause("W1", Target(server.base_url(), "m1"));
  EXPECT_EQ(loading.verdict, Verdict::kSkip) << loading.reason;
  // A server whose listing names the model while /health answers 503: the clause's FAIL.
  mock::Server listing({.models = {"m1"}});
  listing.SetScenario(mock::Scenario::Loading(0).On(mock::Endpoint::kHealth));
  const reports::ClauseResult listed = JudgeServerClause("W1", Target(listing.base_url(), "m1"));
  EXPECT_EQ(listed.verdict, Verdict::kFail) << listed.reason;
}

TEST(ServerChecks, W2AndW5SkipAServerThatIsLoadingOrWantsAKey) {
  RecordProperty("clause", "W2");
  // llama.cpp while it loads: 503 on every endpoint, the listing included (recorded).
  mock::Server loading({.models = {"m1"}, .profile = mock::Profile::kLlamaCpp});
  loading.SetScenario(mock::Scenario::Loading(0));
  for (const char* clause : {"W2", "W5"}) {
    const reports::ClauseResult result = JudgeServerClause(clause, Target(loading.base_url()));
    EXPECT_EQ(result.verdict, Verdict::kSkip) << clause << ": " << result.reason;
    EXPECT_NE(result.reason.find("the server is not ready"), std::string::npos) << result.reason;
    EXPECT_NE(result.reason.find("--wait"), std::string::npos) << result.reason;
  }
  // A server that wants a key: without one, and with a wrong one, the run cannot judge the wire.
  mock::Server keyed({.models = {"m1"}, .profile = mock::Profile::kLlamaCpp});
  keyed.SetScenario(mock::Scenario::Auth("right-key"));
  for (const std::string key : {"", "wrong-key"}) {
    ServerTarget target = Target(keyed.base_url());
    target.api_key = key;
    for (const char* clause : {"W2", "W5"}) {
      const reports::ClauseResult result = JudgeServerClause(clause, target);
      EXPECT_EQ(result.verdict, Verdict::kSkip)
          << clause << " key '" << key << "': " << result.reason;
      EXPECT_NE(result.reason.find("--api-key"), std::string::npos) << result.reason;
      EXPECT_NE(result.reason.find(key.empty() ? "none was given" : "refuses the API key given"),
                std::string::npos)
          << result.reason;
    }
  }
  ServerTarget right = Target(keyed.base_url());
  right.api_key = "right-key";
  EXPECT_EQ(JudgeServerClause("W2", right).verdict, Verdict::kPass);
  EXPECT_EQ(JudgeServerClause("W5", right).verdict, Verdict::kPass);
}

TEST(ServerChecks, W1FailsOnOtherStatusesAndBodies) {
  RecordProperty("clause", "W1");
  for (const std::string& answer :
       {Answer("401 Unauthorized", "application/json", Envelope("no key")),
        Answer("200 OK", "text/html", "<html>ok</html>"),
        Answer("200 OK", "application/json", R"(["ok"])")}) {
    RawHttpServer server(On("/health", Sends(answer)));
    const reports::ClauseResult result = Judge("W1", server);
    EXPECT_EQ(result.verdict, Verdict::kFail) << answer << " -> " << result.reason;
  }
}

TEST(ServerChecks, W2FailsOnAListingOfTheWrongShape) {
  RecordProperty("clause", "W2");
  for (const std::string& body :
       {std::string(R"({"data":[]})"), std::string(R"({"object":"list","data":null})"),
        std::string(R"({"object":"list","data":[{"id":5,"object":"model"}]})"),
        std::string(R"({"object":"list","data":[{"id":"m1"}]})"), std::string("not json")}) {
    RawHttpServer server(On("/v1/models", Sends(Answer("200 OK", "application/json", body))));
    const reports::ClauseResult result = Judge("W2", server);
    EXPECT_EQ(result.verdict, Verdict::kFail) << body << " -> " << result.reason;
  }
}

TEST(ServerChecks, W3FailsAChatEndpointThatAnswers404ToEverything) {
  RecordProperty("clause", "W3");
  RawHttpServer server(On("/v1/chat/completions", Sends(Answer("404 Not Found", "application/json",
                                                               Envelope("no fixture matched")))));
  const reports::ClauseResult w3 = Judge("W3", server);
  EXPECT_EQ(w3.verdict, Verdict::kFail) << w3.reason;
  EXPECT_NE(w3.reason.find("control request"), std::string::npos) << w3.reason;
  EXPECT_NE(w3.reason.find("a chat endpoint that refuses every request"), std::string::npos)
      << w3.reason;
  const reports::ClauseResult w7 = Judge("W7", server);
  EXPECT_EQ(w7.verdict, Verdict::kSkip) << w7.reason;
  EXPECT_NE(w7.reason.find("would show nothing"), std::string::npos) << w7.reason;
  const reports::ClauseResult w4 = Judge("W4", server);
  EXPECT_EQ(w4.verdict, Verdict::kFail) << w4.reason;
}

TEST(ServerChecks, W3IsNonStrictForAServerAnsweringAnyModelAndW7DoesNotFailItAgain) {
  RecordProperty("clause", "W3");
  RawHttpServer server([](RawConnection& connection, const RawRequest& request) {
    if (request.path == "/v1/chat/completions") {
      nlohmann::json body = nlohmann::json::parse(request.body, nullptr, false);
      if (body.is_object() && body.contains("model")) body["model"] = "m1";  // like llama.cpp
      RawRequest rewritten = request;
      rewritten.body = body.is_discarded() ? request.body : body.dump();
      return AnswerNormally(connection, rewritten);
    }
    return AnswerNormally(connection, request);
  });
  const reports::ClauseResult w3 = Judge("W3", server);
  EXPECT_EQ(w3.verdict, Verdict::kNonStrict) << w3.reason;
  EXPECT_NE(w3.reason.find("only the listing (R2, R4) catches a wrong model"), std::string::npos)
      << w3.reason;
  const reports::ClauseResult w7 = Judge("W7", server);
  EXPECT_EQ(w7.verdict, Verdict::kPass) << w7.reason;
}

TEST(ServerChecks, W3ControlNamesAListedModelWhenTheGivenOneIsNotListed) {
  RecordProperty("clause", "W3");
  RawHttpServer server(AnswerNormally);
  const reports::ClauseResult result = Judge("W3", server, std::string("typo-model"));
  EXPECT_EQ(result.verdict, Verdict::kPass) << result.reason;
  bool said = false;
  for (const std::string& sentence : result.evidence.invariants) {
    said = said || sentence.find(
                       "'typo-model' was given but is not listed, so the chat requests "
                       "name the first listed, 'm1'") != std::string::npos;
  }
  EXPECT_TRUE(said);
}

TEST(ServerChecks, W3StrictPartWantsAnEnvelopeThatNamesTheProblem) {
  RecordProperty("clause", "W3");
  const auto unknown_model = [](std::string refusal) {
    return [refusal = std::move(refusal)](RawConnection& connection, const RawRequest& request) {
      if (request.path == "/v1/chat/completions" &&
          request.body.find(internal::kUnlistedModel) != std::string::npos) {
        return connection.Send(refusal);
      }
      return AnswerNormally(connection, request);
    };
  };
  for (const std::string& refusal :
       {Answer("404 Not Found", "text/plain", "nope"),
        Answer("400 Bad Request", "application/json", Envelope("bad request")),
        Answer("422 Unprocessable Entity", "application/json", Envelope("model not found"))}) {
    RawHttpServer server(unknown_model(refusal));
    const reports::ClauseResult result = Judge("W3", server);
    EXPECT_EQ(result.verdict, Verdict::kNonStrict) << refusal << " -> " << result.reason;
  }
  for (
      const std::string& refusal :
      {Answer("404 Not Found", "application/json", R"({"error":"model 'x' not found"})"),
       Answer(
           "404 Not Found", "application/json",
           R"({"object":"error","message":"The model `provkit-no-such-model-7f3a` does not exist."})")}) {
    RawHttpServer server(unknown_model(refusal));
    const reports::ClauseResult result = Judge("W3", server);
    EXPECT_EQ(result.verdict, Verdict::kPass) << refusal << " -> " << result.reason;
  }
}

TEST(ServerChecks, W4FailsAStreamWithoutDoneOrWithUsageNotLast) {
  RecordProperty("clause", "W4");
  const std::string chunk = R"({"object":"chat.completion.chunk","choices":[{"delta":{}}]})";
  const std::string usage = R"({"object":"chat.completion.chunk","choices":[],"usage":{}})";
  const auto stream = [](const std::string& events) {
    return "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: " +
           std::to_string(events.size()) + "\r\n\r\n" + events;
  };
  for (const std::string& events :
       {"data: " + chunk + "\n\ndata: " + usage + "\n\n",
        "data: " + usage + "\n\ndata: " + chunk + "\n\ndata: [DONE]\n\n",
        "data: " + chunk + "\n\ndata: {\"error\":{\"message\":\"boom\"}}\n\n",
        "data: " + chunk + "\n\ndata: " + usage + "\n\ndata: [DONE]\n\ndata: " + chunk + "\n\n"}) {
    RawHttpServer server(On("/v1/chat/completions", Sends(stream(events))));
    const reports::ClauseResult result = Judge("W4", server);
    EXPECT_EQ(result.verdict, Verdict::kFail) << events << " -> " << result.reason;
  }
}

TEST(ServerChecks, W5FailsWhenTheServerClosesTheConnectionEarly) {
  RecordProperty("clause", "W5");
  std::atomic<int> count{0};
  RawHttpServer closing([&](RawConnection& connection, const RawRequest& request) {
    const bool answered = AnswerNormally(connection, request);
    return answered && ++count % 5 != 0;  // closes silently after every 5th request
  });
  reports::ClauseResult result = Judge("W5", closing);
  EXPECT_EQ(result.verdict, Verdict::kFail) << result.reason;
  EXPECT_NE(result.reason.find("request 6 needed a new connection"), std::string::npos)
      << result.reason;

  RawHttpServer says_close(On("/v1/models", Sends("HTTP/1.1 200 OK\r\nConnection: close\r\n"
                                                  "Content-Length: 2\r\n\r\n{}")));
  result = Judge("W5", says_close);
  EXPECT_EQ(result.verdict, Verdict::kFail) << result.reason;
  EXPECT_NE(result.reason.find("closed the connection after request 1 (Connection: close)"),
            std::string::npos)
      << result.reason;
}

TEST(ServerChecks, W6SaysNothingAnsweredWhenNothingDid) {
  RecordProperty("clause", "W6");
  int port = 0;
  {
    RawHttpServer gone(AnswerNormally);
    port = gone.port();
  }
  const reports::ClauseResult result =
      JudgeServerClause("W6", Target("http://127.0.0.1:" + std::to_string(port) + "/v1"));
  EXPECT_EQ(result.verdict, Verdict::kInfo) << result.reason;
  EXPECT_NE(result.reason.find("GET /health: nothing answered (cannot connect"), std::string::npos)
      << result.reason;
  EXPECT_EQ(result.reason.find("over 0 requests"), std::string::npos) << result.reason;
  EXPECT_EQ(result.reason.find("0.00 ms"), std::string::npos) << result.reason;
}

TEST(ServerChecks, W6MeasuresFiftyRequestsPerEndpointOnOneConnection) {
  RecordProperty("clause", "W6");
  RawHttpServer server(AnswerNormally);
  const reports::ClauseResult result = Judge("W6", server);
  EXPECT_EQ(result.verdict, Verdict::kInfo) << result.reason;
  EXPECT_NE(result.reason.find("over 50 requests on one connection (status 200)"),
            std::string::npos)
      << result.reason;
  EXPECT_EQ(server.connections(), 2u);
}

TEST(ServerChecks, W7FailsAStreamedRefusalThatArrivesAsA200Stream) {
  RecordProperty("clause", "W7");
  RawHttpServer server([](RawConnection& connection, const RawRequest& request) {
    if (request.path == "/v1/chat/completions" &&
        request.body.find("\"messages\"") == std::string::npos) {
      const std::string events = "data: {\"error\":{\"message\":\"'messages' is required\"}}\n\n";
      return connection.Send(
          "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
          "Content-Length: " +
          std::to_string(events.size()) + "\r\n\r\n" + events);
    }
    return AnswerNormally(connection, request);
  });
  const reports::ClauseResult result = Judge("W7", server);
  EXPECT_EQ(result.verdict, Verdict::kFail) << result.reason;
  EXPECT_NE(result.reason.find("a streamed request without messages"), std::string::npos)
      << result.reason;
  EXPECT_NE(result.reason.find("200 text/event-stream"), std::string::npos) << result.reason;
}

TEST(ServerChecks, W7PassSaysTheMidStreamPartIsNotJudgedLive) {
  RecordProperty("clause", "W7");
  RawHttpServer server(AnswerNormally);
  const reports::ClauseResult result = Judge("W7", server);
  EXPECT_EQ(result.verdict, Verdict::kPass) << result.reason;
  bool said = false;
  for (const std::string& sentence : result.evidence.invariants) {
    said =
        said || sentence.find("cannot be made to fail after streaming began") != std::string::npos;
  }
  EXPECT_TRUE(said);
}

TEST(ServerChecks, EveryWClauseHasOneCheckAndASummary) {
  for (const std::string& id : ClausesFor(SubjectKind::kServer)) {
    EXPECT_NE(internal::WireCheck(id), nullptr) << id;
    EXPECT_FALSE(internal::WireCheckSummary(id).empty()) << id;
  }
  EXPECT_EQ(internal::WireCheck("R1"), nullptr);
}

// ---------------------------------------------------------------------------------------------
// Hostile servers: every affected check FAILs naming the problem, in bounded time and memory

/// A value of /proc/self/status in KiB ("VmHWM", "VmRSS"); -1 when unreadable.
long StatusKiB(const std::string& key) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(key + ":", 0) == 0)
      return std::strtol(line.c_str() + key.size() + 1, nullptr, 10);
  }
  return -1;
}

/// Resets the peak RSS to the current RSS (Linux >= 4.0); false when not possible.
bool ResetPeakRss() {
  std::ofstream clear("/proc/self/clear_refs");
  clear << "5";
  clear.flush();
  return clear.good();
}

struct HostileCase {
  std::string name;
  std::function<RawHandler()> handler;
  /// Clause and the words its FAIL reason must contain.
  std::vector<std::pair<std::string, std::string>> expected;
};

/// Sends `total` bytes of `piece` after `head`, generated lazily.
RawHandler Lazily(std::string head, std::string piece, std::uint64_t total) {
  return [head = std::move(head), piece = std::move(piece), total](RawConnection& connection,
                                                                   const RawRequest&) {
    if (!connection.Send(head)) return false;
    for (std::uint64_t sent = 0; sent < total; sent += piece.size()) {
      if (!connection.Send(piece)) return false;
    }
    return false;
  };
}

std::vector<HostileCase> HostileCases() {
  constexpr std::uint64_t kGiB = 1024ull * 1024 * 1024;
  const std::string chunk_event =
      "data: "
      "{\"object\":\"chat.completion.chunk\",\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\n\n";
  char size_line[32];
  std::snprintf(size_line, sizeof size_line, "%zx\r\n", chunk_event.size());
  const std::string sse_chunk = size_line + chunk_event + "\r\n";
  const std::string filler(64 * 1024, 'x');
  char filler_size[32];
  std::snprintf(filler_size, sizeof filler_size, "%zx\r\n", filler.size());
  const std::string escape = "\x1b]0;owned\x07\x1b[2J\x1b[31m\xff\xfe\xc0\xaf";
  return {
      {"endless SSE stream (chat)",
       [=] {
         return On("/v1/chat/completions",
                   Lazily("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                          "Transfer-Encoding: chunked\r\n\r\n",
                          sse_chunk, ~0ull));
       },
       {{"W4", "did not end within 10000 events"},
        {"W7", "did not end within 10000 events"},
        {"W3", "the body exceeds 4 MiB"}}},
      {"1 GiB body, Content-Length (models)",
       [=] {
         return On("/v1/models", Lazily("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                        "Content-Length: 1073741824\r\n\r\n",
                                        filler, kGiB));
       },
       {{"W2", "Content-Length 1073741824 exceeds the 4 MiB limit"},
        {"W5", "Content-Length 1073741824 exceeds the 4 MiB limit"}}},
      {"1 GiB body, chunked (models)",
       [=] {
         return On("/v1/models", Lazily("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                        "Transfer-Encoding: chunked\r\n\r\n",
                                        filler_size + filler + "\r\n", kGiB));
       },
       {{"W2", "the body exceeds 4 MiB"}}},
      {"1 GiB body until close (models)",
       [=] {
         return On("/v1/models", Lazily("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n",
                                        filler, kGiB));
       },
       {{"W2", "the body exceeds 4 MiB"}}},
      {"4 MB listing of two million JSON values (models)",
       [] {
         std::string body = R"({"object":"list","data":[)";
         for (int i = 0; i < 2000000; ++i) body += "0,";
         body += "0]}";
         return On("/v1/models", Sends(Answer("200 OK", "application/json", body)));
       },
       {{"W2", "JSON holding more than 100000 values, not judged"}}},
      {"100 MB of headers (health)",
       [=] {
         return On("/health",
                   Lazily("HTTP/1.1 200 OK\r\n", "X-Filler: " + std::string(1000, 'a') + "\r\n",
                          100ull * 1000 * 1000));
       },
       {{"W1", "the header block exceeds 64 KiB"}}},
      {"trickle 1 byte/s (health)",
       [] {
         return On("/health", [](RawConnection& connection, const RawRequest&) {
           for (const char c : Answer("200 OK", "application/json", R"({"status":"ok"})")) {
             if (!connection.Send(std::string_view(&c, 1)) ||
                 !connection.Pause(std::chrono::seconds(1))) {
               return false;
             }
           }
           return false;
         });
       },
       {{"W1", "timed out after 10 s while reading the status line and headers"}}},
      {"Content-Length: abc (models)",
       [] { return On("/v1/models", Sends("HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n{}")); },
       {{"W2", "Content-Length \"abc\" is not a non-negative decimal number"},
        {"W5", "Content-Length \"abc\" is not a non-negative decimal number"}}},
      {"Content-Length: -1 (models)",
       [] { return On("/v1/models", Sends("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n{}")); },
       {{"W2", "Content-Length \"-1\" is not a non-negative decimal number"}}},
      {"chunk size zz (chat)",
       [] {
         return On(
             "/v1/chat/completions",
             Sends("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"));
       },
       {{"W3", "chunk size \"zz\" is not a hexadecimal number"},
        {"W4", "chunk size \"zz\" is not a hexadecimal number"}}},
      {"huge chunk size (chat)",
       [] {
         return On("/v1/chat/completions",
                   Sends("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                         "ffffffffffffffffffffffff\r\n{}\r\n0\r\n\r\n"));
       },
       {{"W3", "is too large to be a size"}, {"W4", "is too large to be a size"}}},
      {"status HTTP/1.1 2000000000000 OK (health)",
       [] {
         return On("/health", Sends("HTTP/1.1 2000000000000 OK\r\nContent-Length: 2\r\n\r\n{}"));
       },
       {{"W1", "not an HTTP answer: the first line is \"HTTP/1.1 2000000000000 OK\""}}},
      {"301 redirect on every path",
       [] {
         return On("*",
                   Sends("HTTP/1.1 301 Moved Permanently\r\n"
                         "Location: http://elsewhere.example/v1\r\nContent-Length: 0\r\n\r\n"));
       },
       {{"W1", "redirect (301) to \"http://elsewhere.example/v1\" not followed"},
        {"W2", "redirect (301) to \"http://elsewhere.example/v1\" not followed"},
        {"W3", "redirect (301) to \"http://elsewhere.example/v1\" not followed"},
        {"W4", "redirect (301) to \"http://elsewhere.example/v1\" not followed"},
        {"W5", "redirect (301) to \"http://elsewhere.example/v1\" not followed"},
        {"W7", "redirect (301) to \"http://elsewhere.example/v1\" not followed"}}},
      {"gzip body nobody asked for (models)",
       [] {
         return On("/v1/models",
                   Sends(std::string("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                     "Content-Encoding: gzip\r\nContent-Length: 10\r\n\r\n") +
                         std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10)));
       },
       {{"W2", "Content-Encoding: gzip"}, {"W5", "Content-Encoding: gzip"}}},
      {"ESC/OSC and invalid UTF-8 in headers and bodies",
       [=] {
         return [=](RawConnection& connection, const RawRequest& request) {
           if (request.path == "/health") {
             return connection.Send("HTTP/1.1 503 " + escape + "\r\nX-Evil: " + escape +
                                    "\r\nContent-Type: " + escape + "\r\nContent-Length: " +
                                    std::to_string(escape.size()) + "\r\n\r\n" + escape);
           }
           if (request.path == "/v1/chat/completions") {
             return connection.Send(Answer("500 " + escape, "application/json",
                                           "{\"error\":{\"message\":\"" + escape + "\"}}"));
           }
           return AnswerNormally(connection, request);
         };
       },
       {{"W1", "503 while the listing names model 'm1'"},
        {"W1", "\\x1b]0;owned\\x07\\x1b[2J"},
        {"W3", "\\x1b]0;owned\\x07"}}},
  };
}

class HostileServer : public ::testing::TestWithParam<HostileCase> {};

TEST_P(HostileServer, AffectedChecksFailNamingTheProblemInBoundedTimeAndMemory) {
  const HostileCase& hostile = GetParam();
  RawHttpServer server(hostile.handler());
  std::vector<std::string> clauses;
  for (const auto& [clause, words] : hostile.expected) {
    if (std::find(clauses.begin(), clauses.end(), clause) == clauses.end())
      clauses.push_back(clause);
  }
  const bool peak_reset = ResetPeakRss();
  const long rss_before = StatusKiB("VmRSS");
  const auto start = std::chrono::steady_clock::now();
  std::map<std::string, reports::ClauseResult> results;
  for (const std::string& clause : clauses) results[clause] = Judge(clause, server);
  const double wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const long peak = StatusKiB("VmHWM");
  const long delta = peak_reset && rss_before >= 0 && peak >= 0 ? peak - rss_before : -1;

  for (const auto& [clause, words] : hostile.expected) {
    RecordProperty("clause", clause);
    const reports::ClauseResult& result = results[clause];
    RecordProperty(clause + "_reason", result.reason);
    EXPECT_EQ(result.verdict, Verdict::kFail) << clause << ": " << result.reason;
    EXPECT_NE(result.reason.find(words), std::string::npos)
        << clause << " should name \"" << words << "\": " << result.reason;
  }
  EXPECT_LT(wall_s, std::chrono::duration<double>(kHangGuard).count());
  std::string joined;
  for (const std::string& clause : clauses) joined += (joined.empty() ? "" : " ") + clause;
  char row[256];
  std::snprintf(row, sizeof row, "| %s | %s | %.2f | %ld | %ld |", hostile.name.c_str(),
                joined.c_str(), wall_s, delta < 0 ? -1 : delta / 1024, peak < 0 ? -1 : peak / 1024);
  std::printf("%s\n", row);
  RecordProperty("wall_s", std::to_string(wall_s));
  RecordProperty("peak_rss_delta_kib", std::to_string(delta));
  if (const char* path = std::getenv("PROVKIT_HOSTILE_TABLE"); path != nullptr && *path != '\0') {
    std::ofstream table(path, std::ios::app);
    table << row << "\n";
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, HostileServer, ::testing::ValuesIn(HostileCases()),
                         [](const ::testing::TestParamInfo<HostileCase>& param_info) {
                           return "Case" + std::to_string(param_info.index);
                         });

}  // namespace
}  // namespace provkit::conformance
