# A local OpenAI-compatible provider with Session semantics and a readiness probe, standard library only.
"""Example provider for provkit's adapter protocol.

Session: one provider instance per session, closed exactly once, closed sessions
reject every call (S1-S4). LocalProvider: keep-alive connections from a pool
(S5, S9), SSE streaming (S6-S8, S11), and a readiness probe meeting R1-R16.
"""

import codecs
import http.client
import json
import socket
import threading
import time
import urllib.parse

MAX_PROBE_BODY = 1 << 20
MAX_TURN_BODY = 16 << 20
NO_PROBE_MESSAGE = "Provider has no explicit readiness probe."
CLOSED_HINT = "Create a new Session for additional interactions."
LOAD_STATES = ("unloaded", "loading", "sleeping", "failed")


class ProviderError(Exception):
    """A failure with a stable kind (the ids of docs/adapter-protocol.md)."""

    def __init__(self, kind, message, hint="", status_code=None):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.hint = hint
        self.status_code = status_code


class Config:
    def __init__(self, base_url="http://127.0.0.1:8080/v1", model=None, api_key="local",
                 connect_timeout=2.0, request_timeout=120.0, probe_budget=2.0, dialect="chat"):
        parsed = urllib.parse.urlsplit(base_url or "")
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ProviderError("configuration", "base_url must be an http(s) URL with a host",
                                "Set base_url like http://127.0.0.1:8080/v1.")
        for name, value in (("connect_timeout", connect_timeout), ("request_timeout", request_timeout),
                            ("probe_budget", probe_budget)):
            if value is None or value <= 0:
                raise ProviderError("configuration", f"{name} must be positive")
        if model is not None and model == "":
            raise ProviderError("configuration", "model must not be empty")
        if dialect not in PROVIDERS:
            raise ProviderError("configuration", f"dialect must be one of {', '.join(PROVIDERS)}, not {dialect!r}")
        self.dialect = dialect
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.api_key = api_key
        self.connect_timeout = connect_timeout
        self.request_timeout = request_timeout
        self.probe_budget = probe_budget
        self.scheme = parsed.scheme
        self.host = parsed.hostname
        self.port = parsed.port or (443 if parsed.scheme == "https" else 80)
        self.base_path = parsed.path.rstrip("/")
        root_path = self.base_path.rsplit("/", 1)[0] if "/" in self.base_path else ""
        self.root_path = root_path
        self.server_root = f"{parsed.scheme}://{parsed.netloc}{root_path}"


# ---------------------------------------------------------------- messages

def error_message(body):
    """The message of an error body in any common shape (R15), else None."""
    try:
        doc = json.loads(body)
    except (ValueError, TypeError):
        return None
    if not isinstance(doc, dict):
        return None
    err = doc.get("error")
    if isinstance(err, dict) and isinstance(err.get("message"), str):
        return err["message"]
    if isinstance(err, str) and err:
        return err
    if isinstance(doc.get("message"), str):
        return doc["message"]
    if isinstance(doc.get("detail"), str):
        return doc["detail"]
    return None


def is_error_envelope(body):
    """A JSON object carrying "error": what LM Studio answers, with 200, for every unknown path."""
    try:
        doc = json.loads(body)
    except (ValueError, TypeError):
        return False
    return isinstance(doc, dict) and "error" in doc and "status" not in doc


def health_message(body):
    """R1: the body's status string, else the error message, else the trimmed text, else None."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    try:
        doc = json.loads(text)
    except ValueError:
        doc = None
    if isinstance(doc, dict) and isinstance(doc.get("status"), str):
        return doc["status"]
    message = error_message(text)
    if message is not None:
        return message
    text = text.strip()
    if not text:
        return None
    return text if len(text) <= 300 else text[:300] + "..."


def normalise_id(model_id):
    """The id without an org/ prefix, a :tag suffix and letter case (R4 suggestions)."""
    base = model_id.rsplit("/", 1)[-1]
    base = base.split(":", 1)[0]
    return base.lower()


# ---------------------------------------------------------------- transport

class _Deadline:
    """Shuts a connection's socket when a deadline passes or the owner cancels it."""

    def __init__(self, conn, seconds):
        self.conn = conn
        self.fired = False
        self.timer = threading.Timer(seconds, self.fire)
        self.timer.daemon = True
        self.timer.start()

    def fire(self):
        self.fired = True
        _shutdown(self.conn)

    def cancel(self):
        self.timer.cancel()


