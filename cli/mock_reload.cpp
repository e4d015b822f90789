// provkit mock --config: reloading the config file into a running server.
#include "mock_reload.hpp"

#include <sys/stat.h>

#include <cstdio>
#include <exception>
#include <nlohmann/json.hpp>

#include "provkit/support/clip.hpp"

namespace provkit::cli {
namespace {

std::string Joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

/// The settings a running server takes through its setters, applied when they changed.
void ApplyLive(const mock::ServerOptions& before, const mock::ServerOptions& after,
               mock::Server& server, ReloadReport& report) {
  if (mock::ToJson(before.scenario) != mock::ToJson(after.scenario)) {
    server.SetScenario(after.scenario);
    report.applied.emplace_back("scenario");
  }
  if (mock::ToJson(before.script) != mock::ToJson(after.script)) {
    server.SetScript(after.script);
    report.applied.emplace_back("script");
  }
  if (mock::ToJson(before.timing) != mock::ToJson(after.timing)) {
    server.SetTiming(after.timing);
    report.applied.emplace_back("timing");
  }
  if (before.profile != after.profile) {
    server.SetProfile(after.profile);
    report.applied.emplace_back("profile");
  }
  if (before.models != after.models) {
    server.SetModels(after.models);
    report.applied.emplace_back("models");
  }
}

/// The settings fixed once the server runs: named (never shown: one is a token) when changed.
std::vector<std::string> NeedRestart(const mock::ServerOptions& before,
                                     const mock::ServerOptions& after) {
  std::vector<std::string> names;
  const auto check = [&names](bool changed, const char* name) {
    if (changed) names.emplace_back(name);
  };
  check(before.host != after.host, "host");
  check(before.port != after.port, "port");
  check(before.base_path != after.base_path, "base_path");
  check(before.threads != after.threads, "threads");
  check(before.max_connections != after.max_connections, "max_connections");
  check(before.header_timeout != after.header_timeout, "header_timeout_ms");
  check(before.keep_alive_timeout != after.keep_alive_timeout, "keep_alive_s");
  check(before.journal_size != after.journal_size, "journal_size");
  check(before.journal_body_limit != after.journal_body_limit, "journal_body_limit");
  check(before.max_request_bytes != after.max_request_bytes, "max_request_bytes");
  check(before.max_header_bytes != after.max_header_bytes, "max_header_bytes");
  check(before.listen_delay != after.listen_delay, "listen_delay_ms");
  check(before.model_load_time != after.model_load_time, "model_load_time_ms");
  check(before.created != after.created, "created");
  check(before.admin_token != after.admin_token, "admin_token");
  return names;
}

}  // namespace

ConfigReloader::ConfigReloader(std::filesystem::path file,
                               std::function<mock::ServerOptions()> load,
                               mock::ServerOptions started)
    : file_(std::move(file)), load_(std::move(load)), current_(std::move(started)) {
  current_.on_request = nullptr;
  current_.replay.reset();
  seen_ = Look();
}

ConfigReloader::Signature ConfigReloader::Look() const {
  struct stat info {};
  if (::stat(file_.c_str(), &info) != 0) return {};
  return {true, info.st_ino, static_cast<std::uintmax_t>(info.st_size),
          static_cast<std::int64_t>(info.st_mtim.tv_sec) * 1000000000 + info.st_mtim.tv_nsec};
}

void ConfigReloader::Poll(mock::Server& server) {
  const Signature now = Look();
  if (now == seen_) return;
  Reload(server, "file changed");
}

ReloadReport ConfigReloader::Reload(mock::Server& server, std::string_view why) {
  seen_ = Look();
  ReloadReport report;
  const std::string file = support::ClipPrintable(file_.string(), 300);
  try {
    if (!seen_.exists) throw mock::ConfigError("cannot read the config file", {}, file_.string());
    if (seen_.size > kMaxBytes) {
      throw mock::ConfigError(
          "the config file is larger than " + std::to_string(kMaxBytes >> 20) + " MiB", {},
          file_.string());
    }
    mock::ServerOptions next = load_();
    next.on_request = nullptr;
    next.replay.reset();
    ApplyLive(current_, next, server, report);
    report.restart = NeedRestart(current_, next);
    current_ = std::move(next);
    report.ok = true;
  } catch (const std::exception& error) {
    // Parts applied before a setter refused the rest stay applied (setters validate first).
    report.error = support::ClipPrintable(error.what(), 1000);
  }
  if (!report.ok) {
    std::fprintf(stderr, "provkit mock: reload (%.*s) failed, keeping the previous config: %s\n",
                 static_cast<int>(why.size()), why.data(), report.error.c_str());
  } else {
    std::string line = "provkit mock: reloaded " + file + " (" + std::string(why) + "): ";
    line += report.applied.empty() ? "nothing to apply" : "applied " + Joined(report.applied);
    if (!report.restart.empty())
      line += "; " + Joined(report.restart) + " changed, needs a restart (ignored)";
    std::fprintf(stderr, "%s\n", line.c_str());
  }
  return report;
}

}  // namespace provkit::cli
