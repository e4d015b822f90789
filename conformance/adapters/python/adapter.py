#!/usr/bin/env python3
# provkit adapter for the example sync provider (provkit_local), written on the provkit_adapter kit.
"""Run: provkit conform --adapter "python3 conformance/adapters/python/adapter.py".
Copy it and swap provkit_local for your library."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # the kit and the library, uninstalled
import provkit_adapter as kit  # noqa: E402
import provkit_local as lib  # noqa: E402


class LocalAdapter(kit.Adapter):
    name = "python-example"
    tools = True
    probe_optional = True
    dialects = ("chat", "anthropic")
    # lib.ProviderError already carries a protocol kind (its `kind` attribute), so no rules are needed.

    def config(self, c):
        return lib.Config(base_url=c.base_url, model=c.model, api_key=c.api_key or "local",
                          connect_timeout=c.connect_timeout, request_timeout=c.request_timeout,
                          probe_budget=c.probe_budget, dialect=c.dialect)

    def provider(self, config):
        return lib.provider_for(config)  # LocalProvider for chat, MessagesProvider for anthropic

    def open(self, config, factory, readiness_probe):
        return lib.Session(config, factory, readiness_probe=readiness_probe)

    def check_ready(self, session, model):
        return session.check_ready(model)

    def interact(self, session, environment, inp, requirements):
        return session.interact(environment, inp, requirements)

    def stream(self, session, environment, inp, requirements):
        return session.stream(environment, inp, requirements)

    def run_many(self, session, environment, inputs, requirements, concurrency):
        return session.run_many(environment, inputs, requirements, concurrency)

    def oneshot_interact(self, config, factory, environment, inp, requirements):
        return lib.interact(config, environment, inp, requirements, factory=factory)

    def oneshot_stream(self, config, factory, environment, inp, requirements):
        return lib.stream(config, environment, inp, requirements, factory=factory)

    def oneshot_run_many(self, config, factory, environment, inputs, requirements, concurrency):
        return lib.run_many(config, environment, inputs, requirements, concurrency, factory=factory)

    def oneshot_check_ready(self, config, factory):
        return lib.check_ready(config, factory=factory)


if __name__ == "__main__":
    kit.run(LocalAdapter())
