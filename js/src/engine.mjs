// The warm JavaScript engine (`[openfn] js_engine = warm`): one long-lived Node process per host and
// install, which JavaScript tasks reach over a Unix socket, instead of starting Node for every run.
//
//   node --experimental-vm-modules --expose-gc engine.mjs --socket=PATH [--memory-limit-mb=500] [--spares=1]
//                                             [--idle-exit-seconds=1800]
//
// A connection carries one run. The engine greets it with {"type": "ready"}; the task then sends two
// lines, a header {job, adaptor, memory_limit_mb, timeout_ms, next, size} and the request of execute.mjs
// (`size` bytes of JSON text, so that it is read into one buffer as it arrives); the
// engine answers with the run's log records, one JSON document a line, then its result line, and closes. Each run executes in a worker thread of its own
// (worker.mjs) held to the run's memory limit; a thread over it is stopped and the run fails, naming the
// limit, while the engine goes on serving the others. A few threads are started ahead of need (spares),
// so a run starts without waiting for the runtime and its adaptor to load. The engine exits after
// `idle-exit-seconds` without a connection, and the next task starts it again.
import { existsSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import { Worker } from 'node:worker_threads';
import { toJson } from './channel.mjs';
import { adaptorEntry } from './adaptors.mjs';

const WORKER = new URL('./worker.mjs', import.meta.url);
const LARGE_BYTES = 4 * 1024 * 1024; // after a request or result this large, its buffers are collected at once
const COLLECT_EVERY = 16 * 1024 * 1024; // and every this many bytes while it passes (the buffers are garbage at once)
const REFILL_MS = 1_000;
const GRACE_MS = 10_000; // after the run's own timeout, enforced inside the thread by the runtime

function option(name, fallback) {
  const flag = process.argv.find((arg) => arg.startsWith(`--${name}=`));
  return flag ? flag.slice(name.length + 3) : fallback;
}

const SOCKET = option('socket');
const DEFAULT_LIMIT_MB = Number(option('memory-limit-mb', '500'));
const SPARES = Number(option('spares', '1'));
const IDLE_EXIT_MS = Number(option('idle-exit-seconds', '1800')) * 1000;

const gc = globalThis.gc ?? (() => {}); // started with --expose-gc (node/engine.py)

/** Worker threads started ahead of need, by memory limit; each serves one run. */
const spares = new Map();
let preload = [];

function startThread(limitMb) {
  const worker = new Worker(WORKER, {
    workerData: { preload },
    resourceLimits: { maxOldGenerationSizeMb: limitMb, maxYoungGenerationSizeMb: Math.max(8, Math.min(16, limitMb / 16)) },
    env: { ...process.env }, // its own copy: a job that changes process.env changes only its own
    stdout: true, // an adaptor's own writes to stdout/stderr belong to the run's log, not the engine's
    stderr: true,
  });
  const ready = new Promise((resolve) => {
    const onMessage = (message) => message?.type === 'ready' && (worker.off('message', onMessage), resolve(true));
    worker.on('message', onMessage);
    worker.once('exit', () => resolve(false));
    worker.once('error', () => resolve(false));
  });
  worker.unref();
  return { worker, ready };
}

/** Spare threads are kept for the default limit only: a run with a limit of its own starts its thread. */
function fillSpares() {
  const waiting = spares.get(DEFAULT_LIMIT_MB) ?? [];
  while (waiting.length < SPARES) waiting.push(startThread(DEFAULT_LIMIT_MB));
  spares.set(DEFAULT_LIMIT_MB, waiting);
}

/** The spare taken is replaced once its run has ended, or after REFILL_MS if the run goes on: starting a
 * thread (loading the runtime and an adaptor) takes CPU, which a short run on a small host needs itself. */
function takeThread(limitMb) {
  const thread = spares.get(limitMb)?.shift() ?? startThread(limitMb);
  setTimeout(fillSpares, REFILL_MS).unref();
  return thread;
}

/** The outgoing edges that hold after a run that was stopped before the runtime could evaluate them. */
function edgesAfterFailure(next) {
  return Object.entries(next ?? {})
    .filter(([, condition]) => condition === true || condition === 'always' || condition === 'on_job_failure')
    .map(([target]) => target);
}

/** The connection's two lines: the header (small), then the request, whose `size` in bytes the header gives,
 * read straight into one buffer of its own (transferable to the run's thread): no chunk is kept or joined. */
function request(socket, onHeader, onRequest) {
  let header = null;
  let pending = [];
  let body = null;
  let filled = 0;
  const take = (chunk) => {
    if (body === null) {
      const end = chunk.indexOf(10);
      if (end === -1) return void pending.push(chunk);
      try {
        header = JSON.parse(Buffer.concat([...pending, chunk.subarray(0, end)]).toString('utf8'));
      } catch {
        return void socket.destroy(); // not a task of this engine: never let it stop the others' runs
      }
      pending = null;
      body = new Uint8Array(new ArrayBuffer(Number(header.size) || 0));
      onHeader(header);
      chunk = chunk.subarray(end + 1);
    }
    const part = chunk.subarray(0, body.length - filled);
    body.set(part, filled);
    if (Math.floor((filled + part.length) / COLLECT_EVERY) > Math.floor(filled / COLLECT_EVERY)) setImmediate(gc);
    filled += part.length;
    if (filled === body.length && chunk.length > part.length) { // the request's own new line follows it
      socket.off('data', take);
      onRequest(body);
    }
  };
  socket.on('data', take);
}

function serve(socket) {
  let header = null;
  let finished = false;
  let thread = null;
  let timer = null;
  let sent = 0; // bytes of the result passed on so far
  const write = (record) => !finished && socket.write(`${toJson(record)}\n`);
  const finish = (bytes) => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    socket.end(bytes);
    thread?.worker.terminate(); // whatever the job left behind (timers, promises) ends with its thread
    setImmediate(fillSpares);
  };
  // A result cut short (its thread died while sending it) ends its line first: the failure is a line of its own.
  const fail = (status, error, extra = {}) => finish(`${sent ? '\n' : ''}${toJson({ type: 'result', status, error, ...extra })}\n`);
  socket.on('error', () => {});
  socket.on('close', () => {
    if (!finished) {
      finished = true; // the task went away (killed, timed out): stop its run
      clearTimeout(timer);
      thread?.worker.terminate();
    }
  });
  request(socket, (received) => (header = received), async (line) => {
    const limitMb = Number(header.memory_limit_mb) || DEFAULT_LIMIT_MB;
    thread = takeThread(limitMb);
    rememberAdaptor(header.adaptor);
    const { worker } = thread;
    for (const stream of [worker.stdout, worker.stderr]) {
      const level = stream === worker.stdout ? 'info' : 'warning';
      stream.setEncoding('utf8');
      stream.on('data', (text) => text.split('\n').filter(Boolean).forEach((message) => write({ type: 'log', level, message })));
    }
    worker.on('message', (message) => {
      if (message?.type === 'log') write(message);
      else if (message?.type === 'result-part') {
        const bytes = Buffer.from(message.bytes);
        if (Math.floor((sent + bytes.length) / COLLECT_EVERY) > Math.floor(sent / COLLECT_EVERY)) setImmediate(gc);
        sent += bytes.length;
        if (message.last) {
          finish(bytes);
          if (sent >= LARGE_BYTES) socket.once('close', () => setImmediate(gc)); // the result's parts, once written
        }
        else if (!finished && socket.write(bytes)) worker.postMessage({ type: 'more' });
        else if (!finished) socket.once('drain', () => worker.postMessage({ type: 'more' }));
      }
    });
    worker.on('error', (error) => {
      if (error?.code === 'ERR_WORKER_OUT_OF_MEMORY') {
        const text = `the run used more than its memory limit of ${limitMb} MB and was stopped`;
        fail('failure', { type: 'MemoryLimitExceeded', message: text, severity: 'fail',
          fix: 'Raise memory_limit_mb on the job or step (or [openfn] run_memory_limit_mb), or give each run less data.' },
          { next: edgesAfterFailure(header.next) }); // prettier-ignore
      } else {
        fail('crash', { type: error?.name || 'RuntimeCrash', message: String(error?.message ?? error) });
      }
    });
    worker.on('exit', (code) => fail('crash', { type: 'RuntimeCrash', message: `the run's thread ended (code ${code}) without a result` }));
    const timeoutMs = Number(header.timeout_ms) || 300_000;
    timer = setTimeout(
      () => fail('crash', { type: 'TimeoutError', message: `the job ran for more than ${timeoutMs / 1000} s and was stopped` }),
      timeoutMs + GRACE_MS,
    );
    if (!(await thread.ready)) return; // its 'error'/'exit' handler has answered
    if (finished) return;
    const large = line.byteLength >= LARGE_BYTES;
    worker.postMessage({ request: line.buffer }, [line.buffer]);
    if (large) setImmediate(gc); // the socket's chunks the request was read from
  });
}

function rememberAdaptor(adaptor) {
  try {
    preload = adaptor?.name ? [adaptorEntry(adaptor.name, adaptor.version)] : [];
  } catch {
    preload = []; // not installed: the run itself says so
  }
}

let idle = null;
function armIdleExit(server) {
  clearTimeout(idle);
  idle = setTimeout(() => server.getConnections((error, count) => (count ? armIdleExit(server) : shutdown(server))), IDLE_EXIT_MS);
  idle.unref();
}

function shutdown(server) {
  server.close();
  try {
    unlinkSync(SOCKET);
  } catch {
    // already gone
  }
  process.exit(0);
}

function main() {
  if (!SOCKET) throw new Error('engine.mjs needs --socket=PATH');
  if (existsSync(SOCKET)) unlinkSync(SOCKET); // a stale socket of an engine that died (the caller holds the start lock)
  const server = net.createServer((socket) => {
    armIdleExit(server);
    socket.write('{"type":"ready"}\n'); // the task sends its run only to an engine that answers
    serve(socket);
  });
  server.listen(SOCKET, () => {
    console.log(`openfn engine ${process.pid} listening on ${SOCKET}`);
    fillSpares();
    armIdleExit(server);
  });
  for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => shutdown(server));
}

main();
