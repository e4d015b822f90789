// Readers of the mock's JSON shapes at a JSON pointer, for the config loader and admin.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>

#include "provkit/mockserver/config.hpp"
#include "provkit/mockserver/scenario.hpp"
#include "provkit/mockserver/script.hpp"

namespace provkit::mock {

Scenario ReadScenario(const nlohmann::json& value, const std::string& pointer);
Reply ReadReply(const nlohmann::json& value, const std::string& pointer);
Script ReadScript(const nlohmann::json& value, const std::string& pointer);
StreamTiming ReadTiming(const nlohmann::json& value, const std::string& pointer);
std::vector<Model> ReadModels(const nlohmann::json& value, const std::string& pointer);
Profile ReadProfile(const nlohmann::json& value, const std::string& pointer);

}  // namespace provkit::mock

namespace provkit::mock {

/// Throws ConfigError naming the field when an option is out of range: empty
/// host, port outside 0..65535, base_path not starting with '/' or ending with
/// one, no threads, empty journal, empty model id, chunk_chars 0.
void ValidateOptions(const ServerOptions& options);

}  // namespace provkit::mock
