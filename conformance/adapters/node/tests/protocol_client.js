// A test client for the adapter protocol: runs an adapter process and exchanges JSON lines with it, bounded in time.
import { spawn } from 'node:child_process';

export class AdapterProcess {
  constructor(command, args, { timeoutMs = 10000 } = {}) {
    this.child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.timeoutMs = timeoutMs;
    this.nextId = 0;
    this.buffer = '';
    this.lines = [];
    this.waiters = [];
    this.stderr = '';
    this.child.stderr.on('data', (chunk) => { this.stderr = (this.stderr + chunk).slice(-2000); });
    this.child.stdout.on('data', (chunk) => {
      this.buffer += chunk.toString('utf8');
      let newline;
      while ((newline = this.buffer.indexOf('\n')) >= 0) {
        this.lines.push(JSON.parse(this.buffer.slice(0, newline)));
        this.buffer = this.buffer.slice(newline + 1);
      }
      while (this.waiters.length && this.lines.length) this.waiters.shift()(this.lines.shift());
    });
  }

  send(op, fields = {}) {
    this.nextId += 1;
    this.child.stdin.write(`${JSON.stringify({ id: this.nextId, op, ...fields })}\n`);
    return this.nextId;
  }

  writeRaw(text) {
    this.child.stdin.write(text);
  }

  line() {
    if (this.lines.length) return Promise.resolve(this.lines.shift());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no line within ${this.timeoutMs} ms; stderr: ${this.stderr}`)),
                               this.timeoutMs);
      this.waiters.push((line) => {
        clearTimeout(timer);
        resolve(line);
      });
    });
  }

  /** { events, final } for `id`; a line for another id first is an error. */
  async answer(id) {
    const events = [];
    for (;;) {
      const message = await this.line();
      if (message.id !== id) throw new Error(`expected an answer to ${id}, got ${JSON.stringify(message)}`);
      if ('event' in message) events.push(message.event);
      else return { events, final: message };
    }
  }

  async call(op, fields = {}) {
    return (await this.answer(this.send(op, fields))).final;
  }

  async close() {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.on('exit', resolve));
    this.send('shutdown');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}
