// The official openai and @anthropic-ai/sdk clients against provkit mock: every dialect, plain
// and streamed, parses; each fault surfaces as an error. Run by official_clients_test.py.
// Usage: node official_clients.mjs CLIENTS_DIR BASE_URL MODE   (MODE: healthy or a scenario)
import { createRequire } from 'node:module';

const [clientsDir, base, mode] = process.argv.slice(2);
const require = createRequire(`${clientsDir}/`);
const OpenAI = require('openai').default ?? require('openai');
const Anthropic = require('@anthropic-ai/sdk').default ?? require('@anthropic-ai/sdk');
const openai = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'k', maxRetries: 0, timeout: 20000 });
const anthropic = new Anthropic({ baseURL: base, apiKey: 'k', maxRetries: 0, timeout: 20000 });

let failures = 0;
/// `promise`, or an error after `ms`: openai@4 never settles a plain request whose body is cut
/// short (stream-drop on a plain answer, in every dialect, chat included), and node would then
/// exit with 13 (an unsettled top-level await) instead of reporting.
function settled(promise, ms = 5000) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`never settled within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/// Runs `call`; `expect` judges what it returned (or the error it threw, when `throws`).
async function check(name, call, expect, throws = false) {
  let value;
  let threw = false;
  try {
    value = await settled(call());
  } catch (error) {
    threw = true;
    value = error;
  }
  const ok = threw === throws && expect(value);
  if (!ok) failures += 1;
  const shown = threw ? `${value.constructor.name}: ${value.message}` : JSON.stringify(value);
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${mode}: ${name}: ${String(shown).slice(0, 200)}`);
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
const weather = 'what about the weather';
const respond = (input, extra = {}) => openai.responses.create({ model: 'm1', input, ...extra });
const message = (content, extra = {}) =>
  anthropic.messages.create({ model: 'm1', max_tokens: 64, messages: [{ role: 'user', content }], ...extra });

if (mode === 'healthy') {
  await check('responses plain', async () => (await respond('hello there')).output_text,
              (text) => text === 'hello there');
  await check('responses stream', async () => {
    let text = '';
    const types = [];
    for await (const event of await respond('hello stream', { stream: true })) {
      types.push(event.type);
      if (event.type === 'response.output_text.delta') text += event.delta;
    }
    return { text, first: types[0], last: types.at(-1) };
  }, (v) => same(v, { text: 'hello stream', first: 'response.created', last: 'response.completed' }));
  await check('responses stream tool call', async () => {
    const stream = openai.responses.stream({ model: 'm1', input: weather });
    for await (const _ of stream) { /* drain */ }
    const final = await stream.finalResponse();
    return final.output.map((item) => [item.type, item.arguments ?? item.content?.[0]?.text ?? '']);
  }, (v) => same(v, [['reasoning', ''], ['message', 'checking'], ['function_call', '{"city":"Paris"}']]));
  await check('messages plain', async () => (await message('hello claude')).content,
              (v) => same(v, [{ type: 'text', text: 'hello claude' }]));
  await check('messages stream tool call', async () => {
    const stream = anthropic.messages.stream({
      model: 'm1', max_tokens: 64, messages: [{ role: 'user', content: weather }],
      thinking: { type: 'enabled', budget_tokens: 1024 } });
    const final = await stream.finalMessage();
    return { types: final.content.map((block) => block.type), input: final.content.at(-1).input,
             stop: final.stop_reason };
  }, (v) => same(v, { types: ['thinking', 'text', 'tool_use'], input: { city: 'Paris' }, stop: 'tool_use' }));
  await check('messages unknown model', () => message('x', { model: 'nope' }),
              (e) => e.status === 404 && e.error?.error?.type === 'not_found_error', true);
  await check('messages without max_tokens',
              () => anthropic.messages.create({ model: 'm1', messages: [{ role: 'user', content: 'x' }] }),
              (e) => e.status === 400 && e.error?.error?.type === 'invalid_request_error', true);
  await check('anthropic models', async () => (await anthropic.models.list()).data.map((m) => m.id),
              (v) => same(v, ['m1']));
  await check('completions plain',
              async () => (await openai.completions.create({ model: 'm1', prompt: 'once upon' })).choices[0].text,
              (text) => text === 'once upon');
  await check('completions stream', async () => {
    let text = '';
    for await (const chunk of await openai.completions.create({ model: 'm1', prompt: 'stream me', stream: true }))
      text += chunk.choices[0].text;
    return text;
  }, (text) => text === 'stream me');
  await check('embeddings', async () => {
    const base64 = await openai.embeddings.create({ model: 'm1', input: ['a', 'b'] });
    const floats = await openai.embeddings.create({ model: 'm1', input: ['a', 'b'], encoding_format: 'float' });
    return base64.data.map((d, i) => d.embedding.length === 8 &&
      d.embedding.every((x, j) => Math.abs(x - floats.data[i].embedding[j]) < 1e-6));
  }, (v) => same(v, [true, true]));
} else {
  const long = 'a long enough answer for several events';
  await check('responses stream', async () => {
    for await (const _ of await respond(long, { stream: true })) { /* drain */ }
  }, () => true, true);
  await check('messages stream', () => anthropic.messages.stream({
    model: 'm1', max_tokens: 64, messages: [{ role: 'user', content: long }] }).finalMessage(),
  () => true, true);
  if (mode !== 'malformed') {
    await check('messages plain', () => message(long), () => true, true);
    await check('responses plain', () => respond(long), () => true, true);
  }
}
process.exit(failures === 0 ? 0 : 1);