def _shutdown(conn):
    sock = getattr(conn, "sock", None)
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class _Pool:
    """Idle keep-alive connections; every connection in use is tracked so close() can abort it."""

    def __init__(self, config):
        self.config = config
        self.lock = threading.Lock()
        self.idle = []
        self.busy = set()
        self.closed = False

    def acquire(self):
        with self.lock:
            if self.closed:
                raise ProviderError("cancelled", "The provider was closed")
            conn = self.idle.pop() if self.idle else None
            if conn is None:
                cls = http.client.HTTPSConnection if self.config.scheme == "https" else http.client.HTTPConnection
                conn = cls(self.config.host, self.config.port, timeout=self.config.connect_timeout)
            self.busy.add(conn)
            return conn

    def release(self, conn, reusable):
        with self.lock:
            self.busy.discard(conn)
            if reusable and not self.closed and conn.sock is not None:
                self.idle.append(conn)
                return
        conn.close()

    def close(self):
        with self.lock:
            self.closed = True
            conns = self.idle + list(self.busy)
            self.idle = []
        for conn in conns:
            _shutdown(conn)
            conn.close()


STALE_ERRORS = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)


def _connect(conn, timeout):
    if conn.sock is None:
        try:
            conn.connect()
        except UnicodeError as exc:  # a host name the IDNA codec refuses cannot resolve
            raise socket.gaierror(socket.EAI_NONAME, f"cannot resolve {conn.host!r}: {exc}") from exc
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    conn.sock.settimeout(timeout)


def _send(conn, method, path, body, headers, timeout, may_retry):
    """Sends one request; a kept-alive connection the server closed meanwhile is reopened once."""
    reused = conn.sock is not None
    try:
        _connect(conn, timeout)
        conn.request(method, path, body=body, headers=headers)
        return conn.getresponse()
    except STALE_ERRORS:
        if not reused or not may_retry():
            raise
        conn.close()
        _connect(conn, timeout)
        conn.request(method, path, body=body, headers=headers)
        return conn.getresponse()


def _read_limited(response, limit):
    """The body, or None when it is larger than `limit` bytes."""
    chunks = []
    size = 0
    while True:
        chunk = response.read(65536)  # read(), unlike read1(), marks the response complete at its end
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)


# ---------------------------------------------------------------- provider

