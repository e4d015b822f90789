// provkit adapter kit for Node.js: JSON-lines framing, hello, dispatch, sessions, counting, errors, streams.
import readline from 'node:readline';

import { ErrorRules, ProviderError } from './errors.js';
import { Config, StreamAccumulator, output, readiness } from './values.js';

export * from './errors.js';
export * from './values.js';

export const PROTOCOL = 1;

const ONE_SHOTS = { interact: 'interact', stream: 'stream', run_many: 'runMany', check_ready: 'checkReady' };
const CLOSERS = new Set(['close', Symbol.dispose, Symbol.asyncDispose].filter((key) => key !== undefined));

/**
 * Thread-free counters of one adapter process, kept at the provider boundary: `wrap(factory)` returns a factory
 * whose providers are Proxies counting `close()` (or a dispose) as a close and any other method called after
 * that as a call after close. Internal calls of a provider on itself are not counted.
 */
export class Counters {
  constructor() {
    this.counts = { instances_created: 0, instances_closed: 0, calls_after_close: 0 };
  }

  snapshot() {
    return { ...this.counts };
  }

  wrap(factory) {
    return (...args) => {
      const made = factory(...args);
      return made instanceof Promise ? made.then((provider) => this.counted(provider)) : this.counted(made);
    };
  }

  counted(provider) {
    this.counts.instances_created += 1;
    const counts = this.counts;
    let closed = false;
    return new Proxy(provider, {
      get(target, key) {
        const value = Reflect.get(target, key, target);
        if (typeof value !== 'function') return value;
        if (CLOSERS.has(key)) {
          return (...args) => {
            counts.instances_closed += 1;
            closed = true;
            return value.apply(target, args);
          };
        }
        return (...args) => {
          if (closed) counts.calls_after_close += 1;
          return value.apply(target, args);
        };
      },
    });
  }
}

function defaultClose(session) {
  if (typeof session.close === 'function') return session.close();
  throw new ProviderError('unsupported', 'the session has no close(); define close in the adapter');
}

function defaultDrop(session) {
  for (const key of [Symbol.asyncDispose, Symbol.dispose, 'dispose']) {
    if (key !== undefined && typeof session[key] === 'function') return session[key]();
  }
  throw new ProviderError('unsupported', 'the session has no dispose; define drop in the adapter');
}

/** Serves one adapter definition on a pair of streams. See runAdapter. */
export class AdapterServer {
  constructor(adapter, { input = process.stdin, output: out = process.stdout, exit = (code) => process.exit(code),
                         log = (...args) => console.error(`${adapter.name}:`, ...args) } = {}) {
    if (typeof adapter.provider !== 'function' || typeof adapter.open !== 'function') {
      throw new TypeError('an adapter needs provider(config) and open(config, factory, readinessProbe) functions');
    }
    this.adapter = adapter;
    this.input = input;
    this.out = out;
    this.exitProcess = exit;
    this.log = log;
    this.debug = /^debug$/i.test(process.env.PROVKIT_ADAPTER_LOG || '');
    this.counters = new Counters();
    this.factory = this.counters.wrap(adapter.provider);
    this.rules = new ErrorRules(adapter.errorRules || []);
    this.sessions = new Map();
    this.nextSession = 0;
  }

  capabilities() {
    const a = this.adapter;
    const oneShot = a.oneShot || {};
    return {
      readiness: typeof a.checkReady === 'function', streaming: typeof a.stream === 'function', tools: !!a.tools,
      run_many: typeof a.runMany === 'function', one_shot: Object.values(oneShot).some((f) => typeof f === 'function'),
      concurrent: true, probe_optional: !!a.probeOptional, dialects: a.dialects || ['chat'],
    };
  }

  send(message) {
    let line;
    try {
      line = JSON.stringify(message);
    } catch (err) {
      line = JSON.stringify({ id: message.id, error: { kind: 'internal',
                                                      message: `the answer is not JSON-serialisable: ${err.message}` } });
    }
    this.out.write(`${line}\n`);
  }

