// A local OpenAI-compatible provider with Session semantics and a readiness probe, Node.js standard library only.
import http from 'node:http';
import https from 'node:https';

const MAX_PROBE_BODY = 1 << 20;
const MAX_TURN_BODY = 16 << 20;
const NO_PROBE_MESSAGE = 'Provider has no explicit readiness probe.';
const CLOSED_HINT = 'Create a new Session for additional interactions.';
const LOAD_STATES = ['unloaded', 'loading', 'sleeping', 'failed'];

/** A failure with a stable kind (the ids of docs/adapter-protocol.md). */
class ProviderError extends Error {
  constructor(kind, message, hint = '', statusCode = null) {
    super(message);
    this.kind = kind;
    this.hint = hint;
    this.statusCode = statusCode;
  }
}

/** Validated configuration of one provider instance. Durations in milliseconds. */
class Config {
  constructor({ baseUrl = 'http://127.0.0.1:8080/v1', model = null, apiKey = 'local', connectTimeoutMs = 2000,
                requestTimeoutMs = 120000, probeBudgetMs = 2000, dialect = 'chat' } = {}) {
    let url;
    try {
      url = new URL(baseUrl);
    } catch {
      url = null;
    }
    if (!url || !['http:', 'https:'].includes(url.protocol) || !url.hostname) {
      throw new ProviderError('configuration', 'base_url must be an http(s) URL with a host',
                              'Set base_url like http://127.0.0.1:8080/v1.');
    }
    for (const [name, value] of [['connect_timeout', connectTimeoutMs], ['request_timeout', requestTimeoutMs],
                                 ['probe_budget', probeBudgetMs]]) {
      if (!(value > 0)) throw new ProviderError('configuration', `${name} must be positive`);
    }
    if (model === '') throw new ProviderError('configuration', 'model must not be empty');
    if (!Object.hasOwn(PROVIDERS, dialect)) {
      throw new ProviderError('configuration',
                              `dialect must be one of ${Object.keys(PROVIDERS).join(', ')}, not '${dialect}'`);
    }
    this.dialect = dialect;
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.model = model;
    this.apiKey = apiKey;
    this.connectTimeoutMs = connectTimeoutMs;
    this.requestTimeoutMs = requestTimeoutMs;
    this.probeBudgetMs = probeBudgetMs;
    this.url = url;
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.rootPath = this.basePath.includes('/') ? this.basePath.slice(0, this.basePath.lastIndexOf('/')) : '';
  }
}

// ------------------------------------------------------------------ messages

/** True for a JSON object (not null, not an array). */
const MANAGED_FIELDS = ['model', 'messages', 'stream', 'stream_options'];

/** The provider options under `scope` (S12); one that would replace a managed field is refused. */
function scopedOptions(requirements, scope, managedFields = MANAGED_FIELDS) {
  const options = requirements.provider_options;
  const scoped = options && typeof options === 'object' ? options[scope] : undefined;
  if (scoped === undefined || scoped === null) return {};
  if (typeof scoped !== 'object' || Array.isArray(scoped)) {
    throw new ProviderError('configuration', `provider_options['${scope}'] must be an object`);
  }
  for (const key of managedFields) {
    if (Object.hasOwn(scoped, key)) {
      throw new ProviderError('configuration', `provider option '${key}' would replace a field the provider manages`,
                              `Remove '${key}' from provider_options['${scope}'].`);
    }
  }
  return scoped;
}

function isObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The message of an error body in any common shape (R15), else null. */
function errorMessage(text) {
  const doc = parseJson(text);
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return null;
  const err = doc.error;
  if (err && typeof err === 'object' && typeof err.message === 'string') return err.message;
  if (typeof err === 'string' && err) return err;
  if (typeof doc.message === 'string') return doc.message;
  if (typeof doc.detail === 'string') return doc.detail;
  return null;
}

/** R1: the body's status string, else the error message, else the trimmed text, else null. */
/** A JSON object carrying "error": what LM Studio answers, with 200, for every unknown path. */
function isErrorEnvelope(body) {
  try {
    const doc = JSON.parse(body);
    return doc !== null && typeof doc === 'object' && !Array.isArray(doc) && 'error' in doc && !('status' in doc);
  } catch {
    return false;
  }
}

