// The example library's Anthropic Messages provider without a server: request bodies, answers and streams.
import assert from 'node:assert/strict';
import test from 'node:test';

import * as lib from '../provkit_local.js';

const provider = () => lib.providerFor(new lib.Config({ baseUrl: 'http://127.0.0.1:9/v1', model: 'claude-x',
                                                        apiKey: 'k-123', dialect: 'anthropic' }));

// A tool-using answer as the Messages API streams it: thinking, text, a tool_use whose input arrives in pieces.
const STREAM = [
  { type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', content: [],
                                       usage: { input_tokens: 12, output_tokens: 1 } } },
  { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '' } },
  { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'add them' } },
  { type: 'content_block_stop', index: 0 },
  { type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } },
  { type: 'ping' },
  { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'Let me ' } },
  { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'add.' } },
  { type: 'content_block_stop', index: 1 },
  { type: 'content_block_start', index: 2, content_block: { type: 'tool_use', id: 'toolu_1', name: 'add', input: {} } },
  { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '{"a": 1,' } },
  { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: ' "b": 2}' } },
  { type: 'content_block_stop', index: 2 },
  { type: 'message_delta', delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 30 } },
  { type: 'message_stop' },
];

const MESSAGE = {
  id: 'msg_1', type: 'message', role: 'assistant', stop_reason: 'tool_use',
  content: [{ type: 'thinking', thinking: 'add them' }, { type: 'text', text: 'Let me add.' },
            { type: 'tool_use', id: 'toolu_1', name: 'add', input: { a: 1, b: 2 } }],
  usage: { input_tokens: 12, output_tokens: 30 },
};

function feedAll(decoder, events) {
  const out = [];
  for (const event of events) out.push(...decoder.feed(JSON.stringify(event)));
  return out;
}

test('stream and message give the same output', () => {
  const decoder = provider().streamDecoder();
  const events = feedAll(decoder, STREAM);
  assert.equal(decoder.ended, true);
  const streamed = decoder.output;
  const answered = provider().decodeAnswer(MESSAGE);
  for (const key of ['text', 'reasoning', 'finish_reason', 'response_id', 'usage']) {
    assert.deepEqual(streamed[key], answered[key], key);
  }
  assert.deepEqual(streamed.tool_calls.map((c) => c.arguments), answered.tool_calls.map((c) => c.arguments));
  // S8 compares the arguments text too: the spaced fragments and the parsed input agree on it.
  assert.deepEqual(streamed.tool_calls.map((c) => c.arguments_text), ['{"a":1,"b":2}']);
  assert.deepEqual(answered.tool_calls.map((c) => c.arguments_text), ['{"a":1,"b":2}']);
  assert.equal(streamed.text, 'Let me add.');
  assert.equal(streamed.finish_reason, 'tool_calls');
  assert.deepEqual(streamed.usage, { prompt_tokens: 12, completion_tokens: 30, total_tokens: 42 });
  assert.deepEqual(streamed.tool_calls[0].arguments, { a: 1, b: 2 });
  const kinds = events.map((e) => e.type);
  assert.equal(kinds.filter((k) => k === 'tool_call_delta').length, 2);
  assert.ok(kinds.indexOf('tool_call') < kinds.indexOf('finish'));
});

test('an error event fails the stream', () => {
  const decoder = provider().streamDecoder();
  feedAll(decoder, STREAM.slice(0, 5));
  assert.throws(() => [...decoder.feed(JSON.stringify({ type: 'error',
                                                         error: { type: 'overloaded_error', message: 'Overloaded' } }))],
                (err) => err.kind === 'stream_failure' && err.message.includes('Overloaded'));
});

test('malformed events and stray json deltas fail', () => {
  for (const data of ['not json', '[1, 2]', JSON.stringify({ no: 'type' })]) {
    assert.throws(() => [...provider().streamDecoder().feed(data)], (err) => err.kind === 'stream_failure');
  }
  const stray = { type: 'content_block_delta', index: 4, delta: { type: 'input_json_delta', partial_json: '{' } };
  assert.throws(() => [...provider().streamDecoder().feed(JSON.stringify(stray))], (err) => err.kind === 'stream_failure');
});

test('request body and headers', () => {
  const p = provider();
  const history = [{ role: 'user', content: '2+3?' },
                   { role: 'assistant', content: '', tool_calls: [{ id: 'toolu_1', name: 'add', arguments_text: '{"a": 2, "b": 3}' }] }];
  const body = p.buildBody({ instructions: 'Be brief.', tools: [{ name: 'add', parameters: { type: 'object' } }] },
                           { history, tool_results: [{ call_id: 'toolu_1', content: '5' }], text: 'and now?' },
                           { provider_options: { anthropic: { metadata: { user_id: 'u' } }, local: { seed: 1 } } }, true);
  assert.equal(body.system, 'Be brief.');
  assert.equal(body.stream, true);
  assert.ok(body.max_tokens > 0);
  assert.deepEqual(body.tools, [{ name: 'add', description: '', input_schema: { type: 'object' } }]);
  assert.deepEqual(body.messages.map((m) => m.role), ['user', 'assistant', 'user']);
  assert.deepEqual(body.messages[1].content, [{ type: 'tool_use', id: 'toolu_1', name: 'add', input: { a: 2, b: 3 } }]);
  assert.deepEqual(body.messages[2].content, [{ type: 'tool_result', tool_use_id: 'toolu_1', content: '5' },
                                              { type: 'text', text: 'and now?' }]);
  assert.deepEqual(body.metadata, { user_id: 'u' });
  assert.equal(body.seed, undefined);  // only the own scope (S12)
  const headers = p.headers(true);
  assert.equal(headers['x-api-key'], 'k-123');
  assert.ok(headers['anthropic-version']);
  assert.equal(headers.Authorization, undefined);
  for (const field of ['model', 'messages', 'stream']) {
    assert.throws(() => p.buildBody({}, { text: 'x' }, { provider_options: { anthropic: { [field]: 1 } } }, false),
                  (err) => err.kind === 'configuration');
  }
});

test('no probe, and an unknown dialect is a configuration error', async () => {
  const session = new lib.Session(provider().config, lib.providerFor);
  const readiness = await session.checkReady();
  assert.equal(readiness.ready, true);
  assert.equal(readiness.model_verified, false);
  assert.equal(readiness.message, lib.NO_PROBE_MESSAGE);
  assert.equal(readiness.provider, 'anthropic');
  session.close();
  assert.throws(() => new lib.Config({ dialect: 'responses' }), (err) => err.kind === 'configuration');
});
