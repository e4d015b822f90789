// Builds against the installed provkit and runs a Session with a provider of its own.
#include <cstdio>
#include <memory>
#include <provkit/runtime/session.hpp>
#include <string>

namespace {

class EchoProvider : public provkit::Provider {
 public:
  explicit EchoProvider(int* closed) : closed_(closed) {}
  provkit::Output Generate(const provkit::Environment&, const provkit::Input& input,
                           const provkit::Requirements&) override {
    return {.text = input.text};
  }
  provkit::EventStream Stream(const provkit::Environment&, const provkit::Input&,
                              const provkit::Requirements&) override {
    return {};
  }
  void Close() override { ++*closed_; }

 private:
  int* closed_;
};

}  // namespace

int main() {
  int closed = 0;
  {
    provkit::Config config;
    config.provider = "echo";
    provkit::Session session(config, [&closed](const provkit::Config&) {
      return std::make_unique<EchoProvider>(&closed);
    });
    if (session.Interact({}, {.text = "hello"}).text != "hello") return 1;
    if (session.CheckReady().message != std::string(provkit::kNoProbeMessage)) return 1;
  }
  std::printf("consumer: find_package(provkit) works; provider closed %d time(s)\n", closed);
  return closed == 1 ? 0 : 1;
}