function healthMessage(text) {
  const doc = parseJson(text);
  if (doc && typeof doc === 'object' && typeof doc.status === 'string') return doc.status;
  const message = errorMessage(text);
  if (message !== null) return message;
  const trimmed = text.trim();
  if (!trimmed) return null;
  return trimmed.length <= 300 ? trimmed : `${trimmed.slice(0, 300)}...`;
}

/** The id without an org/ prefix, a :tag suffix and letter case (R4 suggestions). */
function normaliseId(id) {
  return id.split('/').pop().split(':')[0].toLowerCase();
}

// ------------------------------------------------------------------ provider

/** Chat Completions against llama.cpp, vLLM, Ollama, LM Studio and friends. */
class LocalProvider {
  constructor(config) {
    this.name = 'local';
    this.generationPath = '/chat/completions';
    this.managedFields = MANAGED_FIELDS;
    this.config = config;
    const mod = config.url.protocol === 'https:' ? https : http;
    this.module = mod;
    this.agent = new mod.Agent({ keepAlive: true, maxSockets: Infinity });
    this.active = new Set();
    this.closed = false;
  }

  close() {
    this.closed = true;
    for (const req of this.active) req.destroy(new ProviderError('cancelled', 'The provider was closed'));
    this.active.clear();
    this.agent.destroy();
  }

  headers(withBody) {
    const headers = { Accept: 'application/json' };
    if (this.config.apiKey) headers.Authorization = `Bearer ${this.config.apiKey}`;
    if (withBody) headers['Content-Type'] = 'application/json';
    return headers;
  }

  /**
   * Starts a request; resolves with {req, res} once the status line and headers arrived.
   * `deadline` (ms since epoch) bounds everything including the body, enforced by `track`.
   */
  open(method, path, body, timeoutMs, retried = false) {
    if (this.closed) return Promise.reject(new ProviderError('cancelled', 'The provider was closed'));
    return new Promise((resolve, reject) => {
      const req = this.module.request({
        host: this.config.url.hostname, port: this.config.url.port || undefined, method, path,
        headers: this.headers(body !== null), agent: this.agent, timeout: timeoutMs,
      });
      this.active.add(req);
      req.on('socket', (socket) => socket.setNoDelay(true));
      req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
      req.on('response', (res) => resolve({ req, res }));
      req.on('error', (err) => {
        this.active.delete(req);
        if (!retried && req.reusedSocket && err.code === 'ECONNRESET' && !this.closed) {
          this.open(method, path, body, timeoutMs, true).then(resolve, reject);  // a stale keep-alive socket
        } else {
          reject(err);
        }
      });
      req.on('close', () => this.active.delete(req));
      req.end(body === null ? undefined : body);
    });
  }

  /** Reads a whole body; resolves null when it is larger than `limit`. */
  static readBody(req, res, limit) {
    return new Promise((resolve, reject) => {
      const chunks = [];
      let size = 0;
      res.on('data', (chunk) => {
        size += chunk.length;
        if (size > limit) {
          req.destroy();
          resolve(null);
        } else {
          chunks.push(chunk);
        }
      });
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      res.on('error', reject);
      res.on('aborted', () => reject(Object.assign(new Error('connection dropped'), { code: 'ECONNRESET' })));
    });
  }

  // ---- readiness probe (R1-R16)

  async probeGet(path, deadline) {
    const url = `${this.config.url.protocol}//${this.config.url.host}${path}`;
    const timedOut = () => new ProviderError(
      'timeout', `Readiness probe timed out after ${this.config.probeBudgetMs} ms waiting for ${url}`);
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw timedOut();
    let timer;
    let fired = false;
    let current = null;
    const guard = new Promise((_, reject) => {
      timer = setTimeout(() => {
        fired = true;
        if (current) current.destroy();
        reject(timedOut());
      }, remaining);
    });
    const work = (async () => {
      const { req, res } = await this.open('GET', path, null, remaining);
      current = req;
      if (fired) req.destroy();
      const body = await LocalProvider.readBody(req, res, MAX_PROBE_BODY);
      return { status: res.statusCode, body };
    })();
    try {
      return await Promise.race([work, guard]);
    } catch (err) {
      if (err instanceof ProviderError) throw err;
      if (fired || err.code === 'ETIMEDOUT') throw timedOut();
      if (this.closed) throw new ProviderError('cancelled', 'The provider was closed during the probe');
      throw new ProviderError('connection', `Cannot reach the server at ${url}: ${err.message}. Check that the ` +
                              `server is running and the base URL (${this.config.baseUrl}) is right.`);
    } finally {
      clearTimeout(timer);
      work.catch(() => {});
    }
  }

