// ProviderSubject: a C++ provkit::Provider, judged through provkit::Session and the one-shot calls.
#pragma once

#include <memory>
#include <string>

#include "provkit/conformance/subject.hpp"
#include "provkit/runtime/provider.hpp"

namespace provkit::conformance {

/// Judges the provider that `factory` builds. Sessions are provkit::Session
/// over the factory, wrapped so the suite counts instances, closes and calls
/// after close. The one-shot calls go through provkit::Interact and friends
/// with the factory registered under a private name for the call's duration.
/// Capabilities that do not match the provider (a probe declared but absent)
/// are reported by the clauses that need them.
class ProviderSubject final : public Subject {
 public:
  ProviderSubject(std::string name, ProviderFactory factory, Capabilities capabilities = {});
  ~ProviderSubject() override;

  std::string Name() const override;
  Capabilities GetCapabilities() const override;
  std::unique_ptr<SubjectSession> Open(const Config& config, bool readiness_probe = true) override;
  OneShotResult OneShot(OneShotCall call, const Config& config, const OneShotArgs& args) override;
  SubjectCounters Counters() override;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

/// Converts the exception in flight into the SubjectError the clauses judge:
/// provkit::Error keeps its kind id, message and hint; anything else becomes
/// kind "exception" naming its type. Call only inside a catch block.
SubjectError CurrentExceptionAsSubjectError();

}  // namespace provkit::conformance