  session(request) {
    const entry = this.sessions.get(request.session);
    if (!entry) throw new ProviderError('bad_request', `unknown session ${JSON.stringify(request.session)}`);
    return entry;
  }

  operation(name) {
    const fn = this.adapter[name];
    if (typeof fn !== 'function') throw new ProviderError('unsupported', `this adapter does not support '${name}'`);
    return fn.bind(this.adapter);
  }

  async config(raw) {
    const config = new Config(raw);
    return { config, library: this.adapter.config ? await this.adapter.config(config) : config };
  }

  // ---- streams

  /** Sends a stream's events; after `stop_after` of them stops and calls `return()` on the iterator. */
  async forward(request, source) {
    const events = await source;
    let iterator;
    if (events && typeof events[Symbol.asyncIterator] === 'function') iterator = events[Symbol.asyncIterator]();
    else if (events && typeof events[Symbol.iterator] === 'function') iterator = events[Symbol.iterator]();
    else throw new ProviderError('internal', 'stream() must return an (async) iterable of events');
    const stopAfter = request.stop_after ?? null;
    const accumulated = new StreamAccumulator();
    let seen = 0;
    try {
      for (;;) {
        const step = await iterator.next();
        if (step.done) break;
        const event = step.value;
        if (!event || typeof event.type !== 'string') {
          throw new ProviderError('internal', `a stream event must be an object with a type, got ${JSON.stringify(event)}`);
        }
        if (event.type === 'done') {
          return { done: true, output: event.output ? output(event.output) : accumulated.output() };
        }
        this.send({ id: request.id, event });
        accumulated.feed(event);
        seen += 1;
        if (stopAfter !== null && seen >= stopAfter) return { abandoned: true, events: seen };
      }
    } finally {
      await iterator.return?.();  // what a caller's `break` does: the stream is abandoned and cleans up now
    }
    throw new ProviderError('stream_failure', 'the stream ended without a done event');
  }

  // ---- ops

  ops = {
    hello: (r) => {
      if (r.protocol !== PROTOCOL) {
        throw new ProviderError('bad_request', `protocol ${JSON.stringify(r.protocol)} asked; this kit speaks 1`);
      }
      return { protocol: PROTOCOL, name: this.adapter.name || 'node-adapter', capabilities: this.capabilities() };
    },
    open: async (r) => {
      const { config, library } = await this.config(r.config);
      const session = await this.adapter.open(library, this.factory, r.readiness_probe ?? true);
      this.nextSession += 1;
      const name = `s${this.nextSession}`;
      this.sessions.set(name, { session, config });
      return { session: name };
    },
    check_ready: async (r) => {
      const { session, config } = this.session(r);
      const model = 'model' in r ? r.model : config.model;
      return readiness(await this.operation('checkReady')(session, model));
    },
    interact: async (r) => output(await this.operation('interact')(this.session(r).session, r.environment || {},
                                                                   r.input || {}, r.requirements || {})),
    stream: async (r) => this.forward(r, this.operation('stream')(this.session(r).session, r.environment || {},
                                                                  r.input || {}, r.requirements || {})),
    run_many: async (r) => {
      const outputs = await this.operation('runMany')(this.session(r).session, r.environment || {}, r.inputs || [],
                                                      r.requirements || {}, r.concurrency ?? 4);
      return { outputs: outputs.map((item) => output(item)) };
    },
    close: async (r) => {
      await (this.adapter.close || defaultClose)(this.session(r).session);
      return {};
    },
    drop: async (r) => {
      const { session } = this.session(r);
      this.sessions.delete(r.session);
      await (this.adapter.drop || defaultDrop)(session);
      return {};
    },
    oneshot: async (r) => {
      const name = ONE_SHOTS[r.call];
      if (!name) throw new ProviderError('bad_request', `unknown one-shot call ${JSON.stringify(r.call)}`);
      const fn = this.adapter.oneShot?.[name];
      if (typeof fn !== 'function') throw new ProviderError('unsupported', `this adapter does not support one-shot ${r.call}`);
      const { library } = await this.config(r.config);
      const env = r.environment || {};
      const req = r.requirements || {};
      switch (r.call) {
        case 'check_ready': return readiness(await fn(library, this.factory));
        case 'run_many':
          return { outputs: (await fn(library, this.factory, env, r.inputs || [], req, r.concurrency ?? 4))
            .map((item) => output(item)) };
        case 'stream': return this.forward(r, fn(library, this.factory, env, r.input || {}, req));
        default: return output(await fn(library, this.factory, env, r.input || {}, req));
      }
    },
    stats: () => this.counters.snapshot(),
  };

