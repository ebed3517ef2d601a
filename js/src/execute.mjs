// One run of one OpenFn JavaScript job (or of one step of a Lightning workflow) with @openfn/runtime,
// wherever it runs: a process of its own (run.mjs) or a worker thread of the warm engine (worker.mjs).
//
// The request: {job, workflow, expression, adaptor: {name, version}, state, configuration, timeout_ms,
// remove, from, next}. `workflow` names the run in the log; `remove` lists the state keys never returned
// (default: configuration). For a workflow step, `from: {id, condition}` is the trigger edge to evaluate
// on the input before the step runs, and `next: {target: condition}` the step's outgoing edges, which the
// runtime evaluates on the step's output as it does for every workflow. Log records go to `sink`. The
// result is one of
//   {status: "success", state, next}
//   {status: "failure", state, error, next}  the job failed: its state at failure, with errors
//   {status: "skipped", state}                the trigger edge did not hold: nothing ran
//   {status: "crash", error}                  it could not run (compile, import) or was killed
import run from '@openfn/runtime';
import { adaptorFolder, JS_DIR } from './adaptors.mjs';
import { sinkLogger } from './channel.mjs';
import { compiledJob } from './compiled.mjs';
import { describe } from './describe.mjs';
import { installedAdaptors } from './installed.mjs';

/** Linker modules: every installed adaptor at its newest version, and the job's own at its version. */
export function linkerModules(adaptor) {
  const modules = {};
  for (const [name, versions] of Object.entries(installedAdaptors())) {
    const newest = versions[versions.length - 1];
    modules[name] = { path: adaptorFolder(name, newest), version: newest };
  }
  modules[adaptor.name] = { path: adaptorFolder(adaptor.name, adaptor.version), version: adaptor.version };
  return modules;
}

function plan(request, compiled) {
  const { job, from, next } = request;
  const name = request.workflow ?? job;
  const steps = [];
  if (from) steps.push({ id: from.id, next: { [job]: from.condition } });
  steps.push({ id: job, name: job, expression: compiled.code, sourceMap: compiled.map, ...(next ? { next } : {}) });
  for (const target of Object.keys(next ?? {})) steps.push({ id: target }); // edge ends: the plan stops before them
  return { id: name, workflow: { id: name, name, steps }, options: { start: from ? from.id : job, end: job } };
}

/** `collect` (optional) is called where a large copy of the state was just dropped (worker.mjs). */
export async function execute(request, sink, { collect = () => {} } = {}) {
  const { job, expression, adaptor, configuration, timeout_ms: timeout } = request;
  const logger = sinkLogger('R/T', 'info', sink);
  const jobLogger = sinkLogger('JOB', 'debug', sink);
  // Adaptors run outside the job's sandbox and log with the global console: route it the same way.
  globalThis.console = sinkLogger('ADA', 'debug', sink);

  let compiled;
  try {
    compiled = await compiledJob(expression, { adaptor: adaptor.name, version: adaptor.version, name: job });
  } catch (error) {
    return { status: 'crash', error: describe(error) };
  }
  let outcome = null;
  // The runtime starts the step from a copy of its input: once it has it, the input is emptied, so that a
  // large state is not held twice while the job runs (nothing reads the input after that copy).
  let input = { ...request.state, configuration: configuration ?? {} };
  request.state = null;
  const notify = (event, payload) => {
    if (payload?.jobId === job && (event === 'job-complete' || event === 'job-error')) outcome = { event, payload };
    if (payload?.jobId === job && event === 'init-complete' && input) {
      for (const key of Object.keys(input)) delete input[key];
      input = null;
      collect();
    }
  };
  let final;
  try {
    final = await run(plan(request, compiled), input, {
      logger,
      jobLogger,
      defaultRunTimeoutMs: timeout,
      statePropsToRemove: request.remove ?? ['configuration'],
      callbacks: { notify },
      linker: { modules: linkerModules(adaptor), repo: JS_DIR, whitelist: [/^@openfn\//] },
    });
  } catch (error) {
    return { status: 'crash', error: describe(error) }; // OpenFn's crash and kill: import, timeout, ...
  }
  if (!outcome) return { status: 'skipped', state: final ?? {} };
  if (outcome.event === 'job-error' || outcome.payload.state?.errors?.[job]) {
    const failed = outcome.payload.state ?? {};
    return { status: 'failure', state: failed, error: describe(failed.errors?.[job] ?? outcome.payload.error), next: outcome.payload.next ?? [] };
  }
  return { status: 'success', state: outcome.payload.state ?? {}, next: outcome.payload.next ?? [] };
}
