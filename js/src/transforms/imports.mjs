// Adaptor functions used without an import: `get('/x')` in an http job needs `get` from the adaptor.
//
// Every identifier the job uses but never declares (no import, variable, function or parameter of that
// name in scope) and that the adaptor exports is imported from it. The adaptor's module is also
// re-exported, so the runtime finds the adaptor's own `execute` (which sets up state as the adaptor
// expects). Explicit imports stay as written.
import recast from 'recast';
import { isIgnoredLiteral } from './scope.mjs';

const n = recast.types.namedTypes;
const b = recast.types.builders;
const SPECIFIERS = ['ImportSpecifier', 'ImportDefaultSpecifier', 'ImportNamespaceSpecifier', 'ExportSpecifier'];

/** Whether this identifier is a name in its own right (not a property, key, label or import name). */
function isReference(path) {
  const parent = path.parent?.value;
  if (!parent) return true;
  if (SPECIFIERS.includes(parent.type)) return false;
  if (n.MemberExpression.check(parent) && parent.property === path.value && !parent.computed) return false;
  if ((n.Property.check(parent) || n.MethodDefinition.check(parent) || n.PropertyDefinition?.check(parent)) && parent.key === path.value && !parent.computed) {
    return parent.shorthand === true && parent.value === path.value;
  }
  if (n.LabeledStatement.check(parent) || n.BreakStatement.check(parent) || n.ContinueStatement.check(parent)) return false;
  if (n.MetaProperty.check(parent)) return false;
  return true;
}

export function danglingIdentifiers(program) {
  const names = new Set();
  recast.visit(program, {
    visitObjectExpression(path) {
      if (isIgnoredLiteral(path)) return false;
      this.traverse(path);
    },
    visitIdentifier(path) {
      const { name } = path.value;
      if (name !== 'undefined' && name !== 'NaN' && isReference(path) && !path.scope?.lookup(name)) names.add(name);
      this.traverse(path);
    },
  });
  return names;
}

/**
 * Import what the job uses from `adaptor`; the job's own adaptor (`reexport`) is re-exported too. An adaptor
 * loaded beside it (collections, as Lightning's worker adds it) only lends the names the first one lacks.
 */
export function addImports(program, adaptor, exports, { reexport = true, used = danglingIdentifiers(program) } = {}) {
  const wanted = exports.filter((name) => used.has(name));
  if (!wanted.length) return;
  const specifiers = wanted.map((name) => b.importSpecifier(b.identifier(name)));
  const declarations = [b.importDeclaration(specifiers, b.literal(adaptor))];
  if (reexport) declarations.push(b.exportAllDeclaration(b.literal(adaptor), null));
  program.body.unshift(...declarations);
}