  async handle(request) {
    const started = Date.now();
    if (this.debug) this.log(`-> ${request.id} ${request.op}`);
    try {
      const op = Object.hasOwn(this.ops, request.op) ? this.ops[request.op] : null;
      if (!op) throw new ProviderError('unsupported', `unknown op ${JSON.stringify(request.op)}`);
      this.send({ id: request.id, result: await op(request) });
      if (this.debug) this.log(`<- ${request.id} ${request.op} ok (${Date.now() - started} ms)`);
    } catch (err) {
      const error = this.rules.map(err);
      if (error.kind === 'internal') this.log(`${request.id} ${request.op} failed inside the adapter or library:`, err);
      else if (this.debug) this.log(`<- ${request.id} ${request.op} error ${error.kind}: ${error.message}`);
      this.send({ id: request.id, error: error.toJSON() });
    }
  }

  onLine(line) {
    if (!line.trim()) return;
    let request;
    try {
      request = JSON.parse(line);
    } catch (err) {
      this.send({ id: null, error: { kind: 'bad_request', message: `not JSON: ${err.message}` } });
      return;
    }
    if (request === null || typeof request !== 'object' || Array.isArray(request)) {
      this.send({ id: null, error: { kind: 'bad_request', message: 'a request must be a JSON object' } });
      return;
    }
    if (request.op === 'shutdown') {
      this.out.write(`${JSON.stringify({ id: request.id, result: {} })}\n`, () => this.exitProcess(0));
      return;
    }
    this.handle(request);  // not awaited: requests run concurrently on the one event loop
  }

  /** Reads requests until end of input; resolves when it ends (after which the process exits). */
  serve() {
    const lines = readline.createInterface({ input: this.input, crlfDelay: Infinity });
    lines.on('line', (line) => this.onLine(line));
    return new Promise((resolve) => {
      lines.on('close', () => {
        resolve();
        this.exitProcess(0);
      });
    });
  }
}

/**
 * Serves `adapter` on stdin/stdout until `shutdown` or end of input, then exits the process.
 *
 * `adapter` is an object: `name`, `tools` and `probeOptional` (booleans), `dialects` (the API dialects the
 * provider can speak, `config.dialect`; default `['chat']`), `provider(config)` (your library's
 * provider factory; the kit counts what it returns), `open(config, factory, readinessProbe)` (a Session of your
 * library over the counted factory), optional `config(kitConfig)` (your library's config), and each of
 * `checkReady(session, model)`, `interact(session, environment, input, requirements)`, `stream(...)` (an async
 * iterable of events, the last one `done(...)`), `runMany(session, environment, inputs, requirements,
 * concurrency)`, `close(session)`, `drop(session)`, and `oneShot: {interact, stream, runMany, checkReady}` (each
 * taking `(config, factory, ...)`), returning values or promises. `errorRules` are tried before the defaults.
 * stdout carries only protocol lines: console.log, info and debug are sent to stderr.
 */
export function runAdapter(adapter, options = {}) {
  if (!options.output) {
    console.log = console.error;
    console.info = console.error;
    console.debug = console.error;
  }
  return new AdapterServer(adapter, options).serve();
}
