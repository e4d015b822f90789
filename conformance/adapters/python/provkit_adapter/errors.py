# The adapter protocol's error kinds, and the rules that map a library's exceptions onto them.
"""Errors as the protocol carries them, and how exceptions become them.

An adapter's operations may raise anything. The kit turns the exception into a protocol
error with :class:`ErrorRules`: the adapter's own rules first (``Adapter.error_rules``), then
the defaults below, then kind ``internal`` with the exception's type and message.
"""

import asyncio
import json

#: The stable error kinds of docs/adapter-protocol.md (the C++ runtime's ErrorKinds() ids).
KINDS = ("configuration", "session_closed", "connection", "timeout", "http_status",
         "malformed_response", "stream_failure", "cancelled", "unsupported", "bad_request")

#: Clause S3's exact wording for a call on a closed session.
SESSION_CLOSED_MESSAGE = "Session is closed"
SESSION_CLOSED_HINT = "Create a new Session for additional interactions."


class ProviderError(Exception):
    """A failure with a protocol error kind; raise it from an operation to answer that error.

    ``status_code`` is an int (an HTTP status) or None. Any ``kind`` string is accepted; the
    ones in :data:`KINDS` are the ones the harness understands.
    """

    def __init__(self, kind, message, hint="", status_code=None):
        super().__init__(message)
        self.kind = str(kind)
        self.message = str(message)
        self.hint = "" if hint is None else str(hint)
        self.status_code = status_code

    def to_json(self):
        """The ``error`` object of an answer line."""
        error = {"kind": self.kind, "message": self.message, "hint": self.hint}
        if isinstance(self.status_code, int) and not isinstance(self.status_code, bool):
            error["status_code"] = self.status_code
        return error


def session_closed():
    """The error clause S3 expects for any call on a closed session, with its exact wording."""
    return ProviderError("session_closed", SESSION_CLOSED_MESSAGE, SESSION_CLOSED_HINT)


def _status_of(exc):
    """An HTTP status an exception carries (``status_code``, ``status``, ``response.status_code``)."""
    for holder in (exc, getattr(exc, "response", None)):
        for name in ("status_code", "status"):
            value = getattr(holder, name, None)
            if isinstance(value, int) and not isinstance(value, bool) and 100 <= value <= 999:
                return value
    return None


def _text(exc):
    message = getattr(exc, "message", None)
    if isinstance(message, str) and message:
        return message
    return str(exc) or type(exc).__name__


def error_of_kind(kind, exc):
    """A ProviderError of ``kind`` carrying what ``exc`` says (its message, hint, status)."""
    if kind == "session_closed":
        return session_closed()
    hint = getattr(exc, "hint", "")
    return ProviderError(kind, _text(exc), hint if isinstance(hint, str) else "", _status_of(exc))


def _duck_kind(exc):
    """An exception that already names a protocol kind (an attribute ``kind``, a str) keeps it."""
    kind = getattr(exc, "kind", None)
    return error_of_kind(kind, exc) if isinstance(kind, str) and kind else None


def _http_status(exc):
    return error_of_kind("http_status", exc) if _status_of(exc) is not None else None


#: The rules applied after the adapter's own: (what matches, what it becomes).
DEFAULT_RULES = (
    (ProviderError, lambda exc: exc),
    (BaseException, _duck_kind),
    (asyncio.CancelledError, "cancelled"),
    (asyncio.TimeoutError, "timeout"),  # also TimeoutError and socket.timeout on Python 3.11
    (TimeoutError, "timeout"),
    (ConnectionError, "connection"),
    (json.JSONDecodeError, "malformed_response"),
    (BaseException, _http_status),
    (OSError, "connection"),
)


class ErrorRules:
    """An ordered list of rules, each ``(match, to)``; the first that applies wins.

    ``match`` is an exception class, a tuple of them, or a predicate ``f(exc) -> bool``.
    ``to`` is a kind string (the exception's message and any HTTP status are kept), or a
    function ``f(exc)`` returning a ProviderError, a kind string, or None (the rule does not
    apply after all). Thread-safe for reading; build it before the adapter runs.
    """

    def __init__(self, rules=(), defaults=DEFAULT_RULES):
        self.rules = list(rules) + list(defaults)

    def add(self, match, to):
        """Puts a rule ahead of every existing one."""
        self.rules.insert(0, (match, to))

    def map(self, exc):
        """The ProviderError for ``exc``: never raises; kind ``internal`` when no rule applies."""
        for match, to in self.rules:
            try:
                if isinstance(match, type) or isinstance(match, tuple):
                    applies = isinstance(exc, match)
                else:
                    applies = bool(match(exc))
                if not applies:
                    continue
                result = to(exc) if callable(to) else to
            except Exception as rule_error:  # a broken rule must not hide the original error
                return ProviderError("internal", f"the error rule for {type(exc).__name__} failed: "
                                     f"{type(rule_error).__name__}: {rule_error}; original: {_text(exc)}")
            if result is None:
                continue
            if isinstance(result, ProviderError):
                return result
            return error_of_kind(str(result), exc)
        return ProviderError("internal", f"{type(exc).__name__}: {_text(exc)}")
