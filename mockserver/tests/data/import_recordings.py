#!/usr/bin/env python3
"""Converts a directory of raw recordings in the curl-transcript format into provkit cassettes.

Usage: import_recordings.py RECORDINGS_DIR [--out DIR] [--server NAME] [--check]

A raw recording is one exchange per .txt file: line 1 is the request as a curl command (an
optional `# note` after it), then the status line, headers and body exactly as the server sent
them, then `(curl exit: N)`. Files whose first line is not a curl command (poll timelines,
timing notes) become `note` records. The cassette format is described in docs/mockserver.md
(section "Cassettes"); one cassette is written per situation (server run).

What is kept: method, path, query, the request headers that matter (Content-Type,
Authorization, X-Api-Key, Origin, Access-Control-Request-*, Accept), the request body, status,
every response header but Content-Length and Date, the body as sent, streams event by event.
What is dropped or replaced: host and port; `created` time stamps (0); child process ports in
router status (`<port>`); dates; secrets (API keys become `<api-key>` when some request with that
key was accepted, `<rejected-key-N>` otherwise; `sk-...` style tokens in bodies become
`<redacted>`). The conversion is deterministic: the same input gives byte-identical output.
Standard library only.
"""

import argparse
import json
import os
import re
import shlex
import sys
import urllib.parse

# The situations of the llama.cpp recording set: file-name prefix -> (cassette, description).
# Files matching no prefix go to "other".
LLAMA_CPP_SITUATIONS = [
    ("01_", "loading", "while the model loads (the port is open), and right after"),
    ("50_", "loading", "while the model loads (the port is open), and right after"),
    ("51_", "loading-api-key", "while the model loads, started with --api-key"),
    ("11", "api-key", "started with --api-key: missing, wrong and right keys"),
    ("22", "stream-error", "a model whose output breaks the chat parser: an error after "
                           "streaming began"),
    ("23", "thinking", "a model with a thinking chat template"),
    ("3", "router", "router mode (--models-dir, two models): load, unload, load on request"),
    ("4", "router", "router mode (--models-dir, two models): load, unload, load on request"),
    ("", "single-model", "one model loaded, ready"),
]

KEPT_REQUEST_HEADERS = ["content-type", "authorization", "x-api-key", "origin",
                        "access-control-request-method", "access-control-request-headers",
                        "accept"]
DROPPED_RESPONSE_HEADERS = {"content-length", "date"}
SECRET_HEADERS = {"authorization", "x-api-key", "api-key"}
TOKEN_IN_TEXT = re.compile(r"\b(sk-[A-Za-z0-9_\-]{8,})")


class ConversionError(Exception):
    """A recording that does not follow the curl-transcript format; the message names it."""


def situation_of(name):
    for prefix, cassette, description in LLAMA_CPP_SITUATIONS:
        if name.startswith(prefix):
            return cassette, description
    return "other", "recordings of no known situation"


def compact(value):
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def parse_curl(line, name):
    """The request of a curl command line: method, path, query, headers, body, note."""
    note = ""
    try:
        words = shlex.split(line, comments=False)
    except ValueError as error:
        raise ConversionError(f"{name}: line 1: cannot split the curl command: {error}")
    if "#" in words:
        cut = words.index("#")
        note = " ".join(words[cut + 1:])
        words = words[:cut]
    if not words or words[0] != "curl":
        raise ConversionError(f"{name}: line 1 is not a curl command")
    method, url, headers, body = None, None, [], None
    i = 1
    while i < len(words):
        word = words[i]
        if word in ("-X", "--request"):
            method = words[i + 1]
            i += 2
        elif word in ("-H", "--header"):
            key, _, value = words[i + 1].partition(":")
            headers.append((key.strip(), value.strip()))
            i += 2
        elif word in ("-d", "--data", "--data-raw", "--data-binary"):
            body = words[i + 1]
            i += 2
        elif word.startswith("-"):
            i += 1
        else:
            url = word
            i += 1
    if url is None:
        raise ConversionError(f"{name}: line 1: the curl command names no URL")
    parts = urllib.parse.urlsplit(url)
    if method is None:
        method = "POST" if body is not None else "GET"
    return {"method": method, "path": parts.path or "/", "query": parts.query,
            "headers": headers, "body": body, "note": note}


