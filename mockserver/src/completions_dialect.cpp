// Legacy Completions (POST <base>/completions) and embeddings (POST <base>/embeddings).
#include "completions_dialect.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>

#include "chat.hpp"
#include "json_util.hpp"
#include "models.hpp"
#include "named_events.hpp"

namespace provkit::mock {
namespace {

using nlohmann::json;
using ordered = nlohmann::ordered_json;

constexpr std::size_t kHugePieceBytes = 64 * 1024;

Plan Refused(Body body) { return Plan::Of(std::move(body), true); }

std::string Dump(const ordered& value) {
  return value.dump(-1, ' ', false, ordered::error_handler_t::replace);
}

/// The request body, or the 400 to answer: not JSON, not an object, `model` not a string.
const json* ReadBody(const Exchange& exchange, std::optional<Body>& refusal) {
  const Profile profile = exchange.profile();
  const json* document = exchange.Json();
  if (document == nullptr) {
    refusal =
        ErrorAnswer(profile, 400, "the request body is not valid JSON: " + exchange.JsonError(),
                    "invalid_request_error");
  } else if (!document->is_object()) {
    refusal = ErrorAnswer(profile, 400, "the request body must be a JSON object",
                          "invalid_request_error");
  } else if (document->contains("model") && !(*document)["model"].is_string()) {
    refusal = ErrorAnswer(profile, 400, "'model' must be a string", "invalid_request_error");
  }
  return refusal ? nullptr : document;
}

std::optional<std::string> ModelOf(const json& document) {
  if (!document.contains("model")) return std::nullopt;
  return document["model"].get<std::string>();
}

/// A string, or an array of strings; false for anything else.
bool ReadStrings(const json& value, std::vector<std::string>& out) {
  if (value.is_string()) {
    out.push_back(value.get<std::string>());
    return true;
  }
  if (!value.is_array() || value.empty()) return false;
  for (const json& item : value) {
    if (!item.is_string()) return false;
    out.push_back(item.get<std::string>());
  }
  return true;
}

std::string FinishReason(const ChatAnswer& answer) {
  return answer.finish_reason == "tool_calls" ? "stop" : answer.finish_reason;
}

std::string CompletionId(const ChatAnswer& answer) { return "cmpl-" + AnswerDigest(answer); }

ordered CompletionJson(const ChatAnswer& answer, const std::string& text) {
  return {{"id", CompletionId(answer)},
          {"object", "text_completion"},
          {"created", answer.created},
          {"model", answer.model},
          {"choices",
           {{{"text", text},
             {"index", 0},
             {"logprobs", nullptr},
             {"finish_reason", FinishReason(answer)}}}},
          {"usage",
           {{"prompt_tokens", answer.usage.prompt_tokens},
            {"completion_tokens", answer.usage.completion_tokens},
            {"total_tokens", answer.usage.total_tokens}}}};
}

/// The `text_completion` chunks of one streamed completion, then `data: [DONE]`.
class CompletionEventSource final : public EventSource {
 public:
  CompletionEventSource(ChatAnswer answer, std::size_t chunk_chars)
      : answer_(std::move(answer)), chunk_chars_(chunk_chars == 0 ? 1 : chunk_chars) {}

