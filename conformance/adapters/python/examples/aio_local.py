# A small asyncio provider library (the "existing async library" the 60-line example adapter wraps).
"""aio_local: an async OpenAI-compatible client with Session semantics, standard library only (Python 3.11+).

Everything runs on the caller's event loop: keep-alive connections from a pool of asyncio
streams, SSE streaming as an async generator, a readiness probe bounded by its budget.
Request building, the probe's decisions and chunk parsing come from provkit_local's
I/O-free pieces, so the two libraries answer alike. Its own exceptions (AioError and
subclasses) are what an adapter maps onto the protocol's error kinds.
"""

import asyncio
import contextlib
import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import provkit_local as base  # noqa: E402

Config = base.Config
MAX_HEAD = 64 << 10


class AioError(Exception):
    """Any failure of this library."""


class SessionClosed(AioError):
    """A call on a closed session."""


class Cancelled(AioError):
    """The provider was closed while the call was in flight."""


class RequestTimeout(AioError, TimeoutError):
    """The server did not answer in time."""


class StatusError(AioError):
    """The server answered an HTTP error status (``status``)."""

    def __init__(self, message, status):
        super().__init__(message)
        self.status = status


class _Response:
    """Status, headers and a body reader of one HTTP/1.1 response on a pooled connection."""

    def __init__(self, reader, status, headers):
        self.reader, self.status, self.headers = reader, status, headers
        self.complete = False

    @property
    def reusable(self):
        return self.complete and self.headers.get("connection", "").lower() != "close"

    async def chunks(self):
        """The body in pieces (Content-Length, chunked, or up to the end of the connection)."""
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            while True:
                size = int((await self.reader.readline()).split(b";")[0].strip() or b"x", 16)
                if size == 0:
                    while (await self.reader.readline()) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                yield await self.reader.readexactly(size)
                await self.reader.readexactly(2)
        elif "content-length" in self.headers:
            left = int(self.headers["content-length"])
            while left > 0:
                piece = await self.reader.read(min(left, 65536))
                if not piece:
                    raise ConnectionResetError("the body ended early")
                left -= len(piece)
                yield piece
        else:
            while piece := await self.reader.read(65536):
                yield piece
            self.headers["connection"] = "close"
        self.complete = True

    async def read(self, limit):
        """The whole body, or None when it is larger than ``limit`` bytes."""
        parts, size = [], 0
        async for piece in self.chunks():
            size += len(piece)
            if size > limit:
                return None
            parts.append(piece)
        return b"".join(parts)