def parse_response(raw, name):
    """Status, reason, headers, body and curl's exit code of the transcript after line 1."""
    marker = re.search(r"\(curl exit: (\d+)\)\s*$", raw)
    exit_code = None
    if marker is not None:
        exit_code = int(marker.group(1))
        raw = raw[:marker.start()]
    head, separator, body = raw.partition("\r\n\r\n")
    if not separator:
        head, separator, body = raw.partition("\n\n")
    lines = head.replace("\r\n", "\n").split("\n")
    status_line = re.match(r"HTTP/\d(?:\.\d)? (\d{3})(?: (.*))?$", lines[0])
    if status_line is None:
        raise ConversionError(f"{name}: line 2 is not an HTTP status line: {lines[0]!r}")
    headers = []
    for number, line in enumerate(lines[1:], start=3):
        key, colon, value = line.partition(":")
        if not colon:
            raise ConversionError(f"{name}: line {number} is not a header: {line!r}")
        headers.append((key.strip(), value.strip()))
    # curl printed the body up to its exit marker; without one, Content-Length ends it.
    length = dict((k.lower(), v) for k, v in headers).get("content-length")
    if marker is None and length is not None:
        if not length.isdigit():
            raise ConversionError(f"{name}: Content-Length {length!r} is not a number")
        encoded = body.encode("utf-8")
        if len(encoded) < int(length):
            raise ConversionError(f"{name}: the body is shorter than its Content-Length {length}")
        body = encoded[:int(length)].decode("utf-8")
    elif marker is None:
        raise ConversionError(f"{name}: neither '(curl exit: N)' at the end nor a Content-Length")
    return {"status": int(status_line.group(1)), "reason": status_line.group(2) or "",
            "headers": headers, "body": body, "exit": exit_code}


class Redactor:
    """Replaces secret values by stable placeholders across the whole directory."""

    def __init__(self):
        self.accepted = set()
        self.rejected = []

    @staticmethod
    def secret_of(key, value):
        if key.lower() not in SECRET_HEADERS:
            return None
        scheme, _, token = value.partition(" ")
        return token if token and scheme.lower() == "bearer" else value

    def learn(self, request, response):
        for key, value in request["headers"]:
            secret = self.secret_of(key, value)
            if secret is None:
                continue
            if response["status"] < 400 and not request["path"].endswith("/health"):
                self.accepted.add(secret)
            elif secret not in self.rejected:
                self.rejected.append(secret)

    def placeholder(self, secret):
        if secret in self.accepted:
            return "<api-key>"
        if secret not in self.rejected:
            self.rejected.append(secret)
        return f"<rejected-key-{self.rejected.index(secret) + 1}>"

    def header(self, key, value):
        secret = self.secret_of(key, value)
        if secret is None:
            return value
        return value.replace(secret, self.placeholder(secret)) if secret else value

    @staticmethod
    def text(text):
        return TOKEN_IN_TEXT.sub("<redacted>", text)

    def note(self, text):
        """A free-text note with every known secret replaced (a command line may name a key)."""
        for secret in sorted(self.accepted | set(self.rejected), key=len, reverse=True):
            text = re.sub(r"(?<![\w-])" + re.escape(secret) + r"(?![\w-])",
                          self.placeholder(secret), text)
        return Redactor.text(text)


def normalise_json_text(text):
    """Drops time stamps and child ports from a JSON text without reordering it."""
    text = re.sub(r'"created":\s*\d+', '"created":0', text)
    text = re.sub(r'"--port","\d+"', '"--port","<port>"', text)
    return Redactor.text(text)


def body_fields(text, key):
    """{key: json value} when `text` is compact JSON that re-serialises byte for byte, else
    {key_text: text}; {} for an empty body."""
    if text == "":
        return {}
    try:
        value = json.loads(text)
        if compact(value) == text:
            return {key: value}
    except ValueError:
        pass
    return {key + "_text": text}


def stream_chunks(body):
    """The events of an SSE body: each a `data` JSON value or a verbatim `text`."""
    chunks = []
    rest = body
    while rest:
        end = rest.find("\n\n")
        piece = rest if end < 0 else rest[:end + 2]
        rest = "" if end < 0 else rest[end + 2:]
        match = re.fullmatch(r"data: (.*)\n\n", piece, flags=re.S)
        if match:
            payload = normalise_json_text(match.group(1))
            fields = body_fields(payload, "data")
            if "data" in fields:
                chunks.append(fields)
                continue
            piece = "data: " + payload + "\n\n"
        chunks.append({"text": piece})
    return chunks


