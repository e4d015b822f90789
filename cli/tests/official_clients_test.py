#!/usr/bin/env python3
"""The official openai and @anthropic-ai/sdk npm clients against provkit mock, every dialect.

Usage: official_clients_test.py PROVKIT CLIENTS_DIR   (run by CTest as MockOfficialClients)

CLIENTS_DIR (or $PROVKIT_NODE_CLIENTS) holds node_modules with both clients, as ci/node-clients
installs them. Without node or the clients the test is skipped (exit 77) with a message saying
how to install them. Healthy, the clients must parse every answer, plain and streamed; under
stream-error, stream-drop, malformed and auth every call must fail as an error.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile

SKIP = 77
CONFIG = {
    "models": ["m1"],
    "timing": {"chunk_chars": 3},
    "script": {"rules": [{"contains": "weather", "reply": {
        "text": "checking", "reasoning": "need data",
        "tool_calls": [{"name": "get_weather", "arguments": {"city": "Paris"}}]}}]},
}
SCENARIOS = [
    ("healthy", []),
    ("stream-error", ["--scenario", "stream-error", "--param", "after_chunks=3"]),
    ("stream-drop", ["--scenario", "stream-drop", "--param", "after_chunks=3"]),
    ("malformed", ["--scenario", "malformed", "--param", "variant=truncated",
                   "--param", "after_chunks=3"]),
    ("auth", ["--scenario", "auth"]),
]


def main():
    provkit, clients = sys.argv[1], os.environ.get("PROVKIT_NODE_CLIENTS", sys.argv[2])
    node = shutil.which("node")
    if node is None:
        print("skipped: node is not installed (ci/deps installs it)")
        return SKIP
    for package in ("openai", "@anthropic-ai/sdk"):
        if not os.path.isdir(os.path.join(clients, "node_modules", package)):
            print(f"skipped: {package} is not installed in {clients}; run ci/node-clients {clients}")
            return SKIP
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "official_clients.mjs")
    failed = []
    with tempfile.TemporaryDirectory() as tmp:
        config = os.path.join(tmp, "mock.json")
        with open(config, "w") as out:
            json.dump(CONFIG, out)
        for name, flags in SCENARIOS:
            proc = subprocess.Popen([provkit, "mock", "-q", "--config", config, *flags],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            try:
                url = proc.stdout.readline().strip().rstrip("/")
                if not url.startswith("http://127.0.0.1:"):
                    raise SystemExit(f"provkit mock printed no URL: {url!r}")
                run = subprocess.run([node, script, os.path.abspath(clients), url, name],
                                     capture_output=True, text=True, timeout=120)
                sys.stdout.write(run.stdout)
                sys.stderr.write(run.stderr)
                if run.returncode != 0:
                    failed.append(name)
            finally:
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
    if failed:
        print(f"FAILED under: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
