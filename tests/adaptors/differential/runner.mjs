// The JavaScript side of the differential suite: runs each case through the published adaptor package.
// Usage: node runner.mjs <js dir> <adaptor> <server url>  (cases as JSON on stdin, outcomes as JSON on stdout)
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { format } from 'node:util';

const PACKAGES = {
  common: '@openfn/language-common_3.3.4',
  http: '@openfn/language-http_7.2.10',
  fhir: '@openfn/language-fhir_5.0.15',
  openmrs: '@openfn/language-openmrs_5.5.0',
};
const [jsDir, adaptor, server] = process.argv.slice(2);
const out = process.stdout.write.bind(process.stdout);
// Adaptors log with console.*: keep stdout for the results, and keep each case's lines as OpenFn's logger
// writes them (the project's Node runner routes the adaptor's console through it too).
const { default: createLogger } = await import(pathToFileURL(join(jsDir, 'node_modules', '@openfn', 'logger', 'dist', 'index.js')));
let lines = [];
const LEVELS = { log: 'info', info: 'info', always: 'info', success: 'info', debug: 'debug', warn: 'warn', error: 'error' };
const emitter = Object.fromEntries(Object.entries(LEVELS).map(([method, level]) => [method, (...args) => lines.push([level, format(...args)])]));
globalThis.console = createLogger('ADA', { level: 'debug', logger: emitter, hideNamespace: true, hideIcons: true });

const mod = await import(pathToFileURL(join(jsDir, 'node_modules', PACKAGES[adaptor], 'dist', 'index.js')));
const names = Object.keys(mod).filter((n) => /^[A-Za-z_$][\w$]*$/.test(n) && n !== 'default');
const values = names.map((n) => mod[n]);

function lookup(name) {
  let target = mod;
  for (const part of name.split('.')) {
    target = target?.[part];
  }
  if (typeof target !== 'function') throw new Error(`${adaptor} has no function ${name}`);
  return target;
}

function build(value) {
  if (Array.isArray(value)) return value.map(build);
  if (value && typeof value === 'object') {
    if ('$call' in value) return lookup(value.$call)(...value.args.map(build));
    if ('$fn' in value) return new Function(...names, `return (${value.$fn.js});`)(...values);
    if ('$undefined' in value) return undefined;
    if ('$out' in value) {
      const found = build(value.$out);
      return (state) => ({ ...state, [value.key]: typeof found === 'function' ? found(state) : found });
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, build(v)]));
  }
  return value;
}

function failure(error) {
  const shown = { message: String(error?.message ?? error) };
  if (error?.statusCode !== undefined) shown.statusCode = error.statusCode;
  return shown;
}

let input = '';
for await (const chunk of process.stdin) input += chunk; // readFileSync(0) can meet EAGAIN on a large payload
const cases = JSON.parse(input);
const results = {};
for (const c of cases) {
  await fetch(`${server}/__case__/${encodeURIComponent(c.id)}`);
  lines = [];
  try {
    const ops = build(c.ops);
    const state = structuredClone(c.state);
    const final = await mod.execute(...ops)(state);
    const { configuration, ...rest } = final ?? {};
    results[c.id] = { state: JSON.parse(JSON.stringify(rest)) };
  } catch (error) {
    results[c.id] = { error: failure(error) };
  }
  if (c.logs) results[c.id].logs = lines;
}
await fetch(`${server}/__case__/__end__`);
out(JSON.stringify(results), () => process.exit(0)); // a failed request can leave a socket or timer armed