  async checkReady(model) {
    const result = { ready: false, provider: this.name, status_code: null, message: null, model,
                     model_verified: model === null ? null : false };
    const deadline = Date.now() + this.config.probeBudgetMs;
    let health;
    try {
      health = await this.probeGet(`${this.config.rootPath}/health`, deadline);
    } catch (err) {
      if (err.kind === 'cancelled') throw err;
      result.message = err.message;
      return result;
    }
    const healthText = health.body === null ? 'health answer over the size limit' : healthMessage(health.body);
    if (model === null) {
      return { ...result, ready: health.status < 400, status_code: health.status, message: healthText };
    }
    // R3: 404, 405, 501, or a 200 holding an error envelope: there is no health endpoint.
    const healthAbsent = [404, 405, 501].includes(health.status) ||
                         (health.status === 200 && health.body !== null && isErrorEnvelope(health.body));
    const healthOk = health.status < 400 && !healthAbsent;
    let models;
    try {
      models = await this.probeGet(`${this.config.basePath}/models`, deadline);
    } catch (err) {
      if (err.kind === 'cancelled') throw err;
      result.message = err.message;
      return result;
    }
    result.status_code = models.status;
    const modelsText = models.body === null ? null : errorMessage(models.body);
    if (models.status === 401 || models.status === 403) {
      result.message = `The server rejected the credentials (HTTP ${models.status})` +
                       (modelsText ? `: ${modelsText}` : '') + '. Check the API key.';
      return result;
    }
    if (models.status >= 400) {
      result.message = modelsText || (healthOk ? healthText : null) ||
                       `The models endpoint answered HTTP ${models.status}`;
      return result;
    }
    const { entries, problem } = LocalProvider.listing(models.body);
    if (!entries.has(model)) {
      let message = `Model '${model}' is not listed by the server at ${this.config.baseUrl}`;
      if (problem) message += ` (${problem})`;
      const similar = [...entries.keys()].filter((id) => normaliseId(id) === normaliseId(model));
      if (similar.length) message += `. Did you mean '${similar[0]}'?`;
      result.message = message;
      return result;
    }
    result.model_verified = true;
    const entry = entries.get(model);
    const state = entry && entry.status && typeof entry.status === 'object' ? entry.status.value : undefined;
    if (LOAD_STATES.includes(state)) {
      result.message = `Model '${model}' is listed but its status is '${state}'`;
      return result;
    }
    if (!healthOk && !healthAbsent) {
      result.status_code = health.status;
      result.message = healthText || `The health endpoint answered HTTP ${health.status}`;
      return result;
    }
    result.ready = true;
    result.message = (healthOk ? healthText : null) || modelsText;
    return result;
  }

  static listing(body) {
    const entries = new Map();
    if (body === null) return { entries, problem: 'the listing is over the size limit' };
    const doc = parseJson(body);
    if (doc === undefined) return { entries, problem: 'the listing is not JSON' };
    const data = doc && typeof doc === 'object' ? doc.data : undefined;
    if (!Array.isArray(data)) return { entries, problem: 'the listing has no data list' };
    for (const entry of data) {
      if (entry && typeof entry === 'object' && typeof entry.id === 'string') entries.set(entry.id, entry);
    }
    return { entries, problem: null };
  }

  // ---- turns

