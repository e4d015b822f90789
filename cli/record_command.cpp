// provkit record: a recording proxy in front of a real server; SIGINT or SIGTERM writes the
// cassette `provkit mock --replay` answers from.
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <system_error>

#include "commands.hpp"
#include "provkit/mockserver/config.hpp"
#include "provkit/mockserver/recorder.hpp"
#include "provkit/support/clip.hpp"
#include "provkit/support/redact.hpp"

namespace provkit::cli {
namespace {

constexpr char kDescription[] =
    "Runs a recording proxy in front of a real server until SIGINT or SIGTERM, then\n"
    "writes every complete exchange to a cassette (JSON Lines, docs/mockserver.md):\n"
    "method, path, request body, status, headers, the body, streams chunk by chunk\n"
    "with their time offsets. API keys are replaced before anything is written. The\n"
    "first line on stdout is the proxy's URL: point your client there.";

constexpr char kEpilogue[] =
    "example:\n"
    "  provkit record --upstream http://127.0.0.1:8080 --out llama.jsonl --server llama.cpp\n"
    "  provkit mock --replay llama.jsonl --replay-strict";

struct Flags {
  std::string upstream;
  std::string out = "provkit-cassette.jsonl";
  std::string host = "127.0.0.1";
  int port = 0;
  std::string server = "unknown";
  std::string situation = "recorded";
  std::string description;
  bool quiet = false;
};

support::FlagParser MakeParser(Flags& flags) {
  support::FlagParser parser = NewFlagParser("provkit record", "--upstream URL [options]");
  parser.Description(kDescription)
      .Epilogue(kEpilogue)
      .String({.name = "upstream",
               .value_name = "URL",
               .help = "the real server's root, e.g. http://127.0.0.1:8080 (required)",
               .non_empty = true},
              &flags.upstream)
      .String({.name = "out",
               .value_name = "FILE",
               .help = "the cassette to write (default provkit-cassette.jsonl)",
               .non_empty = true},
              &flags.out)
      .String({.name = "host", .value_name = "H", .help = "address to bind (default 127.0.0.1)"},
              &flags.host)
      .Int({.name = "port", .value_name = "P", .help = "port to bind (default 0: a free port)"},
           &flags.port, 0, 65535)
      .String({.name = "server",
               .value_name = "NAME",
               .help = "the server recorded, for the cassette's header (e.g. llama.cpp)"},
              &flags.server)
      .String({.name = "situation",
               .value_name = "WORDS",
               .help = "the state it was in (default recorded)"},
              &flags.situation)
      .String({.name = "description", .value_name = "TEXT", .help = "free text for the header"},
              &flags.description)
      .Bool({.name = "quiet", .help = "say nothing but the URL", .short_name = 'q'}, &flags.quiet);
  return parser;
}

}  // namespace

int RecordCommand(int argc, char** argv) {
  Flags flags;
  support::FlagParser parser = MakeParser(flags);
  if (const std::optional<int> exit = parser.ParseOrExit(argc, argv, std::cout, std::cerr)) {
    return *exit;
  }
  if (flags.upstream.empty())
    return parser.PrintUsageError("--upstream URL is required", std::cerr);
  if (flags.upstream.find('@') != std::string::npos ||
      flags.upstream.find('?') != std::string::npos) {
    return parser.PrintUsageError(
        "--upstream '" + support::RedactUrls(flags.upstream) +
            "': credentials and queries in the URL are not forwarded; the client's own "
            "Authorization header is (and is replaced in the cassette)",
        std::cerr);
  }
  // Refuse an unwritable cassette now, not after the whole recording session. Save() writes a
  // temporary file beside it and renames it, so the directory must be writable.
  const std::filesystem::path out(flags.out);
  const std::filesystem::path dir = out.parent_path().empty() ? "." : out.parent_path();
  std::error_code ignored;
  const int problem = !std::filesystem::exists(dir, ignored)         ? ENOENT
                      : !std::filesystem::is_directory(dir, ignored) ? ENOTDIR
                      : std::filesystem::is_directory(out, ignored)  ? EISDIR
                      : access(dir.c_str(), W_OK) != 0               ? errno
                                                                     : 0;
  if (problem != 0) {
    return parser.PrintUsageError("--out '" + support::ClipPrintable(flags.out, 300) +
                                      "': cannot write there (" + std::strerror(problem) + ")",
                                  std::cerr);
  }

  mock::RecorderOptions options;
  options.upstream = flags.upstream;
  options.host = flags.host;
  options.port = flags.port;
  options.server = flags.server;
  options.situation = flags.situation;
  options.description = flags.description;

  // Only the sigwait below sees the stop signals: block them before any thread starts.
  const sigset_t stop_signals = BlockStopSignals();

  std::optional<mock::RecordingProxy> proxy;
  try {
    proxy.emplace(std::move(options));
  } catch (const mock::ConfigError& error) {
    return parser.PrintUsageError(error.what(), std::cerr);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "provkit record: %s\n", error.what());
    return kExitUsage;
  }
  std::printf("%s\n", proxy->url().c_str());
  std::fflush(stdout);
  if (!flags.quiet) {
    std::fprintf(stderr, "provkit record: forwarding to %s; stop with Ctrl-C to write %s\n",
                 support::ClipPrintable(flags.upstream, 300).c_str(),
                 support::ClipPrintable(flags.out, 300).c_str());
  }
  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  proxy->Stop();
  try {
    proxy->Save(flags.out);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "provkit record: %s\n", error.what());
    return kExitFailure;
  }
  if (!flags.quiet) {
    std::fprintf(stderr, "provkit record: %s: wrote %zu exchange(s) to %s\n",
                 signal_number == SIGINT ? "SIGINT" : "SIGTERM", proxy->recorded(),
                 support::ClipPrintable(flags.out, 300).c_str());
  }
  return kExitOk;
}

}  // namespace provkit::cli
