// The pressure campaign's shared pieces: requests, answer checks, percentiles, the fresh probe.
#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "pressure.hpp"

namespace provkit::stress {
namespace {

using nlohmann::json;

std::string Brief(std::string_view text) {
  constexpr std::size_t kMax = 160;
  return std::string(text.substr(0, kMax)) + (text.size() > kMax ? "..." : "");
}

/// One connection, one GET /health.
class Probe : public HttpHandler {
 public:
  void OnConnected(int id, Clock::time_point at) override {
    (void)id;
    (void)at;
    connected = true;
  }
  void OnResponse(int id, HttpResponse response) override {
    (void)id;
    problem = CheckHealthAnswer(response);
    ok = problem.empty();
    finished = true;
    done_at = response.done;
  }
  void OnFailure(int id, HttpFailure failure, std::string why, Clock::time_point at) override {
    (void)id;
    problem = "GET /health: " + std::string(FailureName(failure)) + ": " + why;
    finished = true;
    done_at = at;
  }

  bool connected = false;
  bool finished = false;
  bool ok = false;
  std::string problem;
  Clock::time_point done_at;
};

}  // namespace

json Distribution::ToJson() const {
  return {{"count", count}, {"p50_ms", p50}, {"p99_ms", p99}, {"max_ms", max}};
}

std::string Distribution::Text() const {
  if (count == 0) return "none measured";
  const int decimals = max < 10 ? 2 : 1;
  return "p50 " + Fixed(p50, decimals) + " ms, p99 " + Fixed(p99, decimals) + " ms, max " +
         Fixed(max, decimals) + " ms (n " + std::to_string(count) + ")";
}

Distribution Summarize(std::vector<double> values_ms) {
  Distribution result;
  result.count = values_ms.size();
  if (values_ms.empty()) return result;
  std::sort(values_ms.begin(), values_ms.end());
  const auto rank = [&](double fraction) {
    // Nearest rank: the smallest value with at least `fraction` of the sample at or below it.
    const auto index =
        static_cast<std::size_t>(std::ceil(fraction * static_cast<double>(values_ms.size())));
    return values_ms[std::clamp<std::size_t>(index, 1, values_ms.size()) - 1];
  };
  result.p50 = rank(0.50);
  result.p99 = rank(0.99);
  result.max = values_ms.back();
  return result;
}

double Ms(Clock::duration duration) {
  return std::chrono::duration<double, std::milli>(duration).count();
}

double ThreadCpuSeconds() {
  rusage usage{};
  if (getrusage(RUSAGE_THREAD, &usage) != 0) return 0;
  const auto seconds = [](const timeval& time) {
    return static_cast<double>(time.tv_sec) + static_cast<double>(time.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

std::string Fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

std::string GetRequest(std::string_view path) {
  return "GET " + std::string(path) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
}

std::string PostJsonRequest(std::string_view path, std::string_view body) {
  return "POST " + std::string(path) +
         " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

std::string ChatBody(std::string_view text, bool stream) {
  json body = {{"model", kPressureModel},
               {"messages", json::array({{{"role", "user"}, {"content", text}}})}};
  if (stream) body["stream"] = true;
  return body.dump();
}

std::string CheckHealthAnswer(const HttpResponse& response) {
  if (response.status != 200) return "GET /health answered " + std::to_string(response.status);
  const json body = json::parse(response.body, nullptr, false);
  if (!body.is_object() || body.value("status", "") != "ok")
    return "GET /health body is not {\"status\":\"ok\"}: " + Brief(response.body);
  return {};
}

std::string CheckChatAnswer(const HttpResponse& response, std::string_view expected) {
  if (response.status != 200) return "chat turn answered " + std::to_string(response.status);
  const json body = json::parse(response.body, nullptr, false);
  const json::json_pointer content("/choices/0/message/content");
  if (!body.is_object() || body.value("object", "") != "chat.completion" ||
      !body.contains(content) || !body[content].is_string())
    return "chat answer is not a chat.completion with choices[0].message.content: " +
           Brief(response.body);
  if (body[content].get<std::string>() != expected)
    return "chat answer text '" + Brief(body[content].get<std::string>()) + "' is not '" +
           std::string(expected) + "'";
  return {};
}

ProbeResult FreshHealthProbe(const std::string& host, int port, std::chrono::milliseconds timeout) {
  Probe probe;
  HttpLoop loop(probe, host, port);
  const Clock::time_point start = Clock::now();
  const int id = loop.Connect();
  loop.Request(id, GetRequest("/health"), timeout);
  loop.Run(start + timeout + std::chrono::seconds(1), [&] { return probe.finished; });
  ProbeResult result;
  result.connected = probe.connected;
  result.ok = probe.ok;
  result.problem = probe.finished ? probe.problem : "GET /health: no answer";
  result.ms = Ms((probe.finished ? probe.done_at : Clock::now()) - start);
  return result;
}

}  // namespace provkit::stress
