// Replay: the responder that answers from a cassette before the route's handler.
#include "replay.hpp"

#include <nlohmann/json.hpp>

namespace provkit::mock {
namespace {

using nlohmann::json;

std::string TextOf(const json& content) {
  if (content.is_string()) return content.get<std::string>();
  std::string text;
  if (content.is_array()) {
    for (const json& part : content) {
      if (part.is_object() && part.contains("text") && part["text"].is_string()) {
        if (!text.empty()) text += ' ';
        text += part["text"].get<std::string>();
      }
    }
  }
  return text;
}

std::string Quoted(const std::optional<std::string>& value) {
  if (!value) return "none";
  std::string text = *value;
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return json(text).dump(-1, ' ', false, json::error_handler_t::replace);
}

bool HopByHop(const std::string& name) {
  std::string lower;
  for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower == "content-type" || lower == "content-length" || lower == "transfer-encoding" ||
         lower == "connection" || lower == "keep-alive" || lower == "date";
}

/// A recorded stream, event by event, with the recorded pauses (scaled by `speed`).
class RecordedStream final : public EventSource {
 public:
  RecordedStream(const RecordedExchange& exchange, double speed)
      : chunks_(exchange.chunks), complete_(exchange.complete), speed_(speed) {
    for (const RecordedChunk& chunk : chunks_) {
      if (chunk.text.rfind("data:", 0) == 0 && chunk.text.rfind("data: ", 0) != 0)
        prefix_ = "data:";
    }
  }

  Step Next(std::string& out) override {
    if (next_ >= chunks_.size()) {
      if (!complete_ && !dropped_) {
        dropped_ = true;
        return Step::kDrop;
      }
      return Step::kEnd;
    }
    out += chunks_[next_++].text;
    return Step::kEvent;
  }
  bool AtTerminator() const override {
    return next_ >= chunks_.size() || chunks_[next_].text.find("[DONE]") != std::string::npos;
  }
  void AppendData(std::string& out, std::string_view payload) const override {
    out += prefix_;
    out += payload;
    out += "\n\n";
  }
  std::string TruncatedPayload() const override {
    return R"({"choices":[{"delta":{"content":"trunc)";
  }
  std::string WrongShapePayload() const override {
    return R"({"object":"chat.completion.chunk","choices":"none"})";
  }
  std::optional<std::chrono::microseconds> NextDelay() const override {
    if (speed_ <= 0) return std::chrono::microseconds(0);
    if (next_ >= chunks_.size() || !chunks_[next_].t_ms) return std::nullopt;
    const double previous = next_ == 0 ? 0.0 : chunks_[next_ - 1].t_ms.value_or(0.0);
    const double pause_ms = std::max(0.0, *chunks_[next_].t_ms - previous) / speed_;
    return std::chrono::microseconds(static_cast<long long>(pause_ms * 1000.0));
  }

 private:
  std::vector<RecordedChunk> chunks_;
  bool complete_;
  double speed_;
  std::string prefix_ = "data: ";
  std::size_t next_ = 0;
  bool dropped_ = false;
};

}  // namespace

ReplayKey KeyOfRequest(const std::string& method, const std::string& path, const std::string& query,
                       const std::string& body) {
  ReplayKey key{method, path, query, std::nullopt, std::nullopt, false, std::nullopt};
  if (body.empty()) return key;
  const json document = json::parse(body, nullptr, false);
  if (document.is_discarded() || !document.is_object()) {
    key.raw_body = body;
    return key;
  }
  if (const auto model = document.find("model"); model != document.end() && model->is_string())
    key.model = model->get<std::string>();
  if (const auto messages = document.find("messages");
      messages != document.end() && messages->is_array() && !messages->empty()) {
    const json& last = messages->back();
    if (last.is_object() && last.contains("content")) key.last_message = TextOf(last["content"]);
  } else if (const auto prompt = document.find("prompt");
             prompt != document.end() && prompt->is_string()) {
    key.last_message = prompt->get<std::string>();
  }
  if (const auto stream = document.find("stream"); stream != document.end() && stream->is_boolean())
    key.stream = stream->get<bool>();
  return key;
}

ReplayResponder::ReplayResponder(ReplayOptions options)
    : options_(std::move(options)), used_(options_.cassette.exchanges.size(), false) {
  for (const RecordedExchange& recorded : options_.cassette.exchanges) {
    keys_.push_back(KeyOfRequest(recorded.method, recorded.path, recorded.query,
                                 recorded.request_body.value_or("")));
  }
}

