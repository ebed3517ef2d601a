// The warm engine as a task reaches it: a Unix socket, a header line (with the request's size) and a request
// line per run.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ENGINE = fileURLToPath(new URL('../src/engine.mjs', import.meta.url));
const folder = mkdtempSync(path.join(os.tmpdir(), 'openfn-engine-test-'));
const SOCKET = path.join(folder, 'engine.sock');
let engine;

before(async () => {
  engine = spawn(process.execPath, ['--experimental-vm-modules', '--no-warnings', '--expose-gc', ENGINE, `--socket=${SOCKET}`, '--memory-limit-mb=200'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise((resolve) => engine.stdout.once('data', resolve)); // "listening on ..."
});

after(() => {
  engine.kill('SIGTERM');
  rmSync(folder, { recursive: true, force: true });
});

function runJob(expression, { state = { data: { n: 1 }, references: [] }, configuration = {}, header = {}, extra = {} } = {}) {
  const adaptor = { name: '@openfn/language-common', version: '3.3.4' };
  const request = { job: 'j', workflow: 'p.j', expression, adaptor, state, configuration, timeout_ms: 20000, ...extra };
  return new Promise((resolve, reject) => {
    const socket = net.connect(SOCKET);
    let text = '';
    socket.on('data', (chunk) => (text += chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const records = text.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line));
      resolve({ records, result: records.find((r) => r.type === 'result') });
    });
    const body = Buffer.from(JSON.stringify(request));
    socket.write(`${JSON.stringify({ job: 'j', adaptor, timeout_ms: request.timeout_ms, next: extra.next, size: body.length, ...header })}\n`);
    socket.write(Buffer.concat([body, Buffer.from('\n')]));
  });
}

test('a run answers with its log records and then its result, as a process run does', async () => {
  const { records, result } = await runJob("fn(state => { console.log('hello'); state.data.n += 1; return state; });");
  assert.deepEqual(result, { type: 'result', status: 'success', state: { data: { n: 2 }, references: [] }, next: [] });
  assert.ok(records.some((r) => r.type === 'log' && r.level === 'info' && r.message === '[JOB] ℹ hello'));
});

// A job's own globals live in the runtime's sandbox; what escapes it (through the realm of the adaptor's
// functions, as `fn.constructor` reaches it) is the thread's, which ends with the run.
const HOST = "const F = fn.constructor; const host = F('return globalThis')(); const env = F('return process')().env;";

test('nothing a run leaves behind reaches the next one', async () => {
  const dirty = `fn(state => { ${HOST}
    host.leak = 'x'; Object.getPrototypeOf(F.prototype).polluted = 'y'; env.OPENFN_LEAK = 'z';
    host.setInterval(() => host.console.log('still here'), 5);
    host.Promise.reject(new Error('unhandled'));
    return state;
  });`;
  assert.equal((await runJob(dirty)).result.status, 'success');
  const { result, records } = await runJob(`fn(state => { ${HOST}
    state.data = { leak: typeof host.leak, polluted: Object.getPrototypeOf(F.prototype).polluted ?? null, env: env.OPENFN_LEAK ?? null };
    return state;
  });`);
  assert.deepEqual(result.state?.data, { leak: 'undefined', polluted: null, env: null }, JSON.stringify(result));
  assert.ok(!records.some((r) => r.message?.includes('still here')));
});

test("one run's credentials are not visible to the next", async () => {
  await runJob(`fn(state => { ${HOST} host.saved = state.configuration; return state; });`, { configuration: { password: 'secret-1' } });
  const { result } = await runJob(`fn(state => { ${HOST} state.data = { seen: JSON.stringify(host.saved ?? null), mine: state.configuration }; return state; });`);
  assert.deepEqual(result.state.data, { seen: 'null', mine: {} });
});

test('a run over its memory limit fails naming the limit, and the engine serves the next run', async () => {
  const hog = 'fn(state => { const keep = []; for (;;) keep.push(new Array(1e6).fill(Math.random())); });';
  const next = { handler: 'on_job_failure', ok: 'on_job_success', always: true };
  const { result } = await runJob(hog, { header: { memory_limit_mb: 64 }, extra: { next } });
  assert.equal(result.status, 'failure');
  assert.equal(result.error.type, 'MemoryLimitExceeded');
  assert.equal(result.error.message, 'the run used more than its memory limit of 64 MB and was stopped');
  assert.deepEqual(result.next.sort(), ['always', 'handler']);
  const after = await runJob('fn(state => state);');
  assert.equal(after.result.status, 'success');
});

test('a job that does not compile crashes with its position, as in a process', async () => {
  const { result } = await runJob('fn((');
  assert.equal(result.status, 'crash');
  assert.equal(result.error.type, 'CompileError');
});

test('runs go on side by side', async () => {
  const results = await Promise.all([1, 2, 3, 4].map((n) => runJob('fn(state => new Promise(r => setTimeout(() => r(state), 200)));', { state: { data: { n } } })));
  assert.deepEqual(results.map((r) => r.result.state.data.n), [1, 2, 3, 4]);
});
