// OpenAIProvider (Responses) and AnthropicProvider (Messages) over the shared HttpProvider.
#include "provkit/runtime/cloud_providers.hpp"

#include "http_provider.hpp"

namespace provkit {

struct CloudProvider::Impl {
  Impl(Config config, const wire::Dialect& dialect) : http(std::move(config), dialect) {}
  wire::HttpProvider http;
};

CloudProvider::CloudProvider(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

CloudProvider::~CloudProvider() = default;

Output CloudProvider::Generate(const Environment& environment, const Input& input,
                               const Requirements& requirements) {
  return impl_->http.Generate(environment, input, requirements);
}

EventStream CloudProvider::Stream(const Environment& environment, const Input& input,
                                  const Requirements& requirements) {
  return impl_->http.Stream(environment, input, requirements);
}

void CloudProvider::Close() { impl_->http.Close(); }

nlohmann::json CloudProvider::BuildRequestBody(const Environment& environment, const Input& input,
                                               const Requirements& requirements,
                                               bool stream) const {
  return impl_->http.BuildRequestBody(environment, input, requirements, stream);
}

OpenAIProvider::OpenAIProvider(Config config)
    : CloudProvider(std::make_unique<Impl>(std::move(config), wire::Responses())) {}

AnthropicProvider::AnthropicProvider(Config config)
    : CloudProvider(std::make_unique<Impl>(std::move(config), wire::Messages())) {}

}  // namespace provkit
