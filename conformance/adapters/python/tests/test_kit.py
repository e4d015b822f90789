# Tests of the Python adapter kit: protocol framing, counting, error rules, stream closing and S12, through adapters.
import asyncio
import json
import os
import sys
import textwrap

import pytest

import provkit_adapter as kit
from provkit_adapter.counting import Counters
from protocol_client import AdapterProcess, python_adapter

HERE = os.path.dirname(os.path.abspath(__file__))
KIT_ROOT = os.path.dirname(HERE)
AIO_ADAPTER = os.path.join(KIT_ROOT, "examples", "aio_adapter.py")
SYNC_ADAPTER = os.path.join(KIT_ROOT, "adapter.py")


def config_of(mock, **extra):
    return {"base_url": mock.base_url, "model": "provkit-mock", "api_key": "local", "connect_timeout_ms": 2000,
            "request_timeout_ms": 10000, "probe_budget_ms": 2000, **extra}


@pytest.fixture(params=[SYNC_ADAPTER, AIO_ADAPTER], ids=["sync", "asyncio"])
def example(request):
    adapter = python_adapter(request.param)
    adapter.sync = request.param == SYNC_ADAPTER
    yield adapter
    adapter.close()


def test_hello_declares_what_the_adapter_defines(example):
    result = example.call("hello", protocol=1)["result"]
    assert result["protocol"] == 1
    assert result["capabilities"] == {"readiness": True, "streaming": True, "tools": True, "run_many": True,
                                      "one_shot": True, "concurrent": True, "probe_optional": True,
                                      # the sync example also speaks Anthropic Messages; the kit's default is chat
                                      "dialects": ["chat", "anthropic"] if example.sync else ["chat"]}
    assert example.call("hello", protocol=2)["error"]["kind"] == "bad_request"


def test_session_turns_counts_and_close_S1_S2_S3(example, provkit_mock):
    session = example.call("open", config=config_of(provkit_mock))["result"]["session"]
    output = example.call("interact", session=session, environment={}, input={"text": "hello"},
                          requirements={})["result"]
    assert output["text"] == "hello"
    assert output["usage"]["total_tokens"] > 0
    ready = example.call("check_ready", session=session)["result"]
    assert ready["ready"] is True and ready["model"] == "provkit-mock" and ready["model_verified"] is True
    assert example.call("close", session=session) == {"id": example.next_id, "result": {}}
    closed = example.call("interact", session=session, environment={}, input={"text": "x"}, requirements={})
    assert closed["error"] == {"kind": "session_closed", "message": "Session is closed",
                               "hint": "Create a new Session for additional interactions."}
    assert example.call("stats")["result"] == {"instances_created": 1, "instances_closed": 1, "calls_after_close": 0}


def test_abandoned_stream_is_closed_and_session_stays_usable_S6(example, provkit_mock):
    provkit_mock.admin.timing({"chunk_chars": 1})
    session = example.call("open", config=config_of(provkit_mock))["result"]["session"]
    provkit_mock.admin.reset_journal()  # counts from here; the admin client's own connection stays open
    request = example.send("stream", session=session, environment={}, input={"text": "a long answer"},
                           requirements={}, stop_after=3)
    events, final = example.answer(request)
    assert final["result"] == {"abandoned": True, "events": 3}
    assert [e["type"] for e in events] == ["start", "text_delta", "text_delta"]
    again = example.call("interact", session=session, environment={}, input={"text": "next"}, requirements={})
    assert again["result"]["text"] == "next"
    assert provkit_mock.admin.stats()["connections_opened"] <= 2  # the abandoned one and one replacement


def test_stream_done_equals_interact_S8(example, provkit_mock):
    session = example.call("open", config=config_of(provkit_mock))["result"]["session"]
    events, final = example.answer(example.send("stream", session=session, environment={},
                                                input={"text": "same answer"}, requirements={}))
    interact = example.call("interact", session=session, environment={}, input={"text": "same answer"},
                            requirements={})["result"]
    streamed = final["result"]["output"]
    for key in ("text", "reasoning", "tool_calls", "usage", "finish_reason", "response_id"):
        assert streamed[key] == interact[key], key
    assert "".join(e["delta"] for e in events if e["type"] == "text_delta") == "same answer"


