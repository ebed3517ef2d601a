// One run in a worker thread of the warm engine (engine.mjs). The thread starts before its run is known,
// loading the runtime and, as a guess, the adaptor of the engine's last run, then waits for one request:
// it runs exactly one job and is then ended by the engine, so nothing a job leaves behind (globals, a
// patched prototype, timers, module state, process.env changes) reaches another run.
//
// The request arrives as the bytes of its JSON text, transferred (not copied) from the engine. The result
// leaves as its JSON text made piece by piece and sent in parts of PART_CHARS characters, each encoded and
// transferred on its own, the next once the engine has handed the last to the socket: a large result is
// never held as objects, text and bytes at once. Log records are posted one by one as {type: "log", level,
// message}. With a large state, garbage is collected at once where a copy was just dropped, so that copies
// do not pile up before V8 would get round to them.
import { parentPort, workerData } from 'node:worker_threads';
import { toJson } from './channel.mjs';
import { describe } from './describe.mjs';
import { execute } from './execute.mjs';

const LARGE_BYTES = 4 * 1024 * 1024; // a state this large gets its garbage collected eagerly
const PART_CHARS = 64 * 1024; // small enough to be young garbage, collected as the result goes
const DEPTH = 3; // how deep the result's JSON text is made piece by piece (see pieces())
const gc = globalThis.gc ?? (() => {}); // the engine runs with --expose-gc: each thread collects its own heap

// A promise the job left rejected with no handler belongs to this run only (its thread ends with it): it is
// told in the run's log, and does not stop the thread before the run's own result is out.
process.on('unhandledRejection', (reason) => {
  parentPort.postMessage({ type: 'log', level: 'warning', message: `[R/T] ⚠ a promise rejected with no handler: ${reason?.stack ?? reason}` });
});

for (const file of workerData?.preload ?? []) {
  try {
    await import(file);
  } catch {
    // only a guess: the run imports what it needs itself, and reports its own errors
  }
}

/** Resolves when the engine asks for the next part of the result. */
function nextPart() {
  return new Promise((resolve) => {
    const onMessage = (message) => message?.type === 'more' && (parentPort.off('message', onMessage), resolve());
    parentPort.on('message', onMessage);
  });
}

/** The JSON text of `value` in pieces, walking objects and arrays down to DEPTH levels: a large state is
 * never one string as well as its objects. `value` has been through JSON already (the runtime returns a
 * copy of the final state made with JSON), so JSON.stringify is exact for its leaves. */
function* pieces(value, depth = 0) {
  if (depth >= DEPTH || value === null || typeof value !== 'object' || typeof value.toJSON === 'function') {
    yield JSON.stringify(value) ?? 'null';
  } else if (Array.isArray(value)) {
    yield '[';
    for (let index = 0; index < value.length; index += 1) {
      if (index) yield ',';
      const item = value[index];
      if (item === undefined || typeof item === 'function' || typeof item === 'symbol') yield 'null';
      else yield* pieces(item, depth + 1);
    }
    yield ']';
  } else {
    yield '{';
    let first = true;
    for (const [key, item] of Object.entries(value)) {
      if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
      yield `${first ? '' : ','}${JSON.stringify(key)}:`;
      first = false;
      yield* pieces(item, depth + 1);
    }
    yield '}';
  }
}

/** Sends the result line in parts of about PART_CHARS characters, each encoded and transferred on its own;
 * the next once the engine has handed the last to the socket. */
async function sendResult(result) {
  const { state, ...rest } = result;
  const head = toJson({ type: 'result', ...rest });
  const parts = state === undefined ? [head, '\n'] : [head.slice(0, -1), ',"state":', pieces(state), '}\n'];
  const encoder = new TextEncoder();
  let buffered = [];
  let size = 0;
  const flush = async (last) => {
    const bytes = encoder.encode(buffered.join(''));
    buffered = [];
    size = 0;
    const asked = last ? null : nextPart();
    parentPort.postMessage({ type: 'result-part', bytes: bytes.buffer, last }, [bytes.buffer]);
    await asked;
  };
  for (const part of parts) {
    for (const text of typeof part === 'string' ? [part] : part) {
      if (text.length <= PART_CHARS - size) { // the common case: a piece that fits the part being filled
        buffered.push(text);
        size += text.length;
        continue;
      }
      for (let start = 0; start < text.length; ) { // a long leaf (a 50 MB string) is cut
        let end = Math.min(text.length, start + PART_CHARS - size);
        const code = text.charCodeAt(end - 1);
        if (end < text.length && code >= 0xd800 && code <= 0xdbff) end -= 1; // never between a surrogate pair
        buffered.push(text.slice(start, end));
        size += end - start;
        start = end;
        if (size >= PART_CHARS - 1) await flush(false);
      }
    }
  }
  await flush(true);
}

parentPort.once('message', async (message) => {
  const sink = (record) => parentPort.postMessage(record);
  let { request } = message;
  message.request = null; // the message must not keep the bytes alive either
  const large = request.byteLength >= LARGE_BYTES;
  const collect = large ? () => gc() : () => {};
  let result;
  try {
    let text = new TextDecoder().decode(request);
    request = null; // the bytes are not needed any more
    collect();
    const parsed = JSON.parse(text);
    text = null;
    collect();
    result = await execute(parsed, sink, { collect });
  } catch (error) {
    result = { status: 'crash', error: describe(error) };
  }
  collect(); // the runtime's own copies of the state: only its final one is left
  await sendResult(result);
});
parentPort.postMessage({ type: 'ready' });
