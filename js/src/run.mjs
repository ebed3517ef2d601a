// One run in a process of its own (`[openfn] js_engine = process`): the request (see execute.mjs) arrives
// as one JSON document on stdin (credentials never travel in argv or the environment); log records and
// then the result go to the channel (see channel.mjs), the result as {type: "result", status, ...}. The
// exit status says the same (success 0, failure 1, skipped 0, crash 2). The process always exits by itself
// once the result is sent: @openfn/runtime 1.9.5 leaves its timeout timer armed after a failed job.
import { send } from './channel.mjs';
import { describe } from './describe.mjs';
import { execute } from './execute.mjs';

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

async function main() {
  const request = JSON.parse(await readStdin());
  finish(await execute(request, send));
}

main().catch((error) => finish({ status: 'crash', error: describe(error) }));
