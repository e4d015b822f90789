// Tests of /metrics: Prometheus text exposition format 0.0.4, checked by a strict parser written
// here, and the counts after a known mix of plain, streamed, faulted and unknown-path requests.
#include "metrics.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace provkit::mock {
namespace {

using namespace std::chrono_literals;
using testing::ChatBody;
using testing::ClientOf;
using testing::DataEvents;
using testing::Timing;
using Labels = std::map<std::string, std::string>;

// ---- A strict parser of the Prometheus text exposition format 0.0.4 -----------------------------

struct Sample {
  std::string name;
  Labels labels;
  double value = 0;
};

struct Family {
  std::string type = "untyped";
  std::optional<std::string> help;
  std::vector<Sample> samples;
};

struct Exposition {
  std::map<std::string, Family> families;
  /// The value of the sample `name` with exactly `labels`, or nullopt.
  std::optional<double> Value(const std::string& name, const Labels& labels = {}) const {
    for (const auto& [family_name, family] : families) {
      for (const Sample& sample : family.samples) {
        if (sample.name == name && sample.labels == labels) return sample.value;
      }
    }
    return std::nullopt;
  }
  const std::vector<Sample>& Samples(const std::string& family) const {
    return families.at(family).samples;
  }
};

class ExpositionParser {
 public:
  explicit ExpositionParser(std::string_view text) : text_(text) {}

  Exposition Parse() {
    if (!text_.empty() && text_.back() != '\n') Fail("the last line does not end with \\n");
    std::size_t start = 0;
    while (start < text_.size()) {
      const std::size_t end = text_.find('\n', start);
      ++line_;
      ParseLine(text_.substr(start, end - start));
      start = end + 1;
    }
    for (const auto& [name, family] : out_.families) CheckFamily(name, family);
    return out_;
  }

 private:
  [[noreturn]] void Fail(const std::string& message) const {
    throw std::runtime_error("line " + std::to_string(line_) + ": " + message);
  }

  static bool IsMetricName(std::string_view name) {
    if (name.empty()) return false;
    for (std::size_t i = 0; i < name.size(); ++i) {
      const char c = name[i];
      const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
      if (!letter && !(i > 0 && c >= '0' && c <= '9')) return false;
    }
    return true;
  }

  static bool IsLabelName(std::string_view name) {
    return IsMetricName(name) && name.find(':') == std::string_view::npos;
  }

  double ParseValue(std::string_view text) const {
    if (text == "+Inf" || text == "Inf") return INFINITY;
    if (text == "-Inf") return -INFINITY;
    if (text == "NaN") return NAN;
    if (text.empty()) Fail("missing value");
    for (const char c : text) {
      if (std::string_view("0123456789+-.eE").find(c) == std::string_view::npos)
        Fail("bad value '" + std::string(text) + "'");
    }
    const std::string copy(text);
    char* end = nullptr;
    errno = 0;
    const double value = std::strtod(copy.c_str(), &end);
    if (end != copy.c_str() + copy.size() || errno != 0)
      Fail("bad value '" + std::string(text) + "'");
    return value;
  }

  /// The family a sample called `name` belongs to: its TYPEd family, or the histogram whose
  /// _bucket, _sum or _count it is.
  std::string FamilyOf(const std::string& name) const {
    for (const std::string_view suffix : {"_bucket", "_sum", "_count"}) {
      if (name.size() > suffix.size() &&
          name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
        const std::string base = name.substr(0, name.size() - suffix.size());
        const auto found = out_.families.find(base);
        if (found != out_.families.end() && found->second.type == "histogram") return base;
      }
    }
    return name;
  }

  /// A family's lines form one group: once another family's lines begin, it may not come back.
  Family& Enter(const std::string& name) {
    if (name != current_) {
      if (closed_.count(name) != 0) Fail("the lines of " + name + " are not one group");
      if (!current_.empty()) closed_.insert(current_);
      current_ = name;
    }
    return out_.families[name];
  }

