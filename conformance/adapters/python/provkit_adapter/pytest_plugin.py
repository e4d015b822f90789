# The `provkit_mock` pytest fixture: a `provkit mock` server per test, on a free loopback port.
"""pytest plugin (registered through the ``pytest11`` entry point when the kit is installed).

    def test_turns_reuse_one_connection(provkit_mock):
        run_my_provider(provkit_mock.base_url, turns=3)
        assert provkit_mock.admin.stats()["connections_opened"] == 1

The fixture yields a started :class:`provkit_adapter.mock.MockServer` (``url``,
``base_url``, ``admin``) and stops it after the test. Options through a marker:
``@pytest.mark.provkit_mock(models=["m1"], profile="llama.cpp", scenario="loading",
args=["--chunk-chars", "4"])``. The binary is ``--provkit PATH``, ``$PROVKIT_BIN`` or
``provkit`` on PATH; when none is found the test errors saying so (it is not skipped).
"""

import pytest

from .mock import MockServer


def pytest_addoption(parser):
    parser.addoption("--provkit", default=None, help="the provkit binary the provkit_mock fixture runs")


def pytest_configure(config):
    config.addinivalue_line("markers", "provkit_mock(models=None, profile=None, scenario=None, args=()): "
                            "options of the provkit_mock fixture's server")


@pytest.fixture
def provkit_mock(request):
    """A running ``provkit mock`` (127.0.0.1, port 0), stopped after the test."""
    marker = request.node.get_closest_marker("provkit_mock")
    options = dict(marker.kwargs) if marker else {}
    args = options.pop("args", ())
    server = MockServer(*args, provkit=request.config.getoption("--provkit"), **options)
    with server:
        yield server
