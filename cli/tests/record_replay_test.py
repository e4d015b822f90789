#!/usr/bin/env python3
"""provkit record in front of provkit mock, then provkit mock --replay of what it wrote.

Usage: record_replay_test.py PROVKIT   (run by CTest as CliRecordReplay)

Checks, as a user would see it: the proxy relays answers unchanged, Ctrl-C writes a cassette with
every exchange and no API key, and a strict replay answers the recorded bodies (a stream event
for event) and a 404 naming the closest recording for a request nobody recorded.
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

KEY = "sk-recordreplaysecret123"
CHAT = {"model": "provkit-mock", "messages": [{"role": "user", "content": "hello there"}]}


def start(argv):
    """Starts a provkit server command; returns (process, the URL it printed first)."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline().strip()
    if not line.startswith("http://127.0.0.1:"):
        proc.kill()
        raise SystemExit(f"{argv[1]} printed no URL: {line!r}; stderr: {proc.stderr.read()}")
    return proc, line


def stop(proc):
    proc.send_signal(signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise SystemExit("the command did not stop within 20 s of SIGINT")
    return proc.returncode, err


def call(url, body=None, key=KEY):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method="POST" if body is not None else "GET")
    request.add_header("Authorization", f"Bearer {key}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def exchanges(root):
    return [
        call(root + "/health"),
        call(root + "/v1/models"),
        call(root + "/v1/chat/completions", CHAT),
        call(root + "/v1/chat/completions", dict(CHAT, stream=True)),
    ]


def stream_events(text):
    return [line for line in text.splitlines() if line.startswith("data:")]


def main():
    provkit = sys.argv[1]
    failures = []

    def expect(ok, what):
        if not ok:
            failures.append(what)

    with tempfile.TemporaryDirectory() as tmp:
        cassette = os.path.join(tmp, "mock.jsonl")
        mock, mock_url = start([provkit, "mock", "--port", "0", "--quiet"])
        record, record_url = start([provkit, "record", "--upstream", mock_url, "--out", cassette,
                                    "--server", "provkit-mock"])
        try:
            direct = exchanges(mock_url)
            relayed = exchanges(record_url)
        finally:
            code, err = stop(record)
            stop(mock)
        expect(code == 0, f"provkit record exited {code}: {err}")
        expect("wrote 4 exchange(s)" in err, f"provkit record did not report 4 exchanges: {err}")
        for (d_status, d_body), (r_status, r_body) in zip(direct, relayed):
            expect(d_status == r_status, f"relayed status {r_status}, direct {d_status}")
            if "chatcmpl" not in d_body:  # ids and timestamps differ between two answers
                expect(d_body == r_body, f"relayed body differs: {r_body!r} vs {d_body!r}")
        text = open(cassette, encoding="utf-8").read()
        expect(KEY not in text, "the API key reached the cassette")
        expect(len(text.splitlines()) >= 5, f"the cassette has a header and 4 exchanges: {text}")

        mock, replay_url = start([provkit, "mock", "--port", "0", "--quiet", "--replay", cassette,
                                  "--replay-strict", "--replay-speed", "0"])
        try:
            replayed = exchanges(replay_url)
            unmatched = call(replay_url + "/v1/chat/completions",
                             dict(CHAT, messages=[{"role": "user", "content": "never recorded"}]))
        finally:
            stop(mock)
        for (r_status, r_body), (p_status, p_body) in zip(relayed, replayed):
            expect(r_status == p_status, f"replayed status {p_status}, recorded {r_status}")
            if r_body.startswith("data:"):
                expect(stream_events(r_body) == stream_events(p_body),
                       f"replayed stream differs: {p_body!r} vs {r_body!r}")
            else:
                expect(r_body == p_body, f"replayed body differs: {p_body!r} vs {r_body!r}")
        expect(unmatched[0] == 404, f"an unrecorded request answered {unmatched[0]}, not 404")
        expect("closest" in unmatched[1].lower(), f"the 404 names no closest recording: {unmatched[1]}")

    # A non-strict replay of a real llama.cpp cassette answers what was not recorded as that server
    # would (its profile, its listed model): llama.cpp with one model answers any model name with it.
    recorded = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "mockserver", "tests",
                            "data", "llama.cpp", "single-model.jsonl")
    mock, replay_url = start([provkit, "mock", "--port", "0", "--quiet", "--replay", recorded,
                              "--replay-speed", "0"])
    try:
        status, body = call(replay_url + "/v1/chat/completions",
                            {"model": "not-listed", "messages": [{"role": "user", "content": "never recorded"}]})
    finally:
        stop(mock)
    expect(status == 200, f"an unrecorded chat request to the llama.cpp replay answered {status}: {body}")
    expect(status != 200 or json.loads(body).get("model") == "tiny",
           f"the fallback answer is not the recorded server's model 'tiny': {body}")

    for failure in failures:
        print("FAIL:", failure)
    print("record and replay:", "ok" if not failures else f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
