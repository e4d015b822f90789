// Profile-shaped answers: health, listings, error envelopes, and the malformed and huge variants.
#include "responses.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "json_util.hpp"

namespace provkit::mock {
namespace {

using json = nlohmann::ordered_json;

constexpr std::string_view kLoadingEnvelope =
    R"({"error":{"code":503,"message":"Loading model","type":"unavailable_error"}})";
// As llama.cpp sends it (its middleware writes message, type, code in this order).
constexpr std::string_view kLlamaCppLoadingEnvelope =
    R"({"error":{"message":"Loading model","type":"unavailable_error","code":503}})";
constexpr std::size_t kPieceBytes = 64 * 1024;

std::string OwnedBy(Profile profile, const Model& model) {
  if (!model.owned_by.empty()) return model.owned_by;
  switch (profile) {
    case Profile::kLlamaCpp:
      return "llamacpp";
    case Profile::kVllm:
    case Profile::kVllmLegacy:
      return "vllm";
    case Profile::kOllama:
      return "library";
    case Profile::kTgi:
      return "tgi";
    case Profile::kLmStudio:
      return "organization_owner";
    case Profile::kOpenAi:
      break;
  }
  return "provkit";
}

// Request bytes (a path, a body in an error message) may be invalid UTF-8: written as U+FFFD.
Body JsonBody(int status, const json& value) {
  return {status, "application/json", value.dump(-1, ' ', false, json::error_handler_t::replace)};
}

// llama.cpp's middleware errors (loading, API key, unknown path) put code last.
Body LlamaCppMiddlewareError(int status, std::string_view message, std::string_view type) {
  return JsonBody(status, {{"error", {{"message", message}, {"type", type}, {"code", status}}}});
}

json LlamaCppMeta() {
  return {{"vocab_type", 2}, {"n_vocab", 151936},        {"n_ctx_train", 40960},
          {"n_embd", 2560},  {"n_params", 4022468096LL}, {"size", 2497280256LL}};
}

json LlamaCppModelsEntry(const std::string& id) {
  return {{"name", id},
          {"model", id},
          {"modified_at", ""},
          {"size", ""},
          {"digest", ""},
          {"type", "model"},
          {"description", ""},
          {"tags", {""}},
          {"capabilities", {"completion"}},
          {"parameters", ""},
          {"details",
           {{"parent_model", ""},
            {"format", "gguf"},
            {"family", ""},
            {"families", {""}},
            {"parameter_size", ""},
            {"quantization_level", ""}}}};
}

json ListingEntry(Profile profile, const Model& model, std::int64_t created) {
  json entry = {{"id", model.id}, {"object", "model"}};
  if (profile != Profile::kLmStudio) entry["created"] = created;
  entry["owned_by"] = OwnedBy(profile, model);
  switch (profile) {
    case Profile::kVllm:
    case Profile::kVllmLegacy:
      entry["root"] = model.id;
      entry["parent"] = nullptr;
      entry["max_model_len"] = 8192;
      entry["permission"] = json::array();
      break;
    default:
      break;
  }
  return entry;
}

// One model loaded: as recorded from llama-server (aliases, tags, meta).
json LlamaCppEntry(const Model& model, std::int64_t created) {
  return {{"id", model.id},        {"aliases", {model.id}},
          {"tags", json::array()}, {"object", "model"},
          {"created", created},    {"owned_by", OwnedBy(Profile::kLlamaCpp, model)},
          {"meta", LlamaCppMeta()}};
}

// Router mode: a status per model, meta once it is loaded (llama.cpp server-models.cpp).
json LlamaCppRouterEntry(const Model& model, std::int64_t created) {
  json entry = {{"id", model.id},
                {"aliases", json::array()},
                {"tags", json::array()},
                {"object", "model"},
                {"owned_by", OwnedBy(Profile::kLlamaCpp, model)},
                {"created", created}};
  if (!model.status.empty()) {
    entry["status"] = {{"value", model.status}, {"args", {"llama-server", "--alias", model.id}}};
  }
  entry["architecture"] = {{"input_modalities", {"text"}}, {"output_modalities", {"text"}}};
  entry["source"] = "models_dir";
  entry["can_remove"] = false;
  if (model.status.empty() || model.status == "loaded") entry["meta"] = LlamaCppMeta();
  return entry;
}

std::string_view WrongShape(Endpoint endpoint) {
  switch (endpoint) {
    case Endpoint::kHealth:
      return R"(["ok"])";
    case Endpoint::kModels:
      return R"({"object":"list","models":"none"})";
    case Endpoint::kChat:
      return R"({"object":"chat.completion","choices":"none"})";
    default:
      return "[]";
  }
}

}  // namespace

Body ErrorAnswer(Profile profile, int status, std::string_view message, std::string_view type,
                 std::string_view code) {
  const json code_value = code.empty() ? json(nullptr) : json(code);
  switch (profile) {
    case Profile::kOpenAi:
      return JsonBody(
          status,
          {{"error",
            {{"message", message}, {"type", type}, {"param", nullptr}, {"code", code_value}}}});
    case Profile::kLlamaCpp:
      return JsonBody(status,
                      {{"error", {{"code", status}, {"message", message}, {"type", type}}}});
    case Profile::kVllm:
      return JsonBody(
          status, {{"error",
                    {{"message", message}, {"type", type}, {"param", nullptr}, {"code", status}}}});
    case Profile::kVllmLegacy:
      return JsonBody(status, {{"object", "error"},
                               {"message", message},
                               {"type", type},
                               {"param", nullptr},
                               {"code", status}});
    case Profile::kOllama:
      return JsonBody(
          status,
          {{"error",
            {{"message", message}, {"type", type}, {"param", nullptr}, {"code", nullptr}}}});
    case Profile::kTgi:
      return JsonBody(status, {{"error", message}, {"error_type", type}});
    case Profile::kLmStudio:
      return JsonBody(status, {{"error", message}});
  }
  return {};
}

std::string StreamErrorPayload(Profile profile, std::string_view message) {
  std::string_view type = "server_error";
  if (profile == Profile::kVllm || profile == Profile::kVllmLegacy) type = "InternalServerError";
  if (profile == Profile::kOllama) type = "api_error";
  if (profile == Profile::kTgi) type = "generation";
  const Body body = ErrorAnswer(profile, 500, message, type);
  if (profile != Profile::kVllmLegacy) return body.text;
  // Older vLLM nests even its flat envelope in a stream: {"error": ErrorResponse.model_dump()}
  // (vllm/entrypoints/openai/serving_engine.py, create_streaming_error_response).
  return R"({"error":)" + body.text + "}";
}

bool DoneAfterStreamError(Profile profile) {
  return profile == Profile::kVllm || profile == Profile::kVllmLegacy || profile == Profile::kTgi;
}

Body HealthOk(Profile profile) {
  switch (profile) {
    case Profile::kOpenAi:
    case Profile::kLlamaCpp:
      return {200, "application/json", R"({"status":"ok"})"};
    case Profile::kVllm:
    case Profile::kVllmLegacy:
    case Profile::kTgi:
      return {200, "", ""};
    case Profile::kOllama:
    case Profile::kLmStudio:
      break;
  }
  return NotFound(profile, "GET", "/health");
}

Body HealthLoading(Profile profile) {
  switch (profile) {
    case Profile::kOpenAi:
      return {503, "application/json", std::string(kLoadingEnvelope)};
    case Profile::kLlamaCpp:
      return {503, "application/json", std::string(kLlamaCppLoadingEnvelope)};
    case Profile::kVllm:
    case Profile::kVllmLegacy:
      return {503, "", ""};
    case Profile::kTgi:
      return {503, "application/json", R"({"error":"unhealthy","error_type":"healthcheck"})"};
    case Profile::kOllama:
    case Profile::kLmStudio:
      break;
  }
  return NotFound(profile, "GET", "/health");
}

Body NotFound(Profile profile, std::string_view method, std::string_view path) {
  const std::string request = std::string(method) + " " + std::string(path);
  switch (profile) {
    case Profile::kOpenAi:
      return ErrorAnswer(profile, 404, "Unknown request URL: " + request, "invalid_request_error",
                         "unknown_url");
    case Profile::kLlamaCpp:
      return LlamaCppMiddlewareError(404, "File Not Found", "not_found_error");
    case Profile::kVllm:
    case Profile::kVllmLegacy:
      return {404, "application/json", R"({"detail":"Not Found"})"};
    case Profile::kOllama:
      return {404, "text/plain; charset=utf-8", "404 page not found"};
    case Profile::kTgi:
      return {404, "", ""};
    case Profile::kLmStudio:
      // 200, not 404: LM Studio answers every unknown endpoint, /health included, this way.
      return ErrorAnswer(profile, 200, "Unexpected endpoint or method. (" + request + ")", "");
  }
  return {};
}

Body Root(Profile profile) {
  if (profile == Profile::kOllama) return {200, "text/plain; charset=utf-8", "Ollama is running"};
  // llama.cpp serves its web UI at / only when built with it; recorded without: 404.
  return NotFound(profile, "GET", "/");
}

Body ChatLoading(Profile profile) {
  if (profile == Profile::kOpenAi) return {503, "application/json", std::string(kLoadingEnvelope)};
  if (profile == Profile::kLlamaCpp) {
    return {503, "application/json", std::string(kLlamaCppLoadingEnvelope)};
  }
  return ErrorAnswer(profile, 503, "Loading model", "unavailable_error");
}

Body ModelNotFound(Profile profile, std::string_view model) {
  const std::string quoted = "'" + std::string(model) + "'";
  switch (profile) {
    case Profile::kOpenAi:
      return JsonBody(404, {{"error",
                             {{"message", "model " + quoted + " not found"},
                              {"type", "invalid_request_error"},
                              {"param", nullptr},
                              {"code", "model_not_found"}}}});
    case Profile::kLlamaCpp:
      return ErrorAnswer(profile, 400, "model " + quoted + " not found", "invalid_request_error");
    case Profile::kVllm:
      return JsonBody(404, {{"error",
                             {{"message", "The model `" + std::string(model) + "` does not exist."},
                              {"type", "NotFoundError"},
                              {"param", "model"},
                              {"code", 404}}}});
    case Profile::kVllmLegacy:
      return ErrorAnswer(profile, 404, "The model `" + std::string(model) + "` does not exist.",
                         "NotFoundError");
    case Profile::kOllama:
      return ErrorAnswer(profile, 404,
                         "model \"" + std::string(model) + "\" not found, try pulling it first",
                         "not_found_error");
    case Profile::kTgi:
      return ErrorAnswer(profile, 404, "model " + quoted + " not found", "validation");
    case Profile::kLmStudio:
      return ErrorAnswer(profile, 404, "model " + quoted + " not found", "");
  }
  return {};
}

Body NoModelLoaded(Profile profile, std::string_view model) {
  if (profile != Profile::kLmStudio) return ModelNotFound(profile, model);
  return ErrorAnswer(
      profile, 400,
      "No models loaded. Please load a model in the developer page or use the `lms load` command.",
      "");
}

Body ModelNotLoaded(Profile profile, std::string_view model, std::string_view status) {
  return ErrorAnswer(profile, 503, "model '" + std::string(model) + "' is " + std::string(status),
                     "unavailable_error");
}

bool RouterMode(const std::vector<Model>& models) {
  return std::any_of(models.begin(), models.end(),
                     [](const Model& model) { return !model.status.empty(); });
}

std::string Listing(Profile profile, const std::vector<Model>& models, std::int64_t created) {
  json listing;
  if (profile == Profile::kLlamaCpp) {
    json data = json::array();
    if (RouterMode(models)) {
      for (const Model& model : models) data.push_back(LlamaCppRouterEntry(model, created));
      listing["data"] = std::move(data);
      listing["object"] = "list";
      return listing.dump();
    }
    json entries = json::array();
    for (const Model& model : models) {
      entries.push_back(LlamaCppModelsEntry(model.id));
      data.push_back(LlamaCppEntry(model, created));
    }
    listing["models"] = std::move(entries);
    listing["object"] = "list";
    listing["data"] = std::move(data);
    return listing.dump();
  }
  listing["object"] = "list";
  json data = json::array();
  for (const Model& model : models) data.push_back(ListingEntry(profile, model, created));
  if (profile == Profile::kOllama && models.empty()) {
    listing["data"] = nullptr;
  } else {
    listing["data"] = std::move(data);
  }
  return listing.dump();
}

Body AuthError(Profile profile, int status) {
  if (profile == Profile::kLlamaCpp)
    return LlamaCppMiddlewareError(status, "Invalid API Key", "authentication_error");
  return ErrorAnswer(profile, status, "Invalid API key", "authentication_error", "invalid_api_key");
}

Body LlamaCppProps(std::string_view model) {
  const json props = {
      {"default_generation_settings",
       {{"params", {{"temperature", 0.8}, {"top_k", 40}, {"top_p", 0.95}, {"n_predict", -1}}},
        {"n_ctx", 4096}}},
      {"total_slots", 1},
      {"model_alias", model},
      {"model_ftype", "all F32"},
      {"model_path", "models/" + std::string(model) + ".gguf"},
      {"modalities", {{"vision", false}, {"video", false}, {"audio", false}}},
      {"media_marker", "<__media__>"},
      {"endpoint_slots", true},
      {"endpoint_props", false},
      {"endpoint_metrics", false},
      {"ui", false},
      {"ui_settings", json::object()},
      {"chat_template", ""},
      {"chat_template_caps", json::object()},
      {"bos_token", "<s>"},
      {"eos_token", "</s>"},
      {"build_info", "provkit-mock"},
      {"is_sleeping", false},
      {"cors_proxy_enabled", false}};
  return JsonBody(200, props);
}

Body LlamaCppNotSupported(std::string_view message) {
  return JsonBody(
      501, {{"error", {{"code", 501}, {"message", message}, {"type", "not_supported_error"}}}});
}

Body LlamaCppPreflight(std::string_view origin) {
  Body body{200, "text/html", ""};
  body.headers = {{"Access-Control-Allow-Origin", std::string(origin)},
                  {"Access-Control-Allow-Credentials", "true"},
                  {"Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS"},
                  {"Access-Control-Allow-Headers", "*"}};
  return body;
}

Body MalformedAnswer(MalformedVariant variant, Endpoint endpoint, const Body& normal) {
  const bool listing = endpoint == Endpoint::kModels;
  switch (variant) {
    case MalformedVariant::kNotJson:
      return {200, "application/json", "<html><body>this is not JSON</body></html>"};
    case MalformedVariant::kEmpty:
      return {200, "application/json", ""};
    case MalformedVariant::kTruncated: {
      const std::string& text =
          normal.text.empty() ? std::string(R"({"status":"ok"})") : normal.text;
      return {200, "application/json", text.substr(0, text.size() / 2)};
    }
    case MalformedVariant::kNullData:
      if (listing) return {200, "application/json", R"({"object":"list","data":null})"};
      break;
    case MalformedVariant::kDataNotList:
      if (listing)
        return {200, "application/json",
                R"({"object":"list","data":{"id":"provkit-mock","object":"model"}})"};
      break;
    case MalformedVariant::kIdNotString:
      if (listing) {
        return {
            200, "application/json",
            R"({"object":"list","data":[{"id":123,"object":"model"},{"id":null,"object":"model"},{"id":["provkit-mock"],"object":"model"}]})"};
      }
      break;
    case MalformedVariant::kWrongShape:
      break;
  }
  return {200, "application/json", std::string(WrongShape(endpoint))};
}

HugeBody HugeBody::Listing(const std::vector<Model>& models, std::int64_t created,
                           std::size_t bytes) {
  HugeBody body;
  body.listing_ = true;
  body.created_ = created;
  body.prefix_ = R"({"object":"list","data":[)";
  for (std::size_t i = 0; i < models.size(); ++i) {
    if (i > 0) body.prefix_ += ',';
    body.prefix_ += ListingEntry(Profile::kOpenAi, models[i], created).dump();
  }
  body.filler_index_ = models.empty() ? 0 : 1;
  body.suffix_ = "]}";
  body.remaining_ = bytes;
  return body;
}

HugeBody HugeBody::Padded(std::string prefix, std::size_t bytes, std::string suffix) {
  HugeBody body;
  body.prefix_ = std::move(prefix);
  body.suffix_ = std::move(suffix);
  body.remaining_ = bytes;
  return body;
}

bool HugeBody::Next(std::string& out) {
  switch (stage_) {
    case 0:
      out += prefix_;
      stage_ = 1;
      return true;
    case 1: {
      const std::size_t start = out.size();
      while (remaining_ > 0 && out.size() - start < kPieceBytes) {
        if (listing_) {
          const std::size_t before = out.size();
          if (filler_index_ > 0) out += ',';
          out += R"({"id":"filler-)";
          out += std::to_string(++filler_index_);
          out += R"(","object":"model","created":)";
          out += std::to_string(created_);
          out += R"(,"owned_by":"provkit"})";
          const std::size_t added = out.size() - before;
          remaining_ = remaining_ > added ? remaining_ - added : 0;
        } else {
          const std::size_t count = std::min(remaining_, kPieceBytes);
          out.append(count, 'x');
          remaining_ -= count;
        }
      }
      if (remaining_ == 0) stage_ = 2;
      return true;
    }
    case 2:
      out += suffix_;
      stage_ = 3;
      return true;
    default:
      return false;
  }
}

}  // namespace provkit::mock
