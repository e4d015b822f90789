// Metrics: counting requests, streams and token timings, and rendering them in Prometheus text
// exposition format 0.0.4.
#include "metrics.hpp"

#include <algorithm>
#include <charconv>

namespace provkit::mock {
namespace {

constexpr std::string_view kOtherPath = "other";

/// The shortest text that reads back as `value` ("0.005", not "0.0050000000000000001").
std::string FormatDouble(double value) {
  char buffer[64];
  const auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return error == std::errc() ? std::string(buffer, end) : std::string("NaN");
}

void Header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

}  // namespace

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void DurationHistogram::Observe(std::chrono::nanoseconds duration) noexcept {
  const auto nanos = std::max<std::int64_t>(duration.count(), 0);
  const double seconds = static_cast<double>(nanos) / 1e9;
  const auto bucket = static_cast<std::size_t>(
      std::lower_bound(kBounds.begin(), kBounds.end(), seconds) - kBounds.begin());
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_nanos_.fetch_add(static_cast<std::uint64_t>(nanos), std::memory_order_relaxed);
}

void DurationHistogram::Render(std::string_view name, std::string& out) const {
  // Counts are read once each, so that the buckets, +Inf and _count agree within one scrape.
  std::array<std::uint64_t, kBounds.size() + 1> counts{};
  for (std::size_t i = 0; i < counts.size(); ++i)
    counts[i] = counts_[i].load(std::memory_order_relaxed);
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i <= kBounds.size(); ++i) {
    cumulative += counts[i];
    const std::string le = i < kBounds.size() ? FormatDouble(kBounds[i]) : "+Inf";
    out.append(name).append("_bucket{le=\"").append(le).append("\"} ");
    out.append(std::to_string(cumulative)).append("\n");
  }
  const double sum = static_cast<double>(sum_nanos_.load(std::memory_order_relaxed)) / 1e9;
  out.append(name).append("_sum ").append(FormatDouble(sum)).append("\n");
  out.append(name).append("_count ").append(std::to_string(cumulative)).append("\n");
}

Metrics::Metrics(std::vector<std::string> known_paths) : known_paths_(std::move(known_paths)) {
  std::sort(known_paths_.begin(), known_paths_.end());
  known_paths_.erase(std::unique(known_paths_.begin(), known_paths_.end()), known_paths_.end());
}

std::size_t Metrics::PathIndex(std::string_view path) const {
  const auto found = std::lower_bound(known_paths_.begin(), known_paths_.end(), path);
  if (found != known_paths_.end() && *found == path)
    return static_cast<std::size_t>(found - known_paths_.begin());
  return known_paths_.size();
}

void Metrics::CountRequest(std::string_view path, int status, std::string_view fault) {
  const std::size_t index = PathIndex(path);
  std::lock_guard lock(mutex_);
  ++requests_[{index, status, fault}];
}

Metrics::StreamProbe::StreamProbe(Metrics* metrics, Clock::time_point arrival)
    : metrics_(metrics), last_(arrival) {
  if (metrics_ != nullptr) metrics_->streams_in_flight_.fetch_add(1, std::memory_order_relaxed);
}

Metrics::StreamProbe::~StreamProbe() {
  if (metrics_ != nullptr) metrics_->streams_in_flight_.fetch_sub(1, std::memory_order_relaxed);
}

void Metrics::StreamProbe::Wrote() {
  if (metrics_ == nullptr) return;
  const Clock::time_point now = Clock::now();
  (first_ ? metrics_->first_token_ : metrics_->inter_token_).Observe(now - last_);
  first_ = false;
  last_ = now;
}

std::string Metrics::Render(const ConnectionFigures& connections) const {
  std::string out;
  out.reserve(4096);
  Header(out, "provkit_mock_requests_total", "counter",
         "Requests answered, by route path (\"other\" for paths no route serves), status (0: "
         "not answered) and fault.");
  {
    std::lock_guard lock(mutex_);
    for (const auto& [key, count] : requests_) {
      const auto& [index, status, fault] = key;
      const std::string_view path =
          index < known_paths_.size() ? std::string_view(known_paths_[index]) : kOtherPath;
      out.append("provkit_mock_requests_total{path=\"").append(EscapeLabelValue(path));
      out.append("\",status=\"").append(std::to_string(status));
      out.append("\",fault=\"").append(EscapeLabelValue(fault)).append("\"} ");
      out.append(std::to_string(count)).append("\n");
    }
  }
  Header(out, "provkit_mock_streams_in_flight", "gauge", "Event streams being sent now.");
  out.append("provkit_mock_streams_in_flight ")
      .append(std::to_string(streams_in_flight_.load(std::memory_order_relaxed)))
      .append("\n");
  Header(out, "provkit_mock_time_to_first_token_seconds", "histogram",
         "Seconds from a streamed request's arrival to the first chunk written, measured by the "
         "server.");
  first_token_.Render("provkit_mock_time_to_first_token_seconds", out);
  Header(out, "provkit_mock_inter_token_seconds", "histogram",
         "Seconds between successive chunks written on a stream, measured by the server.");
  inter_token_.Render("provkit_mock_inter_token_seconds", out);
  Header(out, "provkit_mock_connections_open", "gauge", "TCP connections open now.");
  out.append("provkit_mock_connections_open ")
      .append(std::to_string(connections.open))
      .append("\n");
  Header(out, "provkit_mock_connections_opened_total", "counter",
         "TCP connections accepted since the server started.");
  out.append("provkit_mock_connections_opened_total ")
      .append(std::to_string(connections.opened))
      .append("\n");
  Header(out, "provkit_mock_connections_refused_total", "counter",
         "Connections the server answered itself and closed, by reason: connection_limit (503), "
         "header_timeout (408), headers_too_large (431).");
  const std::pair<std::string_view, std::uint64_t> refused[] = {
      {"connection_limit", connections.refused_at_limit},
      {"header_timeout", connections.header_timeouts},
      {"headers_too_large", connections.headers_too_large}};
  for (const auto& [reason, count] : refused) {
    out.append("provkit_mock_connections_refused_total{reason=\"").append(reason).append("\"} ");
    out.append(std::to_string(count)).append("\n");
  }
  return out;
}

}  // namespace provkit::mock
