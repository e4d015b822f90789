#!/usr/bin/env node
// provkit adapter for the example Node.js provider: maps docs/adapter-protocol.md onto provkit_local.js.
'use strict';

// Reads JSON-lines requests on stdin, answers on stdout. Copy this file and swap
// provkit_local for your own library to judge your provider with `provkit conform --adapter`.

const readline = require('node:readline');
const lib = require('./provkit_local.js');

const PROTOCOL = 1;
const counts = { instances_created: 0, instances_closed: 0, calls_after_close: 0 };

function send(message) {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

/** Wraps the library's provider to count instances, closes and calls after close (for `stats`). */
class CountingProvider {
  constructor(config) {
    this.inner = new lib.LocalProvider(config);
    this.name = this.inner.name;
    this.isClosed = false;
    counts.instances_created += 1;
  }

  use() {
    if (this.isClosed) counts.calls_after_close += 1;
    return this.inner;
  }

  generate(...args) { return this.use().generate(...args); }
  stream(...args) { return this.use().stream(...args); }
  checkReady(...args) { return this.use().checkReady(...args); }

  close() {
    counts.instances_closed += 1;
    this.isClosed = true;
    this.inner.close();
  }
}

const countingFactory = (config) => new CountingProvider(config);

function makeConfig(raw = {}) {
  return new lib.Config({
    baseUrl: raw.base_url || '', model: raw.model ?? null, apiKey: raw.api_key ?? 'local',
    connectTimeoutMs: raw.connect_timeout_ms ?? 2000, requestTimeoutMs: raw.request_timeout_ms ?? 120000,
    probeBudgetMs: raw.probe_budget_ms ?? 2000,
  });
}

const sessions = new Map();
let nextSession = 0;

function sessionOf(request) {
  const session = sessions.get(request.session);
  if (!session) throw new lib.ProviderError('bad_request', `unknown session ${JSON.stringify(request.session)}`);
  return session;
}

async function forwardStream(request, events) {
  let seen = 0;
  try {
    for await (const event of events) {
      if (event.type === 'done') return { done: true, output: event.output };
      send({ id: request.id, event });
      seen += 1;
      if (request.stop_after !== undefined && request.stop_after !== null && seen >= request.stop_after) {
        return { abandoned: true, events: seen };  // leaving the loop abandons the stream, as a caller's break does
      }
    }
  } finally {
    await events.return?.();
  }
  throw new lib.ProviderError('stream_failure', 'the stream ended without a done event');
}

const ops = {
  hello: () => ({
    protocol: PROTOCOL, name: 'node-example',
    capabilities: { readiness: true, streaming: true, tools: true, run_many: true, one_shot: true, concurrent: true,
                    probe_optional: true },
  }),
  open: (r) => {
    const session = new lib.Session(makeConfig(r.config), countingFactory,
                                    { readinessProbe: r.readiness_probe ?? true });
    nextSession += 1;
    const name = `s${nextSession}`;
    sessions.set(name, session);
    return { session: name };
  },
  check_ready: (r) => ('model' in r ? sessionOf(r).checkReady(r.model) : sessionOf(r).checkReady()),
  interact: (r) => sessionOf(r).interact(r.environment, r.input, r.requirements),
  stream: async (r) => forwardStream(r, await sessionOf(r).stream(r.environment, r.input, r.requirements)),
  run_many: async (r) => ({
    outputs: await sessionOf(r).runMany(r.environment, r.inputs || [], r.requirements, r.concurrency ?? 4),
  }),
  close: (r) => {
    sessionOf(r).close();
    return {};
  },
  drop: (r) => {
    const session = sessionOf(r);
    sessions.delete(r.session);
    session.dispose();  // exactly what the finally of withSession (a scope exit) does
    return {};
  },
  oneshot: async (r) => {
    const config = makeConfig(r.config);
    switch (r.call) {
      case 'interact': return lib.oneShot.interact(config, r.environment, r.input, r.requirements, countingFactory);
      case 'check_ready': return lib.oneShot.checkReady(config, countingFactory);
      case 'run_many':
        return { outputs: await lib.oneShot.runMany(config, r.environment, r.inputs || [], r.requirements,
                                                    r.concurrency ?? 4, countingFactory) };
      case 'stream':
        return forwardStream(r, await lib.oneShot.stream(config, r.environment, r.input, r.requirements,
                                                         countingFactory));
      default: throw new lib.ProviderError('bad_request', `unknown one-shot call ${JSON.stringify(r.call)}`);
    }
  },
  stats: () => ({ ...counts }),
};

async function handle(request) {
  try {
    const op = ops[request.op];
    if (!op) throw new lib.ProviderError('unsupported', `unknown op ${JSON.stringify(request.op)}`);
    send({ id: request.id, result: await op(request) });
  } catch (err) {
    const error = err instanceof lib.ProviderError
      ? { kind: err.kind, message: err.message, hint: err.hint }
      : { kind: 'internal', message: `${err.name}: ${err.message}` };
    if (err.statusCode !== undefined && err.statusCode !== null) error.status_code = err.statusCode;
    send({ id: request.id, error });
  }
}

const input = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
input.on('line', (line) => {
  if (!line.trim()) return;
  let request;
  try {
    request = JSON.parse(line);
  } catch (err) {
    send({ id: null, error: { kind: 'bad_request', message: `not JSON: ${err.message}` } });
    return;
  }
  if (request.op === 'shutdown') {
    process.stdout.write(`${JSON.stringify({ id: request.id, result: {} })}\n`, () => process.exit(0));
    return;
  }
  handle(request);  // not awaited: requests run concurrently and answer in any order
});
input.on('close', () => process.exit(0));
