// The reference providers instantiate the abstract suite: each must PASS every clause that applies
// to it, strict parts included. LocalProvider speaks Chat Completions with the readiness probe;
// OpenAIProvider (Responses) and AnthropicProvider (Messages) are judged in their dialects, where
// the S clauses and R13 apply.
#include <memory>

#include "provkit/conformance/suite.hpp"
#include "provkit/runtime/cloud_providers.hpp"
#include "provkit/runtime/local_provider.hpp"

using provkit::conformance::ProviderConformance;

namespace {

// A cloud provider has no readiness probe to judge or cancel.
const provkit::conformance::Capabilities kCloud{.readiness = false, .cancellation = false};

}  // namespace

INSTANTIATE_TEST_SUITE_P(Reference, ProviderConformance,
                         provkit::conformance::ClauseCases(provkit::conformance::CppProvider(
                             "local-reference",
                             [](const provkit::Config& config) {
                               return std::make_unique<provkit::LocalProvider>(config);
                             })),
                         provkit::conformance::ClauseCaseName);

INSTANTIATE_TEST_SUITE_P(ReferenceResponses, ProviderConformance,
                         provkit::conformance::ClauseCases(provkit::conformance::CppProvider(
                             "openai-reference",
                             [](const provkit::Config& config) {
                               return std::make_unique<provkit::OpenAIProvider>(config);
                             },
                             kCloud, {.dialect = "responses"})),
                         provkit::conformance::ClauseCaseName);

INSTANTIATE_TEST_SUITE_P(ReferenceAnthropic, ProviderConformance,
                         provkit::conformance::ClauseCases(provkit::conformance::CppProvider(
                             "anthropic-reference",
                             [](const provkit::Config& config) {
                               return std::make_unique<provkit::AnthropicProvider>(config);
                             },
                             kCloud, {.dialect = "anthropic"})),
                         provkit::conformance::ClauseCaseName);