  void ParseComment(std::string_view line) {
    std::string_view rest = line.substr(1);
    if (rest.empty() || rest.front() != ' ') return;  // a plain comment
    rest.remove_prefix(1);
    const bool help = rest.substr(0, 5) == "HELP ";
    const bool type = rest.substr(0, 5) == "TYPE ";
    if (!help && !type) return;
    rest.remove_prefix(5);
    const std::size_t space = rest.find(' ');
    const std::string name(rest.substr(0, space));
    if (!IsMetricName(name)) Fail("bad metric name '" + name + "' in a comment");
    const std::string_view value =
        space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
    if (out_.families.count(name) != 0 && !out_.families[name].samples.empty())
      Fail(std::string(help ? "HELP" : "TYPE") + " of " + name + " after its samples");
    Family& family = Enter(name);
    if (help) {
      if (family.help) Fail("a second HELP for " + name);
      std::string text;
      for (std::size_t i = 0; i < value.size(); ++i) {
        if (value[i] != '\\') {
          text += value[i];
          continue;
        }
        if (++i == value.size()) Fail("a HELP ends in a backslash");
        if (value[i] == '\\') {
          text += '\\';
        } else if (value[i] == 'n') {
          text += '\n';
        } else {
          Fail("bad escape in HELP");
        }
      }
      family.help = text;
    } else {
      if (type_seen_.count(name) != 0) Fail("a second TYPE for " + name);
      static const std::set<std::string_view> kTypes = {"counter", "gauge", "histogram", "summary",
                                                        "untyped"};
      if (kTypes.count(value) == 0) Fail("unknown type '" + std::string(value) + "'");
      type_seen_.insert(name);
      family.type = std::string(value);
    }
  }

  void ParseLine(std::string_view line) {
    if (line.empty()) return;
    if (line.front() == '#') {
      ParseComment(line);
      return;
    }
    std::size_t at = 0;
    while (at < line.size() && line[at] != '{' && line[at] != ' ') ++at;
    Sample sample;
    sample.name = std::string(line.substr(0, at));
    if (!IsMetricName(sample.name)) Fail("bad metric name '" + sample.name + "'");
    if (at < line.size() && line[at] == '{') {
      ++at;
      for (;;) {
        if (at >= line.size()) Fail("unterminated label set");
        if (line[at] == '}') break;
        const std::size_t equals = line.find('=', at);
        if (equals == std::string_view::npos) Fail("a label without '='");
        const std::string label(line.substr(at, equals - at));
        if (!IsLabelName(label)) Fail("bad label name '" + label + "'");
        at = equals + 1;
        if (at >= line.size() || line[at] != '"') Fail("label value not quoted");
        ++at;
        std::string value;
        for (;;) {
          if (at >= line.size()) Fail("unterminated label value");
          const char c = line[at++];
          if (c == '"') break;
          if (c != '\\') {
            value += c;
            continue;
          }
          if (at >= line.size()) Fail("unterminated escape");
          const char escaped = line[at++];
          if (escaped == '\\' || escaped == '"') {
            value += escaped;
          } else if (escaped == 'n') {
            value += '\n';
          } else {
            Fail(std::string("bad escape \\") + escaped + " in a label value");
          }
        }
        if (!sample.labels.emplace(label, value).second) Fail("label " + label + " twice");
        if (at < line.size() && line[at] == ',')
          ++at;
        else if (at >= line.size() || line[at] != '}')
          Fail("expected ',' or '}' after a label");
      }
      ++at;  // '}'
    }
    if (at >= line.size() || line[at] != ' ') Fail("no space before the value");
    std::string_view rest = line.substr(at + 1);
    const std::size_t space = rest.find(' ');
    sample.value = ParseValue(rest.substr(0, space));
    if (space != std::string_view::npos) {
      const std::string_view timestamp = rest.substr(space + 1);
      if (timestamp.empty() || timestamp.find_first_not_of("-0123456789") != std::string_view::npos)
        Fail("bad timestamp");
    }
    const std::string family_name = FamilyOf(sample.name);
    Family& family = Enter(family_name);
    for (const Sample& other : family.samples) {
      if (other.name == sample.name && other.labels == sample.labels)
        Fail("a second sample of " + sample.name + " with the same labels");
    }
    if (family.type == "counter" && !(sample.value >= 0))
      Fail("counter " + sample.name + " is negative or NaN");
    if (family.type == "histogram" && sample.name == family_name + "_bucket" &&
        sample.labels.count("le") == 0)
      Fail("a bucket of " + family_name + " without le");
    family.samples.push_back(std::move(sample));
  }