class LocalProvider:
    """Chat Completions against llama.cpp, vLLM, Ollama, LM Studio and friends. Thread-safe."""

    name = "local"
    generation_path = "/chat/completions"
    managed_fields = ("model", "messages", "stream", "stream_options")

    def __init__(self, config):
        self.config = config
        self.pool = _Pool(config)

    def _headers(self, body=False):
        headers = {"Accept": "application/json"}
        if self.config.api_key:
            headers["Authorization"] = f"Bearer {self.config.api_key}"
        if body:
            headers["Content-Type"] = "application/json"
        return headers

    def close(self):
        self.pool.close()

    # ---- readiness probe (R1-R16)

    def _probe_get(self, path, deadline):
        """(status, body bytes or None when over the limit), or raises ProviderError."""
        remaining = deadline - time.monotonic()
        url = f"{self.config.scheme}://{self.config.host}:{self.config.port}{path}"
        if remaining <= 0:
            raise ProviderError("timeout", f"Readiness probe timed out after "
                                f"{int(self.config.probe_budget * 1000)} ms waiting for {url}")
        conn = self.pool.acquire()
        guard = _Deadline(conn, remaining)
        reusable = False
        try:
            try:
                response = _send(conn, "GET", path, None, self._headers(), remaining,
                                 lambda: not guard.fired and not self.pool.closed)
                body = _read_limited(response, MAX_PROBE_BODY)
                if guard.fired:  # the deadline cut the answer short: what was read is not the answer
                    raise socket.timeout("probe budget exhausted")
                reusable = body is not None and not response.will_close
                return response.status, body
            except ProviderError:
                raise
            except (OSError, http.client.HTTPException) as exc:
                if guard.fired or isinstance(exc, TimeoutError) or isinstance(exc, socket.timeout):
                    raise ProviderError("timeout", f"Readiness probe timed out after "
                                        f"{int(self.config.probe_budget * 1000)} ms waiting for {url}") from exc
                if self.pool.closed:
                    raise ProviderError("cancelled", "The provider was closed during the probe") from exc
                raise ProviderError("connection", f"Cannot reach the server at {url}: {exc}. "
                                    f"Check that the server is running and the base URL "
                                    f"({self.config.base_url}) is right.") from exc
        finally:
            guard.cancel()
            self.pool.release(conn, reusable and not guard.fired)

    def check_ready(self, model=None):
        deadline = time.monotonic() + self.config.probe_budget
        return drive_probe(self.readiness_steps(model), lambda path: self._probe_get(path, deadline))

    def readiness_steps(self, model):
        """The probe without I/O: yields each path to GET and receives (status, body bytes or None
        when over the limit); a transport failure is thrown in as a ProviderError. Returns the record."""
        verified_if_set = False if model is not None else None
        result = {"ready": False, "provider": self.name, "status_code": None, "message": None,
                  "model": model, "model_verified": verified_if_set}
        try:
            health_status, health_body = yield self.config.root_path + "/health"
        except ProviderError as exc:
            if exc.kind == "cancelled":
                raise
            result["message"] = exc.message
            return result
        health_text = health_message(health_body) if health_body is not None else "health answer over the size limit"
        if model is None:
            result.update(ready=health_status < 400, status_code=health_status, message=health_text)
            return result
        # R3: 404, 405, 501, or a 200 holding an error envelope: there is no health endpoint.
        health_absent = health_status in (404, 405, 501) or (
            health_status == 200 and health_body is not None and is_error_envelope(health_body))
        health_ok = health_status < 400 and not health_absent
        try:
            models_status, models_body = yield self.config.base_path + "/models"
        except ProviderError as exc:
            if exc.kind == "cancelled":
                raise
            result.update(message=exc.message)
            return result
        result["status_code"] = models_status
        models_text = error_message(models_body) if models_body is not None else None
        if models_status in (401, 403):
            result["message"] = (f"The server rejected the credentials (HTTP {models_status})"
                                 + (f": {models_text}" if models_text else "")
                                 + ". Check the API key.")
            return result
        if models_status >= 400:
            fallback = health_text if health_ok else None
            result["message"] = models_text or fallback or f"The models endpoint answered HTTP {models_status}"
            return result
        ids, entries, problem = self._listing(models_body)
        if model not in ids:
            message = f"Model '{model}' is not listed by the server at {self.config.base_url}"
            if problem:
                message += f" ({problem})"
            wanted = normalise_id(model)
            similar = [i for i in ids if normalise_id(i) == wanted]
            if similar:
                message += f". Did you mean '{similar[0]}'?"
            result["message"] = message
            return result
        result["model_verified"] = True
        state = self._load_state(entries.get(model))
        if state in LOAD_STATES:
            result["message"] = f"Model '{model}' is listed but its status is '{state}'"
            return result
        if not health_ok and not health_absent:
            result.update(status_code=health_status,
                          message=health_text or f"The health endpoint answered HTTP {health_status}")
            return result
        result["ready"] = True
        result["message"] = (health_text if health_ok else None) or models_text
        return result

    @staticmethod
    def _listing(body):
        """(ids, entries by id, problem text) of a models listing; unreadable listings name no model."""
        if body is None:
            return set(), {}, "the listing is over the size limit"
        try:
            doc = json.loads(body)
        except ValueError:
            return set(), {}, "the listing is not JSON"
        data = doc.get("data") if isinstance(doc, dict) else None
        if not isinstance(data, list):
            return set(), {}, "the listing has no data list"
        ids, entries = set(), {}
        for entry in data:
            if isinstance(entry, dict) and isinstance(entry.get("id"), str):
                ids.add(entry["id"])
                entries[entry["id"]] = entry
        return ids, entries, None

    @staticmethod
    def _load_state(entry):
        status = entry.get("status") if isinstance(entry, dict) else None
        if isinstance(status, dict) and isinstance(status.get("value"), str):
            return status["value"]
        return None

    # ---- turns

    def build_body(self, environment, inp, requirements, stream):
        messages = []
        if environment.get("instructions"):
            messages.append({"role": "system", "content": environment["instructions"]})
        for message in inp.get("history") or []:
            item = {"role": message.get("role", "user"), "content": message.get("content", "")}
            if message.get("tool_calls"):
                item["tool_calls"] = [{"id": c.get("id", ""), "type": "function",
                                       "function": {"name": c.get("name", ""),
                                                    "arguments": c.get("arguments_text") or json.dumps(c.get("arguments"))}}
                                      for c in message["tool_calls"]]
            if message.get("tool_call_id"):
                item["tool_call_id"] = message["tool_call_id"]
            messages.append(item)
        for result in inp.get("tool_results") or []:
            messages.append({"role": "tool", "tool_call_id": result.get("call_id", ""),
                             "content": result.get("content", "")})
        if inp.get("text"):
            messages.append({"role": "user", "content": inp["text"]})
        body = {"model": self.config.model or "default", "messages": messages, "stream": stream}
        if stream:
            body["stream_options"] = {"include_usage": True}
        tools = environment.get("tools") or []
        if tools:
            body["tools"] = [{"type": "function",
                              "function": {"name": t.get("name", ""), "description": t.get("description", ""),
                                           "parameters": t.get("parameters") or {"type": "object"}}}
                             for t in tools]
        for key in ("temperature", "top_p", "max_tokens", "seed", "tool_choice"):
            if requirements.get(key) is not None:
                body[key] = requirements[key]
        body.update(scoped_options(requirements, self.name, self.managed_fields))
        return body

    def _post(self, body, phase):
        """(conn, response) for a chat request with a 2xx status; raises ProviderError otherwise."""
        conn = self.pool.acquire()
        try:
            response = _send(conn, "POST", self.config.base_path + self.generation_path, json.dumps(body),
                             self._headers(body=True), self.config.request_timeout,
                             lambda: not self.pool.closed)
        except (OSError, http.client.HTTPException) as exc:
            self.pool.release(conn, False)
            raise self._transport_error(exc, phase) from exc
        if response.status >= 400:
            data = _read_limited(response, MAX_PROBE_BODY)
            self.pool.release(conn, data is not None and not response.will_close)
            data = data or b""
            message = error_message(data) or data.decode("utf-8", "replace").strip() or f"HTTP {response.status}"
            hint = "Model not found on the local server: check the model name." if response.status == 404 else ""
            raise ProviderError("http_status", f"{phase} failed with HTTP {response.status}: {message}", hint,
                                response.status)
        return conn, response

    def _transport_error(self, exc, phase):
        if self.pool.closed:
            return ProviderError("cancelled", f"The provider was closed during {phase}")
        if isinstance(exc, (TimeoutError, socket.timeout)):
            return ProviderError("timeout", f"The server did not answer {phase} in time")
        return ProviderError("connection", f"Cannot reach local server at {self.config.base_url}: {exc}",
                             "Is it running? Check the base URL.")

    def generate(self, environment, inp, requirements):
        started = time.monotonic()
        conn, response = self._post(self.build_body(environment, inp, requirements, False), "generate")
        reusable = False
        try:
            data = _read_limited(response, MAX_TURN_BODY)
            reusable = data is not None and not response.will_close
        except (OSError, http.client.HTTPException) as exc:
            raise self._transport_error(exc, "generate") from exc
        finally:
            self.pool.release(conn, reusable)
        if data is None:
            raise ProviderError("malformed_response", "The answer is over the size limit")
        try:
            output = self.decode_answer(json.loads(data))
        except ProviderError:
            raise
        except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
            raise ProviderError("malformed_response", f"The answer could not be read: {exc}") from exc
        output["timing"] = {"total_us": int((time.monotonic() - started) * 1e6), "time_to_first_token_us": None}
        return output

    def decode_answer(self, doc):
        """The output of a chat.completion document (timing left for the caller)."""
        choices = doc.get("choices") if isinstance(doc, dict) else None
        if not isinstance(choices, list):
            raise ProviderError("malformed_response", "The answer has no `choices` list: not a chat.completion")
        if not choices or not isinstance(choices[0], dict):
            raise ProviderError("malformed_response", "The answer has no choice: `choices` is empty or "
                                "its first entry is not an object")
        choice = choices[0]
        message = choice.get("message") or {}
        output = new_output()
        output["text"] = message.get("content") or ""
        output["reasoning"] = message.get("reasoning_content") or message.get("reasoning") or ""
        for call in message.get("tool_calls") or []:
            function = call.get("function") or {}
            output["tool_calls"].append(make_tool_call(call.get("id", ""), function.get("name", ""),
                                                       function.get("arguments") or ""))
        output["finish_reason"] = choice.get("finish_reason") or ""
        output["response_id"] = doc.get("id") or ""
        output["usage"] = make_usage(doc.get("usage"))
        return output

    def stream(self, environment, inp, requirements):
        """A generator of events; the last one is {"type": "done", "output": ...}. Raises ProviderError."""
        conn, response = self._post(self.build_body(environment, inp, requirements, True), "stream")
        return self._events(conn, response)

    def stream_builder(self):
        return StreamBuilder()

    def _events(self, conn, response):
        reusable = False
        started = time.monotonic()
        builder = self.stream_builder()
        try:
            yield {"type": "start"}
            for data in sse_data(response):
                yield from builder.feed(data)
                if builder.saw_done:
                    break
            builder.check_complete()
            reusable = not response.will_close and _drain(response)
            yield builder.done(int((time.monotonic() - started) * 1e6))
        except ProviderError:
            raise
        except Exception as exc:
            # close() from another thread shuts the socket under the reader: http.client may then
            # fail in any way (an OSError, or an AttributeError on its dropped file object).
            if self.pool.closed:
                raise ProviderError("cancelled", "The session was closed during the stream") from exc
            if isinstance(exc, (OSError, http.client.HTTPException)):
                raise ProviderError("stream_failure", f"The stream failed: {exc}") from exc
            raise
        finally:
            self.pool.release(conn, reusable)


