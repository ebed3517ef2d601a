// Compiles many jobs at once, to report the ones that cannot run before they are scheduled.
//
// stdin: [{id, expression, adaptor: {name, version}}]; stdout: [{id, ok: true} | {id, ok: false, error}].
// One process checks every job of every project, so a DAG parse costs one Node start, not one per job.
import { adaptorExports } from './adaptors.mjs';
import { compile } from './compile.mjs';
import { describe } from './describe.mjs';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const jobs = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const results = [];
for (const job of jobs) {
  try {
    const exports = await adaptorExports(job.adaptor.name, job.adaptor.version);
    compile(job.expression, { adaptor: job.adaptor.name, exports, name: job.id });
    results.push({ id: job.id, ok: true });
  } catch (error) {
    results.push({ id: job.id, ok: false, error: describe(error) });
  }
}
process.stdout.write(JSON.stringify(results));
process.exit(0); // an adaptor's import may leave timers or sockets behind