def test_provider_options_scoped_and_managed_fields_refused_S12(example, provkit_mock):
    session = example.call("open", config=config_of(provkit_mock))["result"]["session"]
    provkit_mock.admin.script({"sequence": [{"text": "t", "reasoning": "thought"}], "loop": True})
    plain = example.call("interact", session=session, environment={}, input={"text": "think"},
                         requirements={})["result"]
    assert plain["reasoning"] == ""  # the mock reasons only when asked to
    provkit_mock.admin.reset_journal()
    options = {"local": {"chat_template_kwargs": {"enable_thinking": True}}, "other": {"secret_knob": 1}}
    output = example.call("interact", session=session, environment={}, input={"text": "think"},
                          requirements={"provider_options": options})["result"]
    assert output["reasoning"] == "thought"
    body = json.loads(provkit_mock.admin.journal()[-1]["body"])
    assert body["chat_template_kwargs"] == {"enable_thinking": True}
    assert "secret_knob" not in body
    provkit_mock.admin.reset_journal()
    for field in kit.MANAGED_FIELDS:
        refused = example.call("interact", session=session, environment={}, input={"text": "x"},
                               requirements={"provider_options": {"local": {field: "replaced"}}})
        assert refused["error"]["kind"] == "configuration", refused
        assert field in refused["error"]["message"]
        events, streamed = example.answer(example.send("stream", session=session, environment={},
                                                       input={"text": "x"},
                                                       requirements={"provider_options": {"local": {field: 1}}}))
        assert streamed["error"]["kind"] == "configuration" and events == []
    assert provkit_mock.admin.journal() == []  # refused before any request was sent


def test_oneshot_calls_create_and_close_one_instance_each_S4(example, provkit_mock):
    config = config_of(provkit_mock)
    assert example.call("oneshot", call="interact", config=config, environment={}, input={"text": "one"},
                        requirements={})["result"]["text"] == "one"
    _, final = example.answer(example.send("oneshot", call="stream", config=config, environment={},
                                           input={"text": "two"}, requirements={}, stop_after=2))
    assert final["result"]["abandoned"] is True
    outputs = example.call("oneshot", call="run_many", config=config, environment={},
                           inputs=[{"text": "a"}, {"text": "b"}], requirements={}, concurrency=2)["result"]["outputs"]
    assert [o["text"] for o in outputs] == ["a", "b"]
    assert example.call("oneshot", call="check_ready", config=config)["result"]["ready"] is True
    assert example.call("stats")["result"] == {"instances_created": 4, "instances_closed": 4, "calls_after_close": 0}


def test_drop_closes_through_the_scope_exit(example, provkit_mock):
    session = example.call("open", config=config_of(provkit_mock))["result"]["session"]
    assert example.call("drop", session=session)["result"] == {}
    assert example.call("stats")["result"]["instances_closed"] == 1
    assert example.call("close", session=session)["error"]["kind"] == "bad_request"


def test_bad_lines_get_errors_and_the_adapter_keeps_serving(example):
    example.process.stdin.write(b"not json\n[1,2]\n")
    example.process.stdin.flush()
    assert example.line()["error"]["kind"] == "bad_request"
    assert example.line()["error"]["kind"] == "bad_request"
    assert example.call("no_such_op")["error"]["kind"] == "unsupported"
    assert example.call("interact", session="s99")["error"]["kind"] == "bad_request"
    assert "result" in example.call("hello", protocol=1)


# ---- a purpose-built adapter: concurrency on one loop, aclose on abandon, error rules, print safety

PROBE_ADAPTER = textwrap.dedent('''
    import asyncio, sys, threading
    sys.path.insert(0, {kit_root!r})
    import provkit_adapter as kit

    class Busy(Exception):
        pass

    class Provider:
        def __init__(self, config):
            self.gate = asyncio.Event()
        async def aclose(self):
            pass

    class Session:
        def __init__(self, provider):
            self.provider = provider
            self.closed_streams = 0
            self.threads = set()
        async def aclose(self):
            await self.provider.aclose()

    class Probe(kit.Adapter):
        name = "probe"
        error_rules = [(Busy, "http_status"), (lambda e: isinstance(e, KeyError), "malformed_response")]

        def provider(self, config):
            return Provider(config)

        async def open(self, config, factory, readiness_probe):
            return Session(factory(config))

        async def interact(self, session, environment, inp, requirements):
            session.threads.add(threading.get_ident())
            print("a stray print from the library")  # must not reach the protocol
            if inp["text"] == "wait":
                await session.provider.gate.wait()
            elif inp["text"] == "release":
                session.provider.gate.set()
            elif inp["text"] == "busy":
                err = Busy("slow down")
                err.status_code = 429
                raise err
            elif inp["text"] == "key":
                raise KeyError("choices")
            elif inp["text"] == "bug":
                raise ZeroDivisionError("oops")
            return kit.output(text=inp["text"] + " on " + str(len(session.threads)) + " thread(s)")

        async def stream(self, session, environment, inp, requirements):
            try:
                for piece in ("a", "b", "c", "d"):
                    yield {{"type": "text_delta", "delta": piece}}
                yield kit.done()
            finally:
                session.closed_streams += 1

        async def check_ready(self, session, model):
            return {{"ready": session.closed_streams > 0, "provider": "probe", "message": str(session.closed_streams)}}

    kit.run(Probe())
''')


@pytest.fixture
def probe(tmp_path):
    path = tmp_path / "probe_adapter.py"
    path.write_text(PROBE_ADAPTER.format(kit_root=KIT_ROOT))
    adapter = python_adapter(str(path))
    assert adapter.call("hello", protocol=1)["result"]["capabilities"]["concurrent"] is True
    adapter.session = adapter.call("open", config={"base_url": "http://127.0.0.1:9/v1"})["result"]["session"]
    yield adapter
    adapter.close()


