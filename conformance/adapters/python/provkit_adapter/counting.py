# Counts provider instances, closes and calls after close by wrapping the provider factory (for `stats`).
"""The counting behind the protocol's ``stats`` op.

:meth:`Counters.wrap` turns a provider factory into one that returns a proxy for each
provider it makes. The proxy forwards every attribute; it counts a call to ``close`` or
``aclose`` (or leaving a ``with``/``async with`` block) as a close, and any other method
called after that as a call after close. Because the count sits at the provider boundary,
it is what the library really did, not what the adapter believes it did.
"""

import functools
import inspect
import threading

_CLOSERS = ("close", "aclose")


class Counters:
    """Thread-safe counters of one adapter process."""

    def __init__(self):
        self._lock = threading.Lock()
        self._counts = {"instances_created": 0, "instances_closed": 0, "calls_after_close": 0}

    def bump(self, key):
        with self._lock:
            self._counts[key] += 1

    def snapshot(self):
        """The protocol's ``stats`` result."""
        with self._lock:
            return dict(self._counts)

    def wrap(self, factory):
        """A factory like ``factory`` (sync or ``async def``) whose providers are counted."""
        if inspect.iscoroutinefunction(factory):
            @functools.wraps(factory)
            async def make_async(*args, **kwargs):
                return self._counted(await factory(*args, **kwargs))
            return make_async

        @functools.wraps(factory)
        def make(*args, **kwargs):
            made = factory(*args, **kwargs)
            if inspect.isawaitable(made):
                async def later():
                    return self._counted(await made)
                return later()
            return self._counted(made)
        return make

    def _counted(self, provider):
        self.bump("instances_created")
        return CountedProvider(provider, self)


class CountedProvider:
    """A provider seen through the counters; behaves as the provider for attribute access.

    ``isinstance`` checks against the provider's class do not see through it: a library that
    makes them needs the factory's result unwrapped (see docs/adapter-protocol.md).
    """

    __slots__ = ("_inner", "_counters", "_closed")

    def __init__(self, inner, counters):
        object.__setattr__(self, "_inner", inner)
        object.__setattr__(self, "_counters", counters)
        object.__setattr__(self, "_closed", False)

    def _mark_closed(self):
        self._counters.bump("instances_closed")
        object.__setattr__(self, "_closed", True)

    def __getattr__(self, name):
        value = getattr(self._inner, name)
        if not callable(value) or inspect.isclass(value):
            return value
        if name in _CLOSERS:
            def closer(*args, **kwargs):
                self._mark_closed()
                return value(*args, **kwargs)
            return closer

        def call(*args, **kwargs):
            if self._closed:
                self._counters.bump("calls_after_close")
            return value(*args, **kwargs)
        return call

    def __setattr__(self, name, value):
        setattr(self._inner, name, value)

    def __enter__(self):
        return self._inner.__enter__()

    def __exit__(self, *exc):
        self._mark_closed()
        return self._inner.__exit__(*exc)

    async def __aenter__(self):
        return await self._inner.__aenter__()

    async def __aexit__(self, *exc):
        self._mark_closed()
        return await self._inner.__aexit__(*exc)

    def __repr__(self):
        return f"CountedProvider({self._inner!r})"