def convert_exchange(name, request, response, redactor):
    records = []
    headers = {}
    for key, value in request["headers"]:
        if key.lower() in KEPT_REQUEST_HEADERS:
            headers[key] = redactor.header(key, value)
    record = {"type": "request", "id": name, "method": request["method"],
              "path": request["path"]}
    if request["query"]:
        record["query"] = request["query"]
    record["headers"] = headers
    if request["body"] is not None:
        record.update(body_fields(Redactor.text(request["body"]), "body"))
    if request["note"]:
        record["note"] = redactor.note(re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1", request["note"]))
    records.append(record)

    response_headers = {}
    for key, value in response["headers"]:
        if key.lower() in DROPPED_RESPONSE_HEADERS:
            continue
        joined = response_headers.get(key)
        response_headers[key] = value if joined is None else joined + ", " + value
    content_type = dict((k.lower(), v) for k, v in response["headers"]).get("content-type", "")
    streamed = content_type.startswith("text/event-stream")
    reply = {"type": "response", "id": name, "status": response["status"],
             "reason": response["reason"], "headers": response_headers}
    body = response["body"]
    if streamed:
        chunks = stream_chunks(body)
        reply["stream"] = True
        reply["chunks"] = len(chunks)
        records.append(reply)
        for index, chunk in enumerate(chunks):
            records.append(dict({"type": "chunk", "id": name, "index": index, "t_ms": None},
                                **chunk))
    else:
        if content_type.startswith("application/json"):
            reply.update(body_fields(normalise_json_text(body), "body"))
        elif body:
            reply["body_text"] = Redactor.text(body)
        records.append(reply)
    # An exit code other than 0 means curl saw the answer cut; none recorded: taken as complete.
    records.append({"type": "end", "id": name, "complete": response["exit"] in (0, None),
                    "curl_exit": response["exit"]})
    return records


def read_recordings(directory):
    names = sorted(n for n in os.listdir(directory) if n.endswith(".txt"))
    if not names:
        raise ConversionError(f"{directory}: no .txt recordings")
    recordings = []
    for name in names:
        path = os.path.join(directory, name)
        with open(path, "r", encoding="utf-8", newline="") as handle:
            text = handle.read()
        first, _, rest = text.partition("\n")
        stem = name[:-len(".txt")]
        if first.startswith("curl "):
            recordings.append((stem, parse_curl(first, name), parse_response(rest, name)))
        else:
            lines = [line for line in text.splitlines() if line.strip()]
            recordings.append((stem, None, lines))
    return recordings


def convert(directory, server):
    """{cassette name: [records]} for every recording of `directory`."""
    recordings = read_recordings(directory)
    redactor = Redactor()
    for _, request, response in recordings:
        if request is not None:
            redactor.learn(request, response)
    cassettes = {}
    for stem, request, response in recordings:
        situation, description = situation_of(stem)
        records = cassettes.setdefault(situation, [
            {"cassette": "provkit", "version": 1, "server": server, "situation": situation,
             "description": description,
             "source": "imported from curl transcripts by "
                       "mockserver/tests/data/import_recordings.py"}])
        if request is None:
            records.append({"type": "note", "id": stem, "lines": response})
        else:
            records.extend(convert_exchange(stem, request, response, redactor))
    return cassettes


def render(records):
    return "".join(compact(record) + "\n" for record in records)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("recordings", help="a directory of raw recordings in the curl-transcript "
                                           "format")
    here = os.path.dirname(os.path.abspath(__file__))
    parser.add_argument("--server", default="llama.cpp",
                        help="the server the recordings come from (default llama.cpp)")
    parser.add_argument("--out", help="where the cassettes go (default: next to this script, "
                                      "in a folder named after --server)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 when the committed cassettes differ")
    args = parser.parse_args(argv)
    if not os.path.isdir(args.recordings):
        print(f"import_recordings: {args.recordings}: not a directory", file=sys.stderr)
        return 2
    out = args.out or os.path.join(here, args.server)
    try:
        cassettes = convert(args.recordings, args.server)
    except ConversionError as error:
        print(f"import_recordings: {error}", file=sys.stderr)
        return 2
    differs = False
    for situation in sorted(cassettes):
        path = os.path.join(out, situation + ".jsonl")
        text = render(cassettes[situation])
        if args.check:
            try:
                with open(path, "r", encoding="utf-8", newline="") as handle:
                    current = handle.read()
            except OSError:
                current = None
            if current != text:
                print(f"import_recordings: {path} is not up to date", file=sys.stderr)
                differs = True
            continue
        os.makedirs(out, exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        exchanges = sum(1 for r in cassettes[situation] if r.get("type") == "request")
        print(f"{path}: {exchanges} exchanges")
    return 1 if differs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
