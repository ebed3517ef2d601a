// Lazy state: `$` stands for the state an operation receives when it runs.
//
// Each `$.path` (where `$` is not a variable the job declared) becomes `state.path`, and the argument of
// the nearest call around it becomes a function of state: `get($.data.url)` -> `get(state => state.data.url)`.
// An argument that already is `state => ...` is kept. `$` with no call around it before a statement
// boundary (`const x = $.a`, `fn(s => { return $.a })`) has no state to read: that is a compile error.
import recast from 'recast';
import { CompileError } from '../compile.mjs';
import { declaredLocally, isIgnoredLiteral } from './scope.mjs';

const n = recast.types.namedTypes;
const b = recast.types.builders;

const NOT_IN_OPERATION =
  'The lazy state operator $ must be used inside the arguments of an operation, like get($.data.url) or ' +
  'fn(state => ...); in a statement there is no state to read.';

function lazyError(problem, node, details) {
  const { line, column } = node.loc?.start ?? {};
  return new CompileError(`Lazy state error: ${problem}`, {
    line,
    column,
    details,
    fix: 'Use $ only inside an operation argument, e.g. get($.data.url), or write fn(state => ...) instead.',
  });
}

/** The root identifier of a member chain such as `$.a.b[c]`. */
function rootOf(node) {
  let current = node;
  while (n.MemberExpression.check(current)) current = current.object;
  return current;
}

/** Wrap the argument of the call nearest to `path` in `state => ...` (see the file comment). */
function ensureParentArrow(path) {
  let child = path;
  let parent = path.parent;
  while (parent) {
    const node = parent.value;
    if (n.CallExpression.check(node)) {
      const isCallee = node.callee === child.value;
      if (!(isCallee && n.Identifier.check(rootOf(child.value)) && rootOf(child.value).name === 'state')) break;
      // `$.helper(...)`: the call is a method of state itself, so its whole call is the lazy value.
    } else if (n.Statement.check(node) || n.Declaration.check(node)) {
      throw lazyError('must be inside an operation', path.value, NOT_IN_OPERATION);
    }
    child = parent;
    parent = parent.parent;
  }
  if (!parent) throw lazyError('must be inside an operation', path.value, NOT_IN_OPERATION);
  const argument = child.value;
  if (n.ArrowFunctionExpression.check(argument) || n.FunctionExpression.check(argument)) {
    if (argument.params.length !== 1) throw lazyError('the function around $ must take exactly one argument, state', argument);
    const [param] = argument.params;
    if (!n.Identifier.check(param) || param.name !== 'state') {
      throw lazyError(`parameter "${param.name ?? '?'}" should be called "state"`, argument);
    }
    return;
  }
  child.replace(b.arrowFunctionExpression([b.identifier('state')], argument));
}

export function lazyState(program) {
  recast.visit(program, {
    visitObjectExpression(path) {
      if (isIgnoredLiteral(path)) return false;
      this.traverse(path);
    },
    visitMemberExpression(path) {
      const root = rootOf(path.value);
      if (n.Identifier.check(root) && root.name === '$' && !declaredLocally(path, '$')) {
        root.name = 'state';
        ensureParentArrow(path);
      }
      this.traverse(path);
    },
  });
}
