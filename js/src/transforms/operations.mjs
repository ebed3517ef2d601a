// A job's operations: every call statement at the top of the module, in order, becomes one element of
// `export default [...]`, which is what @openfn/runtime executes. Declarations and other statements stay
// where they are and run once, when the module loads.
import recast from 'recast';

const n = recast.types.namedTypes;
const b = recast.types.builders;

/** Add `export default []` unless the module already has a default export (it is compiled already). */
export function ensureExports(program) {
  if (program.body.some((node) => n.ExportDefaultDeclaration.check(node))) return;
  program.body.push(b.exportDefaultDeclaration(b.arrayExpression([])));
}

function calleeName(callee) {
  if (n.Identifier.check(callee)) return callee.name;
  if (n.MemberExpression.check(callee) && !callee.computed && n.Identifier.check(callee.property)) return callee.property.name;
  return undefined;
}

/** Move the top-level call statements into the default export; returns [{name, line, order}] per operation. */
export function topLevelOperations(program) {
  const target = program.body[program.body.length - 1];
  if (!n.ExportDefaultDeclaration.check(target) || !n.ArrayExpression.check(target.declaration)) return [];
  const operations = [];
  program.body = program.body.filter((node) => {
    if (!n.ExpressionStatement.check(node) || !n.CallExpression.check(node.expression)) return true;
    target.declaration.elements.push(node.expression);
    operations.push({ name: calleeName(node.expression.callee), line: node.loc?.start.line, order: operations.length + 1 });
    return false;
  });
  return operations;
}
