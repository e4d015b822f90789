// Runs `provkit mock` as a child process for tests, with a client for its /__provkit admin endpoints and a node:test helper.
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import http from 'node:http';
import path from 'node:path';

const START_TIMEOUT_MS = 10000;
const MAX_ADMIN_BODY = 64 << 20;

/** The mock could not be started, or an admin request failed (the message says which and why). */
export class MockError extends Error {
  constructor(message) {
    super(message);
    this.name = 'MockError';
  }
}

function executable(file) {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The provkit binary to run: `provkit` given, else $PROVKIT_BIN, else on PATH; throws MockError naming the gap. */
export function findProvkit(provkit) {
  const candidate = provkit || process.env.PROVKIT_BIN;
  if (candidate) {
    if (!executable(candidate)) throw new MockError(`provkit binary '${candidate}' does not exist or is not executable`);
    return candidate;
  }
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    if (dir && executable(path.join(dir, 'provkit'))) return path.join(dir, 'provkit');
  }
  throw new MockError('provkit not found: pass { provkit: PATH }, set PROVKIT_BIN, or put provkit on PATH');
}

/** The mock's /__provkit admin endpoints over keep-alive HTTP. */
export class AdminClient {
  constructor(url, { timeoutMs = 10000 } = {}) {
    this.url = new URL(url);
    this.timeoutMs = timeoutMs;
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  }

  close() {
    this.agent.destroy();
  }

  /** The JSON answer of one admin request; rejects with MockError on a failure or an error status. */
  request(method, name, body) {
    const what = `${method} /__provkit/${name}`;
    const data = body === undefined ? null : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = http.request({
        host: this.url.hostname, port: this.url.port, method, path: `/__provkit/${name}`, agent: this.agent,
        headers: data ? { 'Content-Type': 'application/json', 'Content-Length': data.length } : {},
        timeout: this.timeoutMs,
      }, (res) => {
        const chunks = [];
        let size = 0;
        res.on('data', (chunk) => {
          size += chunk.length;
          if (size > MAX_ADMIN_BODY) {
            req.destroy(new MockError(`${what}: the answer is over ${MAX_ADMIN_BODY} bytes`));
          } else {
            chunks.push(chunk);
          }
        });
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let doc;
          try {
            doc = text ? JSON.parse(text) : {};
          } catch {
            reject(new MockError(`${what}: HTTP ${res.statusCode}, not JSON: ${text.slice(0, 200)}`));
            return;
          }
          if (res.statusCode >= 400) {
            reject(new MockError(`${what}: HTTP ${res.statusCode}: ${doc?.error?.message ?? text.slice(0, 200)}`));
          } else {
            resolve(doc);
          }
        });
        res.on('error', (err) => reject(new MockError(`${what}: ${err.message}`)));
      });
      req.on('socket', (socket) => socket.setNoDelay(true));
      req.on('timeout', () => req.destroy(new MockError(`${what}: no answer within ${this.timeoutMs} ms`)));
      req.on('error', (err) => reject(err instanceof MockError ? err : new MockError(`${what}: ${err.message}`)));
      req.end(data ?? undefined);
    });
  }

  /** Sets the scenario (a name, or an object; `params` are its keys); without one, reads it. */
  scenario(scenario, params = {}) {
    if (scenario === undefined) return this.request('GET', 'scenario');
    const body = typeof scenario === 'object' ? { ...scenario } : { name: scenario };
    return this.request('POST', 'scenario', { ...body, ...params });
  }

  /** Sets the script ({sequence, rules, loop}); without one, reads it. */
  script(script) {
    return script === undefined ? this.request('GET', 'script') : this.request('POST', 'script', script);
  }

  /** Sets the stream timing ({chunk_chars, ...}); without one, reads it. */
  timing(timing) {
    return timing === undefined ? this.request('GET', 'timing') : this.request('POST', 'timing', timing);
  }

  /** Sets the profile ('vllm', 'llama.cpp', ...); without one, reads it. */
  profile(name) {
    return name === undefined ? this.request('GET', 'profile') : this.request('POST', 'profile', { name });
  }

  /** Sets the models (ids or {id, status, owned_by}); without them, reads them. */
  models(models) {
    return models === undefined ? this.request('GET', 'models') : this.request('POST', 'models', models);
  }

  /** The requests the mock saw, oldest first. */
  async journal() {
    return (await this.request('GET', 'journal')).entries;
  }

  /** Empties the journal and zeroes the connection and request counters. */
  resetJournal() {
    return this.request('DELETE', 'journal');
  }

  /** {connections_opened, connections_open, requests, journal_dropped}. */
  async stats() {
    return (await this.request('GET', 'stats')).stats;
  }
}

/**
 * Starts `provkit mock` on 127.0.0.1 and a free port and resolves, once it has printed its URL, to
 * `{ url, baseUrl, admin, command, stop() }`; `stop()` sends SIGTERM (SIGKILL after 5 s) and resolves to the
 * exit code. Options: `provkit`, `models` (ids), `profile`, `scenario`, `args` (more flags), `basePath`.
 */
export function startMock({ provkit, models, profile, scenario, args = [], basePath = '/v1' } = {}) {
  const command = [findProvkit(provkit), 'mock', '--host', '127.0.0.1', '--port', '0', '--quiet',
                   '--base-path', basePath];
  if (models && models.length) command.push('--models', models.join(','));
  if (profile) command.push('--profile', profile);
  if (scenario) command.push('--scenario', scenario);
  command.push(...args);
  const child = spawn(command[0], command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-2000);
  });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
  const shown = command.join(' ');

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    child.stdout.destroy();
    return child.exitCode ?? child.signalCode;
  };

  return new Promise((resolve, reject) => {
    let out = '';
    const fail = (message) => {
      clearTimeout(timer);
      stop().finally(() => reject(new MockError(message)));
    };
    const timer = setTimeout(() => fail(`\`${shown}\` printed no URL within ${START_TIMEOUT_MS} ms`),
                             START_TIMEOUT_MS);
    child.on('error', (err) => fail(`\`${shown}\` could not start: ${err.message}`));
    child.on('exit', (code) => {
      if (!out.includes('\n')) fail(`\`${shown}\` exited with status ${code} before printing its URL; stderr: ${stderr}`);
    });
    child.stdout.on('data', function onData(chunk) {
      out += chunk.toString('utf8');
      if (!out.includes('\n')) return;
      child.stdout.off('data', onData);
      child.stdout.resume();
      clearTimeout(timer);
      const url = out.split('\n', 1)[0].trim();
      if (!url.startsWith('http://')) {
        fail(`\`${shown}\` did not print its URL (got '${url}'); stderr: ${stderr}`);
        return;
      }
      const admin = new AdminClient(url);
      resolve({
        url, baseUrl: url + basePath, admin, command,
        stop: async () => {
          admin.close();
          return stop();
        },
      });
    });
  });
}

/** For node:test: a started mock that is stopped when the test `t` ends. */
export async function provkitMock(t, options = {}) {
  const mock = await startMock(options);
  t.after(() => mock.stop());
  return mock;
}
