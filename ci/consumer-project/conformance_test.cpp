// Instantiates the installed conformance suite for the reference provider, as an implementer would.
#include <memory>
#include <provkit/conformance/suite.hpp>
#include <provkit/runtime/local_provider.hpp>

using provkit::conformance::ProviderConformance;  // The macro needs an unqualified name.

INSTANTIATE_TEST_SUITE_P(Installed, ProviderConformance,
                         provkit::conformance::ClauseCases(provkit::conformance::CppProvider(
                             "installed-local",
                             [](const provkit::Config& config) {
                               return std::make_unique<provkit::LocalProvider>(config);
                             })),
                         provkit::conformance::ClauseCaseName);
