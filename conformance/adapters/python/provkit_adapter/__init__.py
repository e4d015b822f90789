# provkit adapter kit for Python: wrap a provider library as a `provkit conform --adapter` subject.
"""Write an adapter in a few dozen lines: subclass :class:`Adapter`, map the operations onto
your library (sync or ``async def``), and call :func:`run`. The kit does the JSON-lines
framing, the ``hello`` handshake, concurrency, instance counting for ``stats``, error
mapping, stream cancellation and stderr logging. See docs/adapter-protocol.md.

The ``provkit_mock`` pytest fixture (module :mod:`provkit_adapter.pytest_plugin`) and
:class:`provkit_adapter.mock.MockServer` run ``provkit mock`` for your own tests.
"""

from .errors import (KINDS, SESSION_CLOSED_HINT, SESSION_CLOSED_MESSAGE, ErrorRules, ProviderError,
                     session_closed)
from .server import PROTOCOL, Adapter, run
from .values import (MANAGED_FIELDS, Config, StreamAccumulator, done, output, readiness, scoped_options,
                     tool_call)

__version__ = "0.1.0"

__all__ = ["Adapter", "Config", "ErrorRules", "KINDS", "MANAGED_FIELDS", "PROTOCOL", "ProviderError",
           "SESSION_CLOSED_HINT", "SESSION_CLOSED_MESSAGE", "StreamAccumulator", "done", "output",
           "readiness", "run", "scoped_options", "session_closed", "tool_call"]