class AsyncProvider:
    """Chat Completions on one event loop. Not thread-safe: use it from the loop that made it."""

    name = "local"
    build_body = base.LocalProvider.build_body
    managed_fields = base.LocalProvider.managed_fields
    readiness_steps = base.LocalProvider.readiness_steps
    _listing = staticmethod(base.LocalProvider._listing)
    _load_state = staticmethod(base.LocalProvider._load_state)

    def __init__(self, config):
        self.config = config
        self._idle, self._busy = [], set()
        self._closed = False

    async def aclose(self):
        """Closes every connection, aborting calls in flight (they raise Cancelled)."""
        self._closed = True
        for _, writer in self._idle + list(self._busy):
            writer.transport.abort()
        self._idle = []

    async def _open(self):
        if self._closed:
            raise Cancelled("The provider was closed")
        if self._idle:
            return self._idle.pop(), True
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(self.config.host, self.config.port, limit=MAX_HEAD),
                self.config.connect_timeout)
        except UnicodeError as exc:  # a host name the IDNA codec refuses cannot resolve
            raise socket.gaierror(socket.EAI_NONAME, f"cannot resolve {self.config.host!r}: {exc}") from exc
        writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return (reader, writer), False

    def _release(self, conn, reusable):
        self._busy.discard(conn)
        if reusable and not self._closed:
            self._idle.append(conn)
        else:
            conn[1].transport.abort()

    async def _request(self, method, path, body=None):
        """(conn, response) with the status and headers read; a stale kept-alive connection is replaced once."""
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.config.host}:{self.config.port}",
                "Accept: application/json"]
        if self.config.api_key:
            head.append(f"Authorization: Bearer {self.config.api_key}")
        data = json.dumps(body).encode() if body is not None else b""
        if body is not None:
            head += ["Content-Type: application/json", f"Content-Length: {len(data)}"]
        payload = ("\r\n".join(head) + "\r\n\r\n").encode() + data
        for attempt in range(2):
            conn, reused = await self._open()
            self._busy.add(conn)
            reader, writer = conn
            try:
                writer.write(payload)
                await writer.drain()
                status_line = await reader.readline()
                if not status_line:
                    raise ConnectionResetError("the server closed the connection")
                status = int(status_line.split()[1])
                headers = {}
                while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
                    key, _, value = line.decode("latin-1").partition(":")
                    headers[key.strip().lower()] = value.strip()
                return conn, _Response(reader, status, headers)
            except (ConnectionError, asyncio.IncompleteReadError) as exc:
                self._release(conn, False)
                if self._closed:
                    raise Cancelled("The provider was closed during the request") from exc
                if not reused or attempt:
                    raise
            except BaseException:
                self._release(conn, False)
                raise
        raise AssertionError("unreachable")

    # ---- readiness (R1-R16)

    async def check_ready(self, model=None):
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.config.probe_budget
        steps = self.readiness_steps(model)
        try:
            path = next(steps)
            while True:
                try:
                    reply = await self._probe_get(path, deadline)
                except base.ProviderError as exc:
                    path = steps.throw(exc)
                else:
                    path = steps.send(reply)
        except StopIteration as end:
            return end.value

    async def _probe_get(self, path, deadline):
        url = f"http://{self.config.host}:{self.config.port}{path}"
        conn, response = None, None
        try:
            async with asyncio.timeout_at(deadline):
                conn, response = await self._request("GET", path)
                return response.status, await response.read(base.MAX_PROBE_BODY)
        except TimeoutError as exc:
            raise base.ProviderError("timeout", f"Readiness probe timed out after "
                                     f"{int(self.config.probe_budget * 1000)} ms waiting for {url}") from exc
        except Cancelled:
            raise base.ProviderError("cancelled", "The provider was closed during the probe") from None
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            raise base.ProviderError("connection", f"Cannot reach the server at {url}: {exc}. Check that the "
                                     f"server is running and the base URL ({self.config.base_url}) is right.") from exc
        finally:
            if conn is not None:
                self._release(conn, response is not None and response.reusable)

    # ---- turns

    async def _post(self, body, phase):
        conn = response = None
        try:
            async with asyncio.timeout(self.config.request_timeout):
                conn, response = await self._request("POST", self.config.base_path + "/chat/completions", body)
                if response.status < 400:
                    return conn, response
                data = await response.read(base.MAX_PROBE_BODY) or b""
        except TimeoutError as exc:
            if conn is not None:
                self._release(conn, False)
            raise RequestTimeout(f"The server did not answer {phase} in time") from exc
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            if conn is not None:
                self._release(conn, False)
            raise self._transport_error(exc, phase) from exc
        self._release(conn, response.reusable)
        message = base.error_message(data) or data.decode("utf-8", "replace").strip() or f"HTTP {response.status}"
        raise StatusError(f"{phase} failed with HTTP {response.status}: {message}", response.status)

    def _transport_error(self, exc, phase):
        if self._closed:
            return Cancelled(f"The provider was closed during {phase}")
        return AioError(f"Cannot reach local server at {self.config.base_url}: {exc}")

    async def generate(self, environment, inp, requirements):
        conn, response = await self._post(self.build_body(environment, inp, requirements, False), "generate")
        try:
            async with asyncio.timeout(self.config.request_timeout):
                data = await response.read(base.MAX_TURN_BODY)
        except TimeoutError as exc:
            raise RequestTimeout("The server did not finish the answer in time") from exc
        except (OSError, asyncio.IncompleteReadError) as exc:
            raise self._transport_error(exc, "generate") from exc
        finally:
            self._release(conn, response.reusable)
        if data is None:
            raise base.ProviderError("malformed_response", "The answer is over the size limit")
        try:
            doc = json.loads(data)
            choice = doc["choices"][0]
            message = choice.get("message") or {}
        except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
            raise base.ProviderError("malformed_response", f"The answer could not be read: {exc!r}") from exc
        output = base.new_output()
        output.update(text=message.get("content") or "", finish_reason=choice.get("finish_reason") or "",
                      reasoning=message.get("reasoning_content") or message.get("reasoning") or "",
                      response_id=doc.get("id") or "", usage=base.make_usage(doc.get("usage")))
        for call in message.get("tool_calls") or []:
            function = call.get("function") or {}
            output["tool_calls"].append(base.make_tool_call(call.get("id", ""), function.get("name", ""),
                                                            function.get("arguments") or ""))
        return output

    async def stream(self, environment, inp, requirements):
        """An async generator of events, the last one {"type": "done", "output": ...}."""
        conn, response = await self._post(self.build_body(environment, inp, requirements, True), "stream")
        builder, decoder, started = base.StreamBuilder(), base.SseDecoder(), time.monotonic()
        reusable = False
        try:
            yield {"type": "start"}
            # Leaving `async for` early does not close the generator it iterates: aclosing() does.
            async with contextlib.aclosing(response.chunks()) as pieces:
                async for piece in pieces:
                    for data in decoder.feed(piece):
                        for event in builder.feed(data):
                            yield event
                    if builder.saw_done:
                        break
                else:
                    for data in decoder.end():
                        builder.feed(data)
                builder.check_complete()
                rest = [piece async for piece in pieces]  # the end of the chunked body, nothing more
                reusable = not any(rest) and response.reusable
            yield builder.done(int((time.monotonic() - started) * 1e6))
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            if self._closed:
                raise Cancelled("The session was closed during the stream") from exc
            raise base.ProviderError("stream_failure", f"The stream failed: {exc!r}") from exc
        finally:
            self._release(conn, reusable)


