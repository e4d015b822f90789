# The protocol's values for adapter authors: Config, outputs, readiness records, stream events, provider options.
"""Values of docs/adapter-protocol.md as Python objects and helpers.

The kit hands operations plain dicts for ``environment``, ``input`` and ``requirements``
(exactly the protocol's JSON) and a :class:`Config` for ``config``. What operations return
is normalised with :func:`output` and :func:`readiness`, so a missing optional field is
filled in rather than becoming a protocol violation.
"""

from .errors import ProviderError

#: Request body fields a provider manages itself; a provider option may not replace them (S12).
MANAGED_FIELDS = ("model", "messages", "stream", "stream_options")


def _ms(raw, key, default):
    value = raw.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ProviderError("bad_request", f"config field '{key}' must be a number of milliseconds, "
                            f"got {value!r}")
    return value


class Config:
    """The protocol's ``config``: where the server is and how long to wait. Immutable by convention.

    Timeouts are given both in milliseconds (``*_ms``, as sent) and in seconds (float).
    ``raw`` is the JSON object as received. ``repr()`` never shows the API key.
    """

    def __init__(self, raw=None):
        raw = {} if raw is None else raw
        if not isinstance(raw, dict):
            raise ProviderError("bad_request", f"config must be an object, got {type(raw).__name__}")
        self.raw = raw
        self.base_url = raw.get("base_url") or ""
        self.model = raw.get("model")
        self.api_key = raw.get("api_key") or ""
        if not isinstance(self.base_url, str) or not isinstance(self.api_key, str):
            raise ProviderError("bad_request", "config fields 'base_url' and 'api_key' must be strings")
        if self.model is not None and not isinstance(self.model, str):
            raise ProviderError("bad_request", f"config field 'model' must be a string or null, got {self.model!r}")
        self.dialect = raw.get("dialect") or "chat"
        if not isinstance(self.dialect, str):
            raise ProviderError("bad_request", f"config field 'dialect' must be a string, got {self.dialect!r}")
        self.connect_timeout_ms = _ms(raw, "connect_timeout_ms", 2000)
        self.request_timeout_ms = _ms(raw, "request_timeout_ms", 120000)
        self.probe_budget_ms = _ms(raw, "probe_budget_ms", 2000)

    connect_timeout = property(lambda self: self.connect_timeout_ms / 1000.0)
    request_timeout = property(lambda self: self.request_timeout_ms / 1000.0)
    probe_budget = property(lambda self: self.probe_budget_ms / 1000.0)

    def __repr__(self):
        return (f"Config(base_url={self.base_url!r}, dialect={self.dialect!r}, model={self.model!r}, api_key=<redacted>, "
                f"connect_timeout_ms={self.connect_timeout_ms}, request_timeout_ms={self.request_timeout_ms}, "
                f"probe_budget_ms={self.probe_budget_ms})")


def scoped_options(requirements, scope, managed=MANAGED_FIELDS):
    """The provider options under ``scope`` (a copy, ``{}`` when none), checked against S12.

    Raises ProviderError ``configuration`` when the scope is not an object or an option would
    replace a field in ``managed``: merge the result into your request body only after this.
    """
    options = (requirements or {}).get("provider_options") or {}
    if not isinstance(options, dict):
        raise ProviderError("configuration", "provider_options must be an object keyed by provider name")
    scoped = options.get(scope)
    if scoped is None:
        return {}
    if not isinstance(scoped, dict):
        raise ProviderError("configuration", f"provider_options['{scope}'] must be an object, "
                            f"got {type(scoped).__name__}")
    clashes = [key for key in managed if key in scoped]
    if clashes:
        raise ProviderError("configuration", f"provider option '{clashes[0]}' would replace a field the "
                            f"provider manages", f"Remove '{clashes[0]}' from provider_options['{scope}']; "
                            f"the provider sets {', '.join(managed)} itself.")
    return dict(scoped)


def tool_call(call_id, name, arguments_text):
    """A protocol tool call; ``arguments`` is the parsed JSON text, or None when it is not JSON."""
    import json
    try:
        arguments = json.loads(arguments_text) if arguments_text else None
    except ValueError:
        arguments = None
    return {"id": call_id or "", "name": name or "", "arguments": arguments,
            "arguments_text": arguments_text or ""}


def output(value=None, **fields):
    """A protocol output: ``value`` (a dict) and ``fields`` over the defaults of every key."""
    result = {"text": "", "reasoning": "", "tool_calls": [], "usage": None, "finish_reason": "",
              "response_id": ""}
    result.update(value or {})
    result.update(fields)
    for key in ("text", "reasoning", "finish_reason", "response_id"):
        if result[key] is None:
            result[key] = ""
    if result["tool_calls"] is None:
        result["tool_calls"] = []
    return result


def readiness(value=None, **fields):
    """A protocol readiness record with every optional field present (None when unknown)."""
    result = {"ready": False, "provider": "", "status_code": None, "message": None, "model": None,
              "model_verified": None}
    result.update(value or {})
    result.update(fields)
    return result


def done(output_value=None):
    """The event that ends a stream. Without an output the kit builds it from the events sent."""
    return {"type": "done", "output": output_value}


class StreamAccumulator:
    """Builds the stream's final output from its events, for libraries whose streams carry none."""

    def __init__(self):
        self.text, self.reasoning, self.tool_calls = [], [], []
        self.usage, self.finish_reason = None, ""

    def feed(self, event):
        kind = event.get("type")
        if kind == "text_delta":
            self.text.append(event.get("delta") or "")
        elif kind == "reasoning_delta":
            self.reasoning.append(event.get("delta") or "")
        elif kind == "tool_call" and isinstance(event.get("tool_call"), dict):
            self.tool_calls.append(event["tool_call"])
        elif kind == "usage":
            self.usage = event.get("usage")
        elif kind == "finish":
            self.finish_reason = event.get("finish_reason") or ""

    def output(self, response_id=""):
        return output(text="".join(self.text), reasoning="".join(self.reasoning),
                      tool_calls=list(self.tool_calls), usage=self.usage,
                      finish_reason=self.finish_reason, response_id=response_id)
