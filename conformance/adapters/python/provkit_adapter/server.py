# The adapter runtime: JSON-lines framing, hello, dispatch, concurrency, sessions, streams and stats.
"""Subclass :class:`Adapter`, map the operations onto your library, and call :func:`run`.

Threads and loops: the kit runs one asyncio event loop on the main thread and reads stdin
on a reader thread. When any operation of the adapter is ``async def`` (an async library),
every operation runs on that one loop and plain ``def`` operations must be quick (they run
on the loop thread). When every operation is a plain ``def`` (a sync library), each request
runs on a worker thread, so slow calls overlap as the harness expects (S10, S11).
"""

import asyncio
import concurrent.futures
import functools
import inspect
import json
import logging
import os
import sys
import threading
import time

from .counting import Counters
from .errors import ErrorRules, ProviderError
from .values import Config, StreamAccumulator, output, readiness

PROTOCOL = 1
log = logging.getLogger("provkit_adapter")

_OPS = ("config", "provider", "open", "check_ready", "interact", "stream", "run_many", "close", "drop",
        "oneshot_interact", "oneshot_stream", "oneshot_run_many", "oneshot_check_ready")
_ONESHOTS = ("interact", "stream", "run_many", "check_ready")


def _is_async(function):
    return inspect.iscoroutinefunction(function) or inspect.isasyncgenfunction(function)


class Adapter:
    """What an adapter author writes: a provider factory and the operations mapped onto a library.

    Required: :meth:`provider` (the factory the kit counts) and :meth:`open`. Optional, each
    making a capability true when defined: ``check_ready(session, model)`` (readiness),
    ``interact(session, environment, input, requirements)``, ``stream(...)`` (streaming; it
    returns an iterator or async iterator of events, the last one :func:`done`),
    ``run_many(session, environment, inputs, requirements, concurrency)`` (run_many),
    ``oneshot_interact(config, factory, environment, input, requirements)``,
    ``oneshot_stream(...)`` with the same arguments, ``oneshot_run_many(config, factory,
    environment, inputs, requirements, concurrency)`` and ``oneshot_check_ready(config,
    factory)`` (one_shot). Each may be ``def`` or ``async def``. Raise anything: the
    exception is mapped by ``error_rules`` (see :class:`ErrorRules`).
    """

    #: The name the harness shows for the subject.
    name = "python-adapter"
    #: True when the library passes tools to the server and returns tool calls.
    tools = False
    #: True when ``open`` honours ``readiness_probe=False`` (clause R13).
    probe_optional = False
    #: The API dialects ``provider`` can speak (``config.dialect``): "chat", "responses", "anthropic".
    dialects = ("chat",)
    #: Rules ``(match, to)`` tried before the defaults; see :class:`ErrorRules`.
    error_rules = ()

    check_ready = interact = stream = run_many = None
    oneshot_interact = oneshot_stream = oneshot_run_many = oneshot_check_ready = None

    def config(self, config):
        """Your library's config from the kit's :class:`Config`; by default the Config itself."""
        return config

    def provider(self, config):
        """Makes one provider instance of your library; the kit counts what it returns."""
        raise NotImplementedError("define Adapter.provider(config): your library's provider factory")

    def open(self, config, factory, readiness_probe):
        """Builds one Session of your library over ``factory`` (the counted provider factory)."""
        raise NotImplementedError("define Adapter.open(config, factory, readiness_probe)")

    def close(self, session):
        """Ends the session explicitly; by default ``session.close()`` or ``await session.aclose()``."""
        closer = getattr(session, "close", None) or getattr(session, "aclose", None)
        if closer is None:
            raise ProviderError("unsupported", "the session has no close() or aclose(); define Adapter.close")
        return closer()

    def drop(self, session):
        """Ends the session the implicit way: by default what leaving its ``with`` block does."""
        if hasattr(session, "__aexit__"):
            return session.__aexit__(None, None, None)
        if hasattr(session, "__exit__"):
            return session.__exit__(None, None, None)
        raise ProviderError("unsupported", "the session is not a context manager; define Adapter.drop")

    def capabilities(self):
        """The ``hello`` capabilities, derived from the operations defined."""
        defined = lambda name: getattr(self, name, None) is not None  # noqa: E731
        return {"readiness": defined("check_ready"), "streaming": defined("stream"), "tools": bool(self.tools),
                "run_many": defined("run_many"),
                "one_shot": any(defined("oneshot_" + call) for call in _ONESHOTS),
                "concurrent": True, "probe_optional": bool(self.probe_optional), "dialects": list(self.dialects)}


