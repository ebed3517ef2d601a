// One run in a worker thread of the warm engine (engine.mjs). The thread starts before its run is known,
// loading the runtime and, as a guess, the adaptor of the engine's last run, then waits for one request:
// it runs exactly one job and is then ended by the engine, so nothing a job leaves behind (globals, a
// patched prototype, timers, module state, process.env changes) reaches another run.
//
// The request arrives as the bytes of its JSON text, transferred (not copied) from the engine; the result
// leaves the same way. Log records are posted one by one as {type: "log", level, message}.
import { parentPort, workerData } from 'node:worker_threads';
import { toJson } from './channel.mjs';
import { describe } from './describe.mjs';
import { execute } from './execute.mjs';

for (const file of workerData?.preload ?? []) {
  try {
    await import(file);
  } catch {
    // only a guess: the run imports what it needs itself, and reports its own errors
  }
}

parentPort.once('message', async ({ request }) => {
  const sink = (record) => parentPort.postMessage(record);
  let result;
  try {
    const parsed = JSON.parse(new TextDecoder().decode(request));
    request = null; // the bytes are not needed any more: let the collector have them
    result = await execute(parsed, sink);
  } catch (error) {
    result = { status: 'crash', error: describe(error) };
  }
  const bytes = new TextEncoder().encode(`${toJson({ type: 'result', ...result })}\n`);
  parentPort.postMessage({ type: 'result', bytes: bytes.buffer }, [bytes.buffer]);
});
parentPort.postMessage({ type: 'ready' });
