// Scripts: the JSON form of replies, rules and stream timing.
#include "provkit/mockserver/script.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <nlohmann/json.hpp>
#include <utility>

#include "json_util.hpp"
#include "provkit/mockserver/config.hpp"
#include "readers.hpp"

namespace provkit::mock {

Reply ReadReply(const nlohmann::json& value, const std::string& pointer) {
  Reply reply;
  if (value.is_string()) {
    reply.text = value.get<std::string>();
    return reply;
  }
  ObjectReader reader(value, pointer);
  reply.text = reader.String("text", "");
  reply.reasoning = reader.String("reasoning", "");
  reply.finish_reason = reader.String("finish_reason", "");
  if (const nlohmann::json* calls = reader.Find("tool_calls")) {
    const std::string calls_pointer = reader.PointerOf("tool_calls");
    if (!calls->is_array()) throw ConfigError("expected an array", calls_pointer);
    for (std::size_t i = 0; i < calls->size(); ++i) {
      ObjectReader call_reader((*calls)[i], PointerJoin(calls_pointer, std::to_string(i)));
      ToolCall call;
      call.id = call_reader.String("id", "");
      call.name = call_reader.String("name", "");
      if (call.name.empty())
        throw ConfigError("a tool call needs a name", call_reader.PointerOf("name"));
      if (const nlohmann::json* arguments = call_reader.Find("arguments")) {
        call.arguments = arguments->is_string() ? arguments->get<std::string>() : arguments->dump();
      } else {
        call.arguments = "{}";
      }
      call_reader.RejectUnknownKeys();
      reply.tool_calls.push_back(std::move(call));
    }
  }
  if (const nlohmann::json* usage = reader.Find("usage")) {
    ObjectReader usage_reader(*usage, reader.PointerOf("usage"));
    constexpr long long kMax = 1LL << 40;
    Usage counts;
    counts.prompt_tokens = usage_reader.Integer("prompt_tokens", 0, 0, kMax);
    counts.completion_tokens = usage_reader.Integer("completion_tokens", 0, 0, kMax);
    counts.total_tokens = usage_reader.Integer("total_tokens", 0, 0, kMax);
    usage_reader.RejectUnknownKeys();
    reply.usage = counts;
  }
  reader.RejectUnknownKeys();
  return reply;
}

namespace {

constexpr std::string_view kRoles[] = {"user", "assistant", "tool", "system"};

/// "rule <index> '<key>': " + `message`, the start of every rule error.
std::string RuleMessage(std::size_t index, std::string_view key, std::string_view message) {
  return "rule " + std::to_string(index) + " '" + std::string(key) + "': " + std::string(message);
}

/// The optional non-empty string at `key` of rule `index`.
std::optional<std::string> RuleString(ObjectReader& reader, std::size_t index,
                                      std::string_view key) {
  const nlohmann::json* value = reader.Find(key);
  if (value == nullptr) return std::nullopt;
  if (!value->is_string())
    throw ConfigError(RuleMessage(index, key, "expected a string"), reader.PointerOf(key));
  std::string text = value->get<std::string>();
  if (text.empty())
    throw ConfigError(RuleMessage(index, key, "must not be empty (leave the key out to match any)"),
                      reader.PointerOf(key));
  return text;
}

/// The optional regular expression at `key` of rule `index`, compiled.
std::optional<Pattern> RulePattern(ObjectReader& reader, std::size_t index, std::string_view key) {
  std::optional<std::string> source = RuleString(reader, index, key);
  if (!source) return std::nullopt;
  if (source->size() > kMaxPatternBytes) {
    throw ConfigError(
        RuleMessage(index, key,
                    "a regular expression may be at most " + std::to_string(kMaxPatternBytes) +
                        " bytes long, not " + std::to_string(source->size())),
        reader.PointerOf(key));
  }
  try {
    return Pattern(std::move(*source));
  } catch (const std::regex_error& error) {
    throw ConfigError(
        RuleMessage(index, key,
                    std::string("not a valid regular expression (ECMAScript): ") + error.what()),
        reader.PointerOf(key));
  }
}

constexpr std::string_view kRuleKeys[] = {"reply",   "contains",     "last_role",       "tool",
                                          "called",  "model",        "system_contains", "turn",
                                          "matches", "any_contains", "any_matches"};

Rule ReadRule(const nlohmann::json& value, ObjectReader& reader, std::size_t index) {
  for (const auto& [key, unused] : value.items()) {
    if (std::find(std::begin(kRuleKeys), std::end(kRuleKeys), key) != std::end(kRuleKeys)) continue;
    std::string known;
    for (std::string_view name : kRuleKeys)
      known += (known.empty() ? "" : ", ") + std::string(name);
    throw ConfigError(RuleMessage(index, key, "unknown key; a rule takes " + known),
                      reader.PointerOf(key));
  }
  Rule rule;
  if (const nlohmann::json* contains = reader.Find("contains")) {
    if (!contains->is_string())
      throw ConfigError(RuleMessage(index, "contains", "expected a string"),
                        reader.PointerOf("contains"));
    rule.contains = contains->get<std::string>();
  }
  rule.last_role = RuleString(reader, index, "last_role");
  if (rule.last_role &&
      std::find(std::begin(kRoles), std::end(kRoles), *rule.last_role) == std::end(kRoles)) {
    throw ConfigError(
        RuleMessage(index, "last_role",
                    "expected \"user\", \"assistant\", \"tool\" or \"system\", not \"" +
                        *rule.last_role + "\""),
        reader.PointerOf("last_role"));
  }
  rule.tool = RuleString(reader, index, "tool");
  rule.called = RuleString(reader, index, "called");
  rule.model = RuleString(reader, index, "model");
  rule.system_contains = RuleString(reader, index, "system_contains");
  if (const nlohmann::json* turn = reader.Find("turn")) {
    constexpr long long kMaxTurn = 1LL << 30;
    if (!turn->is_number_integer() || turn->get<long long>() < 0 ||
        turn->get<long long>() > kMaxTurn) {
      throw ConfigError(RuleMessage(index, "turn",
                                    "expected the number of user messages, an integer from 0 to " +
                                        std::to_string(kMaxTurn)),
                        reader.PointerOf("turn"));
    }
    rule.turn = turn->get<long long>();
  }
  rule.matches = RulePattern(reader, index, "matches");
  rule.any_contains = RuleString(reader, index, "any_contains");
  rule.any_matches = RulePattern(reader, index, "any_matches");
  const nlohmann::json* reply = reader.Find("reply");
  if (reply == nullptr)
    throw ConfigError(RuleMessage(index, "reply", "a rule needs a reply"),
                      reader.PointerOf("reply"));
  rule.reply = ReadReply(*reply, reader.PointerOf("reply"));
  return rule;
}

bool HasTool(const Turn& turn, const std::string& name) {
  return std::find(turn.tool_names.begin(), turn.tool_names.end(), name) != turn.tool_names.end();
}

}  // namespace

Script ReadScript(const nlohmann::json& value, const std::string& pointer) {
  ObjectReader reader(value, pointer);
  Script script;
  script.loop = reader.Bool("loop", false);
  if (const nlohmann::json* sequence = reader.Find("sequence")) {
    if (!sequence->is_array())
      throw ConfigError("expected an array of replies", reader.PointerOf("sequence"));
    for (std::size_t i = 0; i < sequence->size(); ++i) {
      script.sequence.push_back(
          ReadReply((*sequence)[i], PointerJoin(reader.PointerOf("sequence"), std::to_string(i))));
    }
  }
  if (const nlohmann::json* rules = reader.Find("rules")) {
    if (!rules->is_array())
      throw ConfigError("expected an array of rules", reader.PointerOf("rules"));
    for (std::size_t i = 0; i < rules->size(); ++i) {
      const std::string rule_pointer = PointerJoin(reader.PointerOf("rules"), std::to_string(i));
      ObjectReader rule_reader((*rules)[i], rule_pointer);
      script.rules.push_back(ReadRule((*rules)[i], rule_reader, i));
      rule_reader.RejectUnknownKeys();
    }
  }
  reader.RejectUnknownKeys();
  return script;
}

namespace {

constexpr std::pair<Distribution, std::string_view> kDistributions[] = {
    {Distribution::kFixed, "fixed"},
    {Distribution::kUniform, "uniform"},
    {Distribution::kNormal, "normal"},
    {Distribution::kLognormal, "lognormal"},
};

/// Reads {"distribution","mean_ms","spread_ms"} (and, for the inter-token latency,
/// "tokens_per_second") into `spread` and `mean`; `old_key` names the fixed key giving the same
/// mean, `old_given` whether it was given.
void ReadLatency(const nlohmann::json& value, const std::string& pointer, bool per_token,
                 std::string_view old_key, bool old_given, Spread& spread,
                 std::chrono::microseconds& mean) {
  ObjectReader reader(value, pointer);
  const std::string name = reader.String("distribution", "fixed");
  const auto* found = std::find_if(std::begin(kDistributions), std::end(kDistributions),
                                   [&](const auto& entry) { return entry.second == name; });
  if (found == std::end(kDistributions)) {
    throw ConfigError("unknown distribution \"" + name +
                          "\"; expected \"fixed\", \"uniform\", \"normal\" or \"lognormal\"",
                      reader.PointerOf("distribution"));
  }
  spread.distribution = found->first;
  std::optional<std::chrono::microseconds> given;
  if (reader.Find("mean_ms") != nullptr) given = reader.Millis("mean_ms", mean);
  if (per_token && reader.Find("tokens_per_second") != nullptr) {
    if (given) {
      throw ConfigError("give either mean_ms or tokens_per_second, not both",
                        reader.PointerOf("tokens_per_second"));
    }
    const double rate = reader.Number("tokens_per_second", 1.0, 1e-3, 1e6);
    given = std::chrono::microseconds(std::llround(1e6 / rate));
  }
  if (given) {
    if (old_given && *given != mean) {
      throw ConfigError(
          "the mean differs from '" + std::string(old_key) + "'; give the mean in one place",
          reader.PointerOf(per_token && reader.Find("mean_ms") == nullptr ? "tokens_per_second"
                                                                          : "mean_ms"));
    }
    mean = *given;
  }
  spread.spread = reader.Millis("spread_ms", spread.spread);
  reader.RejectUnknownKeys();
}

}  // namespace

std::string_view DistributionName(Distribution distribution) {
  for (const auto& [kind, name] : kDistributions) {
    if (kind == distribution) return name;
  }
  return "fixed";
}

StreamTiming ReadTiming(const nlohmann::json& value, const std::string& pointer) {
  ObjectReader reader(value, pointer);
  StreamTiming timing;
  timing.chunk_chars = static_cast<std::size_t>(
      reader.Integer("chunk_chars", static_cast<long long>(timing.chunk_chars), 1, 1 << 30));
  const bool old_first = reader.Find("first_chunk_delay_ms") != nullptr;
  const bool old_interval = reader.Find("chunk_interval_ms") != nullptr;
  timing.first_chunk_delay = reader.Millis("first_chunk_delay_ms", timing.first_chunk_delay);
  timing.chunk_interval = reader.Millis("chunk_interval_ms", timing.chunk_interval);
  if (const nlohmann::json* first = reader.Find("first_token")) {
    ReadLatency(*first, reader.PointerOf("first_token"), false, "first_chunk_delay_ms", old_first,
                timing.first_token, timing.first_chunk_delay);
  }
  if (const nlohmann::json* inter = reader.Find("inter_token")) {
    ReadLatency(*inter, reader.PointerOf("inter_token"), true, "chunk_interval_ms", old_interval,
                timing.inter_token, timing.chunk_interval);
  }
  if (const nlohmann::json* seed = reader.Find("seed")) {
    if (!seed->is_number_unsigned()) {
      throw ConfigError("expected a non-negative integer", reader.PointerOf("seed"));
    }
    timing.seed = seed->get<std::uint64_t>();
  }
  timing.slots = static_cast<std::size_t>(reader.Integer("slots", 0, 0, 1 << 20));
  reader.RejectUnknownKeys();
  return timing;
}

std::string Conversation::LastUserText() const {
  for (auto turn = turns.rbegin(); turn != turns.rend(); ++turn) {
    if (turn->role == "user") return turn->text;
  }
  return {};
}

Pattern::Pattern(std::string source) : source_(std::move(source)) {
  if (source_.size() > kMaxPatternBytes)
    throw std::regex_error(std::regex_constants::error_complexity);
  regex_ = std::make_shared<const std::regex>(source_, std::regex::ECMAScript);
}

bool Pattern::Search(std::string_view text) const {
  if (text.size() > kPatternWindow) {
    std::size_t cut = kPatternWindow;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    text = text.substr(0, cut);
  }
  return std::regex_search(text.begin(), text.end(), *regex_);
}

bool Rule::Matches(const Conversation& conversation) const {
  const std::vector<Turn>& turns = conversation.turns;
  if (!contains.empty() || matches) {
    const std::string last_user = conversation.LastUserText();
    if (last_user.find(contains) == std::string::npos) return false;
    if (matches && !matches->Search(last_user)) return false;
  }
  if (last_role && (turns.empty() || turns.back().role != *last_role)) return false;
  if (tool && (turns.empty() || turns.back().role != "tool" || !HasTool(turns.back(), *tool)))
    return false;
  if (called && std::none_of(turns.begin(), turns.end(), [&](const Turn& t) {
        return t.role == "assistant" && HasTool(t, *called);
      }))
    return false;
  if (model && conversation.model != *model) return false;
  if (system_contains && std::none_of(turns.begin(), turns.end(), [&](const Turn& t) {
        return t.role == "system" && t.text.find(*system_contains) != std::string::npos;
      }))
    return false;
  if (turn && std::count_if(turns.begin(), turns.end(),
                            [](const Turn& t) { return t.role == "user"; }) != *turn)
    return false;
  if (any_contains && std::none_of(turns.begin(), turns.end(), [&](const Turn& t) {
        return t.text.find(*any_contains) != std::string::npos;
      }))
    return false;
  if (any_matches && std::none_of(turns.begin(), turns.end(),
                                  [&](const Turn& t) { return any_matches->Search(t.text); }))
    return false;
  return true;
}

Reply ReplyFromJson(const nlohmann::json& value) { return ReadReply(value, ""); }
Script ScriptFromJson(const nlohmann::json& value) { return ReadScript(value, ""); }
StreamTiming TimingFromJson(const nlohmann::json& value) { return ReadTiming(value, ""); }

nlohmann::json ToJson(const Reply& reply) {
  nlohmann::json out = {{"text", reply.text}};
  if (!reply.reasoning.empty()) out["reasoning"] = reply.reasoning;
  if (!reply.finish_reason.empty()) out["finish_reason"] = reply.finish_reason;
  if (!reply.tool_calls.empty()) {
    nlohmann::json calls = nlohmann::json::array();
    for (const ToolCall& call : reply.tool_calls) {
      calls.push_back({{"id", call.id}, {"name", call.name}, {"arguments", call.arguments}});
    }
    out["tool_calls"] = std::move(calls);
  }
  if (reply.usage) {
    out["usage"] = {{"prompt_tokens", reply.usage->prompt_tokens},
                    {"completion_tokens", reply.usage->completion_tokens},
                    {"total_tokens", reply.usage->total_tokens}};
  }
  return out;
}

nlohmann::json ToJson(const Script& script) {
  nlohmann::json sequence = nlohmann::json::array();
  for (const Reply& reply : script.sequence) sequence.push_back(ToJson(reply));
  nlohmann::json rules = nlohmann::json::array();
  for (const Rule& rule : script.rules) {
    nlohmann::json out = {{"contains", rule.contains}};
    const auto put = [&out](const char* key, const std::optional<std::string>& value) {
      if (value) out[key] = *value;
    };
    put("last_role", rule.last_role);
    put("tool", rule.tool);
    put("called", rule.called);
    put("model", rule.model);
    put("system_contains", rule.system_contains);
    if (rule.turn) out["turn"] = *rule.turn;
    if (rule.matches) out["matches"] = rule.matches->source();
    put("any_contains", rule.any_contains);
    if (rule.any_matches) out["any_matches"] = rule.any_matches->source();
    out["reply"] = ToJson(rule.reply);
    rules.push_back(std::move(out));
  }
  return {{"sequence", std::move(sequence)}, {"rules", std::move(rules)}, {"loop", script.loop}};
}

nlohmann::json ToJson(const StreamTiming& timing) {
  const auto millis = [](std::chrono::microseconds value) {
    return static_cast<double>(value.count()) / 1000.0;
  };
  nlohmann::json out = {{"chunk_chars", timing.chunk_chars},
                        {"first_chunk_delay_ms", millis(timing.first_chunk_delay)},
                        {"chunk_interval_ms", millis(timing.chunk_interval)}};
  const auto latency = [&](const char* key, const Spread& spread, std::chrono::microseconds mean) {
    if (spread.distribution == Distribution::kFixed) return;
    out[key] = {{"distribution", DistributionName(spread.distribution)},
                {"mean_ms", millis(mean)},
                {"spread_ms", millis(spread.spread)}};
  };
  latency("first_token", timing.first_token, timing.first_chunk_delay);
  latency("inter_token", timing.inter_token, timing.chunk_interval);
  if (timing.seed != 0) out["seed"] = timing.seed;
  if (timing.slots != 0) out["slots"] = timing.slots;
  return out;
}

}  // namespace provkit::mock
