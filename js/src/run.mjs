// One run of one OpenFn JavaScript job (or of one step of a Lightning workflow), in a process of its own.
//
// The request arrives as one JSON document on stdin (credentials never travel in argv or the
// environment): {job, workflow, expression, adaptor: {name, version}, state, configuration, timeout_ms,
// remove, from, next}. `workflow` names the run in the log; `remove` lists the state keys never returned
// (default: configuration). For a workflow step, `from: {id, condition}` is the trigger edge to evaluate
// on the input before the step runs, and `next: {target: condition}` the step's outgoing edges, which the
// runtime evaluates on the step's output as it does for every workflow.
// Log records and then the result go to the channel (see channel.mjs). The result is
//   {type: "result", status: "success", state, next}
//   {type: "result", status: "failure", state, error, next}  the job failed: its state at failure, with errors
//   {type: "result", status: "skipped", state}                the trigger edge did not hold: nothing ran
//   {type: "result", status: "crash", error}                  it could not run (compile, import) or was killed
// and the exit status says the same (0, 1, 0, 2). The process always exits by itself once the result is
// sent: @openfn/runtime 1.9.5 leaves its timeout timer armed after a failed job.
import run from '@openfn/runtime';
import { adaptorFolder, JS_DIR } from './adaptors.mjs';
import { channelLogger, send } from './channel.mjs';
import { compiledJob } from './compiled.mjs';
import { describe } from './describe.mjs';
import { installedAdaptors } from './installed.mjs';

const EXIT = { success: 0, failure: 1, skipped: 0, crash: 2 };

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function finish(result) {
  send({ type: 'result', ...result });
  process.exit(EXIT[result.status]);
}

/** Linker modules: every installed adaptor at its newest version, and the job's own at its version. */
function linkerModules(adaptor) {
  const modules = {};
  for (const [name, versions] of Object.entries(installedAdaptors())) {
    const newest = versions[versions.length - 1];
    modules[name] = { path: adaptorFolder(name, newest), version: newest };
  }
  modules[adaptor.name] = { path: adaptorFolder(adaptor.name, adaptor.version), version: adaptor.version };
  return modules;
}

async function main() {
  const request = JSON.parse(await readStdin());
  const { job, expression, adaptor, state, configuration, timeout_ms: timeout } = request;
  const logger = channelLogger('R/T', 'info');
  const jobLogger = channelLogger('JOB', 'debug');
  // Adaptors run outside the job's sandbox and log with the process's console: route it the same way.
  globalThis.console = channelLogger('ADA', 'debug');

  let compiled;
  try {
    compiled = await compiledJob(expression, { adaptor: adaptor.name, version: adaptor.version, name: job });
  } catch (error) {
    finish({ status: 'crash', error: describe(error) });
    return;
  }
  const { from, next } = request;
  const name = request.workflow ?? job;
  const steps = [];
  if (from) steps.push({ id: from.id, next: { [job]: from.condition } });
  steps.push({ id: job, name: job, expression: compiled.code, sourceMap: compiled.map, ...(next ? { next } : {}) });
  for (const target of Object.keys(next ?? {})) steps.push({ id: target }); // edge ends: the plan stops before them
  const plan = { id: name, workflow: { id: name, name, steps }, options: { start: from ? from.id : job, end: job } };
  let outcome = null;
  const notify = (event, payload) => {
    if (payload?.jobId === job && (event === 'job-complete' || event === 'job-error')) outcome = { event, payload };
  };
  let final;
  try {
    final = await run(plan, { ...state, configuration: configuration ?? {} }, {
      logger,
      jobLogger,
      defaultRunTimeoutMs: timeout,
      statePropsToRemove: request.remove ?? ['configuration'],
      callbacks: { notify },
      linker: { modules: linkerModules(adaptor), repo: JS_DIR, whitelist: [/^@openfn\//] },
    });
  } catch (error) {
    finish({ status: 'crash', error: describe(error) }); // OpenFn's crash and kill: import, timeout, ...
    return;
  }
  if (!outcome) {
    finish({ status: 'skipped', state: final ?? {} });
  } else if (outcome.event === 'job-error' || outcome.payload.state?.errors?.[job]) {
    const state = outcome.payload.state ?? {};
    finish({ status: 'failure', state, error: describe(state.errors?.[job] ?? outcome.payload.error), next: outcome.payload.next ?? [] });
  } else {
    finish({ status: 'success', state: outcome.payload.state ?? {}, next: outcome.payload.next ?? [] });
  }
}

main().catch((error) => finish({ status: 'crash', error: describe(error) }));
