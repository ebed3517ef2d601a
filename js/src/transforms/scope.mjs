// Helpers shared by the transforms: OpenFn's rule that a top-level `const x = { ... }` object literal is
// left exactly as written (no lazy state, no promise rewriting, no imports for names inside it).
import recast from 'recast';

const n = recast.types.namedTypes;

/** Whether `path` is an object literal initialising a top-level variable declaration. */
export function isIgnoredLiteral(path) {
  if (!n.ObjectExpression.check(path.value)) return false;
  const declarator = path.parent;
  const declaration = declarator?.parent;
  return (
    n.VariableDeclarator.check(declarator?.value) &&
    n.VariableDeclaration.check(declaration?.value) &&
    n.Program.check(declaration.parent?.value)
  );
}

/** Whether any enclosing scope other than the module's global one declares `name`. */
export function declaredLocally(path, name) {
  for (let scope = path.scope; scope; scope = scope.parent) {
    if (scope.isGlobal) return false;
    if (scope.declares(name)) return true;
  }
  return false;
}
