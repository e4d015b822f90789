# Runs `provkit mock` as a child process for tests, with a client for its /__provkit admin endpoints.
"""``provkit mock`` in your own tests: :class:`MockServer` starts it on 127.0.0.1 port 0, reads
the URL it prints, and stops it; :class:`AdminClient` switches scenarios, scripts, timing,
profile and models and reads the journal (docs/mockserver.md, "Admin endpoints").

The ``provkit`` binary is found as ``provkit=`` given, else ``$PROVKIT_BIN``, else on PATH.
"""

import http.client
import json
import os
import selectors
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse

START_TIMEOUT_S = 10.0
MAX_ADMIN_BODY = 64 << 20


class MockError(Exception):
    """The mock could not be started, or an admin request failed (the message says which and why)."""


def find_provkit(provkit=None):
    """The provkit binary to run; raises MockError naming where it looked."""
    candidate = provkit or os.environ.get("PROVKIT_BIN") or shutil.which("provkit")
    if not candidate:
        raise MockError("provkit not found: pass provkit=PATH, set PROVKIT_BIN, or put provkit on PATH")
    if not (os.path.isfile(candidate) and os.access(candidate, os.X_OK)):
        raise MockError(f"provkit binary {candidate!r} does not exist or is not executable")
    return candidate


class AdminClient:
    """The mock's /__provkit admin endpoints over keep-alive HTTP. Not thread-safe: one per thread."""

    def __init__(self, url, timeout=10.0):
        parsed = urllib.parse.urlsplit(url)
        self._host, self._port, self._timeout = parsed.hostname, parsed.port, timeout
        self._conn = None

    def close(self):
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def request(self, method, path, body=None):
        """The JSON answer of one admin request; raises MockError on a failure or an error status."""
        data = None if body is None else json.dumps(body).encode()
        for attempt in range(2):
            if self._conn is None:
                self._conn = http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)
                self._conn.connect()
                self._conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            try:
                self._conn.request(method, "/__provkit/" + path, body=data,
                                   headers={"Content-Type": "application/json"} if data is not None else {})
                response = self._conn.getresponse()
                text = response.read(MAX_ADMIN_BODY + 1)
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as exc:
                self.close()  # a kept-alive connection the mock closed when idle: reopen once
                if attempt:
                    raise MockError(f"{method} /__provkit/{path}: {exc}") from exc
            except OSError as exc:
                self.close()
                raise MockError(f"{method} /__provkit/{path}: {exc}") from exc
        if len(text) > MAX_ADMIN_BODY:
            self.close()
            raise MockError(f"{method} /__provkit/{path}: the answer is over {MAX_ADMIN_BODY} bytes")
        try:
            doc = json.loads(text) if text else {}
        except ValueError as exc:
            raise MockError(f"{method} /__provkit/{path}: HTTP {response.status}, not JSON: {text[:200]!r}") from exc
        if response.status >= 400:
            message = doc.get("error", {}).get("message") if isinstance(doc, dict) else None
            raise MockError(f"{method} /__provkit/{path}: HTTP {response.status}: {message or text[:200]!r}")
        return doc

    def scenario(self, scenario=None, **params):
        """Sets the scenario (a name, or an object; ``params`` are its keys) and returns it; without one, reads it."""
        if scenario is None and not params:
            return self.request("GET", "scenario")
        body = dict(scenario) if isinstance(scenario, dict) else {"name": scenario or "healthy"}
        body.update(params)
        return self.request("POST", "scenario", body)

    def script(self, script=None):
        """Sets the script (``{"sequence": [...], "rules": [...], "loop": bool}``); without one, reads it."""
        return self.request("GET", "script") if script is None else self.request("POST", "script", script)

    def timing(self, timing=None):
        """Sets the stream timing (``{"chunk_chars": 4, ...}``); without one, reads it."""
        return self.request("GET", "timing") if timing is None else self.request("POST", "timing", timing)

    def profile(self, name=None):
        """Sets the profile (``"vllm"``, ``"llama.cpp"``, ...); without one, reads it."""
        return self.request("GET", "profile") if name is None else self.request("POST", "profile", {"name": name})

    def models(self, models=None):
        """Sets the models (ids, or ``{"id", "status", "owned_by"}`` objects); without them, reads them."""
        return self.request("GET", "models") if models is None else self.request("POST", "models", list(models))

    def journal(self):
        """The requests the mock saw, oldest first (``sequence``, ``connection_id``, ``method``, ``path``, ...)."""
        return self.request("GET", "journal")["entries"]

    def reset_journal(self):
        """Empties the journal and zeroes the connection and request counters."""
        return self.request("DELETE", "journal")

    def stats(self):
        """``{"connections_opened", "connections_open", "requests", "journal_dropped"}``."""
        return self.request("GET", "stats")["stats"]


class MockServer:
    """``provkit mock`` on 127.0.0.1 and a free port; a context manager that stops it on exit.

    ``url`` is the server root (``http://127.0.0.1:PORT``), ``base_url`` the API root
    (``.../v1``), ``admin`` an :class:`AdminClient`. ``args`` are extra ``provkit mock`` flags.
    """

    def __init__(self, *args, models=None, profile=None, scenario=None, provkit=None, base_path="/v1"):
        self.command = [find_provkit(provkit), "mock", "--host", "127.0.0.1", "--port", "0", "--quiet",
                        "--base-path", base_path]
        if models:
            self.command += ["--models", ",".join(models)]
        if profile:
            self.command += ["--profile", profile]
        if scenario:
            self.command += ["--scenario", scenario]
        self.command += list(args)
        self.base_path = base_path
        self.process = None
        self.url = self.base_url = None
        self.admin = None

    def start(self):
        """Starts the mock and waits (at most 10 s, without sleeping) for the URL it prints."""
        self._stderr = tempfile.TemporaryFile()
        self.process = subprocess.Popen(self.command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=self._stderr)
        line = self._first_line(START_TIMEOUT_S)
        if not line.startswith("http://"):
            self.stop()
            raise MockError(f"`{' '.join(self.command)}` did not print its URL (got {line!r}); "
                            f"stderr: {self._stderr_text()}")
        self.url = line
        self.base_url = line + self.base_path
        self.admin = AdminClient(line)
        return self

    def _first_line(self, timeout):
        deadline = time.monotonic() + timeout
        data = b""
        with selectors.DefaultSelector() as selector:
            selector.register(self.process.stdout, selectors.EVENT_READ)
            while b"\n" not in data:
                left = deadline - time.monotonic()
                if left <= 0 or not selector.select(left):
                    self.stop()
                    raise MockError(f"`{' '.join(self.command)}` printed no URL within {timeout:.0f} s")
                chunk = os.read(self.process.stdout.fileno(), 4096)
                if not chunk:
                    code = self.process.wait()
                    raise MockError(f"`{' '.join(self.command)}` exited with status {code} before printing its "
                                    f"URL; stderr: {self._stderr_text()}")
                data += chunk
        return data.split(b"\n", 1)[0].decode("utf-8", "replace").strip()

    def _stderr_text(self):
        self._stderr.seek(0)
        return self._stderr.read()[-2000:].decode("utf-8", "replace").strip() or "(empty)"

    def stop(self):
        """Stops the mock (SIGTERM, then SIGKILL after 5 s) and returns its exit status."""
        if self.admin is not None:
            self.admin.close()
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()
        finally:
            self.process.stdout.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False
