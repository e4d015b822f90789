// LocalProvider: Chat Completions to an OpenAI-compatible local server, with the readiness probe.
#include "provkit/runtime/local_provider.hpp"

#include "http_provider.hpp"

namespace provkit {

struct LocalProvider::Impl {
  explicit Impl(Config config) : http(std::move(config), wire::ChatCompletions()) {}
  wire::HttpProvider http;
};

LocalProvider::LocalProvider(Config config) : impl_(std::make_unique<Impl>(std::move(config))) {}

LocalProvider::~LocalProvider() = default;

Output LocalProvider::Generate(const Environment& environment, const Input& input,
                               const Requirements& requirements) {
  return impl_->http.Generate(environment, input, requirements);
}

EventStream LocalProvider::Stream(const Environment& environment, const Input& input,
                                  const Requirements& requirements) {
  return impl_->http.Stream(environment, input, requirements);
}

void LocalProvider::Close() { impl_->http.Close(); }

ProviderReadiness LocalProvider::CheckReady(const std::optional<std::string>& model,
                                            std::stop_token stop) {
  return impl_->http.CheckReady(model, std::move(stop));
}

nlohmann::json LocalProvider::BuildRequestBody(const Environment& environment, const Input& input,
                                               const Requirements& requirements,
                                               bool stream) const {
  return impl_->http.BuildRequestBody(environment, input, requirements, stream);
}

}  // namespace provkit
