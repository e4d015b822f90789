// The provider registry; "local", "openai" and "anthropic" are built in.
#include "provkit/runtime/provider.hpp"

#include <utility>

#include "provkit/runtime/cloud_providers.hpp"
#include "provkit/runtime/error.hpp"
#include "provkit/runtime/local_provider.hpp"

namespace provkit {

ProviderRegistry& ProviderRegistry::Default() {
  static ProviderRegistry* registry = [] {
    auto* created = new ProviderRegistry();  // Never destroyed: usable during static destruction.
    created->Register("local",
                      [](const Config& config) { return std::make_unique<LocalProvider>(config); });
    created->Register(
        "openai", [](const Config& config) { return std::make_unique<OpenAIProvider>(config); });
    created->Register("anthropic", [](const Config& config) {
      return std::make_unique<AnthropicProvider>(config);
    });
    return created;
  }();
  return *registry;
}

void ProviderRegistry::Register(const std::string& name, ProviderFactory factory) {
  if (name.empty() || !factory) {
    throw ConfigurationError("ProviderRegistry::Register needs a name and a factory");
  }
  std::lock_guard lock(mutex_);
  factories_[name] = std::move(factory);
}

bool ProviderRegistry::Unregister(const std::string& name) {
  std::lock_guard lock(mutex_);
  return factories_.erase(name) > 0;
}

ProviderFactory ProviderRegistry::Find(const std::string& name) const {
  std::lock_guard lock(mutex_);
  const auto it = factories_.find(name);
  if (it != factories_.end()) return it->second;
  std::string known;
  for (const auto& [known_name, factory] : factories_) {
    known += known.empty() ? known_name : ", " + known_name;
  }
  throw ConfigurationError(
      "Unknown provider '" + name + "'",
      "Registered providers: " + known + ". Register yours with ProviderRegistry::Register.",
      "provider");
}

std::vector<std::string> ProviderRegistry::Names() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> names;
  for (const auto& [name, factory] : factories_) names.push_back(name);
  return names;
}

}  // namespace provkit
