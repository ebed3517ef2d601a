// The adaptors installed in this folder, and what each one exports.
//
// Adaptors are installed under npm aliases that carry their version, as OpenFn's own CLI lays out its
// module repository: "@openfn/language-http_7.2.10": "npm:@openfn/language-http@7.2.10". Several versions
// of one adaptor can sit side by side, and a job names the exact one it was written for.
import { readFileSync, mkdirSync, writeFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { registerEsmHook } from '@openfn/runtime';

export const JS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The folder of `name` at `version` inside node_modules (whether or not it is installed). */
export function adaptorFolder(name, version, jsDir = JS_DIR) {
  return path.join(jsDir, 'node_modules', `${name}_${version}`);
}

/** The file Node imports for the adaptor: its package.json `exports["."].import`, else `module`/`main`. */
export function adaptorEntry(name, version, jsDir = JS_DIR) {
  const folder = adaptorFolder(name, version, jsDir);
  const pkg = JSON.parse(readFileSync(path.join(folder, 'package.json'), 'utf8'));
  const root = pkg.exports?.['.'] ?? pkg.exports;
  const entry = (typeof root === 'string' ? root : root?.import ?? root?.default) ?? pkg.module ?? pkg.main ?? 'index.js';
  return path.join(folder, entry);
}

/**
 * What @openfn/runtime's linker makes of a module: CommonJS adaptors (older versions) come wrapped in a
 * `default` export, and the linker unwraps them the same way.
 */
export function linkedExports(namespace) {
  if (namespace.__esModule && namespace.default?.default) return namespace.default.default;
  const keys = Object.keys(namespace);
  if (keys.length === 1 && namespace.default && Object.keys(namespace.default).length > 0) return namespace.default;
  return namespace;
}

/**
 * The names the adaptor exports, read by importing it once and kept in node_modules/.openfn/ so later
 * compilations of jobs using the same version do not import it again.
 */
export async function adaptorExports(name, version, jsDir = JS_DIR) {
  const cacheDir = path.join(jsDir, 'node_modules', '.openfn');
  const cacheFile = path.join(cacheDir, `exports-${name.replace('/', '+')}_${version}.json`);
  try {
    return JSON.parse(readFileSync(cacheFile, 'utf8'));
  } catch {
    // not computed yet
  }
  registerEsmHook(); // older adaptors import files without their .js extension, as the runtime allows
  const namespace = await import(pathToFileURL(adaptorEntry(name, version, jsDir)).href);
  const names = Object.keys(linkedExports(namespace)).filter((key) => key !== 'default').sort();
  try {
    mkdirSync(cacheDir, { recursive: true });
    const temporary = `${cacheFile}.${process.pid}`;
    writeFileSync(temporary, JSON.stringify(names));
    renameSync(temporary, cacheFile);
  } catch {
    // a read-only install: compute it each time
  }
  return names;
}
