# pytest setup for the kit's own tests: the kit from this source tree, and its plugin unless installed.
import importlib.metadata
import os
import sys

# Looked up before the source tree joins sys.path: only an installed kit has the pytest11 entry point.
_installed = any(entry.name == "provkit" for entry in importlib.metadata.entry_points(group="pytest11"))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if not _installed or os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
    # From source the plugin is not loaded by pytest: take its hooks and fixture here.
    from provkit_adapter.pytest_plugin import provkit_mock, pytest_addoption, pytest_configure  # noqa: F401
