// One run of one OpenFn JavaScript job (or of one step of a Lightning workflow) with @openfn/runtime,
// wherever it runs: a process of its own (run.mjs) or a worker thread of the warm engine (worker.mjs).
//
// The request: {job, workflow, expression, adaptor: {name, version}, state, configuration, timeout_ms,
// remove, from, next, job_logs, globals, collections}. `collections: {endpoint, token}` is how this run reaches
// its project's collections: as Lightning's worker does for a job that uses `collections.`, the collections
// adaptor is loaded beside the job's own and the URL and token join the configuration. `workflow` names the
// run in the log; `remove` lists the state keys never returned
// (default: configuration). For a workflow step, `from: {id, condition}` is the trigger edge to evaluate
// on the input before the step runs, and `next: {target: condition}` the step's outgoing edges, which the
// runtime evaluates on the step's output as it does for every workflow. Log records go to `sink`; with
// `job_logs: false` (Lightning's `enable_job_logs: false`) only the runtime's own: the job's console and its
// adaptor's lines are dropped. `globals`: JavaScript whose exports the job can use (workflow.globals). The
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

const COLLECTIONS = '@openfn/language-collections';

/** The collections adaptor (newest installed) when the job uses it beside an adaptor of its own. */
export function besideAdaptors(request) {
  if (!request.collections || request.adaptor.name === COLLECTIONS || !/\bcollections\s*\./.test(request.expression)) return [];
  const versions = installedAdaptors()[COLLECTIONS];
  if (!versions) throw Object.assign(new Error(`The job uses collections, but ${COLLECTIONS} is not installed`), { fix: 'Run make adaptors' });
  return [{ name: COLLECTIONS, version: versions[versions.length - 1] }];
}

function withCollections(configuration, collections) {
  if (!collections) return configuration ?? {};
  return { ...configuration, collections_endpoint: collections.endpoint, collections_token: collections.token };
}

function plan(request, compiled) {
  const { job, from, next } = request;
  const name = request.workflow ?? job;
  const steps = [];
  if (from) steps.push({ id: from.id, next: { [job]: from.condition } });
  steps.push({ id: job, name: job, expression: compiled.code, sourceMap: compiled.map, ...(next ? { next } : {}) });
  for (const target of Object.keys(next ?? {})) steps.push({ id: target }); // edge ends: the plan stops before them
  const globals = typeof request.globals === 'string' && request.globals.trim() ? { globals: request.globals } : {};
  return { id: name, workflow: { id: name, name, steps, ...globals }, options: { start: from ? from.id : job, end: job } };
}

/** `collect` (optional) is called where a large copy of the state was just dropped (worker.mjs). */
export async function execute(request, sink, { collect = () => {} } = {}) {
  const { job, expression, adaptor, configuration, timeout_ms: timeout } = request;
  const logger = sinkLogger('R/T', 'info', sink);
  const jobLevel = request.job_logs === false ? 'none' : 'debug'; // 'none': the logger writes nothing
  const jobLogger = sinkLogger('JOB', jobLevel, sink);
  // Adaptors run outside the job's sandbox and log with the global console: route it the same way.
  globalThis.console = sinkLogger('ADA', jobLevel, sink);

  let compiled;
  try {
    compiled = await compiledJob(expression, { adaptor: adaptor.name, version: adaptor.version, name: job, beside: besideAdaptors(request) });
  } catch (error) {
    return { status: 'crash', error: describe(error) };
  }
  let outcome = null;
  // The runtime starts the step from a copy of its input: once it has it, the input is emptied, so that a
  // large state is not held twice while the job runs (nothing reads the input after that copy).
  let input = { ...request.state, configuration: withCollections(configuration, request.collections) };
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