def drive_probe(steps, get):
    """Runs readiness_steps with `get(path) -> (status, body)`; its ProviderErrors go back into the steps."""
    try:
        path = next(steps)
        while True:
            try:
                reply = get(path)
            except ProviderError as exc:
                path = steps.throw(exc)
            else:
                path = steps.send(reply)
    except StopIteration as end:
        return end.value


class StreamBuilder:
    """Chat completion chunks (SSE data strings) to protocol events and the final output, without I/O."""

    def __init__(self):
        self.output = new_output()
        self.text_parts, self.reasoning_parts = [], []  # joined at the end: += on a dict entry copies the text
        self.calls = {}
        self.saw_done = False
        self.finished = False

    def feed(self, data):
        """The events one SSE data string carries; raises ProviderError stream_failure for a bad one."""
        if data == "[DONE]":
            self.saw_done = True
            return []
        try:
            chunk = json.loads(data)
        except ValueError as exc:
            raise ProviderError("stream_failure", f"Malformed stream chunk: {data[:100]}") from exc
        if not isinstance(chunk, dict):
            raise ProviderError("stream_failure", f"Malformed stream chunk: {data[:100]}")
        if "error" in chunk:
            message = error_message(data) or "error event in the stream"
            raise ProviderError("stream_failure", f"The server reported an error mid-stream: {message}")
        output = self.output
        output["response_id"] = output["response_id"] or chunk.get("id") or ""
        choices = chunk.get("choices")
        if choices is not None and not isinstance(choices, list):
            raise ProviderError("stream_failure", f"Malformed stream chunk (`choices` is not a list): {data[:100]}")
        events = []
        for choice in choices or []:
            if not isinstance(choice, dict):
                continue  # carries nothing readable, as in the reference runtime
            delta = choice.get("delta")
            if not isinstance(delta, dict):
                delta = {}
            if delta.get("content"):
                self.text_parts.append(delta["content"])
                events.append({"type": "text_delta", "delta": delta["content"]})
            reasoning = delta.get("reasoning_content") or delta.get("reasoning")
            if reasoning:
                self.reasoning_parts.append(reasoning)
                events.append({"type": "reasoning_delta", "delta": reasoning})
            for fragment in delta.get("tool_calls") or []:
                index = fragment.get("index", 0)
                call = self.calls.setdefault(index, {"id": "", "name": "", "arguments_text": ""})
                function = fragment.get("function") or {}
                call["id"] = call["id"] or fragment.get("id") or ""
                call["name"] += function.get("name") or ""
                piece = function.get("arguments") or ""
                call["arguments_text"] += piece
                events.append({"type": "tool_call_delta", "tool_index": index, "delta": piece,
                               "tool_call": {"id": call["id"], "name": call["name"]}})
            if choice.get("finish_reason"):
                for index in sorted(self.calls):
                    call = make_tool_call(self.calls[index]["id"], self.calls[index]["name"],
                                          self.calls[index]["arguments_text"])
                    output["tool_calls"].append(call)
                    events.append({"type": "tool_call", "tool_call": call})
                self.calls = {}
                output["finish_reason"] = choice["finish_reason"]
                self.finished = True
                events.append({"type": "finish", "finish_reason": choice["finish_reason"]})
        if chunk.get("usage"):
            output["usage"] = make_usage(chunk["usage"])
            events.append({"type": "usage", "usage": output["usage"]})
        return events

    def check_complete(self):
        """Raises stream_failure unless [DONE] arrived."""
        if not self.saw_done:
            raise ProviderError("stream_failure", "The stream ended before [DONE]")

    def done(self, total_us):
        """The done event with the whole output."""
        output = self.output
        if not self.finished and self.calls:
            for index in sorted(self.calls):
                output["tool_calls"].append(make_tool_call(self.calls[index]["id"], self.calls[index]["name"],
                                                           self.calls[index]["arguments_text"]))
        output["text"] = "".join(self.text_parts)
        output["reasoning"] = "".join(self.reasoning_parts)
        output["timing"] = {"total_us": total_us, "time_to_first_token_us": None}
        return {"type": "done", "output": output}


