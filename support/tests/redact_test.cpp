// Tests the redaction of secrets: names, tokens, URL credentials and queries, command lines.
#include "provkit/support/redact.hpp"

#include <gtest/gtest.h>

#include <string>

namespace provkit::support {
namespace {

TEST(IsSecretName, NamesThatHoldSecretsAndNamesThatDoNot) {
  for (const char* name :
       {"api_key", "API-KEY", "apikey", "OPENAI_API_KEY", "token", "hf_token", "client-secret",
        "password", "passwd", "credentials", "Authorization", "bearer"}) {
    EXPECT_TRUE(IsSecretName(name)) << name;
  }
  for (const char* name : {"max_tokens", "tokenizer", "model", "key_count", "monkey", ""}) {
    EXPECT_FALSE(IsSecretName(name)) << name;
  }
}

TEST(IsSecretHeader, CredentialHeadersInAnyCase) {
  for (const char* name : {"Authorization", "proxy-authorization", "X-Api-Key", "api-key",
                           "X-Provkit-Admin-Token", "Cookie", "X-Auth-Token"}) {
    EXPECT_TRUE(IsSecretHeader(name)) << name;
  }
  for (const char* name : {"Content-Type", "Host", "Origin", "X-Api", "Accept", ""}) {
    EXPECT_FALSE(IsSecretHeader(name)) << name;
  }
}

TEST(RedactHeaderValue, KeepsTheSchemeOnly) {
  EXPECT_EQ(RedactHeaderValue("Bearer sk-abcdefgh12"), "Bearer <redacted>");
  EXPECT_EQ(RedactHeaderValue("Basic dXNlcjpwYXNz"), "Basic <redacted>");
  EXPECT_EQ(RedactHeaderValue("bare-key-value"), "<redacted>");
  EXPECT_EQ(RedactHeaderValue("Bearer"), "<redacted>");
  EXPECT_EQ(RedactHeaderValue("sk-a b"), "<redacted>");
  EXPECT_EQ(RedactHeaderValue(""), "");
}

TEST(RedactTokens, OpenAiKeysAndBearerValues) {
  EXPECT_EQ(RedactTokens("key sk-abcdefgh12 used"), "key <redacted> used");
  EXPECT_EQ(RedactTokens("sk-short stays"), "sk-short stays");
  EXPECT_EQ(RedactTokens("task-abcdefghijkl is a word"), "task-abcdefghijkl is a word");
  EXPECT_EQ(RedactTokens("Authorization: Bearer abc.def-ghi\nnext"),
            "Authorization: Bearer <redacted>\nnext");
  EXPECT_EQ(RedactTokens("authorization: bearer xyz, more"),
            "authorization: bearer <redacted>, more");
  EXPECT_EQ(RedactTokens("no secrets here"), "no secrets here");
}

TEST(RedactUrls, CredentialsAndQueryValues) {
  EXPECT_EQ(RedactUrls("http://user:tok3n@127.0.0.1:8080/v1"),
            "http://<redacted>@127.0.0.1:8080/v1");
  EXPECT_EQ(RedactUrls("GET http://h/v1/models?api_key=s3cret&x=1 failed"),
            "GET http://h/v1/models?api_key=<redacted>&x=<redacted> failed");
  EXPECT_EQ(RedactUrls("'http://a@h/p' and https://h2?k=v#frag"),
            "'http://<redacted>@h/p' and https://h2?k=<redacted>#frag");
  EXPECT_EQ(RedactUrls("http://127.0.0.1:8080/v1 is clean"), "http://127.0.0.1:8080/v1 is clean");
  EXPECT_EQ(RedactUrls("no url ://"), "no url ://");
}

TEST(Redactor, ForgetsNothingItWasGiven) {
  Redactor redactor;
  redactor.Add("my-key-value");
  redactor.Add("ab");  // too short to redact
  EXPECT_EQ(redactor.Apply("env: PROVKIT_API_KEY=my-key-value ab"),
            "env: PROVKIT_API_KEY=<redacted> ab");
}

TEST(Redactor, ApplyKnownReplacesOnlyWhatItWasGiven) {
  Redactor redactor;
  EXPECT_TRUE(redactor.empty());
  redactor.Add("known-secret");
  EXPECT_FALSE(redactor.empty());
  EXPECT_EQ(redactor.ApplyKnown(R"({"a":"known-secret","b":"Bearer of news sk-abcdefgh12"})"),
            R"({"a":"<redacted>","b":"Bearer of news sk-abcdefgh12"})");
}

TEST(Redactor, LearnsTheSecretsOfACommandLine) {
  Redactor redactor;
  redactor.AddCommandLine(
      "OPENAI_API_KEY=envsecret python3 adapter.py --api-key=flagsecret --token 'spaced1' "
      "--model m --base http://u:urlsecret@127.0.0.1/v1?key=qsecret -H 'Bearer hdrsecret'");
  const std::string stderr_tail =
      "loaded envsecret, flagsecret, spaced1, urlsecret, qsecret and hdrsecret; model m";
  EXPECT_EQ(redactor.Apply(stderr_tail),
            "loaded <redacted>, <redacted>, <redacted>, <redacted>, <redacted> and <redacted>; "
            "model m");
}

TEST(Redactor, KeepsWhatIsNotSecret) {
  Redactor redactor;
  redactor.AddCommandLine("node adapter.mjs --max-tokens 5 --model qwen --verbose");
  EXPECT_EQ(redactor.Apply("node adapter.mjs --max-tokens 5 --model qwen --verbose"),
            "node adapter.mjs --max-tokens 5 --model qwen --verbose");
}

}  // namespace
}  // namespace provkit::support
