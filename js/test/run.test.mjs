// run.mjs as the Python side drives it: the request on stdin, records on the channel (fd 3 here).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const RUN = fileURLToPath(new URL('../src/run.mjs', import.meta.url));

function runJob(request) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--experimental-vm-modules', '--no-warnings', RUN], {
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    });
    let channel = '';
    child.stdio[3].on('data', (chunk) => (channel += chunk));
    child.on('close', (code) => {
      const records = channel.trim().split('\n').map((line) => JSON.parse(line));
      resolve({ code, records, result: records.find((r) => r.type === 'result') });
    });
    child.stdin.end(JSON.stringify(request));
  });
}

const request = (expression, extra = {}) => ({
  job: 'j', workflow: 'p.j', expression,
  adaptor: { name: '@openfn/language-common', version: '3.3.4' },
  state: { data: { n: 1 }, references: [] }, configuration: { password: 'pw' }, timeout_ms: 60000, ...extra,
});

test('success: exit 0 and the final state without configuration', async () => {
  const { code, result } = await runJob(request('fn(state => { state.data.n += 1; return state; });'));
  assert.equal(code, 0);
  assert.deepEqual(result, { type: 'result', status: 'success', state: { data: { n: 2 }, references: [] }, next: [] });
});

test('failure: exit 1 at once, although the runtime leaves its 60 s timer armed', { timeout: 20000 }, async () => {
  const { code, result } = await runJob(request("fn(() => { throw new Error('boom'); });"));
  assert.equal(code, 1);
  assert.equal(result.status, 'failure');
  assert.deepEqual(result.state.errors.j, { source: 'runtime', name: 'JobError', severity: 'fail', message: 'boom' });
});

test('crash: exit 2 and no state when the job does not compile', async () => {
  const { code, result } = await runJob(request('fn(('));
  assert.equal(code, 2);
  assert.equal(result.status, 'crash');
  assert.equal(result.state, undefined);
  assert.equal(result.error.type, 'CompileError');
});

test('the job, the runtime and the adaptor log on the channel with a level', async () => {
  const { records } = await runJob(request("fn(state => { console.log('hello'); console.error('bad'); return state; });"));
  const logs = records.filter((r) => r.type === 'log').map((r) => [r.level, r.message]);
  assert.ok(logs.some(([level, message]) => level === 'info' && message === '[JOB] ℹ hello'));
  assert.ok(logs.some(([level, message]) => level === 'error' && message === '[JOB] ✘ bad'));
  assert.ok(logs.some(([, message]) => message === '[R/T] ℹ Resolved adaptor @openfn/language-common to version 3.3.4'));
});

test('state keys listed in remove are never returned', async () => {
  const { result } = await runJob(request("fn(state => { state.response = { big: true }; return state; });", { remove: ['configuration', 'response'] }));
  assert.deepEqual(result.state, { data: { n: 1 }, references: [] });
});

test('a workflow step reports which of its edges hold, as the runtime evaluates them', async () => {
  const next = { ok: 'on_job_success', ko: 'on_job_failure', big: 'state.data.n > 1', small: 'state.data.n < 1', off: { disabled: true }, any: true };
  const passed = await runJob(request('fn(state => { state.data.n += 1; return state; });', { next }));
  assert.deepEqual(passed.result.next.sort(), ['any', 'big', 'ok']);
  const failed = await runJob(request("fn(() => { throw new Error('x'); });", { next }));
  assert.equal(failed.result.status, 'failure');
  assert.deepEqual(failed.result.next.sort(), ['any', 'ko']); // n is still 1: neither big nor small
});

test('a trigger edge that does not hold skips the step; one that holds runs it', async () => {
  const skipped = await runJob(request("fn(state => state);", { from: { id: 'webhook', condition: 'state.data.n > 5' } }));
  assert.equal(skipped.code, 0);
  assert.equal(skipped.result.status, 'skipped');
  const ran = await runJob(request("fn(state => state);", { from: { id: 'webhook', condition: 'state.data.n === 1' } }));
  assert.equal(ran.result.status, 'success');
});

test('a condition that throws crashes the run, as on OpenFn', async () => {
  const { code, result } = await runJob(request('fn(state => state);', { next: { t: 'state.nope.x' } }));
  assert.equal(code, 2);
  assert.equal(result.error.type, 'EdgeConditionError');
});