  buildBody(environment, input, requirements, stream) {
    const messages = [];
    if (environment.instructions) messages.push({ role: 'system', content: environment.instructions });
    for (const message of input.history || []) {
      const item = { role: message.role || 'user', content: message.content || '' };
      if (message.tool_calls && message.tool_calls.length) {
        item.tool_calls = message.tool_calls.map((c) => ({
          id: c.id || '', type: 'function',
          function: { name: c.name || '', arguments: c.arguments_text || JSON.stringify(c.arguments) },
        }));
      }
      if (message.tool_call_id) item.tool_call_id = message.tool_call_id;
      messages.push(item);
    }
    for (const r of input.tool_results || []) {
      messages.push({ role: 'tool', tool_call_id: r.call_id || '', content: r.content || '' });
    }
    if (input.text) messages.push({ role: 'user', content: input.text });
    const body = { model: this.config.model || 'default', messages, stream };
    if (stream) body.stream_options = { include_usage: true };
    if (environment.tools && environment.tools.length) {
      body.tools = environment.tools.map((t) => ({
        type: 'function',
        function: { name: t.name || '', description: t.description || '', parameters: t.parameters || { type: 'object' } },
      }));
    }
    for (const key of ['temperature', 'top_p', 'max_tokens', 'seed', 'tool_choice']) {
      if (requirements[key] !== undefined && requirements[key] !== null) body[key] = requirements[key];
    }
    Object.assign(body, scopedOptions(requirements, this.name, this.managedFields));
    return body;
  }

  transportError(err, phase) {
    if (err instanceof ProviderError) return err;
    if (this.closed) return new ProviderError('cancelled', `The provider was closed during ${phase}`);
    if (err.code === 'ETIMEDOUT') return new ProviderError('timeout', `The server did not answer ${phase} in time`);
    return new ProviderError('connection', `Cannot reach local server at ${this.config.baseUrl}: ${err.message}`,
                             'Is it running? Check the base URL.');
  }

  async post(body, phase) {
    let opened;
    try {
      opened = await this.open('POST', `${this.config.basePath}${this.generationPath}`, JSON.stringify(body),
                               this.config.requestTimeoutMs);
    } catch (err) {
      throw this.transportError(err, phase);
    }
    const { req, res } = opened;
    if (res.statusCode >= 400) {
      const data = (await LocalProvider.readBody(req, res, MAX_PROBE_BODY).catch(() => null)) || '';
      const message = errorMessage(data) || data.trim() || `HTTP ${res.statusCode}`;
      const hint = res.statusCode === 404 ? 'Model not found on the local server: check the model name.' : '';
      throw new ProviderError('http_status', `${phase} failed with HTTP ${res.statusCode}: ${message}`, hint,
                              res.statusCode);
    }
    return opened;
  }

  async generate(environment, input, requirements) {
    const started = process.hrtime.bigint();
    const { req, res } = await this.post(this.buildBody(environment, input, requirements, false), 'generate');
    let data;
    try {
      data = await LocalProvider.readBody(req, res, MAX_TURN_BODY);
    } catch (err) {
      throw this.transportError(err, 'generate');
    }
    if (data === null) throw new ProviderError('malformed_response', 'The answer is over the size limit');
    let output;
    try {
      output = this.decodeAnswer(JSON.parse(data));
    } catch (err) {
      if (err instanceof ProviderError) throw err;
      throw new ProviderError('malformed_response', `The answer could not be read: ${err.message}`);
    }
    output.timing.total_us = Number((process.hrtime.bigint() - started) / 1000n);
    return output;
  }

  /** The output of a chat.completion document (timing left for the caller). */
  decodeAnswer(doc) {
    const choices = doc && typeof doc === 'object' ? doc.choices : undefined;
    if (!Array.isArray(choices)) {
      throw new ProviderError('malformed_response', 'The answer has no `choices` list: not a chat.completion');
    }
    const choice = choices[0];
    if (!isObject(choice)) {
      throw new ProviderError('malformed_response',
                              'The answer has no choice: `choices` is empty or its first entry is not an object');
    }
    const output = newOutput();
    const message = choice.message || {};
    output.text = message.content || '';
    output.reasoning = message.reasoning_content || message.reasoning || '';
    for (const call of message.tool_calls || []) {
      const fn = call.function || {};
      output.tool_calls.push(makeToolCall(call.id || '', fn.name || '', fn.arguments || ''));
    }
    output.finish_reason = choice.finish_reason || '';
    output.response_id = doc.id || '';
    output.usage = makeUsage(doc.usage);
    return output;
  }

  /** Resolves to an async generator of events; the last is {type: 'done', output}. */
  async stream(environment, input, requirements) {
    const opened = await this.post(this.buildBody(environment, input, requirements, true), 'stream');
    return this.events(opened);
  }

  /** What turns this provider's stream events into protocol events and the output. */
  streamDecoder() {
    return new ChatStreamDecoder();
  }

