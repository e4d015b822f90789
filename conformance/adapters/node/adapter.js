#!/usr/bin/env node
// provkit adapter for the example Node.js provider (provkit_local.js), written on the provkit-adapter kit.
// Run: provkit conform --adapter "node conformance/adapters/node/adapter.js". Copy it and swap the library.
import { runAdapter } from './kit/index.js';  // installed: from 'provkit-adapter'
import * as lib from './provkit_local.js';

runAdapter({
  name: 'node-example',
  tools: true,
  probeOptional: true,
  dialects: ['chat', 'anthropic'],
  // lib.ProviderError already carries a protocol kind (its `kind` property), so no errorRules are needed.
  config: (c) => new lib.Config({ baseUrl: c.baseUrl, model: c.model, apiKey: c.apiKey || 'local',
                                  connectTimeoutMs: c.connectTimeoutMs, requestTimeoutMs: c.requestTimeoutMs,
                                  probeBudgetMs: c.probeBudgetMs, dialect: c.dialect }),
  provider: (config) => lib.providerFor(config),  // LocalProvider for chat, MessagesProvider for anthropic
  open: (config, factory, readinessProbe) => new lib.Session(config, factory, { readinessProbe }),
  checkReady: (session, model) => session.checkReady(model),
  interact: (session, environment, input, requirements) => session.interact(environment, input, requirements),
  stream: (session, environment, input, requirements) => session.stream(environment, input, requirements),
  runMany: (session, environment, inputs, requirements, concurrency) =>
    session.runMany(environment, inputs, requirements, concurrency),
  drop: (session) => session.dispose(),  // what the finally of lib.withSession (a scope exit) does
  oneShot: {
    interact: (config, factory, env, input, req) => lib.oneShot.interact(config, env, input, req, factory),
    stream: (config, factory, env, input, req) => lib.oneShot.stream(config, env, input, req, factory),
    runMany: (config, factory, env, inputs, req, n) => lib.oneShot.runMany(config, env, inputs, req, n, factory),
    checkReady: (config, factory) => lib.oneShot.checkReady(config, factory),
  },
});
