// The reference LocalProvider instantiates the abstract suite: it must PASS every clause, strict
// parts included.
#include <memory>

#include "provkit/conformance/suite.hpp"
#include "provkit/runtime/local_provider.hpp"

using provkit::conformance::ProviderConformance;

INSTANTIATE_TEST_SUITE_P(Reference, ProviderConformance,
                         provkit::conformance::ClauseCases(provkit::conformance::CppProvider(
                             "local-reference",
                             [](const provkit::Config& config) {
                               return std::make_unique<provkit::LocalProvider>(config);
                             })),
                         provkit::conformance::ClauseCaseName);