def test_async_requests_overlap_on_one_loop(probe):
    waiting = probe.send("interact", session=probe.session, input={"text": "wait"})
    releasing = probe.send("interact", session=probe.session, input={"text": "release"})
    first, second = probe.line(), probe.line()
    assert (first["id"], second["id"]) == (releasing, waiting)  # the later request answered first
    assert second["result"]["text"] == "wait on 1 thread(s)"  # both ran on the one event loop thread


def test_abandoned_async_generator_is_closed_at_once(probe):
    events, final = probe.answer(probe.send("stream", session=probe.session, stop_after=2))
    assert final["result"] == {"abandoned": True, "events": 2}
    assert probe.call("check_ready", session=probe.session)["result"]["message"] == "1"  # its finally ran
    events, final = probe.answer(probe.send("stream", session=probe.session))
    assert final["result"]["done"] is True
    assert final["result"]["output"]["text"] == "abcd"  # built from the events by the kit
    assert probe.call("check_ready", session=probe.session)["result"] == {
        "ready": True, "provider": "probe", "message": "2", "status_code": None, "model": None,
        "model_verified": None}


def test_error_rules_then_defaults(probe):
    busy = probe.call("interact", session=probe.session, input={"text": "busy"})["error"]
    assert busy == {"kind": "http_status", "message": "slow down", "hint": "", "status_code": 429}
    assert probe.call("interact", session=probe.session, input={"text": "key"})["error"]["kind"] == \
        "malformed_response"
    bug = probe.call("interact", session=probe.session, input={"text": "bug"})["error"]
    assert bug["kind"] == "internal" and "ZeroDivisionError: oops" in bug["message"]
    assert probe.call("stats")["result"] == {"instances_created": 1, "instances_closed": 0, "calls_after_close": 0}


def test_error_rules_in_process():
    rules = kit.ErrorRules([(ValueError, "configuration"), (lambda e: "flaky" in str(e), "connection")])
    assert rules.map(ValueError("bad model")).to_json() == {"kind": "configuration", "message": "bad model",
                                                            "hint": ""}
    assert rules.map(RuntimeError("flaky net")).kind == "connection"
    assert rules.map(asyncio.TimeoutError()).kind == "timeout"
    assert rules.map(ConnectionRefusedError("refused")).kind == "connection"
    closed = kit.ErrorRules([(LookupError, "session_closed")]).map(KeyError("x"))
    assert (closed.message, closed.hint) == (kit.SESSION_CLOSED_MESSAGE, kit.SESSION_CLOSED_HINT)
    broken = kit.ErrorRules([(Exception, lambda e: 1 / 0)]).map(ValueError("v"))
    assert broken.kind == "internal" and "original: v" in broken.message


def test_counters_wrap_sync_and_async_factories():
    class Provider:
        name = "p"

        def generate(self):
            return "g"

        def close(self):
            pass

    counters = Counters()
    provider = counters.wrap(Provider)()
    assert provider.name == "p" and provider.generate() == "g"
    provider.close()
    provider.generate()
    assert counters.snapshot() == {"instances_created": 1, "instances_closed": 1, "calls_after_close": 1}

    async def make():
        return Provider()
    made = asyncio.run(counters.wrap(make)())
    assert made.generate() == "g"
    assert counters.snapshot()["instances_created"] == 2


def test_config_redacts_the_key_and_refuses_bad_fields():
    config = kit.Config({"base_url": "http://h/v1", "api_key": "sk-secret", "probe_budget_ms": 300})
    assert "sk-secret" not in repr(config) and config.probe_budget == 0.3
    with pytest.raises(kit.ProviderError, match="probe_budget_ms"):
        kit.Config({"probe_budget_ms": "soon"})


def test_sync_generator_closed_on_abandon(tmp_path):
    path = tmp_path / "sync_adapter.py"
    path.write_text(textwrap.dedent(f'''
        import sys
        sys.path.insert(0, {KIT_ROOT!r})
        import provkit_adapter as kit
        closed = []

        class Sync(kit.Adapter):
            def provider(self, config):
                return object()

            def open(self, config, factory, readiness_probe):
                return factory(config)

            def stream(self, session, environment, inp, requirements):
                try:
                    while True:
                        yield {{"type": "text_delta", "delta": "x"}}
                finally:
                    closed.append(True)

            def interact(self, session, environment, inp, requirements):
                return {{"text": str(len(closed))}}

        kit.run(Sync())
    '''))
    adapter = python_adapter(str(path))
    try:
        session = adapter.call("open", config={})["result"]["session"]
        _, final = adapter.answer(adapter.send("stream", session=session, stop_after=5))
        assert final["result"] == {"abandoned": True, "events": 5}
        assert adapter.call("interact", session=session)["result"]["text"] == "1"
    finally:
        adapter.close()