class AsyncSession:
    """One provider for many turns on one event loop; closed exactly once (``async with`` or aclose)."""

    def __init__(self, config, factory=AsyncProvider, readiness_probe=True):
        self.config = config
        self._provider = factory(config)
        self._probe = readiness_probe
        self._closed = False

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        with contextlib.suppress(Exception):  # an error from closing never escapes a scope exit
            await self.aclose()
        return False

    def _open_provider(self):
        if self._closed:
            raise SessionClosed("Session is closed")
        return self._provider

    async def interact(self, environment, inp, requirements=None):
        return await self._open_provider().generate(environment or {}, inp or {}, requirements or {})

    def stream(self, environment, inp, requirements=None):
        return self._open_provider().stream(environment or {}, inp or {}, requirements or {})

    async def run_many(self, environment, inputs, requirements=None, concurrency=4):
        provider, queue = self._open_provider(), iter(range(len(inputs)))
        outputs = [None] * len(inputs)

        async def worker():
            for index in queue:
                outputs[index] = await provider.generate(environment or {}, inputs[index], requirements or {})

        await asyncio.gather(*(worker() for _ in range(max(1, min(concurrency, len(inputs))))))
        return outputs

    async def check_ready(self, model=None):
        provider = self._open_provider()
        if not self._probe:
            return {"ready": True, "provider": provider.name, "status_code": None, "message": base.NO_PROBE_MESSAGE,
                    "model": model, "model_verified": False}
        return await provider.check_ready(model)

    async def aclose(self):
        if not self._closed:
            self._closed = True
            await self._provider.aclose()


async def interact(config, environment, inp, requirements=None, factory=AsyncProvider):
    async with AsyncSession(config, factory) as session:
        return await session.interact(environment, inp, requirements)


async def run_many(config, environment, inputs, requirements=None, concurrency=4, factory=AsyncProvider):
    async with AsyncSession(config, factory) as session:
        return await session.run_many(environment, inputs, requirements, concurrency)


async def check_ready(config, factory=AsyncProvider):
    async with AsyncSession(config, factory) as session:
        return await session.check_ready(config.model)


async def stream(config, environment, inp, requirements=None, factory=AsyncProvider):
    """An async generator owning a single-use session; closing the generator closes both."""
    async with AsyncSession(config, factory) as session:
        # `break` in a consumer does not close an async generator: aclosing() makes our own
        # exit (aclose() from the consumer included) close the inner stream at once.
        async with contextlib.aclosing(session.stream(environment, inp, requirements)) as events:
            async for event in events:
                yield event
