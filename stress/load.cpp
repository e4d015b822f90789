// The load campaign: N keep-alive clients mix probes, turns and streams against an embedded mock.
#include <httplib.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <exception>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "modes.hpp"
#include "provkit/mockserver/server.hpp"
#include "report.hpp"
#include "stress_support.hpp"

namespace provkit::stress {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

constexpr std::string_view kModel = "provkit-mock";
// RSS may grow this much after warm-up: allocator arenas of hundreds of threads settle in steps of
// a few MiB; a leak of even 100 bytes per request would exceed it within seconds.
constexpr std::uint64_t kRssGrowthAllowanceKib = 16 * 1024;
constexpr std::chrono::seconds kHangLimit{10};

constexpr char kDescription[] =
    "Starts an embedded mock server (pool sized for the clients) and runs N concurrent\n"
    "keep-alive clients (one connection each) for the duration, each cycling through a\n"
    "readiness probe (GET /health + GET /v1/models), a chat turn and a streamed chat turn.\n"
    "Passes when: every answer is right (status, body shape, echoed text, streams end with\n"
    "[DONE]); the server counted exactly the requests sent, per path; the server accepted\n"
    "exactly N connections; RSS grew at most 16 MiB from the end of warm-up to the end.";

/// What one side counted, by kind of request.
struct Tally {
  std::uint64_t health = 0;
  std::uint64_t models = 0;
  std::uint64_t chat = 0;
  std::uint64_t stream = 0;
  std::uint64_t total() const { return health + models + chat + stream; }
  json ToJson() const {
    return {{"health", health},
            {"models", models},
            {"chat", chat},
            {"stream", stream},
            {"total", total()}};
  }
};

/// What the server saw, from its request observer.
struct ServerTally {
  std::atomic<std::uint64_t> health{0};
  std::atomic<std::uint64_t> models{0};
  std::atomic<std::uint64_t> chat{0};
  std::atomic<std::uint64_t> stream{0};
  std::atomic<std::uint64_t> other{0};
  std::atomic<std::uint64_t> not_ok{0};  // Answered anything but 200.

