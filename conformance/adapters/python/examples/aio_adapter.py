#!/usr/bin/env python3
# provkit adapter for aio_local, an asyncio provider library: the whole glue, on the provkit_adapter kit.
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the kit, uninstalled
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import aio_local as aio  # noqa: E402
import provkit_adapter as kit  # noqa: E402


class AioAdapter(kit.Adapter):
    name = "python-aio-example"
    tools = True
    probe_optional = True
    error_rules = [(aio.SessionClosed, "session_closed"), (aio.Cancelled, "cancelled"),
                   (aio.StatusError, "http_status"), (aio.RequestTimeout, "timeout"), (aio.AioError, "connection")]

    def config(self, c):
        return aio.Config(base_url=c.base_url, model=c.model, api_key=c.api_key, connect_timeout=c.connect_timeout,
                          request_timeout=c.request_timeout, probe_budget=c.probe_budget)

    def provider(self, config):
        return aio.AsyncProvider(config)

    async def open(self, config, factory, readiness_probe):
        return aio.AsyncSession(config, factory, readiness_probe)

    async def check_ready(self, session, model):
        return await session.check_ready(model)

    async def interact(self, session, environment, inp, requirements):
        return await session.interact(environment, inp, requirements)

    def stream(self, session, environment, inp, requirements):
        return session.stream(environment, inp, requirements)  # the kit calls aclose() when it stops early

    async def run_many(self, session, environment, inputs, requirements, concurrency):
        return await session.run_many(environment, inputs, requirements, concurrency)

    async def oneshot_interact(self, config, factory, environment, inp, requirements):
        return await aio.interact(config, environment, inp, requirements, factory)

    def oneshot_stream(self, config, factory, environment, inp, requirements):
        return aio.stream(config, environment, inp, requirements, factory)

    async def oneshot_run_many(self, config, factory, environment, inputs, requirements, concurrency):
        return await aio.run_many(config, environment, inputs, requirements, concurrency, factory)

    async def oneshot_check_ready(self, config, factory):
        return await aio.check_ready(config, factory)


if __name__ == "__main__":
    kit.run(AioAdapter())