  Step Next(std::string& out) override {
    switch (phase_) {
      case Phase::kText: {
        std::string piece;
        if (NextPiece(piece)) {
          AppendChunk(out, piece, nullptr);
          return Step::kEvent;
        }
        AppendChunk(out, "", FinishReason(answer_));
        phase_ = Phase::kDone;
        return Step::kEvent;
      }
      case Phase::kDone:
        AppendData(out, "[DONE]");
        phase_ = Phase::kEnd;
        return Step::kEvent;
      case Phase::kEnd:
        break;
    }
    return Step::kEnd;
  }
  bool AtTerminator() const override { return phase_ != Phase::kText; }
  void AppendData(std::string& out, std::string_view payload) const override {
    out += "data: ";
    out += payload;
    out += "\n\n";
  }
  std::string TruncatedPayload() const override {
    return R"({"id":")" + CompletionId(answer_) +
           R"(","object":"text_completion","choices":[{"text":"trunc)";
  }
  std::string WrongShapePayload() const override {
    return R"({"object":"text_completion","choices":"none"})";
  }
  bool PadContent(std::size_t bytes) override {
    huge_ = true;
    pad_bytes_ = bytes;
    return true;
  }

 private:
  enum class Phase { kText, kDone, kEnd };

  bool NextPiece(std::string& piece) {
    if (huge_) {
      if (offset_ >= pad_bytes_) return false;
      const std::size_t count = std::min(kHugePieceBytes, pad_bytes_ - offset_);
      piece.assign(count, 'x');
      offset_ += count;
      return true;
    }
    if (offset_ >= answer_.text.size()) return false;
    const std::string_view rest = std::string_view(answer_.text).substr(offset_);
    const std::size_t length = Utf8PrefixBytes(rest, chunk_chars_);
    piece.assign(rest.substr(0, length));
    offset_ += length;
    return true;
  }

  void AppendChunk(std::string& out, const std::string& text, ordered finish_reason) const {
    const ordered chunk = {{"id", CompletionId(answer_)},
                           {"object", "text_completion"},
                           {"created", answer_.created},
                           {"model", answer_.model},
                           {"choices",
                            {{{"text", text},
                              {"index", 0},
                              {"logprobs", nullptr},
                              {"finish_reason", std::move(finish_reason)}}}}};
    AppendData(out, Dump(chunk));
  }

  ChatAnswer answer_;
  std::size_t chunk_chars_;
  Phase phase_ = Phase::kText;
  std::size_t offset_ = 0;
  bool huge_ = false;
  std::size_t pad_bytes_ = 0;
};

/// FNV-1a of `text` after `seed`.
std::uint64_t Hash(std::string_view text, std::uint64_t seed) {
  std::uint64_t hash = 1469598103934665603ULL ^ (seed * 0x9E3779B97F4A7C15ULL);
  for (char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  return hash;
}

/// kDimensions values in [-1, 1] from hashes of `text`, scaled to unit length.
std::vector<double> Vector(std::string_view text) {
  std::vector<double> vector(Embeddings::kDimensions);
  double norm = 0;
  for (std::size_t i = 0; i < vector.size(); ++i) {
    vector[i] = static_cast<double>(Hash(text, i + 1) >> 11) / static_cast<double>(1ULL << 52) - 1;
    norm += vector[i] * vector[i];
  }
  norm = std::sqrt(norm);
  for (double& value : vector) value = norm > 0 ? value / norm : 0;
  return vector;
}

/// `vector` as float32 little-endian bytes in base64 (`"encoding_format":"base64"`, which the
/// openai SDKs ask for by default).
std::string Base64Floats(const std::vector<double>& vector) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string bytes;
  for (double value : vector) {
    const float single = static_cast<float>(value);
    std::uint32_t bits = 0;
    std::memcpy(&bits, &single, sizeof bits);
    for (int shift = 0; shift < 32; shift += 8) bytes += static_cast<char>((bits >> shift) & 0xFF);
  }
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    std::uint32_t group = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) group |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    if (i + 2 < bytes.size()) group |= static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[(group >> 18) & 63];
    out += kAlphabet[(group >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(group >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? kAlphabet[group & 63] : '=';
  }
  return out;
}

}  // namespace

Plan Completions::Answer(Exchange& exchange, const Checkpoint& checkpoint) const {
  const Profile profile = exchange.profile();
  std::optional<Body> refusal;
  const json* document = ReadBody(exchange, refusal);
  if (refusal) return Refused(std::move(*refusal));
  ChatRequest request;
  std::vector<std::string> prompts;
  const auto prompt = document->find("prompt");
  if (prompt == document->end() || !ReadStrings(*prompt, prompts)) {
    return Refused(ErrorAnswer(profile, 400,
                               "'prompt' is required: a string or an array of strings",
                               "invalid_request_error"));
  }
  if (const auto stream = document->find("stream");
      stream != document->end() && !stream->is_null()) {
    if (!stream->is_boolean())
      return Refused(
          ErrorAnswer(profile, 400, "'stream' must be true or false", "invalid_request_error"));
    request.stream = stream->get<bool>();
  }
  std::string text;
  for (const std::string& part : prompts) text += (text.empty() ? "" : " ") + part;
  request.model = ModelOf(*document);
  request.conversation.model = request.model;
  request.prompt_words = CountWords(text);
  request.conversation.turns.push_back({"user", std::move(text), {}});
  if (auto plan = checkpoint(Stage::kValidated)) return std::move(*plan);

  Resolution resolution = ResolveModel(exchange, request.model);
  if (resolution.error) return Refused(std::move(*resolution.error));
  exchange.set_resolved_model(resolution.model);
  if (auto plan = checkpoint(Stage::kResolved)) return std::move(*plan);

  Reply reply = exchange.state().PickReply(request.conversation);
  reply.tool_calls.clear();
  const ChatAnswer answer =
      MakeAnswer(request, reply, resolution.model, exchange.options().created);
  const StreamTiming& timing = exchange.snapshot().timing;
  Plan plan;
  if (request.stream) {
    plan.kind = Plan::Kind::kStream;
    plan.stream = std::make_shared<CompletionEventSource>(answer, timing.chunk_chars);
    plan.timing = timing;
    return plan;
  }
  plan.body = {200, std::string(exchange.traits().json_type),
               Dump(CompletionJson(answer, answer.text))};
  plan.delay = timing.first_chunk_delay;
  plan.pad_body = [answer](std::size_t bytes) {
    return PadAt(Dump(CompletionJson(answer, std::string(kPadMarker))), bytes);
  };
  return plan;
}

Plan Embeddings::Answer(Exchange& exchange, const Checkpoint& checkpoint) const {
  const Profile profile = exchange.profile();
  std::optional<Body> refusal;
  const json* document = ReadBody(exchange, refusal);
  if (refusal) return Refused(std::move(*refusal));
  std::vector<std::string> inputs;
  const auto input = document->find("input");
  if (input == document->end() || !ReadStrings(*input, inputs)) {
    return Refused(ErrorAnswer(profile, 400,
                               "'input' is required: a string or a non-empty array of strings",
                               "invalid_request_error"));
  }
  bool base64 = false;
  if (const auto format = document->find("encoding_format");
      format != document->end() && !format->is_null()) {
    if (!format->is_string() || (*format != "float" && *format != "base64")) {
      return Refused(ErrorAnswer(profile, 400, "'encoding_format' must be \"float\" or \"base64\"",
                                 "invalid_request_error"));
    }
    base64 = *format == "base64";
  }
  if (auto plan = checkpoint(Stage::kValidated)) return std::move(*plan);
  Resolution resolution = ResolveModel(exchange, ModelOf(*document));
  if (resolution.error) return Refused(std::move(*resolution.error));
  exchange.set_resolved_model(resolution.model);
  if (auto plan = checkpoint(Stage::kResolved)) return std::move(*plan);

  ordered data = ordered::array();
  long long tokens = 0;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    tokens += std::max(1LL, CountWords(inputs[i]));
    const std::vector<double> vector = Vector(inputs[i]);
    data.push_back({{"object", "embedding"},
                    {"index", i},
                    {"embedding", base64 ? ordered(Base64Floats(vector)) : ordered(vector)}});
  }
  const ordered body = {{"object", "list"},
                        {"data", std::move(data)},
                        {"model", resolution.model},
                        {"usage", {{"prompt_tokens", tokens}, {"total_tokens", tokens}}}};
  Plan plan = Plan::Of({200, std::string(exchange.traits().json_type), Dump(body)});
  plan.delay = exchange.snapshot().timing.first_chunk_delay;
  return plan;
}

}  // namespace provkit::mock
