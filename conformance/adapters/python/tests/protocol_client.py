# A test client for the adapter protocol: runs an adapter process and exchanges JSON lines with it, bounded in time.
import json
import os
import selectors
import subprocess
import sys
import time


class AdapterProcess:
    """One adapter child process; every read waits at most `timeout` seconds."""

    def __init__(self, command, timeout=10.0, env=None):
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, env=env)
        self.timeout = timeout
        self.buffer = b""
        self.next_id = 0
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.process.stdout, selectors.EVENT_READ)

    def send(self, op, **fields):
        self.next_id += 1
        message = {"id": self.next_id, "op": op, **fields}
        self.process.stdin.write((json.dumps(message) + "\n").encode())
        self.process.stdin.flush()
        return self.next_id

    def line(self):
        deadline = time.monotonic() + self.timeout
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not self.selector.select(left):
                raise AssertionError(f"the adapter wrote no line within {self.timeout} s; stderr: {self.stderr()}")
            chunk = os.read(self.process.stdout.fileno(), 65536)
            if not chunk:
                raise AssertionError(f"the adapter closed stdout; stderr: {self.stderr()}")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)

    def answer(self, request_id):
        """(events, final line) for `request_id`; lines for other ids must not come first."""
        events = []
        while True:
            message = self.line()
            assert message["id"] == request_id, f"expected an answer to {request_id}, got {message}"
            if "event" in message:
                events.append(message["event"])
            else:
                return events, message

    def call(self, op, **fields):
        """The final line of one request (events dropped)."""
        return self.answer(self.send(op, **fields))[1]

    def stderr(self):
        if self.process.poll() is None:
            return "(still running)"
        return self.process.stderr.read().decode("utf-8", "replace")[-2000:]

    def close(self):
        if self.process.poll() is None:
            try:
                self.call("shutdown")
                self.process.wait(5)
            except (AssertionError, OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()
        self.selector.close()
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            stream.close()


def python_adapter(path, timeout=10.0):
    return AdapterProcess([sys.executable, path], timeout)
