// Tests of the node:test helper provkitMock and its admin client against a real `provkit mock`.
import assert from 'node:assert/strict';
import test from 'node:test';

import { MockError, provkitMock, startMock } from '../kit/mock.js';

async function get(url) {
  const res = await fetch(url);
  return { status: res.status, body: await res.json() };
}

async function chat(baseUrl, text) {
  const res = await fetch(`${baseUrl}/chat/completions`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ model: 'provkit-mock', messages: [{ role: 'user', content: text }] }),
  });
  return res.json();
}

test('provkitMock serves on loopback with a free port', async (t) => {
  const mock = await provkitMock(t);
  assert.match(mock.url, /^http:\/\/127\.0\.0\.1:[1-9][0-9]*$/);
  assert.equal(mock.baseUrl, `${mock.url}/v1`);
  const { status, body } = await get(`${mock.baseUrl}/models`);
  assert.equal(status, 200);
  assert.deepEqual(body.data.map((m) => m.id), ['provkit-mock']);
});

test('options reach the server', async (t) => {
  const mock = await provkitMock(t, { models: ['m1', 'm2'], profile: 'llama.cpp' });
  assert.deepEqual((await get(`${mock.baseUrl}/models`)).body.data.map((m) => m.id), ['m1', 'm2']);
  assert.equal((await mock.admin.profile()).name, 'llama.cpp');
});

test('admin scenario switches state', async (t) => {
  const mock = await provkitMock(t);
  assert.equal((await get(`${mock.url}/health`)).status, 200);
  await mock.admin.scenario('loading');
  const loading = await get(`${mock.url}/health`);
  assert.equal(loading.status, 503);
  assert.equal(loading.body.error.message, 'Loading model');
  await mock.admin.scenario('healthy');
  assert.equal((await get(`${mock.url}/health`)).status, 200);
});

test('admin script and journal', async (t) => {
  const mock = await provkitMock(t);
  await mock.admin.script({ rules: [{ contains: 'ping', reply: { text: 'pong' } }] });
  await mock.admin.resetJournal();
  assert.equal((await chat(mock.baseUrl, 'ping please')).choices[0].message.content, 'pong');
  assert.equal((await chat(mock.baseUrl, 'echo me')).choices[0].message.content, 'echo me');
  const entries = await mock.admin.journal();
  assert.deepEqual(entries.map((e) => [e.method, e.path, e.status]),
                   [['POST', '/v1/chat/completions', 200], ['POST', '/v1/chat/completions', 200]]);
  assert.equal(JSON.parse(entries[0].body).messages[0].content, 'ping please');
  assert.equal((await mock.admin.stats()).requests, 2);
});

test('a bad scenario is refused, naming it', async (t) => {
  const mock = await provkitMock(t);
  await assert.rejects(mock.admin.scenario('lodaing'), (err) => err instanceof MockError && /lodaing/.test(err.message));
});

test('stop ends the server with exit code 0', async () => {
  const mock = await startMock();
  assert.equal((await get(`${mock.url}/health`)).status, 200);
  assert.equal(await mock.stop(), 0);
  await assert.rejects(fetch(`${mock.url}/health`));
});

test('a missing binary is a clear error', () => {
  assert.throws(() => startMock({ provkit: '/nonexistent/provkit' }), /does not exist/);
});
