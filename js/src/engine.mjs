// The warm JavaScript engine (`[openfn] js_engine = warm`): one long-lived Node process per host and
// install, which JavaScript tasks reach over a Unix socket, instead of starting Node for every run.
//
//   node --experimental-vm-modules engine.mjs --socket=PATH [--memory-limit-mb=500] [--spares=1]
//                                             [--idle-exit-seconds=1800]
//
// A connection carries one run. The engine greets it with {"type": "ready"}; the task then sends two
// lines, a header {job, adaptor, memory_limit_mb, timeout_ms, next} and the request of execute.mjs; the
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
const GRACE_MS = 10_000; // after the run's own timeout, enforced inside the thread by the runtime

function option(name, fallback) {
  const flag = process.argv.find((arg) => arg.startsWith(`--${name}=`));
  return flag ? flag.slice(name.length + 3) : fallback;
}

const SOCKET = option('socket');
const DEFAULT_LIMIT_MB = Number(option('memory-limit-mb', '500'));
const SPARES = Number(option('spares', '1'));
const IDLE_EXIT_MS = Number(option('idle-exit-seconds', '1800')) * 1000;

/** Worker threads started ahead of need, by memory limit; each serves one run. */
const spares = new Map();
let preload = [];

function startThread(limitMb) {
  const worker = new Worker(WORKER, {
    workerData: { preload },
    resourceLimits: { maxOldGenerationSizeMb: limitMb, maxYoungGenerationSizeMb: Math.max(16, Math.min(64, limitMb / 8)) },
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

function takeThread(limitMb) {
  const thread = spares.get(limitMb)?.shift() ?? startThread(limitMb);
  fillSpares();
  return thread;
}

/** The outgoing edges that hold after a run that was stopped before the runtime could evaluate them. */
function edgesAfterFailure(next) {
  return Object.entries(next ?? {})
    .filter(([, condition]) => condition === true || condition === 'always' || condition === 'on_job_failure')
    .map(([target]) => target);
}

function lines(socket, onLine) {
  let chunks = [];
  let size = 0;
  socket.on('data', (chunk) => {
    let start = 0;
    for (let end = chunk.indexOf(10); end !== -1; end = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, end);
      const line = new Uint8Array(new ArrayBuffer(size + piece.length)); // its own buffer: transferable
      let offset = 0;
      for (const part of [...chunks, piece]) {
        line.set(part, offset);
        offset += part.length;
      }
      chunks = [];
      size = 0;
      onLine(line);
      start = end + 1;
    }
    if (start < chunk.length) {
      chunks.push(chunk.subarray(start));
      size += chunk.length - start;
    }
  });
}

function serve(socket) {
  let header = null;
  let finished = false;
  let thread = null;
  let timer = null;
  const write = (record) => !finished && socket.write(`${toJson(record)}\n`);
  const finish = (bytes) => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    socket.end(bytes);
    thread?.worker.terminate(); // whatever the job left behind (timers, promises) ends with its thread
  };
  const fail = (status, error, extra = {}) => finish(`${toJson({ type: 'result', status, error, ...extra })}\n`);
  socket.on('error', () => {});
  socket.on('close', () => {
    if (!finished) {
      finished = true; // the task went away (killed, timed out): stop its run
      clearTimeout(timer);
      thread?.worker.terminate();
    }
  });
  lines(socket, async (line) => {
    if (header === null) {
      header = JSON.parse(new TextDecoder().decode(line));
      return;
    }
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
      else if (message?.type === 'result') finish(Buffer.from(message.bytes));
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
    if (!finished) worker.postMessage({ request: line.buffer }, [line.buffer]);
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
