// Tests of the Node adapter kit: framing, counting, error rules, iterator return() and S12, through adapters.
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import test from 'node:test';
import { fileURLToPath } from 'node:url';

import { Counters, ErrorRules, MANAGED_FIELDS, ProviderError, SESSION_CLOSED_HINT } from '../kit/index.js';
import { provkitMock } from '../kit/mock.js';
import { AdapterProcess } from './protocol_client.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const EXAMPLE = path.join(HERE, '..', 'adapter.js');
const KIT = path.join(HERE, '..', 'kit', 'index.js');

function configOf(mock) {
  return { base_url: mock.baseUrl, model: 'provkit-mock', api_key: 'local', connect_timeout_ms: 2000,
           request_timeout_ms: 10000, probe_budget_ms: 2000 };
}

async function example(t) {
  const adapter = new AdapterProcess(process.execPath, [EXAMPLE]);
  t.after(() => adapter.close());
  return adapter;
}

test('hello declares what the adapter defines', async (t) => {
  const a = await example(t);
  const hello = (await a.call('hello', { protocol: 1 })).result;
  assert.deepEqual(hello.capabilities, { readiness: true, streaming: true, tools: true, run_many: true,
                                         one_shot: true, concurrent: true, probe_optional: true,
                                         dialects: ['chat', 'anthropic'] });
  assert.equal((await a.call('hello', { protocol: 2 })).error.kind, 'bad_request');
});

test('session turns, counts and close (S1 S2 S3)', async (t) => {
  const mock = await provkitMock(t);
  const a = await example(t);
  const { session } = (await a.call('open', { config: configOf(mock) })).result;
  const output = (await a.call('interact', { session, environment: {}, input: { text: 'hello' }, requirements: {} }))
    .result;
  assert.equal(output.text, 'hello');
  const ready = (await a.call('check_ready', { session })).result;
  assert.equal(ready.ready, true);
  assert.equal(ready.model_verified, true);
  assert.deepEqual((await a.call('close', { session })).result, {});
  const closed = await a.call('interact', { session, environment: {}, input: { text: 'x' }, requirements: {} });
  assert.deepEqual(closed.error, { kind: 'session_closed', message: 'Session is closed', hint: SESSION_CLOSED_HINT });
  assert.deepEqual((await a.call('stats')).result, { instances_created: 1, instances_closed: 1, calls_after_close: 0 });
});

test('an abandoned stream leaves the session usable (S6)', async (t) => {
  const mock = await provkitMock(t);
  await mock.admin.timing({ chunk_chars: 1 });
  const a = await example(t);
  const { session } = (await a.call('open', { config: configOf(mock) })).result;
  await mock.admin.resetJournal();
  const { events, final } = await a.answer(a.send('stream', { session, environment: {}, input: { text: 'a long answer' },
                                                              requirements: {}, stop_after: 3 }));
  assert.deepEqual(final.result, { abandoned: true, events: 3 });
  assert.deepEqual(events.map((e) => e.type), ['start', 'text_delta', 'text_delta']);
  const again = await a.call('interact', { session, environment: {}, input: { text: 'next' }, requirements: {} });
  assert.equal(again.result.text, 'next');
  assert.ok((await mock.admin.stats()).connections_opened <= 2);
});

test('provider options: own scope merged, managed fields refused before any request (S12)', async (t) => {
  const mock = await provkitMock(t);
  const a = await example(t);
  const { session } = (await a.call('open', { config: configOf(mock) })).result;
  await mock.admin.script({ sequence: [{ text: 't', reasoning: 'thought' }], loop: true });
  await mock.admin.resetJournal();
  const options = { local: { chat_template_kwargs: { enable_thinking: true } }, other: { secret_knob: 1 } };
  const output = (await a.call('interact', { session, environment: {}, input: { text: 'think' },
                                             requirements: { provider_options: options } })).result;
  assert.equal(output.reasoning, 'thought');
  const body = JSON.parse((await mock.admin.journal()).at(-1).body);
  assert.deepEqual(body.chat_template_kwargs, { enable_thinking: true });
  assert.equal('secret_knob' in body, false);
  await mock.admin.resetJournal();
  for (const field of MANAGED_FIELDS) {
    const requirements = { provider_options: { local: { [field]: 'replaced' } } };
    const refused = await a.call('interact', { session, environment: {}, input: { text: 'x' }, requirements });
    assert.equal(refused.error.kind, 'configuration');
    assert.match(refused.error.message, new RegExp(field));
    const streamed = await a.answer(a.send('stream', { session, environment: {}, input: { text: 'x' }, requirements }));
    assert.equal(streamed.final.error.kind, 'configuration');
    assert.deepEqual(streamed.events, []);
  }
  assert.deepEqual(await mock.admin.journal(), []);
});

test('one-shot calls create and close one instance each (S4)', async (t) => {
  const mock = await provkitMock(t);
  const a = await example(t);
  const config = configOf(mock);
  assert.equal((await a.call('oneshot', { call: 'interact', config, environment: {}, input: { text: 'one' },
                                          requirements: {} })).result.text, 'one');
  const streamed = await a.answer(a.send('oneshot', { call: 'stream', config, environment: {}, input: { text: 'two' },
                                                      requirements: {}, stop_after: 2 }));
  assert.equal(streamed.final.result.abandoned, true);
  const many = await a.call('oneshot', { call: 'run_many', config, environment: {}, inputs: [{ text: 'a' }, { text: 'b' }],
                                         requirements: {}, concurrency: 2 });
  assert.deepEqual(many.result.outputs.map((o) => o.text), ['a', 'b']);
  assert.equal((await a.call('oneshot', { call: 'check_ready', config })).result.ready, true);
  assert.deepEqual((await a.call('stats')).result, { instances_created: 4, instances_closed: 4, calls_after_close: 0 });
});