  void Count(const mock::JournalEntry& entry) {
    if (entry.status != 200) not_ok.fetch_add(1, std::memory_order_relaxed);
    if (entry.path == "/health") {
      health.fetch_add(1, std::memory_order_relaxed);
    } else if (entry.path == "/v1/models") {
      models.fetch_add(1, std::memory_order_relaxed);
    } else if (entry.path == "/v1/chat/completions") {
      const bool streamed = entry.body.find("\"stream\":true") != std::string::npos;
      (streamed ? stream : chat).fetch_add(1, std::memory_order_relaxed);
    } else {
      other.fetch_add(1, std::memory_order_relaxed);
    }
  }
  Tally Snapshot() const { return {health.load(), models.load(), chat.load(), stream.load()}; }
};

std::string Brief(std::string_view text) {
  constexpr std::size_t kMax = 160;
  return std::string(text.substr(0, kMax)) + (text.size() > kMax ? "..." : "");
}

std::string CheckHealth(const httplib::Result& result) {
  if (!result) return "GET /health failed: " + httplib::to_string(result.error());
  if (result->status != 200) return "GET /health answered " + std::to_string(result->status);
  const json body = json::parse(result->body, nullptr, false);
  if (!body.is_object() || body.value("status", "") != "ok")
    return "GET /health body is not {\"status\":\"ok\"}: " + Brief(result->body);
  return {};
}

std::string CheckModels(const httplib::Result& result) {
  if (!result) return "GET /v1/models failed: " + httplib::to_string(result.error());
  if (result->status != 200) return "GET /v1/models answered " + std::to_string(result->status);
  const json body = json::parse(result->body, nullptr, false);
  if (!body.is_object() || !body.contains("data") || !body["data"].is_array())
    return "GET /v1/models has no data list: " + Brief(result->body);
  for (const json& model : body["data"]) {
    if (model.is_object() && model.value("id", "") == kModel) return {};
  }
  return "GET /v1/models does not list " + std::string(kModel) + ": " + Brief(result->body);
}

std::string CheckChat(const httplib::Result& result, std::string_view expected) {
  if (!result) return "chat turn failed: " + httplib::to_string(result.error());
  if (result->status != 200) return "chat turn answered " + std::to_string(result->status);
  const json body = json::parse(result->body, nullptr, false);
  const json::json_pointer content("/choices/0/message/content");
  if (!body.is_object() || !body.contains(content) || !body[content].is_string())
    return "chat answer has no choices[0].message.content: " + Brief(result->body);
  if (body[content].get<std::string>() != expected)
    return "chat answer text '" + Brief(body[content].get<std::string>()) + "' is not '" +
           std::string(expected) + "'";
  if (body.value("object", "") != "chat.completion")
    return "chat answer object is not chat.completion: " + Brief(result->body);
  return {};
}

std::string CheckStream(const httplib::Result& result, std::string_view expected) {
  if (!result) return "streamed turn failed: " + httplib::to_string(result.error());
  if (result->status != 200) return "streamed turn answered " + std::to_string(result->status);
  if (result->get_header_value("Content-Type").find("text/event-stream") == std::string::npos)
    return "streamed turn Content-Type is '" + result->get_header_value("Content-Type") + "'";
  std::string text;
  bool done = false;
  std::size_t events = 0;
  std::string_view rest = result->body;
  while (!rest.empty()) {
    const std::size_t end = rest.find('\n');
    std::string_view line = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.substr(0, 5) != "data:") continue;
    std::string_view data = line.substr(5);
    if (!data.empty() && data.front() == ' ') data.remove_prefix(1);
    if (done) return "stream has data after [DONE]";
    if (data == "[DONE]") {
      done = true;
      continue;
    }
    ++events;
    const json chunk = json::parse(data, nullptr, false);
    const json::json_pointer delta("/choices/0/delta");
    if (!chunk.is_object() || chunk.value("object", "") != "chat.completion.chunk")
      return "stream event is not a chat.completion.chunk: " + Brief(data);
    if (chunk.contains(delta) && chunk[delta].contains("content") &&
        chunk[delta]["content"].is_string())
      text += chunk[delta]["content"].get<std::string>();
  }
  if (!done) return "stream did not end with data: [DONE]";
  if (events == 0) return "stream had no events";
  if (text != expected)
    return "streamed text '" + Brief(text) + "' is not '" + std::string(expected) + "'";
  return {};
}

std::string ChatBody(std::string_view text, bool stream) {
  json body = {{"model", kModel},
               {"messages", json::array({{{"role", "user"}, {"content", text}}})}};
  if (stream) body["stream"] = true;
  return body.dump();
}

struct Shared {
  std::string host;
  int port = 0;
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> progress{0};      // Answers received, right or wrong.
  std::atomic<std::uint64_t> clients_warm{0};  // Clients through one probe, turn and stream.
  Failures failures;
};

/// One client: its own keep-alive connection, cycling probe, turn and stream until stopped.
Tally RunClient(Shared& shared, std::size_t index) {
  Tally sent;
  try {
    httplib::Client client(shared.host, shared.port);
    client.set_keep_alive(true);
    client.set_tcp_nodelay(true);
    client.set_connection_timeout(std::chrono::seconds(5));
    client.set_read_timeout(std::chrono::seconds(15));
    client.set_write_timeout(std::chrono::seconds(15));
    const auto report = [&](std::string problem) {
      shared.progress.fetch_add(1, std::memory_order_relaxed);
      if (!problem.empty())
        shared.failures.Add("client " + std::to_string(index) + ": " + std::move(problem));
    };
    for (std::uint64_t i = 0; !shared.stop.load(std::memory_order_relaxed); ++i) {
      // Fixed width, so that every request and journal entry has the same size all run long.
      char text[96];
      std::snprintf(
          text, sizeof text,
          "load client %06zu request %010llu: the quick brown fox jumps over the lazy dog", index,
          static_cast<unsigned long long>(i));
      switch ((index + i) % 3) {
        case 0:
          ++sent.health;
          report(CheckHealth(client.Get("/health")));
          ++sent.models;
          report(CheckModels(client.Get("/v1/models")));
          break;
        case 1:
          ++sent.chat;
          report(CheckChat(
              client.Post("/v1/chat/completions", ChatBody(text, false), "application/json"),
              text));
          break;
        default:
          ++sent.stream;
          report(CheckStream(
              client.Post("/v1/chat/completions", ChatBody(text, true), "application/json"), text));
          break;
      }
      if (i == 2) shared.clients_warm.fetch_add(1);
    }
  } catch (const std::exception& error) {
    shared.failures.Add("client " + std::to_string(index) + " threw: " + error.what());
  }
  return sent;
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string line;
  std::getline(in, line);
  return line;
}

