// The protocol's values for adapter authors: config, outputs, readiness records, stream events, provider options.
import { ProviderError } from './errors.js';

/** Request body fields a provider manages itself; a provider option may not replace them (S12). */
export const MANAGED_FIELDS = Object.freeze(['model', 'messages', 'stream', 'stream_options']);

function millis(raw, key, fallback) {
  const value = raw[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ProviderError('bad_request', `config field '${key}' must be a number of milliseconds, got ` +
                            `${JSON.stringify(value)}`);
  }
  return value;
}

/** The protocol's `config`, camel-cased, durations in milliseconds. `toJSON` and inspection hide the key. */
export class Config {
  constructor(raw = {}) {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      throw new ProviderError('bad_request', 'config must be an object');
    }
    const { base_url: baseUrl = '', model = null, api_key: apiKey = '' } = raw;
    if (typeof baseUrl !== 'string' || typeof apiKey !== 'string') {
      throw new ProviderError('bad_request', "config fields 'base_url' and 'api_key' must be strings");
    }
    if (model !== null && typeof model !== 'string') {
      throw new ProviderError('bad_request', "config field 'model' must be a string or null");
    }
    const dialect = raw.dialect ?? 'chat';
    if (typeof dialect !== 'string') throw new ProviderError('bad_request', "config field 'dialect' must be a string");
    this.baseUrl = baseUrl;
    this.dialect = dialect;
    this.model = model;
    Object.defineProperty(this, 'apiKey', { value: apiKey, enumerable: false });
    this.connectTimeoutMs = millis(raw, 'connect_timeout_ms', 2000);
    this.requestTimeoutMs = millis(raw, 'request_timeout_ms', 120000);
    this.probeBudgetMs = millis(raw, 'probe_budget_ms', 2000);
  }
}

/**
 * The provider options under `scope` (a copy, `{}` when none), checked against S12: throws a `configuration`
 * ProviderError when the scope is not an object or an option would replace a field in `managed`.
 */
export function scopedOptions(requirements, scope, managed = MANAGED_FIELDS) {
  const options = requirements?.provider_options;
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new ProviderError('configuration', 'provider_options must be an object keyed by provider name');
  }
  const scoped = options[scope];
  if (scoped === undefined || scoped === null) return {};
  if (typeof scoped !== 'object' || Array.isArray(scoped)) {
    throw new ProviderError('configuration', `provider_options['${scope}'] must be an object`);
  }
  const clash = managed.find((key) => Object.hasOwn(scoped, key));
  if (clash !== undefined) {
    throw new ProviderError('configuration', `provider option '${clash}' would replace a field the provider manages`,
                            `Remove '${clash}' from provider_options['${scope}']; the provider sets ` +
                            `${managed.join(', ')} itself.`);
  }
  return { ...scoped };
}

/** A protocol tool call; `arguments` is the parsed JSON text, or null when it is not JSON. */
export function toolCall(id, name, argumentsText) {
  let args = null;
  try {
    args = argumentsText ? JSON.parse(argumentsText) : null;
  } catch {
    args = null;
  }
  return { id: id || '', name: name || '', arguments: args, arguments_text: argumentsText || '' };
}

/** A protocol output: `value` over the defaults of every key. */
export function output(value = {}) {
  const result = { text: '', reasoning: '', tool_calls: [], usage: null, finish_reason: '', response_id: '',
                   ...value };
  for (const key of ['text', 'reasoning', 'finish_reason', 'response_id']) result[key] ??= '';
  result.tool_calls ??= [];
  return result;
}

/** A protocol readiness record with every optional field present (null when unknown). */
export function readiness(value = {}) {
  return { ready: false, provider: '', status_code: null, message: null, model: null, model_verified: null,
           ...value };
}

/** The event that ends a stream. Without an output the kit builds it from the events sent. */
export function done(outputValue = null) {
  return { type: 'done', output: outputValue };
}

/** Builds a stream's final output from its events, for libraries whose streams carry none. */
export class StreamAccumulator {
  constructor() {
    this.text = [];
    this.reasoning = [];
    this.toolCalls = [];
    this.usage = null;
    this.finishReason = '';
  }

  feed(event) {
    if (event.type === 'text_delta') this.text.push(event.delta || '');
    else if (event.type === 'reasoning_delta') this.reasoning.push(event.delta || '');
    else if (event.type === 'tool_call' && event.tool_call) this.toolCalls.push(event.tool_call);
    else if (event.type === 'usage') this.usage = event.usage ?? null;
    else if (event.type === 'finish') this.finishReason = event.finish_reason || '';
  }

  output(responseId = '') {
    return output({ text: this.text.join(''), reasoning: this.reasoning.join(''), tool_calls: [...this.toolCalls],
                    usage: this.usage, finish_reason: this.finishReason, response_id: responseId });
  }
}
