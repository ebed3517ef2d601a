// Promise-like chains: `get('/x').then(s => ...).catch(e => ...)` at the top of a job is one operation.
//
// The operation at the head of the chain runs first; the chain then continues on its result, through the
// runtime's `defer`: `_defer(get('/x'), p => p.then(s => ...).catch(...))`. A `.catch` directly on the
// operation becomes defer's error handler, which receives (error, state) and returns the next state.
// Chains inside a function body are ordinary JavaScript and are left alone.
import recast from 'recast';
import { isIgnoredLiteral } from './scope.mjs';

const n = recast.types.namedTypes;
const b = recast.types.builders;
const CHAIN = new Set(['then', 'catch']);
const SCOPES = ['ArrowFunctionExpression', 'FunctionDeclaration', 'FunctionExpression', 'BlockStatement'];

function chainLink(node) {
  if (!n.CallExpression.check(node) || !n.MemberExpression.check(node.callee)) return null;
  const { property, computed } = node.callee;
  return !computed && n.Identifier.check(property) && CHAIN.has(property.name) ? property.name : null;
}

function isTopScope(path) {
  for (let parent = path.parent; parent; parent = parent.parent) {
    if (SCOPES.includes(parent.value.type)) return false;
    if (n.Program.check(parent.value)) return true;
  }
  return false;
}

/** `op.then(a).catch(b)` -> `_defer(op, p => p.then(a).catch(b))`; `op.catch(h).then(a)` -> `_defer(op, p => p.then(a), h)`. */
function rebuild(chain) {
  const links = [];
  let node = chain;
  while (chainLink(node)) {
    links.unshift({ name: node.callee.property.name, args: node.arguments });
    node = node.callee.object;
  }
  const operation = node;
  let onError;
  if (links[0].name === 'catch') onError = links.shift().args[0];
  let body = b.identifier('p');
  for (const link of links) body = b.callExpression(b.memberExpression(body, b.identifier(link.name)), link.args);
  const complete = links.length ? b.arrowFunctionExpression([b.identifier('p')], body) : b.identifier('undefined');
  return b.callExpression(b.identifier('_defer'), onError ? [operation, complete, onError] : [operation, complete]);
}

function injectDeferImport(program) {
  const has = program.body.some((node) => n.ImportDeclaration.check(node) && node.source.value === '@openfn/runtime');
  if (has) return;
  const declaration = b.importDeclaration(
    [b.importSpecifier(b.identifier('defer'), b.identifier('_defer'))],
    b.literal('@openfn/runtime'),
  );
  const index = program.body.findIndex((node) => !n.ImportDeclaration.check(node));
  program.body.splice(index === -1 ? program.body.length : index, 0, declaration);
}

export function promises(program) {
  let rewritten = false;
  recast.visit(program, {
    visitObjectExpression(path) {
      if (isIgnoredLiteral(path)) return false;
      this.traverse(path);
    },
    visitCallExpression(path) {
      if (chainLink(path.value) && isTopScope(path)) {
        path.replace(rebuild(path.value));
        rewritten = true;
        return false;
      }
      this.traverse(path);
    },
  });
  if (rewritten) injectDeferImport(program);
}
