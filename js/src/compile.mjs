// Compiles an OpenFn job expression into the ES module @openfn/runtime executes.
//
// OpenFn's own compiler is not published where we install from, so this reproduces what it does,
// transform by transform, in its order:
//   1. lazy state   `$.data.x` inside an operation's arguments reads state when the operation runs
//   2. promises     `get(...).then(...)` chains become one operation (the runtime's `defer`)
//   3. exports      a module without `export default` gets `export default []`
//   4. operations   every top-level call statement moves into that array, in order
//   5. imports      adaptor functions the job uses without importing them are imported from the adaptor
// Everything else (top-level declarations, explicit imports) is kept as written, and recast reprints only
// what changed, so line numbers in errors still point at the user's source.
import * as acorn from 'acorn';
import recast from 'recast';
import { lazyState } from './transforms/lazy-state.mjs';
import { promises } from './transforms/promises.mjs';
import { ensureExports, topLevelOperations } from './transforms/operations.mjs';
import { addImports, danglingIdentifiers } from './transforms/imports.mjs';

/** A job that cannot be compiled: `line` is 1-based, `column` 0-based as in OpenFn's messages. */
export class CompileError extends Error {
  constructor(message, { line, column, details, fix } = {}) {
    super(message);
    this.name = 'CompileError';
    this.severity = 'crash';
    if (line !== undefined) Object.assign(this, { line, column });
    if (details) this.details = details;
    if (fix) this.fix = fix;
  }
}

const parser = {
  parse(source) {
    const comments = [];
    const tokens = [];
    const ast = acorn.parse(source, {
      sourceType: 'module',
      ecmaVersion: 'latest',
      allowHashBang: true,
      locations: true,
      onComment: comments,
      onToken: tokens,
    });
    ast.comments = comments;
    ast.tokens = tokens;
    return ast;
  },
};

export function parse(source, name = 'job') {
  try {
    return recast.parse(source, { parser, sourceFileName: `${name}.js` });
  } catch (error) {
    if (error instanceof SyntaxError && error.loc) {
      const text = error.message.replace(/ \(\d+:\d+\)$/, '');
      throw new CompileError(`Syntax error: ${text}`, {
        line: error.loc.line,
        column: error.loc.column,
        fix: 'Correct the JavaScript at that position.',
      });
    }
    throw error;
  }
}

/**
 * Compile `source`. `adaptor` is the adaptor's package name without version ('@openfn/language-http'),
 * `exports` the names it exports (see adaptors.mjs); `beside` lists adaptors loaded beside it
 * ([{adaptor, exports}]: the collections adaptor), whose names are imported only where the job's own
 * adaptor lacks them. Returns {code, map} where map.operations lists each top-level operation's name and
 * line, as OpenFn's source maps do.
 */
export function compile(source, { adaptor, exports = [], name = 'job', beside = [] } = {}) {
  const ast = parse(source, name);
  const program = ast.program;
  lazyState(program);
  promises(program);
  ensureExports(program);
  const operations = topLevelOperations(program);
  const used = danglingIdentifiers(program); // before any import is added: the scope is scanned once
  if (adaptor) addImports(program, adaptor, exports, { used });
  for (const extra of beside) addImports(program, extra.adaptor, extra.exports.filter((e) => !exports.includes(e)), { reexport: false, used });
  const { code, map } = recast.print(ast, { sourceMapName: `${name}.map.js` });
  return { code, map: { ...map, operations } };
}