def _drain(response):
    """Reads what follows [DONE] (the end of the chunked body); reusable only when nothing does."""
    try:
        return response.read() == b""
    except (OSError, http.client.HTTPException):
        return False


def sse_data(response):
    """The data of each server-sent event of an http.client response."""
    decoder = SseDecoder()
    while True:
        chunk = response.read1(65536)
        if not chunk:
            break
        yield from decoder.feed(chunk)
    yield from decoder.end()


class SseDecoder:
    """Bytes to server-sent event data, without I/O (WHATWG rules: CR, LF or CRLF; comments; multi-line data)."""

    def __init__(self):
        self.partial = []  # pieces of the line still unterminated: kept apart, so a long line costs linear time
        self.data_lines = []
        self.pending_cr = False
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")

    def feed(self, chunk):
        """The data of the events `chunk` completes."""
        text = self.decoder.decode(chunk)
        if not text:  # only part of a character so far: keep pending_cr for the next read
            return []
        if self.pending_cr and text.startswith("\n"):
            text = text[1:]
        self.pending_cr = text.endswith("\r")
        lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        self.partial.append(lines.pop())
        if not lines:
            return []
        lines[0] = "".join(self.partial[:-1]) + lines[0]
        self.partial = self.partial[-1:]
        events = []
        for line in lines:
            if line == "":
                if self.data_lines:
                    events.append("\n".join(self.data_lines))
                    self.data_lines = []
            elif line.startswith(":"):
                continue
            else:
                field, _, value = line.partition(":")
                if value.startswith(" "):
                    value = value[1:]
                if field == "data":
                    self.data_lines.append(value)
        return events

    def end(self):
        """The data of an event the body ended without a blank line after."""
        return ["\n".join(self.data_lines)] if self.data_lines else []