  async* events({ req, res }) {
    const started = process.hrtime.bigint();
    const decoder = this.streamDecoder();
    let complete = false;
    try {
      yield { type: 'start' };
      // Read to the end of the body even after the end marker: breaking out early would destroy the socket.
      for await (const data of sseData(res)) {
        if (!decoder.ended) yield* decoder.feed(data);
      }
      if (!decoder.ended) {
        throw this.closed ? new ProviderError('cancelled', 'The session was closed during the stream')
                          : new ProviderError('stream_failure', `The stream ended before ${decoder.endMarker}`);
      }
      yield* decoder.finish();
      complete = res.complete;
      decoder.output.timing.total_us = Number((process.hrtime.bigint() - started) / 1000n);
      yield { type: 'done', output: decoder.output };
    } catch (err) {
      if (err instanceof ProviderError) throw err;
      if (this.closed) throw new ProviderError('cancelled', 'The session was closed during the stream');
      throw new ProviderError('stream_failure', `The stream failed: ${err.message}`);
    } finally {
      if (!complete) req.destroy();  // abandoned or failed: never hand a half-read socket back to the pool
    }
  }
}

/** Chat completion chunks (SSE data strings) to protocol events and the final output, without I/O. */
class ChatStreamDecoder {
  constructor() {
    this.output = newOutput();
    this.calls = new Map();
    this.ended = false;
    this.endMarker = '[DONE]';
  }

  /** The complete tool calls, in index order, once a finish_reason (or the end) says they are whole. */
  *finishCalls() {
    for (const index of [...this.calls.keys()].sort((a, b) => a - b)) {
      const c = this.calls.get(index);
      const call = makeToolCall(c.id, c.name, c.arguments_text);
      this.output.tool_calls.push(call);
      yield { type: 'tool_call', tool_call: call };
    }
    this.calls = new Map();
  }

  /** The events one SSE data string carries; throws ProviderError stream_failure for a bad one. */
  *feed(data) {
    if (data === '[DONE]') {
      this.ended = true;
      return;
    }
    const chunk = parseJson(data);
    if (!isObject(chunk)) {
      throw new ProviderError('stream_failure', `Malformed stream chunk: ${data.slice(0, 100)}`);
    }
    if ('error' in chunk) {
      throw new ProviderError('stream_failure',
                              `The server reported an error mid-stream: ${errorMessage(data) || 'error event'}`);
    }
    const output = this.output;
    output.response_id = output.response_id || chunk.id || '';
    const choices = chunk.choices ?? [];
    if (!Array.isArray(choices)) {
      throw new ProviderError('stream_failure',
                              `Malformed stream chunk (\`choices\` is not a list): ${data.slice(0, 100)}`);
    }
    for (const choice of choices) {
      if (!isObject(choice)) continue;  // carries nothing readable, as in the reference runtime
      const delta = isObject(choice.delta) ? choice.delta : {};
      if (delta.content) {
        output.text += delta.content;
        yield { type: 'text_delta', delta: delta.content };
      }
      const reasoning = delta.reasoning_content || delta.reasoning;
      if (reasoning) {
        output.reasoning += reasoning;
        yield { type: 'reasoning_delta', delta: reasoning };
      }
      for (const fragment of delta.tool_calls || []) {
        const index = fragment.index || 0;
        if (!this.calls.has(index)) this.calls.set(index, { id: '', name: '', arguments_text: '' });
        const c = this.calls.get(index);
        const fn = fragment.function || {};
        c.id = c.id || fragment.id || '';
        c.name += fn.name || '';
        c.arguments_text += fn.arguments || '';
        yield { type: 'tool_call_delta', tool_index: index, delta: fn.arguments || '',
                tool_call: { id: c.id, name: c.name } };
      }
      if (choice.finish_reason) {
        yield* this.finishCalls();
        output.finish_reason = choice.finish_reason;
        yield { type: 'finish', finish_reason: choice.finish_reason };
      }
    }
    if (chunk.usage) {
      output.usage = makeUsage(chunk.usage);
      yield { type: 'usage', usage: output.usage };
    }
  }

  /** The events still owed at the end: tool calls of a stream that never sent finish_reason. */
  *finish() {
    yield* this.finishCalls();
  }
}

