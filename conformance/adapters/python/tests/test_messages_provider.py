# The example library's Anthropic Messages provider without a server: request bodies, answers and streams.
import json
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import provkit_local as lib  # noqa: E402


def provider():
    return lib.provider_for(lib.Config(base_url="http://127.0.0.1:9/v1", model="claude-x", api_key="k-123",
                                       dialect="anthropic"))


def feed_all(builder, events):
    out = []
    for event in events:
        out.extend(builder.feed(json.dumps(event)))
    return out


# A tool-using answer as the Messages API streams it: thinking, text, a tool_use whose input arrives in pieces.
STREAM = [
    {"type": "message_start", "message": {"id": "msg_1", "type": "message", "role": "assistant", "content": [],
                                          "usage": {"input_tokens": 12, "output_tokens": 1}}},
    {"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": ""}},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "add them"}},
    {"type": "content_block_stop", "index": 0},
    {"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}},
    {"type": "ping"},
    {"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "Let me "}},
    {"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "add."}},
    {"type": "content_block_stop", "index": 1},
    {"type": "content_block_start", "index": 2,
     "content_block": {"type": "tool_use", "id": "toolu_1", "name": "add", "input": {}}},
    {"type": "content_block_delta", "index": 2, "delta": {"type": "input_json_delta", "partial_json": "{\"a\": 1,"}},
    {"type": "content_block_delta", "index": 2, "delta": {"type": "input_json_delta", "partial_json": " \"b\": 2}"}},
    {"type": "content_block_stop", "index": 2},
    {"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 30}},
    {"type": "message_stop"},
]

# The same answer as one `message` document.
MESSAGE = {"id": "msg_1", "type": "message", "role": "assistant", "stop_reason": "tool_use",
           "content": [{"type": "thinking", "thinking": "add them"}, {"type": "text", "text": "Let me add."},
                       {"type": "tool_use", "id": "toolu_1", "name": "add", "input": {"a": 1, "b": 2}}],
           "usage": {"input_tokens": 12, "output_tokens": 30}}


def test_stream_and_message_give_the_same_output():
    builder = provider().stream_builder()
    events = feed_all(builder, STREAM)
    assert builder.saw_done
    streamed = builder.done(0)["output"]
    answered = provider().decode_answer(MESSAGE)
    for key in ("text", "reasoning", "finish_reason", "response_id", "usage"):
        assert streamed[key] == answered[key], key
    assert [c["arguments"] for c in streamed["tool_calls"]] == [c["arguments"] for c in answered["tool_calls"]]
    # S8 compares the arguments text too: the spaced fragments and the parsed input agree on it.
    assert [c["arguments_text"] for c in streamed["tool_calls"]] == ['{"a":1,"b":2}']
    assert [c["arguments_text"] for c in answered["tool_calls"]] == ['{"a":1,"b":2}']
    assert streamed["text"] == "Let me add." and streamed["reasoning"] == "add them"
    assert streamed["finish_reason"] == "tool_calls"
    assert streamed["usage"] == {"prompt_tokens": 12, "completion_tokens": 30, "total_tokens": 42}
    assert streamed["tool_calls"][0]["arguments"] == {"a": 1, "b": 2}
    kinds = [e["type"] for e in events]
    assert kinds.count("text_delta") == 2 and kinds.count("tool_call_delta") == 2
    assert kinds.index("tool_call") < kinds.index("finish")


def test_error_event_fails_the_stream():
    builder = provider().stream_builder()
    feed_all(builder, STREAM[:5])
    with pytest.raises(lib.ProviderError) as raised:
        builder.feed(json.dumps({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}))
    assert raised.value.kind == "stream_failure" and "Overloaded" in str(raised.value)


def test_a_stream_without_message_stop_is_incomplete():
    builder = provider().stream_builder()
    feed_all(builder, STREAM[:-1])
    with pytest.raises(lib.ProviderError) as raised:
        builder.check_complete()
    assert "message_stop" in str(raised.value)


def test_malformed_events_and_stray_json_deltas_fail():
    for data in ("not json", "[1, 2]", json.dumps({"no": "type"})):
        with pytest.raises(lib.ProviderError):
            provider().stream_builder().feed(data)
    with pytest.raises(lib.ProviderError):
        provider().stream_builder().feed(json.dumps(
            {"type": "content_block_delta", "index": 4, "delta": {"type": "input_json_delta", "partial_json": "{"}}))


def test_request_body_and_headers():
    p = provider()
    history = [{"role": "user", "content": "2+3?"},
               {"role": "assistant", "content": "", "tool_calls": [{"id": "toolu_1", "name": "add",
                                                                     "arguments_text": "{\"a\": 2, \"b\": 3}"}]}]
    body = p.build_body({"instructions": "Be brief.", "tools": [{"name": "add", "parameters": {"type": "object"}}]},
                        {"history": history, "tool_results": [{"call_id": "toolu_1", "content": "5"}],
                         "text": "and now?"},
                        {"provider_options": {"anthropic": {"metadata": {"user_id": "u"}}, "local": {"seed": 1}}},
                        True)
    assert body["system"] == "Be brief." and body["stream"] is True and body["max_tokens"] > 0
    assert body["tools"] == [{"name": "add", "description": "", "input_schema": {"type": "object"}}]
    assert [m["role"] for m in body["messages"]] == ["user", "assistant", "user"]
    assert body["messages"][1]["content"] == [{"type": "tool_use", "id": "toolu_1", "name": "add",
                                               "input": {"a": 2, "b": 3}}]
    assert body["messages"][2]["content"] == [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "5"},
                                              {"type": "text", "text": "and now?"}]
    assert body["metadata"] == {"user_id": "u"} and "seed" not in body  # only the own scope (S12)
    headers = p._headers(body=True)
    assert headers["x-api-key"] == "k-123" and headers["anthropic-version"] and "Authorization" not in headers
    for field in ("model", "messages", "stream"):
        with pytest.raises(lib.ProviderError) as raised:
            p.build_body({}, {"text": "x"}, {"provider_options": {"anthropic": {field: 1}}}, False)
        assert raised.value.kind == "configuration"


def test_no_probe_and_an_unknown_dialect_is_a_configuration_error():
    session = lib.Session(provider().config, lib.provider_for)
    readiness = session.check_ready()
    assert readiness["ready"] is True and readiness["model_verified"] is False
    assert readiness["message"] == lib.NO_PROBE_MESSAGE and readiness["provider"] == "anthropic"
    session.close()
    with pytest.raises(lib.ProviderError) as raised:
        lib.Config(dialect="responses")
    assert raised.value.kind == "configuration" and "anthropic" in str(raised.value)