def scoped_options(requirements, scope, managed_fields):
    """The provider options under `scope` (S12); one that would replace a managed field is refused."""
    options = requirements.get("provider_options") or {}
    scoped = options.get(scope) if isinstance(options, dict) else None
    if scoped is None:
        return {}
    if not isinstance(scoped, dict):
        raise ProviderError("configuration", f"provider_options['{scope}'] must be an object")
    for key in managed_fields:
        if key in scoped:
            raise ProviderError("configuration", f"provider option '{key}' would replace a field the provider "
                                f"manages", f"Remove '{key}' from provider_options['{scope}'].")
    return scoped


def new_output():
    return {"text": "", "reasoning": "", "tool_calls": [], "usage": None, "finish_reason": "",
            "response_id": "", "timing": {"total_us": 0, "time_to_first_token_us": None}}


def make_tool_call(call_id, name, arguments_text):
    try:
        arguments = json.loads(arguments_text) if arguments_text else None
    except ValueError:
        arguments = None
    return {"id": call_id, "name": name, "arguments": arguments, "arguments_text": arguments_text}


def make_usage(usage):
    if not isinstance(usage, dict):
        return None
    prompt = int(usage.get("prompt_tokens") or 0)
    completion = int(usage.get("completion_tokens") or 0)
    return {"prompt_tokens": prompt, "completion_tokens": completion,
            "total_tokens": int(usage.get("total_tokens") or prompt + completion)}


# ---------------------------------------------------------------- Anthropic Messages