  void CheckFamily(const std::string& name, const Family& family) {
    if (family.type != "histogram") return;
    // Per label set without le: buckets in rising le with non-decreasing counts, the last +Inf,
    // and _count equal to it.
    std::map<Labels, std::vector<std::pair<double, double>>> buckets;
    std::map<Labels, double> counts;
    std::set<Labels> sums;
    for (const Sample& sample : family.samples) {
      Labels labels = sample.labels;
      if (sample.name == name + "_bucket") {
        const double le = ParseValue(labels.at("le"));
        labels.erase("le");
        buckets[labels].emplace_back(le, sample.value);
      } else if (sample.name == name + "_count") {
        counts[labels] = sample.value;
      } else if (sample.name == name + "_sum") {
        sums.insert(labels);
      } else {
        Fail("histogram " + name + " has a sample " + sample.name);
      }
    }
    if (buckets.empty()) Fail("histogram " + name + " has no buckets");
    for (const auto& [labels, series] : buckets) {
      for (std::size_t i = 1; i < series.size(); ++i) {
        if (!(series[i].first > series[i - 1].first)) Fail(name + ": le does not rise");
        if (series[i].second < series[i - 1].second) Fail(name + ": bucket counts decrease");
      }
      if (!std::isinf(series.back().first)) Fail(name + ": no +Inf bucket");
      if (counts.count(labels) == 0 || counts[labels] != series.back().second)
        Fail(name + ": _count differs from the +Inf bucket");
      if (sums.count(labels) == 0) Fail(name + ": no _sum");
    }
  }