/** The data of each server-sent event (WHATWG rules: CR, LF or CRLF; comments; multi-line data). */
async function* sseData(res) {
  res.setEncoding('utf8');
  let buffer = '';
  let dataLines = [];
  let pendingCr = false;
  let ended = false;
  res.on('aborted', () => { ended = true; });
  for await (let text of res) {
    if (pendingCr && text.startsWith('\n')) text = text.slice(1);
    pendingCr = text.endsWith('\r');
    buffer += text;
    const lines = buffer.split(/\r\n|\r|\n/);
    buffer = lines.pop();
    for (const line of lines) {
      if (line === '') {
        if (dataLines.length) yield dataLines.join('\n');
        dataLines = [];
      } else if (!line.startsWith(':')) {
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'data') dataLines.push(value);
      }
    }
  }
  if (ended || !res.complete) throw Object.assign(new Error('connection dropped mid-stream'), { code: 'ECONNRESET' });
  if (dataLines.length) yield dataLines.join('\n');
}

// ------------------------------------------------------------------ Anthropic Messages

const ANTHROPIC_VERSION = '2023-06-01';
const ANTHROPIC_MAX_TOKENS = 1024;
// Anthropic's stop reasons in the names the chat dialect uses, so outputs compare across dialects.
/** Tool input as compact JSON when it parses: a streamed and a plain message then carry the same
 * arguments text whatever spacing the server used (S8). */
function canonicalArguments(text) {
  try {
    return JSON.stringify(JSON.parse(text));
  } catch {
    return text;
  }
}

const STOP_REASONS = { end_turn: 'stop', stop_sequence: 'stop', max_tokens: 'length', tool_use: 'tool_calls' };

