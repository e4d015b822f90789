#!/usr/bin/env python3
"""provkit mock --config FILE reloads FILE when it changes and on SIGHUP.

Usage: mock_reload_test.py PROVKIT   (run by CTest as CliMockReload)

Checks, as a user would see it: a changed script is answered without a restart, a broken file
keeps the previous answer and is reported as file:line:column on stderr, SIGHUP reloads, a
setting that needs a restart is named and ignored, and /metrics counts what was served.
"""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

CHAT = {"model": "provkit-mock", "messages": [{"role": "user", "content": "hello"}]}
WAIT_S = 10  # every wait below is bounded by this


class Stderr:
    """Collects the command's stderr on a thread, so waits on it are bounded."""

    def __init__(self, stream):
        self.lines = []
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self.thread.start()

    def _read(self, stream):
        for line in stream:
            with self.lock:
                self.lines.append(line.rstrip("\n"))

    def wait_for(self, pattern, after=0):
        """The first line from index `after` on that matches `pattern`; fails after WAIT_S."""
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            with self.lock:
                for index in range(after, len(self.lines)):
                    if re.search(pattern, self.lines[index]):
                        return index, self.lines[index]
            time.sleep(0.05)
        with self.lock:
            raise SystemExit(f"no stderr line matching {pattern!r}; stderr: {self.lines}")

    def count(self):
        with self.lock:
            return len(self.lines)


def answer(root):
    request = urllib.request.Request(root + "/v1/chat/completions", data=json.dumps(CHAT).encode(),
                                     method="POST", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=WAIT_S) as response:
        return json.loads(response.read())["choices"][0]["message"]["content"]


def config(path, text, threads=None):
    body = {"script": {"sequence": [{"text": text}], "loop": True}}
    if threads is not None:
        body["threads"] = threads
    write(path, json.dumps(body, indent=2) + "\n")


def write(path, text):
    # Written beside and renamed, as editors do, so the server never reads half a file.
    with open(path + ".tmp", "w") as out:
        out.write(text)
    os.replace(path + ".tmp", path)


def wait_answer(root, expected):
    deadline = time.monotonic() + WAIT_S
    got = None
    while time.monotonic() < deadline:
        got = answer(root)
        if got == expected:
            return
        time.sleep(0.05)
    raise SystemExit(f"expected the answer {expected!r}, still {got!r} after {WAIT_S} s")


def main():
    provkit = sys.argv[1]
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "mock.json")
        config(path, "first answer")
        proc = subprocess.Popen([provkit, "mock", "--config", path, "--port", "0", "--quiet"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            err = Stderr(proc.stderr)
            root = proc.stdout.readline().strip()
            if not root.startswith("http://127.0.0.1:"):
                raise SystemExit(f"provkit mock printed no URL: {root!r}")
            assert answer(root) == "first answer"

            # A changed file is applied without a restart, and the reload says what changed.
            config(path, "second answer")
            err.wait_for(r"reloaded .*mock\.json \(file changed\): applied script$")
            wait_answer(root, "second answer")

            # A broken file keeps the running config and names file:line:column.
            mark = err.count()
            write(path, '{\n  "script": {"sequence": [}\n}\n')
            _, line = err.wait_for(r"keeping the previous config", mark)
            assert re.search(re.escape(path) + r":2:\d+: ", line), line
            assert answer(root) == "second answer"

            # SIGHUP reloads too (here: the same broken file, reported again).
            mark = err.count()
            proc.send_signal(signal.SIGHUP)
            _, line = err.wait_for(r"reload \(SIGHUP\) failed", mark)
            assert re.search(re.escape(path) + r":2:\d+: ", line), line

            # Fixed, and with a setting a running server cannot change: applied and named.
            mark = err.count()
            config(path, "third answer", threads=7)
            _, line = err.wait_for(r"reloaded .*\(file changed\)", mark)
            assert "applied script" in line and "threads changed, needs a restart" in line, line
            wait_answer(root, "third answer")

            # SIGHUP on an unchanged file: reloaded, nothing to apply.
            mark = err.count()
            proc.send_signal(signal.SIGHUP)
            err.wait_for(r"reloaded .*\(SIGHUP\): nothing to apply$", mark)

            with urllib.request.urlopen(root + "/metrics", timeout=WAIT_S) as response:
                metrics = response.read().decode()
                assert response.headers["Content-Type"] == \
                    "text/plain; version=0.0.4; charset=utf-8"
            served = re.search(r'^provkit_mock_requests_total\{path="/v1/chat/completions",'
                               r'status="200",fault=""\} (\d+)$', metrics, re.M)
            assert served and int(served.group(1)) >= 4, metrics
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=WAIT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                raise SystemExit("provkit mock did not stop within 10 s of SIGINT")
        assert proc.returncode == 0, proc.returncode
    flags_on_top(provkit)
    print("ok")


def flags_on_top(provkit):
    """A --param the reloaded file's scenario cannot take is reported; the server keeps going."""
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "mock.json")
        write(path, json.dumps({"scenario": {"name": "loading", "requests": 2}}))
        proc = subprocess.Popen([provkit, "mock", "--config", path, "--param", "requests=3",
                                 "--port", "0", "--quiet"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            err = Stderr(proc.stderr)
            root = proc.stdout.readline().strip()
            if not root.startswith("http://127.0.0.1:"):
                raise SystemExit(f"provkit mock printed no URL: {root!r}")
            write(path, json.dumps({"scenario": {"name": "hang"}}))
            _, line = err.wait_for(r"keeping the previous config: bad scenario: /requests")
            with urllib.request.urlopen(root + "/__provkit/scenario", timeout=WAIT_S) as response:
                assert json.loads(response.read())["name"] == "loading"
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=WAIT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                raise SystemExit("provkit mock did not stop within 10 s of SIGINT")
        assert proc.returncode == 0, proc.returncode


if __name__ == "__main__":
    main()