test('bad lines get errors and the adapter keeps serving', async (t) => {
  const a = await example(t);
  a.writeRaw('not json\n[1,2]\n');
  assert.equal((await a.line()).error.kind, 'bad_request');
  assert.equal((await a.line()).error.kind, 'bad_request');
  assert.equal((await a.call('no_such_op')).error.kind, 'unsupported');
  assert.equal((await a.call('interact', { session: 's99' })).error.kind, 'bad_request');
});

const PROBE = (kit) => `
import { runAdapter, done, output } from ${JSON.stringify(kit)};
class Busy extends Error {}
let gate;
const opened = new Promise((resolve) => { gate = resolve; });
runAdapter({
  name: 'probe',
  errorRules: [[Busy, 'http_status'], [(e) => e instanceof RangeError, 'malformed_response']],
  provider: () => ({ close() {} }),
  open: (config, factory) => ({ provider: factory(config), returned: 0 }),
  interact: async (session, env, input) => {
    console.log('a stray console.log from the library');  // must not reach the protocol
    if (input.text === 'wait') await opened;
    if (input.text === 'release') gate();
    if (input.text === 'busy') throw Object.assign(new Busy('slow down'), { status: 429 });
    if (input.text === 'range') throw new RangeError('bad index');
    if (input.text === 'bug') throw new TypeError('oops');
    return output({ text: input.text + ' ' + session.returned });
  },
  stream: (session) => ({
    [Symbol.asyncIterator]() {
      let n = 0;
      return {
        next: async () => (n < 4 ? { value: { type: 'text_delta', delta: 'abcd'[n++] }, done: false }
                                 : n++ === 4 ? { value: done(), done: false } : { done: true }),
        return: async () => { session.returned += 1; return { done: true }; },
      };
    },
  }),
});
`;

async function probe(t) {
  const dir = mkdtempSync(path.join(tmpdir(), 'provkit-kit-'));
  const file = path.join(dir, 'probe.mjs');
  writeFileSync(file, PROBE(new URL(`file://${KIT}`).href));
  const a = new AdapterProcess(process.execPath, [file]);
  t.after(() => a.close());
  assert.equal((await a.call('hello', { protocol: 1 })).result.capabilities.concurrent, true);
  a.session = (await a.call('open', { config: {} })).result.session;
  return a;
}

test('requests overlap on the one event loop', async (t) => {
  const a = await probe(t);
  const waiting = a.send('interact', { session: a.session, input: { text: 'wait' } });
  const releasing = a.send('interact', { session: a.session, input: { text: 'release' } });
  const first = await a.line();
  const second = await a.line();
  assert.deepEqual([first.id, second.id], [releasing, waiting]);
  assert.equal(second.result.text, 'wait 0');
});

test('an abandoned iterator gets return(), a finished one too; output built from events', async (t) => {
  const a = await probe(t);
  const abandoned = await a.answer(a.send('stream', { session: a.session, stop_after: 2 }));
  assert.deepEqual(abandoned.final.result, { abandoned: true, events: 2 });
  assert.equal((await a.call('interact', { session: a.session, input: { text: 'n' } })).result.text, 'n 1');
  const whole = await a.answer(a.send('stream', { session: a.session }));
  assert.equal(whole.final.result.output.text, 'abcd');
  assert.equal((await a.call('interact', { session: a.session, input: { text: 'n' } })).result.text, 'n 2');
});

test('error rules, then the defaults, then internal', async (t) => {
  const a = await probe(t);
  assert.deepEqual((await a.call('interact', { session: a.session, input: { text: 'busy' } })).error,
                   { kind: 'http_status', message: 'slow down', hint: '', status_code: 429 });
  assert.equal((await a.call('interact', { session: a.session, input: { text: 'range' } })).error.kind,
               'malformed_response');
  const bug = (await a.call('interact', { session: a.session, input: { text: 'bug' } })).error;
  assert.equal(bug.kind, 'internal');
  assert.match(bug.message, /TypeError: oops/);
});

test('ErrorRules and Counters in process', () => {
  const rules = new ErrorRules([[(e) => /flaky/.test(e.message), 'connection']]);
  assert.equal(rules.map(new Error('flaky net')).kind, 'connection');
  assert.equal(rules.map(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })).kind, 'connection');
  assert.equal(rules.map(Object.assign(new Error('slow'), { code: 'ETIMEDOUT' })).kind, 'timeout');
  assert.equal(rules.map(new ProviderError('cancelled', 'x')).kind, 'cancelled');
  const closed = new ErrorRules([[RangeError, 'session_closed']]).map(new RangeError('x'));
  assert.equal(closed.message, 'Session is closed');
  const counters = new Counters();
  const provider = counters.wrap(() => ({ name: 'p', generate: () => 'g', close() {} }))();
  assert.equal(provider.name, 'p');
  assert.equal(provider.generate(), 'g');
  provider.close();
  provider.generate();
  assert.deepEqual(counters.snapshot(), { instances_created: 1, instances_closed: 1, calls_after_close: 1 });
});