/** Anthropic's usage ({input_tokens, output_tokens}) as the protocol's usage. */
function messagesUsage(usage) {
  if (!isObject(usage)) return null;
  const prompt = Number(usage.input_tokens) || 0;
  const completion = Number(usage.output_tokens) || 0;
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

/**
 * The Anthropic Messages API (POST /v1/messages) over the same keep-alive agent. It has no readiness
 * probe: a Session over it answers checkReady with the fixed no-probe readiness (R13).
 */
class MessagesProvider extends LocalProvider {
  constructor(config) {
    super(config);
    this.name = 'anthropic';
    this.generationPath = '/messages';
    this.managedFields = ['model', 'messages', 'stream'];
    this.checkReady = undefined;  // a cloud API has no /health to probe
  }

  headers(withBody) {
    const { Authorization, ...headers } = super.headers(withBody);  // the key goes in x-api-key, not as a bearer
    headers['anthropic-version'] = ANTHROPIC_VERSION;
    if (this.config.apiKey) headers['x-api-key'] = this.config.apiKey;
    return headers;
  }

  buildBody(environment, input, requirements, stream) {
    const messages = [];
    const add = (role, blocks) => {  // the API wants the roles to alternate
      const last = messages[messages.length - 1];
      if (last && last.role === role) last.content.push(...blocks);
      else messages.push({ role, content: blocks });
    };
    for (const message of input.history || []) {
      const role = message.role || 'user';
      if (role === 'tool') {
        add('user', [{ type: 'tool_result', tool_use_id: message.tool_call_id || '', content: message.content || '' }]);
        continue;
      }
      const blocks = message.content ? [{ type: 'text', text: message.content }] : [];
      for (const c of message.tool_calls || []) {
        let args = c.arguments;
        if ((args === undefined || args === null) && c.arguments_text) args = parseJson(c.arguments_text);
        blocks.push({ type: 'tool_use', id: c.id || '', name: c.name || '', input: isObject(args) ? args : {} });
      }
      if (blocks.length) add(role === 'assistant' ? 'assistant' : 'user', blocks);
    }
    for (const r of input.tool_results || []) {
      add('user', [{ type: 'tool_result', tool_use_id: r.call_id || '', content: r.content || '' }]);
    }
    if (input.text) add('user', [{ type: 'text', text: input.text }]);
    const body = { model: this.config.model || 'default', messages, stream,
                   max_tokens: requirements.max_tokens || ANTHROPIC_MAX_TOKENS };
    if (environment.instructions) body.system = environment.instructions;
    if (environment.tools && environment.tools.length) {
      body.tools = environment.tools.map((t) => ({
        name: t.name || '', description: t.description || '', input_schema: t.parameters || { type: 'object' },
      }));
    }
    for (const key of ['temperature', 'top_p']) {
      if (requirements[key] !== undefined && requirements[key] !== null) body[key] = requirements[key];
    }
    return { ...body, ...scopedOptions(requirements, this.name, this.managedFields) };
  }

  /** The output of a `message` document. */
  decodeAnswer(doc) {
    const content = isObject(doc) ? doc.content : undefined;
    if (!Array.isArray(content)) {
      throw new ProviderError('malformed_response', 'The answer has no `content` list: not a message');
    }
    const output = newOutput();
    for (const block of content) {
      if (!isObject(block)) continue;
      if (block.type === 'text') output.text += block.text || '';
      else if (block.type === 'thinking') output.reasoning += block.thinking || '';
      else if (block.type === 'tool_use') {
        output.tool_calls.push(makeToolCall(block.id || '', block.name || '', JSON.stringify(block.input ?? {})));
      }
    }
    const stop = doc.stop_reason || '';
    output.finish_reason = STOP_REASONS[stop] || stop;
    output.response_id = doc.id || '';
    output.usage = messagesUsage(doc.usage);
    return output;
  }

  streamDecoder() {
    return new MessagesStreamDecoder();
  }
}

/** Anthropic stream events (SSE data strings) to protocol events and the output; complete at message_stop. */
class MessagesStreamDecoder {
  constructor() {
    this.output = newOutput();
    this.blocks = new Map();  // index -> {type, id, name, json}
    this.usage = {};
    this.ended = false;
    this.endMarker = 'message_stop';
  }

  *feed(data) {
    const event = parseJson(data);
    if (!isObject(event) || typeof event.type !== 'string') {
      throw new ProviderError('stream_failure', `Malformed stream event: ${data.slice(0, 100)}`);
    }
    const output = this.output;
    switch (event.type) {
      case 'error':
        throw new ProviderError('stream_failure',
                                `The server reported an error mid-stream: ${errorMessage(data) || 'error event'}`);
      case 'message_start': {
        const message = isObject(event.message) ? event.message : {};
        output.response_id = message.id || '';
        Object.assign(this.usage, isObject(message.usage) ? message.usage : {});
        break;
      }
      case 'content_block_start': {
        const block = isObject(event.content_block) ? event.content_block : {};
        this.blocks.set(event.index ?? 0, { type: block.type, id: block.id || '', name: block.name || '', json: '' });
        break;
      }
      case 'content_block_delta': {
        const delta = isObject(event.delta) ? event.delta : {};
        const index = event.index ?? 0;
        if (delta.type === 'text_delta' && delta.text) {
          output.text += delta.text;
          yield { type: 'text_delta', delta: delta.text };
        } else if (delta.type === 'thinking_delta' && delta.thinking) {
          output.reasoning += delta.thinking;
          yield { type: 'reasoning_delta', delta: delta.thinking };
        } else if (delta.type === 'input_json_delta') {
          const block = this.blocks.get(index);
          if (!block || block.type !== 'tool_use') {
            throw new ProviderError('stream_failure', `input_json_delta for block ${index}, not a tool_use`);
          }
          block.json += delta.partial_json || '';
          yield { type: 'tool_call_delta', tool_index: index, delta: delta.partial_json || '',
                  tool_call: { id: block.id, name: block.name } };
        }
        break;
      }
      case 'content_block_stop': {
        const block = this.blocks.get(event.index ?? 0);
        if (block && block.type === 'tool_use') {
          const call = makeToolCall(block.id, block.name, canonicalArguments(block.json || '{}'));
          output.tool_calls.push(call);
          yield { type: 'tool_call', tool_call: call };
        }
        break;
      }
      case 'message_delta': {
        const delta = isObject(event.delta) ? event.delta : {};
        Object.assign(this.usage, isObject(event.usage) ? event.usage : {});
        if (delta.stop_reason) {
          output.finish_reason = STOP_REASONS[delta.stop_reason] || delta.stop_reason;
          yield { type: 'finish', finish_reason: output.finish_reason };
        }
        if (Object.keys(this.usage).length) {
          output.usage = messagesUsage(this.usage);
          yield { type: 'usage', usage: output.usage };
        }
        break;
      }
      case 'message_stop':
        this.ended = true;
        break;
      default:  // ping, and event types added later, carry nothing
    }
  }

  *finish() {}  // every tool call ended with its content_block_stop
}

const PROVIDERS = { chat: LocalProvider, anthropic: MessagesProvider };

/** The provider of config.dialect. */
function providerFor(config) {
  return new PROVIDERS[config.dialect](config);
}

function newOutput() {
  return { text: '', reasoning: '', tool_calls: [], usage: null, finish_reason: '', response_id: '',
           timing: { total_us: 0, time_to_first_token_us: null } };
}

function makeToolCall(id, name, argumentsText) {
  const parsed = argumentsText ? parseJson(argumentsText) : undefined;
  return { id, name, arguments: parsed === undefined ? null : parsed, arguments_text: argumentsText };
}

function makeUsage(usage) {
  if (!usage || typeof usage !== 'object') return null;
  const prompt = Number(usage.prompt_tokens) || 0;
  const completion = Number(usage.completion_tokens) || 0;
  return { prompt_tokens: prompt, completion_tokens: completion,
           total_tokens: Number(usage.total_tokens) || prompt + completion };
}

// ------------------------------------------------------------------ session

/** One provider instance for many turns; closed exactly once. */
class Session {
  constructor(config, factory = (c) => new LocalProvider(c), { readinessProbe = true } = {}) {
    this.config = config;
    this.closedFlag = false;
    this.provider = factory(config);
    this.probe = readinessProbe && typeof this.provider.checkReady === 'function';
  }

  get closed() {
    return this.closedFlag;
  }

  openProvider() {
    if (this.closedFlag) throw new ProviderError('session_closed', 'Session is closed', CLOSED_HINT);
    return this.provider;
  }

  async interact(environment, input, requirements) {
    return this.openProvider().generate(environment || {}, input || {}, requirements || {});
  }

  async stream(environment, input, requirements) {
    return this.openProvider().stream(environment || {}, input || {}, requirements || {});
  }

  async runMany(environment, inputs, requirements, concurrency = 4) {
    const provider = this.openProvider();
    const outputs = new Array(inputs.length);
    const errors = new Array(inputs.length);
    let next = 0;
    const worker = async () => {
      while (next < inputs.length) {
        const index = next++;
        try {
          outputs[index] = await provider.generate(environment || {}, inputs[index], requirements || {});
        } catch (err) {
          errors[index] = err;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, inputs.length)) }, worker));
    const failure = errors.find((e) => e !== undefined);
    if (failure) throw failure;
    return outputs;
  }

  async checkReady(model = this.config.model) {
    const provider = this.openProvider();
    if (!this.probe) {
      return { ready: true, provider: provider.name || 'local', status_code: null, message: NO_PROBE_MESSAGE,
               model: model ?? null, model_verified: false };
    }
    return provider.checkReady(model ?? null);
  }

  close() {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.provider.close();
  }

  /** What a scope exit does (`using`, or the finally of withSession): close, never throw. */
  dispose() {
    try {
      this.close();
    } catch {
      // an error from closing never escapes a scope exit
    }
  }
}

/** Runs `fn(session)` with a single-use session, closed on every path. */
async function withSession(config, factory, fn) {
  const session = new Session(config, factory);
  try {
    return await fn(session);
  } finally {
    session.dispose();
  }
}

const oneShot = {
  interact: (config, env, input, req, factory) => withSession(config, factory, (s) => s.interact(env, input, req)),
  runMany: (config, env, inputs, req, concurrency, factory) =>
    withSession(config, factory, (s) => s.runMany(env, inputs, req, concurrency)),
  checkReady: (config, factory) => withSession(config, factory, (s) => s.checkReady()),
  /** An async generator owning a single-use session, closed when the stream ends, fails or is dropped. */
  async stream(config, env, input, req, factory) {
    const session = new Session(config, factory);
    let events;
    try {
      events = await session.stream(env, input, req);
    } catch (err) {
      session.dispose();
      throw err;
    }
    return (async function* owned() {
      try {
        yield* events;
      } finally {
        session.dispose();
      }
    })();
  },
};

export { Config, LocalProvider, MessagesProvider, ProviderError, Session, withSession, oneShot, providerFor,
         NO_PROBE_MESSAGE, scopedOptions };
