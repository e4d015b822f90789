# pytest setup for the kit's own tests: the kit from this source tree, and its plugin unless installed.
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def pytest_configure(config):
    # Installed, the kit's pytest11 entry point has registered the plugin already; from source it has not.
    import provkit_adapter.pytest_plugin as plugin
    if not config.pluginmanager.is_registered(plugin):
        config.pluginmanager.register(plugin, "provkit")
        plugin.pytest_configure(config)