ANTHROPIC_VERSION = "2023-06-01"
ANTHROPIC_MAX_TOKENS = 1024
# Anthropic's stop reasons in the names the chat dialect uses, so outputs compare across dialects.
def compact_json(value):
    """JSON text without spaces, as the streamed input_json_delta fragments join to."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def canonical_arguments(text):
    """Tool input as compact JSON when it parses: a streamed and a plain message then carry the
    same arguments text whatever spacing the server used (S8)."""
    try:
        return compact_json(json.loads(text))
    except ValueError:
        return text


STOP_REASONS = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length", "tool_use": "tool_calls"}


def messages_usage(usage):
    """Anthropic's usage ({"input_tokens", "output_tokens"}) as the protocol's usage."""
    if not isinstance(usage, dict):
        return None
    prompt = int(usage.get("input_tokens") or 0)
    completion = int(usage.get("output_tokens") or 0)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


class MessagesProvider(LocalProvider):
    """The Anthropic Messages API (POST /v1/messages) over the same keep-alive pool. It has no readiness
    probe: a Session over it answers check_ready with the fixed no-probe readiness (R13)."""

    name = "anthropic"
    generation_path = "/messages"
    managed_fields = ("model", "messages", "stream")
    check_ready = None  # a cloud API has no /health to probe

    def _headers(self, body=False):
        headers = super()._headers(body)
        headers.pop("Authorization", None)  # the key goes in x-api-key, never as a bearer token
        headers["anthropic-version"] = ANTHROPIC_VERSION
        if self.config.api_key:
            headers["x-api-key"] = self.config.api_key
        return headers

    def build_body(self, environment, inp, requirements, stream):
        messages = []

        def add(role, blocks):
            if messages and messages[-1]["role"] == role:  # the API wants the roles to alternate
                messages[-1]["content"].extend(blocks)
            else:
                messages.append({"role": role, "content": blocks})

        for message in inp.get("history") or []:
            role = message.get("role", "user")
            if role == "tool":
                add("user", [{"type": "tool_result", "tool_use_id": message.get("tool_call_id", ""),
                              "content": message.get("content", "")}])
                continue
            blocks = [{"type": "text", "text": message["content"]}] if message.get("content") else []
            for call in message.get("tool_calls") or []:
                arguments = call.get("arguments")
                if arguments is None and call.get("arguments_text"):
                    try:
                        arguments = json.loads(call["arguments_text"])
                    except ValueError:
                        arguments = {}
                blocks.append({"type": "tool_use", "id": call.get("id", ""), "name": call.get("name", ""),
                               "input": arguments if isinstance(arguments, dict) else {}})
            if blocks:
                add("assistant" if role == "assistant" else "user", blocks)
        for result in inp.get("tool_results") or []:
            add("user", [{"type": "tool_result", "tool_use_id": result.get("call_id", ""),
                          "content": result.get("content", "")}])
        if inp.get("text"):
            add("user", [{"type": "text", "text": inp["text"]}])
        body = {"model": self.config.model or "default", "messages": messages, "stream": stream,
                "max_tokens": requirements.get("max_tokens") or ANTHROPIC_MAX_TOKENS}
        if environment.get("instructions"):
            body["system"] = environment["instructions"]
        tools = environment.get("tools") or []
        if tools:
            body["tools"] = [{"name": t.get("name", ""), "description": t.get("description", ""),
                              "input_schema": t.get("parameters") or {"type": "object"}} for t in tools]
        for key in ("temperature", "top_p"):
            if requirements.get(key) is not None:
                body[key] = requirements[key]
        return {**body, **scoped_options(requirements, self.name, self.managed_fields)}

    def decode_answer(self, doc):
        """The output of a `message` document."""
        content = doc.get("content") if isinstance(doc, dict) else None
        if not isinstance(content, list):
            raise ProviderError("malformed_response", "The answer has no `content` list: not a message")
        output = new_output()
        texts, thoughts = [], []
        for block in content:
            kind = block.get("type") if isinstance(block, dict) else None
            if kind == "text":
                texts.append(block.get("text") or "")
            elif kind == "thinking":
                thoughts.append(block.get("thinking") or "")
            elif kind == "tool_use":
                arguments_text = compact_json(block.get("input") if block.get("input") is not None else {})
                output["tool_calls"].append(make_tool_call(block.get("id", ""), block.get("name", ""),
                                                           arguments_text))
        output["text"], output["reasoning"] = "".join(texts), "".join(thoughts)
        stop = doc.get("stop_reason") or ""
        output["finish_reason"] = STOP_REASONS.get(stop, stop)
        output["response_id"] = doc.get("id") or ""
        output["usage"] = messages_usage(doc.get("usage"))
        return output

    def stream_builder(self):
        return MessagesStreamBuilder()


class MessagesStreamBuilder:
    """Anthropic stream events (SSE data strings) to protocol events and the final output, without I/O.
    Same interface as StreamBuilder: the stream is complete at `message_stop`."""

    def __init__(self):
        self.output = new_output()
        self.text_parts, self.reasoning_parts = [], []
        self.blocks = {}  # index -> {"type", "id", "name", "json": [parts]}
        self.usage = {}
        self.saw_done = False
        self.finished = False

    def feed(self, data):
        try:
            event = json.loads(data)
        except ValueError as exc:
            raise ProviderError("stream_failure", f"Malformed stream event: {data[:100]}") from exc
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            raise ProviderError("stream_failure", f"Malformed stream event: {data[:100]}")
        kind = event["type"]
        output = self.output
        if kind == "error":
            message = error_message(data) or "error event"
            raise ProviderError("stream_failure", f"The server reported an error mid-stream: {message}")
        if kind == "message_start":
            message = event.get("message") if isinstance(event.get("message"), dict) else {}
            output["response_id"] = message.get("id") or ""
            self.usage.update(message.get("usage") or {})
            return []
        if kind == "content_block_start":
            block = event.get("content_block") if isinstance(event.get("content_block"), dict) else {}
            self.blocks[event.get("index", 0)] = {"type": block.get("type"), "id": block.get("id", ""),
                                                   "name": block.get("name", ""), "json": []}
            return []
        if kind == "content_block_delta":
            delta = event.get("delta") if isinstance(event.get("delta"), dict) else {}
            index = event.get("index", 0)
            if delta.get("type") == "text_delta" and delta.get("text"):
                self.text_parts.append(delta["text"])
                return [{"type": "text_delta", "delta": delta["text"]}]
            if delta.get("type") == "thinking_delta" and delta.get("thinking"):
                self.reasoning_parts.append(delta["thinking"])
                return [{"type": "reasoning_delta", "delta": delta["thinking"]}]
            if delta.get("type") == "input_json_delta":
                block = self.blocks.get(index)
                if block is None or block["type"] != "tool_use":
                    raise ProviderError("stream_failure", f"input_json_delta for block {index}, not a tool_use")
                piece = delta.get("partial_json") or ""
                block["json"].append(piece)
                return [{"type": "tool_call_delta", "tool_index": index, "delta": piece,
                         "tool_call": {"id": block["id"], "name": block["name"]}}]
            return []
        if kind == "content_block_stop":
            block = self.blocks.get(event.get("index", 0))
            if block is not None and block["type"] == "tool_use":
                call = make_tool_call(block["id"], block["name"], canonical_arguments("".join(block["json"]) or "{}"))
                output["tool_calls"].append(call)
                return [{"type": "tool_call", "tool_call": call}]
            return []
        if kind == "message_delta":
            delta = event.get("delta") if isinstance(event.get("delta"), dict) else {}
            self.usage.update(event.get("usage") or {})
            events = []
            stop = delta.get("stop_reason")
            if stop:
                output["finish_reason"] = STOP_REASONS.get(stop, stop)
                self.finished = True
                events.append({"type": "finish", "finish_reason": output["finish_reason"]})
            if self.usage:
                output["usage"] = messages_usage(self.usage)
                events.append({"type": "usage", "usage": output["usage"]})
            return events
        if kind == "message_stop":
            self.saw_done = True
        return []  # ping, and event types added later

    def check_complete(self):
        if not self.saw_done:
            raise ProviderError("stream_failure", "The stream ended before message_stop")

    def done(self, total_us):
        output = self.output
        output.update(text="".join(self.text_parts), reasoning="".join(self.reasoning_parts))
        output["timing"] = {"total_us": total_us, "time_to_first_token_us": None}
        return {"type": "done", "output": output}


PROVIDERS = {"chat": LocalProvider, "anthropic": MessagesProvider}


def provider_for(config):
    """The provider class of config.dialect."""
    return PROVIDERS[config.dialect](config)


# ---------------------------------------------------------------- session

class Session:
    """One provider instance for many turns; closed exactly once; thread-safe."""

    def __init__(self, config, factory=LocalProvider, readiness_probe=True):
        self.config = config
        self._lock = threading.Lock()
        self._closed = False
        self._provider = factory(config)
        self._probe = readiness_probe and callable(getattr(self._provider, "check_ready", None))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        try:
            self.close()
        except Exception:  # an error from closing never escapes a scope exit
            pass
        return False

    @property
    def closed(self):
        return self._closed

    def _open_provider(self):
        with self._lock:
            if self._closed:
                raise ProviderError("session_closed", "Session is closed", CLOSED_HINT)
            return self._provider

    def interact(self, environment, inp, requirements=None):
        return self._open_provider().generate(environment or {}, inp or {}, requirements or {})

    def stream(self, environment, inp, requirements=None):
        return self._open_provider().stream(environment or {}, inp or {}, requirements or {})

    def run_many(self, environment, inputs, requirements=None, concurrency=4):
        provider = self._open_provider()
        outputs = [None] * len(inputs)
        errors = [None] * len(inputs)
        next_index = [0]
        lock = threading.Lock()

        def worker():
            while True:
                with lock:
                    index = next_index[0]
                    next_index[0] += 1
                if index >= len(inputs):
                    return
                try:
                    outputs[index] = provider.generate(environment or {}, inputs[index], requirements or {})
                except Exception as exc:  # rethrown below, in input order
                    errors[index] = exc

        workers = [threading.Thread(target=worker) for _ in range(max(1, min(concurrency, len(inputs))))]
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join()
        for error in errors:
            if error is not None:
                raise error
        return outputs

    def check_ready(self, model=...):
        provider = self._open_provider()
        target = self.config.model if model is ... else model
        if not self._probe:
            return {"ready": True, "provider": getattr(provider, "name", "local"), "status_code": None,
                    "message": NO_PROBE_MESSAGE, "model": target, "model_verified": False}
        return provider.check_ready(target)

    def close(self):
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._provider.close()


def _one_shot(config, factory, call):
    with Session(config, factory) as session:
        return call(session)


def interact(config, environment, inp, requirements=None, factory=LocalProvider):
    return _one_shot(config, factory, lambda s: s.interact(environment, inp, requirements))


def run_many(config, environment, inputs, requirements=None, concurrency=4, factory=LocalProvider):
    return _one_shot(config, factory, lambda s: s.run_many(environment, inputs, requirements, concurrency))


def check_ready(config, factory=LocalProvider):
    return _one_shot(config, factory, lambda s: s.check_ready())


def stream(config, environment, inp, requirements=None, factory=LocalProvider):
    """A generator owning a single-use session, closed when the stream ends, fails or is dropped."""
    session = Session(config, factory)
    try:
        events = session.stream(environment, inp, requirements)
    except BaseException:
        session.close()
        raise

    def owned():
        try:
            yield from events
        finally:
            events.close()
            session.close()

    return owned()
