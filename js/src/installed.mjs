// Which adaptor versions this install holds: the aliases in package.json whose folder is in node_modules.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { adaptorFolder, JS_DIR } from './adaptors.mjs';

const ALIAS = /^(@openfn\/language-[a-z0-9-]+)_(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)$/;

/** Compare two exact versions (major.minor.patch, a pre-release sorting before its release). */
export function compareVersions(a, b) {
  const [coreA, preA] = a.split('-', 2);
  const [coreB, preB] = b.split('-', 2);
  const partsA = coreA.split('.').map(Number);
  const partsB = coreB.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    if (partsA[i] !== partsB[i]) return partsA[i] - partsB[i];
  }
  if (preA === preB) return 0;
  if (preA === undefined) return 1;
  if (preB === undefined) return -1;
  return preA < preB ? -1 : 1;
}

/** {name: [versions, oldest first]} for every adaptor installed here. */
export function installedAdaptors(jsDir = JS_DIR) {
  const pkg = JSON.parse(readFileSync(path.join(jsDir, 'package.json'), 'utf8'));
  const found = {};
  for (const alias of Object.keys(pkg.dependencies ?? {})) {
    const match = ALIAS.exec(alias);
    if (match && existsSync(path.join(adaptorFolder(match[1], match[2], jsDir), 'package.json'))) {
      (found[match[1]] ??= []).push(match[2]);
    }
  }
  for (const versions of Object.values(found)) versions.sort(compareVersions);
  return found;
}
