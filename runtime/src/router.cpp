// RequestModelLoad: one POST /models/load to a llama.cpp router.
#include "provkit/runtime/router.hpp"

#include <httplib.h>

#include <nlohmann/json.hpp>

#include "provkit/runtime/error.hpp"
#include "provkit/support/clip.hpp"
#include "provkit/support/error_envelope.hpp"

namespace provkit {
namespace {

constexpr std::size_t kMaxAnswerBytes = 64 * 1024;

}  // namespace

ModelLoadAnswer RequestModelLoad(const Config& config, const std::string& model) {
  config.Validate();
  const std::optional<Url> url = ParseUrl(ServerRoot(config.base_url));
  if (!url) throw ConfigurationError("base_url: not an http(s) URL");
  std::unique_ptr<httplib::Client> client;
  if (url->scheme == "https") {
    client = std::make_unique<httplib::Client>(ServerRoot(config.base_url));
  } else {
    client = std::make_unique<httplib::Client>(url->host, url->port);
  }
  client->set_tcp_nodelay(true);
  client->set_connection_timeout(config.connect_timeout);
  client->set_read_timeout(config.request_timeout);
  client->set_write_timeout(config.request_timeout);
  if (!config.api_key.empty()) client->set_bearer_token_auth(config.api_key);

  httplib::Request request;
  request.method = "POST";
  request.path = url->path + "/models/load";
  request.headers.emplace("Content-Type", "application/json");
  request.headers.emplace("Accept", "application/json");
  request.body = nlohmann::json{{"model", model}}.dump();
  std::string body;
  bool cut = false;
  request.content_receiver = [&](const char* data, std::size_t size, std::uint64_t,
                                 std::uint64_t) {
    const std::size_t room = kMaxAnswerBytes - body.size();
    body.append(data, std::min(size, room));
    cut = size > room;
    return !cut;
  };
  httplib::Response response;
  httplib::Error error = httplib::Error::Success;
  const bool sent = client->send(request, response, error);
  ModelLoadAnswer answer;
  const std::string where = "POST " + ServerRoot(config.base_url) + "/models/load";
  if (!sent && !(cut && response.status > 0)) {
    answer.message = where + " failed: " + httplib::to_string(error);
    return answer;
  }
  answer.status = response.status;
  const std::optional<std::string> said = support::ErrorEnvelopeMessageOfBody(body);
  const std::string words = support::ClipPrintable(said.value_or(body), 300);
  answer.accepted = response.status == 200 ||
                    (response.status == 400 && words.find("already") != std::string::npos);
  answer.message = where + " answered " + std::to_string(response.status) +
                   (words.empty() ? "" : ": " + words);
  if (response.status == 404 && words.find("model") == std::string::npos) {
    answer.message += " (the server has no router load endpoint: is it llama.cpp in router mode?)";
  }
  return answer;
}

}  // namespace provkit
