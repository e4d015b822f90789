#!/usr/bin/env python3
# provkit adapter for the example Python provider: maps docs/adapter-protocol.md onto provkit_local.
"""Reads JSON-lines requests on stdin, answers on stdout. Copy this file and swap
provkit_local for your own library to judge your provider with `provkit conform --adapter`."""

import json
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import provkit_local as lib  # noqa: E402

PROTOCOL = 1
_out_lock = threading.Lock()
_counts_lock = threading.Lock()
_counts = {"instances_created": 0, "instances_closed": 0, "calls_after_close": 0}


def send(message):
    line = json.dumps(message, separators=(",", ":"), ensure_ascii=False)
    with _out_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def count(key):
    with _counts_lock:
        _counts[key] += 1


class CountingProvider:
    """Wraps the library's provider to count instances, closes and calls after close (for `stats`)."""

    def __init__(self, config):
        self._inner = lib.LocalProvider(config)
        self._closed = False
        self.name = self._inner.name
        count("instances_created")

    def _call(self):
        if self._closed:
            count("calls_after_close")
        return self._inner

    def generate(self, *args):
        return self._call().generate(*args)

    def stream(self, *args):
        return self._call().stream(*args)

    def check_ready(self, *args):
        return self._call().check_ready(*args)

    def close(self):
        count("instances_closed")
        self._closed = True
        self._inner.close()


def make_config(raw):
    raw = raw or {}
    return lib.Config(base_url=raw.get("base_url", ""), model=raw.get("model"),
                      api_key=raw.get("api_key", "local"),
                      connect_timeout=raw.get("connect_timeout_ms", 2000) / 1000.0,
                      request_timeout=raw.get("request_timeout_ms", 120000) / 1000.0,
                      probe_budget=raw.get("probe_budget_ms", 2000) / 1000.0)


class Adapter:
    def __init__(self):
        self.sessions = {}
        self.lock = threading.Lock()
        self.next_session = 0

    def session(self, request):
        with self.lock:
            session = self.sessions.get(request.get("session"))
        if session is None:
            raise lib.ProviderError("bad_request", f"unknown session {request.get('session')!r}")
        return session

    # ---- ops

    def op_hello(self, request):
        return {"protocol": PROTOCOL, "name": "python-example",
                "capabilities": {"readiness": True, "streaming": True, "tools": True, "run_many": True,
                                 "one_shot": True, "concurrent": True, "probe_optional": True}}

    def op_open(self, request):
        session = lib.Session(make_config(request.get("config")), CountingProvider,
                              readiness_probe=request.get("readiness_probe", True))
        with self.lock:
            self.next_session += 1
            name = f"s{self.next_session}"
            self.sessions[name] = session
        return {"session": name}

    def op_check_ready(self, request):
        session = self.session(request)
        if "model" in request:
            return session.check_ready(request["model"])
        return session.check_ready()

    def op_interact(self, request):
        return self.session(request).interact(request.get("environment"), request.get("input"),
                                              request.get("requirements"))

    def op_stream(self, request, events=None):
        if events is None:
            events = self.session(request).stream(request.get("environment"), request.get("input"),
                                                  request.get("requirements"))
        stop_after = request.get("stop_after")
        seen = 0
        try:
            for event in events:
                if event["type"] == "done":
                    return {"done": True, "output": event["output"]}
                send({"id": request["id"], "event": event})
                seen += 1
                if stop_after is not None and seen >= stop_after:
                    return {"abandoned": True, "events": seen}
        finally:
            events.close()  # what a caller's `break` does: the stream is abandoned
        raise lib.ProviderError("stream_failure", "the stream ended without a done event")

    def op_run_many(self, request):
        outputs = self.session(request).run_many(request.get("environment"), request.get("inputs") or [],
                                                 request.get("requirements"), request.get("concurrency", 4))
        return {"outputs": outputs}

    def op_close(self, request):
        self.session(request).close()
        return {}

    def op_drop(self, request):
        with self.lock:
            session = self.sessions.pop(request.get("session"), None)
        if session is None:
            raise lib.ProviderError("bad_request", f"unknown session {request.get('session')!r}")
        session.__exit__(None, None, None)  # exactly what leaving a `with lib.Session(...)` block does
        return {}

    def op_oneshot(self, request):
        config = make_config(request.get("config"))
        call = request.get("call")
        env, inp, req = request.get("environment"), request.get("input"), request.get("requirements")
        if call == "interact":
            return lib.interact(config, env, inp, req, factory=CountingProvider)
        if call == "check_ready":
            return lib.check_ready(config, factory=CountingProvider)
        if call == "run_many":
            return {"outputs": lib.run_many(config, env, request.get("inputs") or [], req,
                                            request.get("concurrency", 4), factory=CountingProvider)}
        if call == "stream":
            return self.op_stream(request, lib.stream(config, env, inp, req, factory=CountingProvider))
        raise lib.ProviderError("bad_request", f"unknown one-shot call {call!r}")

    def op_stats(self, request):
        with _counts_lock:
            return dict(_counts)

    # ---- dispatch

    def handle(self, request):
        handler = getattr(self, "op_" + str(request.get("op")), None)
        try:
            if handler is None:
                raise lib.ProviderError("unsupported", f"unknown op {request.get('op')!r}")
            send({"id": request.get("id"), "result": handler(request)})
        except lib.ProviderError as exc:
            error = {"kind": exc.kind, "message": exc.message, "hint": exc.hint}
            if exc.status_code is not None:
                error["status_code"] = exc.status_code
            send({"id": request.get("id"), "error": error})
        except Exception as exc:  # a bug in the adapter or the library: report it, keep serving
            send({"id": request.get("id"), "error": {"kind": "internal", "message": f"{type(exc).__name__}: {exc}"}})


def main():
    adapter = Adapter()
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            request = json.loads(line)
        except ValueError as exc:
            send({"id": None, "error": {"kind": "bad_request", "message": f"not JSON: {exc}"}})
            continue
        if request.get("op") in ("hello", "stats"):
            adapter.handle(request)
        elif request.get("op") == "shutdown":
            send({"id": request.get("id"), "result": {}})
            break
        else:
            threading.Thread(target=adapter.handle, args=(request,), daemon=True).start()
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
