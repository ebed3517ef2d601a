// Compiled jobs, kept in node_modules/.openfn/compiled/ once made: a worker compiles a job on its first
// run and reuses the result afterwards, without loading the compiler (acorn, recast) at all. The key is
// the job's source, its adaptor version, its name and the compiler's own code, so any change recompiles.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { adaptorExports, JS_DIR } from './adaptors.mjs';

const SRC = path.dirname(fileURLToPath(import.meta.url));

function compilerStamp() {
  const hash = createHash('sha256');
  for (const folder of [SRC, path.join(SRC, 'transforms')]) {
    for (const name of readdirSync(folder).filter((file) => file.endsWith('.mjs')).sort()) {
      hash.update(`${name}\0`).update(readFileSync(path.join(folder, name)));
    }
  }
  return hash.digest('hex');
}

export async function compiledJob(source, { adaptor, version, name, beside = [] }, jsDir = JS_DIR) {
  const besideKey = beside.map((extra) => `${extra.name}@${extra.version}`).join(',');
  const key = createHash('sha256').update([compilerStamp(), adaptor, version, name, besideKey, source].join('\0')).digest('hex');
  const folder = path.join(jsDir, 'node_modules', '.openfn', 'compiled');
  const file = path.join(folder, `${key}.json`);
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    // not compiled yet on this machine
  }
  const { compile } = await import('./compile.mjs');
  const extras = [];
  for (const extra of beside) extras.push({ adaptor: extra.name, exports: await adaptorExports(extra.name, extra.version, jsDir) });
  const result = compile(source, { adaptor, exports: await adaptorExports(adaptor, version, jsDir), name, beside: extras });
  try {
    mkdirSync(folder, { recursive: true });
    writeFileSync(`${file}.${process.pid}`, JSON.stringify(result));
    renameSync(`${file}.${process.pid}`, file);
  } catch {
    // a read-only install: compile each time
  }
  return result;
}