const RecordedExchange* ReplayResponder::Take(const ReplayKey& key) const {
  std::lock_guard lock(mutex_);
  std::optional<std::size_t> last;
  for (std::size_t i = 0; i < keys_.size(); ++i) {
    const ReplayKey& recorded = keys_[i];
    if (recorded.method != key.method || recorded.path != key.path || recorded.query != key.query ||
        recorded.model != key.model || recorded.last_message != key.last_message ||
        recorded.stream != key.stream || recorded.raw_body != key.raw_body)
      continue;
    if (!used_[i]) {
      used_[i] = true;
      return &options_.cassette.exchanges[i];
    }
    last = i;
  }
  return last ? &options_.cassette.exchanges[*last] : nullptr;
}

Body ReplayResponder::Mismatch(const ReplayKey& key) const {
  std::string message = "no recorded exchange matches " + key.method + " " + key.path +
                        (key.query.empty() ? "" : "?" + key.query) + " (model " +
                        Quoted(key.model) + ", last message " + Quoted(key.last_message) +
                        ", stream " + (key.stream ? "true" : "false") + ")";
  int best_score = -1;
  std::size_t best = 0;
  for (std::size_t i = 0; i < keys_.size(); ++i) {
    const ReplayKey& recorded = keys_[i];
    const int score = 4 * (recorded.path == key.path) + 3 * (recorded.method == key.method) +
                      2 * (recorded.model == key.model) +
                      2 * (recorded.last_message == key.last_message) +
                      (recorded.stream == key.stream) + (recorded.query == key.query);
    if (score > best_score) {
      best_score = score;
      best = i;
    }
  }
  if (best_score >= 0) {
    const ReplayKey& closest = keys_[best];
    std::string differs;
    const auto add = [&differs](const std::string& what) {
      differs += (differs.empty() ? "" : "; ") + what;
    };
    if (closest.method != key.method) add("method " + closest.method);
    if (closest.path != key.path) add("path " + closest.path);
    if (closest.query != key.query) add("query \"" + closest.query + "\"");
    if (closest.model != key.model) add("model " + Quoted(closest.model));
    if (closest.last_message != key.last_message)
      add("last message " + Quoted(closest.last_message));
    if (closest.stream != key.stream)
      add(std::string("stream ") + (closest.stream ? "true" : "false"));
    if (closest.raw_body != key.raw_body) add("the body");
    message +=
        "; closest recording: " + options_.cassette.exchanges[best].id + " (" + differs + ")";
  } else {
    message += "; the cassette is empty";
  }
  const json body = {{"error", {{"message", message}, {"type", "replay_no_match"}, {"code", 404}}}};
  return {404, "application/json", body.dump(-1, ' ', false, json::error_handler_t::replace)};
}

std::optional<Plan> ReplayResponder::Answer(Exchange& exchange,
                                            const Checkpoint& checkpoint) const {
  const auto& request = exchange.request();
  std::string query;
  const std::size_t mark = request.target.find('?');
  if (mark != std::string::npos) query = request.target.substr(mark + 1);
  const ReplayKey key = KeyOfRequest(request.method, request.path, query, request.body);
  const RecordedExchange* recorded = Take(key);
  if (recorded == nullptr) {
    if (!options_.strict) return std::nullopt;
    return Plan::Of(Mismatch(key), true);
  }
  if (auto plan = checkpoint(Stage::kValidated)) return plan;
  exchange.set_resolved_model(key.model.value_or(""));
  if (auto plan = checkpoint(Stage::kResolved)) return plan;

  Plan plan;
  if (recorded->stream) {
    plan.kind = Plan::Kind::kStream;
    plan.stream = std::make_shared<RecordedStream>(*recorded, options_.speed);
    plan.timing = exchange.snapshot().timing;
    return plan;
  }
  plan.body.status = recorded->status;
  plan.body.content_type = recorded->ResponseHeader("Content-Type").value_or("");
  plan.body.text = recorded->response_body;
  for (const auto& [name, value] : recorded->response_headers) {
    if (!HopByHop(name)) plan.body.headers.emplace_back(name, value);
  }
  plan.final = recorded->status >= 400;
  return plan;
}

}  // namespace provkit::mock