  std::string_view text_;
  int line_ = 0;
  Exposition out_;
  std::string current_;
  std::set<std::string> closed_;
  std::set<std::string> type_seen_;
};

Exposition ParseExposition(std::string_view text) { return ExpositionParser(text).Parse(); }

/// The parser's message for `text`, or "" when it parses.
std::string ParseError(std::string_view text) {
  try {
    ParseExposition(text);
  } catch (const std::runtime_error& error) {
    return error.what();
  }
  return "";
}

// ---- The parser itself --------------------------------------------------------------------------

constexpr char kGoodHistogram[] =
    "# HELP h A histogram.\n# TYPE h histogram\n"
    "h_bucket{le=\"0.5\"} 1\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 3\n"
    "h_sum 2.5\nh_count 3\n";

TEST(ExpositionParserTest, AcceptsWellFormedText) {
  const Exposition parsed = ParseExposition(
      std::string(kGoodHistogram) +
      "# a comment\n\n# TYPE c counter\nc{a=\"x\\\"y\\\\z\\n\",b=\"\"} 1.5e3 1700000000\n");
  EXPECT_EQ(parsed.families.at("h").type, "histogram");
  EXPECT_EQ(parsed.families.at("h").help, "A histogram.");
  EXPECT_EQ(parsed.Value("h_count"), 3);
  EXPECT_EQ(parsed.Value("c", {{"a", "x\"y\\z\n"}, {"b", ""}}), 1500);
}

TEST(ExpositionParserTest, RejectsWhatTheFormatForbids) {
  const std::string h = kGoodHistogram;
  const auto replaced = [&](const std::string& from, const std::string& to) {
    std::string text = h;
    text.replace(text.find(from), from.size(), to);
    return text;
  };
  EXPECT_THAT(ParseError("c 1"), ::testing::HasSubstr("does not end"));
  EXPECT_THAT(ParseError("1c 1\n"), ::testing::HasSubstr("bad metric name"));
  EXPECT_THAT(ParseError("c{a=\"\\t\"} 1\n"), ::testing::HasSubstr("bad escape"));
  EXPECT_THAT(ParseError("c{a=x} 1\n"), ::testing::HasSubstr("not quoted"));
  EXPECT_THAT(ParseError("c{a=\"1\",a=\"2\"} 1\n"), ::testing::HasSubstr("twice"));
  EXPECT_THAT(ParseError("c 1x\n"), ::testing::HasSubstr("bad value"));
  EXPECT_THAT(ParseError("# TYPE c counter\nc -1\n"), ::testing::HasSubstr("negative"));
  EXPECT_THAT(ParseError("# TYPE c counter\n# TYPE c gauge\n"),
              ::testing::HasSubstr("second TYPE"));
  EXPECT_THAT(ParseError("# TYPE c nonsense\n"), ::testing::HasSubstr("unknown type"));
  EXPECT_THAT(ParseError("a 1\nb 1\na{x=\"1\"} 1\n"), ::testing::HasSubstr("one group"));
  EXPECT_THAT(ParseError("c 1\nc 2\n"), ::testing::HasSubstr("same labels"));
  EXPECT_THAT(ParseError(replaced("le=\"1\"} 2", "le=\"1\"} 0")), ::testing::HasSubstr("decrease"));
  EXPECT_THAT(ParseError(replaced("le=\"+Inf\"", "le=\"2\"")), ::testing::HasSubstr("+Inf"));
  EXPECT_THAT(ParseError(replaced("h_count 3", "h_count 4")), ::testing::HasSubstr("_count"));
  EXPECT_THAT(ParseError(replaced("le=\"1\"", "le=\"0.1\"")), ::testing::HasSubstr("le does not"));
  EXPECT_THAT(ParseError(replaced("h_sum 2.5\n", "")), ::testing::HasSubstr("no _sum"));
}

// ---- The server's /metrics ----------------------------------------------------------------------

constexpr char kChat[] = "/v1/chat/completions";

std::string Scrape(httplib::Client& client, const std::string& path = "/__provkit/metrics") {
  auto answer = client.Get(path);
  if (!answer) throw std::runtime_error("no answer from " + path);
  EXPECT_EQ(answer->status, 200);
  EXPECT_EQ(answer->get_header_value("Content-Type"), kMetricsContentType);
  return answer->body;
}

double RequestSeries(const Exposition& parsed) {
  double total = 0;
  for (const Sample& sample : parsed.Samples("provkit_mock_requests_total")) total += sample.value;
  return total;
}

TEST(MetricsTest, CountsAMixOfRequestsExactly) {
  ServerOptions options;
  options.models = {"m1"};
  // Paced, so that each event is one write: the timing histograms count writes exactly.
  options.timing = Timing(4, {}, 1ms);
  Server server(options);
  auto client = ClientOf(server);
  ASSERT_EQ(client.Get("/health")->status, 200);
  for (int i = 0; i < 2; ++i)
    ASSERT_EQ(client.Post(kChat, ChatBody("m1", "hi"), "application/json")->status, 200);
  auto streamed = client.Post(kChat, ChatBody("m1", "hello there", true), "application/json");
  ASSERT_TRUE(streamed);
  const std::size_t stream_events = DataEvents(streamed->body).size();
  ASSERT_GT(stream_events, 2u);
  ASSERT_EQ(client.Get("/nope")->status, 404);
  ASSERT_EQ(client.Get("/v1/also-nope?x=1")->status, 404);
  server.SetScenario(Scenario::ModelsError(503));
  ASSERT_EQ(client.Get("/v1/models")->status, 503);
  server.SetScenario(Scenario::Healthy());

  // One keep-alive connection: its thread dropped the stream before it read the next request,
  // so the gauge is back to 0 when the scrape is answered.
  const Exposition parsed = ParseExposition(Scrape(client));
  const std::string fault(ScenarioName(ScenarioKind::kModelsError));
  EXPECT_EQ(parsed.Value("provkit_mock_requests_total",
                         {{"path", "/health"}, {"status", "200"}, {"fault", ""}}),
            1);
  EXPECT_EQ(parsed.Value("provkit_mock_requests_total",
                         {{"path", kChat}, {"status", "200"}, {"fault", ""}}),
            3);
  EXPECT_EQ(parsed.Value("provkit_mock_requests_total",
                         {{"path", "other"}, {"status", "404"}, {"fault", ""}}),
            2);
  EXPECT_EQ(parsed.Value("provkit_mock_requests_total",
                         {{"path", "/v1/models"}, {"status", "503"}, {"fault", fault}}),
            1);
  EXPECT_EQ(RequestSeries(parsed), 7) << "admin scrapes are not counted";
  EXPECT_EQ(parsed.Value("provkit_mock_streams_in_flight"), 0);
  EXPECT_EQ(parsed.Value("provkit_mock_time_to_first_token_seconds_count"), 1);
  EXPECT_EQ(parsed.Value("provkit_mock_inter_token_seconds_count"),
            static_cast<double>(stream_events - 1));
  EXPECT_GE(*parsed.Value("provkit_mock_inter_token_seconds_sum"),
            0.001 * static_cast<double>(stream_events - 1))
      << "each gap is at least the 1 ms chunk interval";
  EXPECT_EQ(parsed.Value("provkit_mock_connections_opened_total"), server.connections_opened());
  EXPECT_GE(*parsed.Value("provkit_mock_connections_open"), 1);
  for (const auto& [name, family] : parsed.families)
    EXPECT_TRUE(family.help.has_value()) << name << " has no HELP";
  EXPECT_EQ(parsed.families.at("provkit_mock_requests_total").type, "counter");
  EXPECT_EQ(parsed.families.at("provkit_mock_streams_in_flight").type, "gauge");
  EXPECT_EQ(parsed.families.at("provkit_mock_inter_token_seconds").type, "histogram");
  EXPECT_EQ(parsed.families.at("provkit_mock_connections_open").type, "gauge");
  EXPECT_EQ(parsed.families.at("provkit_mock_connections_opened_total").type, "counter");

  // The root /metrics serves the same text and is not counted either.
  const Exposition root = ParseExposition(Scrape(client, "/metrics"));
  EXPECT_EQ(RequestSeries(root), 7);
  EXPECT_EQ(server.journal().size(), 7u) << "scrapes are not journalled";
}

TEST(MetricsTest, AStreamCutByAFaultIsCountedWithItsFault) {
  ServerOptions options;
  options.models = {"m1"};
  options.timing = Timing(2, {}, 1ms);
  options.scenario = Scenario::StreamDrop(2);
  Server server(options);
  auto client = ClientOf(server);
  auto cut = client.Post(kChat, ChatBody("m1", "hello there", true), "application/json");
  (void)cut;  // the connection is closed mid-stream: the client may see an error
  ASSERT_TRUE(server.WaitForRequests(1, 5s));
  // The server counts the connection closed after it has dropped the stream.
  client.stop();
  ASSERT_TRUE(server.WaitForOpenConnectionsAtMost(0, 5s));
  auto scraper = ClientOf(server);
  const Exposition parsed = ParseExposition(Scrape(scraper));
  const std::string fault(ScenarioName(ScenarioKind::kStreamDrop));
  EXPECT_EQ(parsed.Value("provkit_mock_requests_total",
                         {{"path", kChat}, {"status", "200"}, {"fault", fault}}),
            1);
  EXPECT_EQ(RequestSeries(parsed), 1);
  EXPECT_EQ(parsed.Value("provkit_mock_streams_in_flight"), 0);
  EXPECT_EQ(parsed.Value("provkit_mock_time_to_first_token_seconds_count"), 1);
}

TEST(MetricsTest, UnknownPathsShareOneLabelValue) {
  Server server;
  auto client = ClientOf(server);
  for (int i = 0; i < 50; ++i) ASSERT_EQ(client.Get("/scan/" + std::to_string(i))->status, 404);
  ASSERT_EQ(client.Get("/a\"b\\c")->status, 404);
  const Exposition parsed = ParseExposition(Scrape(client));
  ASSERT_EQ(parsed.Samples("provkit_mock_requests_total").size(), 1u);
  EXPECT_EQ(parsed.Value("provkit_mock_requests_total",
                         {{"path", "other"}, {"status", "404"}, {"fault", ""}}),
            51);
}

TEST(MetricsTest, LabelValuesAreEscaped) {
  EXPECT_EQ(EscapeLabelValue("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
  Metrics metrics({"/x\"\\\n"});
  metrics.CountRequest("/x\"\\\n", 200, "");
  const Exposition parsed = ParseExposition(metrics.Render({}));
  EXPECT_EQ(parsed.Value("provkit_mock_requests_total",
                         {{"path", "/x\"\\\n"}, {"status", "200"}, {"fault", ""}}),
            1);
}

TEST(MetricsTest, HistogramBucketsAreCumulative) {
  Metrics metrics({});
  {
    Metrics::StreamProbe probe(&metrics, Metrics::Clock::now() - 2s);
    probe.Wrote();  // about 2 s after arrival
    probe.Wrote();  // at once after the first
    const Exposition during = ParseExposition(metrics.Render({}));
    EXPECT_EQ(during.Value("provkit_mock_streams_in_flight"), 1);
  }
  const Exposition parsed =
      ParseExposition(metrics.Render({.open = 3, .opened = 4, .refused_at_limit = 2}));
  EXPECT_EQ(parsed.Value("provkit_mock_streams_in_flight"), 0);
  const std::string ttft = "provkit_mock_time_to_first_token_seconds";
  EXPECT_EQ(parsed.Value(ttft + "_bucket", {{"le", "1"}}), 0);
  EXPECT_EQ(parsed.Value(ttft + "_bucket", {{"le", "2.5"}}), 1);
  EXPECT_EQ(parsed.Value(ttft + "_bucket", {{"le", "+Inf"}}), 1);
  EXPECT_GE(*parsed.Value(ttft + "_sum"), 2.0);
  EXPECT_EQ(parsed.Value("provkit_mock_inter_token_seconds_bucket", {{"le", "1"}}), 1);
  EXPECT_EQ(parsed.Value("provkit_mock_connections_open"), 3);
  EXPECT_EQ(parsed.Value("provkit_mock_connections_opened_total"), 4);
  EXPECT_EQ(
      parsed.Value("provkit_mock_connections_refused_total", {{"reason", "connection_limit"}}), 2);
  EXPECT_EQ(parsed.Value("provkit_mock_connections_refused_total", {{"reason", "header_timeout"}}),
            0);
}

TEST(MetricsTest, TheLlamaCppProfileKeepsItsOwnMetricsAnswer) {
  ServerOptions options;
  options.profile = Profile::kLlamaCpp;
  Server server(options);
  auto client = ClientOf(server);
  auto own = client.Get("/metrics");
  ASSERT_TRUE(own);
  EXPECT_EQ(own->status, 501);
  const Exposition parsed = ParseExposition(Scrape(client));
  EXPECT_EQ(parsed.Value("provkit_mock_requests_total",
                         {{"path", "/metrics"}, {"status", "501"}, {"fault", ""}}),
            1);
}

}  // namespace
}  // namespace provkit::mock