class _Runner:
    """Serves one adapter over stdin/stdout until shutdown or end of input."""

    def __init__(self, adapter, out):
        self.adapter = adapter
        self.out = out
        self.out_lock = threading.Lock()
        self.counters = Counters()
        self.factory = self.counters.wrap(adapter.provider)
        self.rules = ErrorRules(adapter.error_rules)
        self.sessions = {}
        self.session_configs = {}
        self.next_session = 0
        self.asynchronous = any(_is_async(getattr(type(adapter), name, None)) for name in _OPS)
        self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=64, thread_name_prefix="provkit-op")
        self.loop = None

    # ---- output

    def send(self, message):
        try:
            line = json.dumps(message, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError) as exc:
            line = json.dumps({"id": message.get("id"), "error": {
                "kind": "internal", "message": f"the answer is not JSON-serialisable: {exc}"}})
        data = (line + "\n").encode("utf-8", "surrogatepass")
        with self.out_lock:
            self.out.write(data)
            self.out.flush()

    # ---- calling the author's code

    async def call(self, function, *args):
        """Runs one of the author's operations the way its kind asks: awaited, inline or on a thread."""
        if _is_async(function) or self.asynchronous:
            result = function(*args)
        else:
            result = await self.loop.run_in_executor(self.pool, functools.partial(function, *args))
        if inspect.isawaitable(result):
            result = await result
        return result

    def session(self, request):
        name = request.get("session")
        if name not in self.sessions:
            raise ProviderError("bad_request", f"unknown session {name!r}")
        return self.sessions[name]

    def operation(self, name):
        function = getattr(self.adapter, name, None)
        if function is None:
            raise ProviderError("unsupported", f"this adapter does not support '{name}'")
        return function

    # ---- ops

    async def op_hello(self, request):
        if request.get("protocol") != PROTOCOL:
            raise ProviderError("bad_request", f"protocol {request.get('protocol')!r} asked; this kit speaks {PROTOCOL}")
        return {"protocol": PROTOCOL, "name": self.adapter.name, "capabilities": self.adapter.capabilities()}

    async def op_open(self, request):
        kit_config = Config(request.get("config"))
        config = await self.call(self.adapter.config, kit_config)
        session = await self.call(self.adapter.open, config, self.factory, bool(request.get("readiness_probe", True)))
        self.next_session += 1
        name = f"s{self.next_session}"
        self.sessions[name] = session
        self.session_configs[name] = kit_config
        return {"session": name}

    async def op_check_ready(self, request):
        session = self.session(request)
        model = request["model"] if "model" in request else self.session_configs[request["session"]].model
        return readiness(await self.call(self.operation("check_ready"), session, model))

    async def op_interact(self, request):
        session = self.session(request)
        return output(await self.call(self.operation("interact"), session, request.get("environment") or {},
                                      request.get("input") or {}, request.get("requirements") or {}))

    async def op_stream(self, request):
        session = self.session(request)
        events = await self.call(self.operation("stream"), session, request.get("environment") or {},
                                 request.get("input") or {}, request.get("requirements") or {})
        return await self.forward(request, events)

    async def op_run_many(self, request):
        session = self.session(request)
        outputs = await self.call(self.operation("run_many"), session, request.get("environment") or {},
                                  request.get("inputs") or [], request.get("requirements") or {},
                                  int(request.get("concurrency") or 4))
        return {"outputs": [output(item) for item in outputs]}

    async def op_close(self, request):
        await self.call(self.adapter.close, self.session(request))
        return {}

    async def op_drop(self, request):
        session = self.session(request)
        del self.sessions[request["session"]]
        del self.session_configs[request["session"]]
        await self.call(self.adapter.drop, session)
        return {}

    async def op_oneshot(self, request):
        call = request.get("call")
        if call not in _ONESHOTS:
            raise ProviderError("bad_request", f"unknown one-shot call {call!r}")
        function = self.operation("oneshot_" + call)
        config = await self.call(self.adapter.config, Config(request.get("config")))
        environment, requirements = request.get("environment") or {}, request.get("requirements") or {}
        if call == "check_ready":
            return readiness(await self.call(function, config, self.factory))
        if call == "run_many":
            outputs = await self.call(function, config, self.factory, environment, request.get("inputs") or [],
                                      requirements, int(request.get("concurrency") or 4))
            return {"outputs": [output(item) for item in outputs]}
        result = await self.call(function, config, self.factory, environment, request.get("input") or {},
                                 requirements)
        return await self.forward(request, result) if call == "stream" else output(result)

    async def op_stats(self, request):
        return self.counters.snapshot()

    # ---- streams

    async def forward(self, request, events):
        """Sends a stream's events; stops and closes the iterator after ``stop_after`` of them."""
        stop_after = request.get("stop_after")
        if hasattr(events, "__aiter__"):
            return await self._forward_async(request["id"], events.__aiter__(), stop_after)
        if hasattr(events, "__iter__"):
            iterator = iter(events)
            if self.asynchronous:
                return self._forward_sync(request["id"], iterator, stop_after)
            return await self.loop.run_in_executor(self.pool, self._forward_sync, request["id"], iterator, stop_after)
        raise ProviderError("internal", f"stream() returned {type(events).__name__}, not an iterator of events")

    def _step(self, request_id, event, seen, accumulated, stop_after):
        """The stream's result when ``event`` ends it, else None (the event was sent)."""
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            raise ProviderError("internal", f"a stream event must be a dict with a 'type', got {event!r}")
        if event["type"] == "done":
            final = event.get("output")
            return {"done": True, "output": output(final) if final is not None else accumulated.output()}
        self.send({"id": request_id, "event": event})
        accumulated.feed(event)
        if stop_after is not None and seen + 1 >= stop_after:
            return {"abandoned": True, "events": seen + 1}
        return None

    async def _forward_async(self, request_id, iterator, stop_after):
        accumulated, seen = StreamAccumulator(), 0
        try:
            while True:
                try:
                    event = await iterator.__anext__()
                except StopAsyncIteration:
                    break
                result = self._step(request_id, event, seen, accumulated, stop_after)
                if result is not None:
                    return result
                seen += 1
        finally:
            # `break` out of `async for` does not close an async generator: close it here, on
            # this loop, so its cleanup (a connection going back to the pool) runs now.
            closer = getattr(iterator, "aclose", None)
            if closer is not None:
                await closer()
        raise ProviderError("stream_failure", "the stream ended without a done event")

    def _forward_sync(self, request_id, iterator, stop_after):
        accumulated, seen = StreamAccumulator(), 0
        try:
            for event in iterator:
                result = self._step(request_id, event, seen, accumulated, stop_after)
                if result is not None:
                    return result
                seen += 1
        finally:
            closer = getattr(iterator, "close", None)
            if closer is not None:
                closer()
        raise ProviderError("stream_failure", "the stream ended without a done event")

    # ---- dispatch

    async def handle(self, request):
        request_id = request.get("id")
        op = request.get("op")
        started = time.monotonic()
        log.debug("-> %s %s", request_id, op)
        handler = getattr(self, f"op_{op}", None) if isinstance(op, str) else None
        try:
            if handler is None:
                raise ProviderError("unsupported", f"unknown op {op!r}")
            self.send({"id": request_id, "result": await handler(request)})
            log.debug("<- %s %s ok (%.0f ms)", request_id, op, (time.monotonic() - started) * 1000)
        except BaseException as exc:  # noqa: B036 - CancelledError from a library is an answer too
            error = self.rules.map(exc)
            if error.kind == "internal":
                log.warning("%s %s failed inside the adapter or library", request_id, op, exc_info=exc)
            else:
                log.debug("<- %s %s error %s: %s", request_id, op, error.kind, error.message)
            self.send({"id": request_id, "error": error.to_json()})
            if not isinstance(exc, Exception) and not isinstance(exc, asyncio.CancelledError):
                raise

    def on_line(self, line):
        if not line.strip():
            return
        try:
            request = json.loads(line)
        except ValueError as exc:
            self.send({"id": None, "error": {"kind": "bad_request", "message": f"not JSON: {exc}"}})
            return
        if not isinstance(request, dict):
            self.send({"id": None, "error": {"kind": "bad_request", "message": "a request must be a JSON object"}})
            return
        if request.get("op") == "shutdown":
            self.send({"id": request.get("id"), "result": {}})
            self.exit()
        asyncio.ensure_future(self.handle(request))

    def exit(self):
        try:
            self.out.flush()
            sys.stderr.flush()
        finally:
            os._exit(0)  # worker threads may be blocked in the library: do not wait for them

    def read_stdin(self, stdin):
        for line in stdin:
            self.loop.call_soon_threadsafe(self.on_line, line)
        self.loop.call_soon_threadsafe(self.exit)

    async def serve(self, stdin):
        self.loop = asyncio.get_running_loop()
        threading.Thread(target=self.read_stdin, args=(stdin,), name="provkit-stdin", daemon=True).start()
        await asyncio.Event().wait()  # ends through exit()


def run(adapter):
    """Serves ``adapter`` on stdin/stdout until ``shutdown`` or end of input, then exits the process.

    stdout carries only protocol lines: ``sys.stdout`` is pointed at stderr, so a stray
    ``print`` in the library cannot break the protocol. Logging goes to stderr; set
    ``PROVKIT_ADAPTER_LOG=debug`` to log every request (op, id, outcome, time; never values).
    """
    out = sys.stdout.buffer
    sys.stdout = sys.stderr
    level = os.environ.get("PROVKIT_ADAPTER_LOG", "warning").upper()
    logging.basicConfig(stream=sys.stderr, level=getattr(logging, level, logging.WARNING),
                        format=f"{adapter.name}: %(levelname)s %(message)s")
    runner = _Runner(adapter, out)
    asyncio.run(runner.serve(sys.stdin.buffer))
