// One canned Chat Completions answer, as a chat.completion body and as chat.completion.chunk
// payloads (S8 fixtures).
#pragma once

#include <string>
#include <vector>

namespace provkit::testing {

/// Reasoning, text, two tool calls, usage and finish_reason, not streamed.
inline const char* const kCompletion = R"({
  "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "m",
  "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
    "role": "assistant", "content": "Hello world", "reasoning_content": "think",
    "tool_calls": [
      {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
      {"id": "call_2", "type": "function", "function": {"name": "get_time", "arguments": "{}"}}]}}],
  "usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12}})";

/// The same answer streamed: fragmented reasoning, text and interleaved tool-call
/// arguments, then finish_reason, a usage chunk with empty choices, and [DONE].
inline std::vector<std::string> AnswerChunks() {
  return {
      R"({"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","reasoning_content":"thi"}}]})",
      R"({"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"reasoning_content":"nk"}}]})",
      R"({"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hello"}}]})",
      R"({"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":" world"}}]})",
      R"({"id":"chatcmpl-1","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"get_weather","arguments":""}}]}}]})",
      R"({"id":"chatcmpl-1","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_2","type":"function","function":{"name":"get_time","arguments":"{}"}}]}}]})",
      R"({"id":"chatcmpl-1","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]}}]})",
      R"({"id":"chatcmpl-1","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\"Paris\"}"}}]}}]})",
      R"({"id":"chatcmpl-1","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]})",
      R"({"id":"chatcmpl-1","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12}})",
      "[DONE]",
  };
}

}  // namespace provkit::testing
