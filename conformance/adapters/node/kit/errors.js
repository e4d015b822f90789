// The adapter protocol's error kinds, and the rules that map a library's exceptions onto them.

/** The stable error kinds of docs/adapter-protocol.md (the C++ runtime's ErrorKinds() ids). */
export const KINDS = Object.freeze(['configuration', 'session_closed', 'connection', 'timeout', 'http_status',
  'malformed_response', 'stream_failure', 'cancelled', 'unsupported', 'bad_request']);

/** Clause S3's exact wording for a call on a closed session. */
export const SESSION_CLOSED_MESSAGE = 'Session is closed';
export const SESSION_CLOSED_HINT = 'Create a new Session for additional interactions.';

/** A failure with a protocol error kind; throw it from an operation to answer that error. */
export class ProviderError extends Error {
  constructor(kind, message, hint = '', statusCode = null) {
    super(message);
    this.name = 'ProviderError';
    this.kind = String(kind);
    this.hint = hint == null ? '' : String(hint);
    this.statusCode = statusCode;
  }

  /** The `error` object of an answer line. */
  toJSON() {
    const error = { kind: this.kind, message: this.message, hint: this.hint };
    if (Number.isInteger(this.statusCode)) error.status_code = this.statusCode;
    return error;
  }
}

/** The error clause S3 expects for any call on a closed session. */
export function sessionClosed() {
  return new ProviderError('session_closed', SESSION_CLOSED_MESSAGE, SESSION_CLOSED_HINT);
}

function statusOf(err) {
  for (const holder of [err, err?.response]) {
    for (const key of ['statusCode', 'status_code', 'status']) {
      const value = holder?.[key];
      if (Number.isInteger(value) && value >= 100 && value <= 999) return value;
    }
  }
  return null;
}

function textOf(err) {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}

/** A ProviderError of `kind` carrying what `err` says (its message, hint, status). */
export function errorOfKind(kind, err) {
  if (kind === 'session_closed') return sessionClosed();
  return new ProviderError(kind, textOf(err), typeof err?.hint === 'string' ? err.hint : '', statusOf(err));
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH',
  'EAI_AGAIN', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT']);

/** The rules applied after the adapter's own: [what matches, what it becomes]. */
export const DEFAULT_RULES = Object.freeze([
  [ProviderError, (err) => err],
  [(err) => typeof err?.kind === 'string' && err.kind !== '', (err) => errorOfKind(err.kind, err)],
  [(err) => err?.name === 'AbortError', 'cancelled'],
  [(err) => err?.name === 'TimeoutError' || TIMEOUT_CODES.has(err?.code), 'timeout'],
  [(err) => CONNECTION_CODES.has(err?.code), 'connection'],
  [SyntaxError, 'malformed_response'],
  [(err) => statusOf(err) !== null, 'http_status'],
]);

function isErrorClass(match) {
  return typeof match === 'function' && (match === Error || match.prototype instanceof Error);
}

/**
 * An ordered list of rules, each `[match, to]`; the first that applies wins. `match` is an Error class or a
 * predicate `(err) => boolean`; `to` is a kind string (message and HTTP status kept) or a function returning a
 * ProviderError, a kind string, or null (the rule does not apply after all).
 */
export class ErrorRules {
  constructor(rules = [], defaults = DEFAULT_RULES) {
    this.rules = [...rules, ...defaults];
  }

  /** Puts a rule ahead of every existing one. */
  add(match, to) {
    this.rules.unshift([match, to]);
    return this;
  }

  /** The ProviderError for `err`; never throws; kind `internal` when no rule applies. */
  map(err) {
    for (const [match, to] of this.rules) {
      let result;
      try {
        if (!(isErrorClass(match) ? err instanceof match : match(err))) continue;
        result = typeof to === 'function' ? to(err) : to;
      } catch (ruleError) {  // a broken rule must not hide the original error
        return new ProviderError('internal', `the error rule for ${err?.name} failed: ${ruleError.message}; ` +
                                 `original: ${textOf(err)}`);
      }
      if (result === null || result === undefined) continue;
      if (result instanceof ProviderError) return result;
      return errorOfKind(String(result), err);
    }
    return new ProviderError('internal', `${err?.name || typeof err}: ${textOf(err)}`);
  }
}
