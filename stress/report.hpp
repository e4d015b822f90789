// The verdict of one campaign: named checks, printed as text and JSON, and the exit code.
#pragma once

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace provkit::stress {

/// The checks a campaign made; it passes when every one holds.
class Verdict {
 public:
  void Check(std::string name, bool ok, std::string detail) {
    checks_.push_back({std::move(name), ok, std::move(detail)});
  }
  bool passed() const {
    for (const Entry& entry : checks_) {
      if (!entry.ok) return false;
    }
    return true;
  }
  void Print(std::FILE* out) const {
    for (const Entry& entry : checks_) {
      std::fprintf(out, "  [%s] %s: %s\n", entry.ok ? "ok" : "FAIL", entry.name.c_str(),
                   entry.detail.c_str());
    }
  }
  nlohmann::json ToJson() const {
    nlohmann::json checks = nlohmann::json::array();
    for (const Entry& entry : checks_) {
      checks.push_back({{"name", entry.name}, {"ok", entry.ok}, {"detail", entry.detail}});
    }
    return checks;
  }

 private:
  struct Entry {
    std::string name;
    bool ok;
    std::string detail;
  };
  std::vector<Entry> checks_;
};

}  // namespace provkit::stress