std::string Mib(std::uint64_t kib) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(kib) / 1024.0);
  return text;
}

std::string Seconds(double seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", seconds);
  return text;
}

}  // namespace

int RunLoad(int argc, char** argv) {
  std::int64_t clients = 256;
  std::int64_t seconds = 30;
  std::int64_t warmup_seconds = 5;
  std::int64_t journal_size = static_cast<std::int64_t>(mock::ServerOptions{}.journal_size);
  std::string json_path;
  support::FlagParser parser = NewFlagParser("load", "[options]");
  parser.Description(kDescription)
      .Int({.name = "clients",
            .value_name = "N",
            .help = "concurrent clients, 1-4096 (default 256)"},
           &clients, std::int64_t{1}, std::int64_t{4096})
      .Int({.name = "seconds", .value_name = "N", .help = "duration, 1-3600 (default 30)"},
           &seconds, std::int64_t{1}, std::int64_t{3600})
      .Int({.name = "warmup-seconds",
            .value_name = "N",
            .help = "RSS baseline time, 0-600 (default 5; capped at a third of the run,\n"
                    "then held back, up to 2/3 of the run, until every client has made\n"
                    "a probe, a turn and a stream and the journal ring is full)"},
           &warmup_seconds, std::int64_t{0}, std::int64_t{600})
      .Int({.name = "journal",
            .value_name = "N",
            .help = "the mock's journal ring size in entries (default 10000, the mock's)"},
           &journal_size, std::int64_t{1}, std::int64_t{10000000})
      .String({.name = "json",
               .value_name = "FILE",
               .help = "also write the summary as JSON to FILE",
               .non_empty = true},
              &json_path);
  if (const std::optional<int> exit = parser.ParseOrExit(argc, argv, std::cout, std::cerr)) {
    return *exit;
  }
  const std::string command = CommandLine(argc, argv);
  const std::string load_before = LoadAverage();

  const std::uint64_t rss_start = RssKib();
  ServerTally server_tally;
  mock::ServerOptions options;
  options.models = {std::string(kModel)};
  // One pool thread serves one keep-alive connection: room for every client, and some spare.
  options.threads = static_cast<std::size_t>(clients) + 16;
  options.journal_size = static_cast<std::size_t>(journal_size);
  options.on_request = [&server_tally](const mock::JournalEntry& entry) {
    server_tally.Count(entry);
  };
  mock::Server server(options);

  Shared shared;
  shared.host = server.host();
  shared.port = server.port();
  std::vector<Tally> sent(static_cast<std::size_t>(clients));
  std::vector<std::thread> threads;
  threads.reserve(sent.size());
  HangWatchdog watchdog("load", shared.progress, kHangLimit, [&] {
    return "requests journalled: " + std::to_string(server.requests()) +
           ", connections open: " + std::to_string(server.connections_open());
  });

  const Clock::time_point start = Clock::now();
  for (std::size_t i = 0; i < sent.size(); ++i)
    threads.emplace_back([&shared, &sent, i] { sent[i] = RunClient(shared, i); });

  // Warm-up ends once warmup_seconds (at most a third of the run) have passed, every client has
  // been through a probe, a turn and a stream (its connection's buffers have their size), and the
  // journal ring is full (its entries are the server's only per-request memory); at the latest
  // at 2/3 of the run.
  const auto run = std::chrono::seconds(seconds);
  const auto warm_earliest =
      std::min<Clock::duration>(std::chrono::seconds(warmup_seconds), run / 3);
  const auto warm_latest = run * 2 / 3;
  std::optional<std::uint64_t> rss_warm;
  std::uint64_t heap_warm = 0;
  double warm_at_s = 0;
  std::uint64_t requests_at_warm = 0;
  bool settled_at_warm = false;
  json timeline = json::array();
  Clock::time_point next_sample = start;
  for (;;) {
    const Clock::time_point now = Clock::now();
    if (now - start >= run) break;
    const std::uint64_t requests = server.requests();
    const bool settled = requests >= static_cast<std::uint64_t>(journal_size) &&
                         shared.clients_warm.load() == static_cast<std::uint64_t>(clients);
    if (!rss_warm && now - start >= warm_earliest && (settled || now - start >= warm_latest)) {
      rss_warm = RssKib();
      heap_warm = HeapInUseBytes() / 1024;
      warm_at_s = std::chrono::duration<double>(now - start).count();
      requests_at_warm = requests;
      settled_at_warm = settled;
    }
    if (now >= next_sample) {
      timeline.push_back({{"t_s", std::chrono::duration<double>(now - start).count()},
                          {"rss_kib", RssKib()},
                          {"heap_in_use_kib", HeapInUseBytes() / 1024},
                          {"requests", requests}});
      next_sample += std::chrono::seconds(1);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const std::uint64_t rss_end = RssKib();
  std::uint64_t rss_max = rss_end;  // The largest RSS sampled (once a second, and at the end).
  for (const json& sample : timeline)
    rss_max = std::max(rss_max, sample["rss_kib"].get<std::uint64_t>());
  const std::uint64_t heap_end = HeapInUseBytes() / 1024;
  const std::uint64_t requests_at_end = server.requests();
  shared.stop = true;
  for (std::thread& thread : threads) thread.join();
  const double elapsed_s = std::chrono::duration<double>(Clock::now() - start).count();
  watchdog.Stop();
  if (!rss_warm) {
    rss_warm = rss_end;
    heap_warm = heap_end;
  }

  Tally client_total;
  std::uint64_t fewest = UINT64_MAX;
  std::uint64_t most = 0;
  for (const Tally& tally : sent) {
    fewest = std::min(fewest, tally.total());
    most = std::max(most, tally.total());
    client_total.health += tally.health;
    client_total.models += tally.models;
    client_total.chat += tally.chat;
    client_total.stream += tally.stream;
  }
  const Tally server_total = server_tally.Snapshot();
  const mock::ServerStats stats = server.stats();
  const std::size_t journal_entries = server.journal().size();
  const std::uint64_t connections_opened = server.connections_opened();
  const bool all_closed = server.WaitForOpenConnectionsAtMost(0, std::chrono::seconds(10));
  const std::uint64_t open_after = server.connections_open();
  server.Stop();

  Verdict verdict;
  verdict.Check("errors", shared.failures.count() == 0,
                std::to_string(shared.failures.count()) + " wrong or failed answers");
  const bool per_path =
      client_total.health == server_total.health && client_total.models == server_total.models &&
      client_total.chat == server_total.chat && client_total.stream == server_total.stream;
  verdict.Check("journal-per-path", per_path && server_tally.other == 0,
                "sent " + client_total.ToJson().dump() + ", server counted " +
                    server_total.ToJson().dump() + " + " + std::to_string(server_tally.other) +
                    " other");
  verdict.Check("journal-total", stats.requests == client_total.total(),
                "server requests() " + std::to_string(stats.requests) + ", sent " +
                    std::to_string(client_total.total()));
  verdict.Check("server-statuses", server_tally.not_ok == 0,
                std::to_string(server_tally.not_ok.load()) + " answers other than 200");
  const std::uint64_t expected_entries =
      std::min<std::uint64_t>(stats.requests, static_cast<std::uint64_t>(journal_size));
  verdict.Check("journal-bounded",
                journal_entries == expected_entries &&
                    stats.journal_dropped == stats.requests - expected_entries,
                std::to_string(journal_entries) + " entries kept (ring of " +
                    std::to_string(journal_size) + "), " + std::to_string(stats.journal_dropped) +
                    " dropped");
  verdict.Check("connections", connections_opened == static_cast<std::uint64_t>(clients),
                std::to_string(connections_opened) + " opened for " + std::to_string(clients) +
                    " keep-alive clients");
  verdict.Check("connections-closed", all_closed,
                std::to_string(open_after) + " open after the clients closed");
  const std::uint64_t growth = rss_end > *rss_warm ? rss_end - *rss_warm : 0;
  if (SanitizedBuild()) {
    verdict.Check(
        "rss-flat", true,
        "not judged in a sanitizer build (shadow memory and quarantine); grew " + Mib(growth));
  } else {
    verdict.Check("rss-flat", growth <= kRssGrowthAllowanceKib,
                  "start " + Mib(rss_start) + ", warm " + Mib(*rss_warm) + " (at " +
                      Seconds(warm_at_s) + " s" +
                      (settled_at_warm ? "" : ", before every client had warmed up") + "), end " +
                      Mib(rss_end) + ": grew " + Mib(growth) + " after warm-up, allowed " +
                      Mib(kRssGrowthAllowanceKib));
  }

  const double rps = static_cast<double>(client_total.total()) / elapsed_s;
  std::printf("provkit-stress load: %lld clients, %lld s (elapsed %.1f s), load average %s\n",
              static_cast<long long>(clients), static_cast<long long>(seconds), elapsed_s,
              load_before.c_str());
  std::printf("  requests sent: %llu (health %llu, models %llu, chat %llu, stream %llu), %.0f/s\n",
              static_cast<unsigned long long>(client_total.total()),
              static_cast<unsigned long long>(client_total.health),
              static_cast<unsigned long long>(client_total.models),
              static_cast<unsigned long long>(client_total.chat),
              static_cast<unsigned long long>(client_total.stream), rps);
  std::printf("  per client: fewest %llu, most %llu requests\n",
              static_cast<unsigned long long>(fewest), static_cast<unsigned long long>(most));
  std::printf("  RSS: start %s, warm %s, end %s, max sampled %s; heap in use: warm %s, end %s\n",
              Mib(rss_start).c_str(), Mib(*rss_warm).c_str(), Mib(rss_end).c_str(),
              Mib(rss_max).c_str(), Mib(heap_warm).c_str(), Mib(heap_end).c_str());
  verdict.Print(stdout);
  for (const std::string& sample : shared.failures.samples())
    std::printf("  error: %s\n", sample.c_str());
  std::printf("%s\n", verdict.passed() ? "PASS" : "FAIL");

  if (!json_path.empty()) {
    json counted_by_server = server_total.ToJson();
    counted_by_server["other"] = server_tally.other.load();
    counted_by_server["not_200"] = server_tally.not_ok.load();
    json report = {
        {"mode", "load"},
        {"command", command},
        {"passed", verdict.passed()},
        {"load_average_before", load_before},
        {"sanitized_build", SanitizedBuild()},
        {"clients", clients},
        {"seconds", seconds},
        {"elapsed_s", elapsed_s},
        {"requests_per_s", rps},
        {"requests_sent", client_total.ToJson()},
        {"requests_per_client", {{"fewest", fewest}, {"most", most}}},
        {"requests_counted_by_server", counted_by_server},
        {"errors", shared.failures.count()},
        {"error_samples", shared.failures.samples()},
        {"connections_opened", connections_opened},
        {"connections_open_after", open_after},
        {"journal",
         {{"capacity", journal_size},
          {"entries", journal_entries},
          {"dropped", stats.journal_dropped},
          {"full_at_warm", requests_at_warm >= static_cast<std::uint64_t>(journal_size)}}},
        {"rss_kib",
         {{"start", rss_start},
          {"warm", *rss_warm},
          {"end", rss_end},
          {"max_sampled", rss_max},
          {"warm_at_s", warm_at_s},
          {"settled_at_warm", settled_at_warm},
          {"requests_at_warm", requests_at_warm},
          {"requests_at_end", requests_at_end},
          {"growth_after_warm", growth},
          {"growth_allowed", kRssGrowthAllowanceKib}}},
        {"heap_in_use_kib", {{"warm", heap_warm}, {"end", heap_end}}},
        {"rss_timeline", std::move(timeline)},
        {"checks", verdict.ToJson()},
    };
    if (!WriteJson(json_path, report, "load")) return kExitFail;
  }
  return verdict.passed() ? kExitPass : kExitFail;
}

}  // namespace provkit::stress
