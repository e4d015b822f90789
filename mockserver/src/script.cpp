// Scripts: the JSON form of replies, rules and stream timing.
#include "provkit/mockserver/script.hpp"

#include <nlohmann/json.hpp>

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
      Rule rule;
      rule.contains = rule_reader.String("contains", "");
      const nlohmann::json* reply = rule_reader.Find("reply");
      if (reply == nullptr)
        throw ConfigError("a rule needs a reply", rule_reader.PointerOf("reply"));
      rule.reply = ReadReply(*reply, rule_reader.PointerOf("reply"));
      rule_reader.RejectUnknownKeys();
      script.rules.push_back(std::move(rule));
    }
  }
  reader.RejectUnknownKeys();
  return script;
}

StreamTiming ReadTiming(const nlohmann::json& value, const std::string& pointer) {
  ObjectReader reader(value, pointer);
  StreamTiming timing;
  timing.chunk_chars = static_cast<std::size_t>(
      reader.Integer("chunk_chars", static_cast<long long>(timing.chunk_chars), 1, 1 << 30));
  timing.first_chunk_delay = reader.Millis("first_chunk_delay_ms", timing.first_chunk_delay);
  timing.chunk_interval = reader.Millis("chunk_interval_ms", timing.chunk_interval);
  reader.RejectUnknownKeys();
  return timing;
}

std::string Conversation::LastUserText() const {
  for (auto turn = turns.rbegin(); turn != turns.rend(); ++turn) {
    if (turn->role == "user") return turn->text;
  }
  return {};
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
  for (const Rule& rule : script.rules)
    rules.push_back({{"contains", rule.contains}, {"reply", ToJson(rule.reply)}});
  return {{"sequence", std::move(sequence)}, {"rules", std::move(rules)}, {"loop", script.loop}};
}

nlohmann::json ToJson(const StreamTiming& timing) {
  return {{"chunk_chars", timing.chunk_chars},
          {"first_chunk_delay_ms", static_cast<double>(timing.first_chunk_delay.count()) / 1000.0},
          {"chunk_interval_ms", static_cast<double>(timing.chunk_interval.count()) / 1000.0}};
}

}  // namespace provkit::mock
