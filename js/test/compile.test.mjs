// The compiler against OpenFn's behaviour: each case is a job as users write it and the module
// @openfn/runtime must receive (imports first, then the user's own module code, then the operations).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compile, CompileError } from '../src/compile.mjs';

const HTTP = { adaptor: '@openfn/language-http', exports: ['each', 'execute', 'fn', 'get', 'post', 'cursor'] };
// recast decides where to break long lines; the tests compare code, not layout
const squash = (code) => code.replace(/\s+/g, ' ').replace(/\[ /g, '[').replace(/ \]/g, ']').trim();
const compiled = (source, options = HTTP) => squash(compile(source, options).code);

const CASES = [
  ['top-level calls become the operations', "get('x');\nfn(s => s);",
    'import { fn, get } from "@openfn/language-http"; export * from "@openfn/language-http"; export default [get(\'x\'), fn(s => s)];'],
  ['lazy state reads state when the operation runs', 'get($.data.x);',
    'import { get } from "@openfn/language-http"; export * from "@openfn/language-http"; export default [get(state => state.data.x)];'],
  ['one wrap for several $ in one argument', 'get(`/p/${$.a}/${$.b}`);',
    'import { get } from "@openfn/language-http"; export * from "@openfn/language-http"; export default [get(state => `/p/${state.a}/${state.b}`)];'],
  ['each $ wraps the argument of its own call', "each($.data.items, post(`/p/${$.data.id}`, state => state.data));",
    'import { each, post } from "@openfn/language-http"; export * from "@openfn/language-http"; export default [each(state => state.data.items, post(state => `/p/${state.data.id}`, state => state.data))];'],
  ['a jsonpath string is not lazy state', "each('$.items[*]', post('/u', $.data));",
    'import { each, post } from "@openfn/language-http"; export * from "@openfn/language-http"; export default [each(\'$.items[*]\', post(\'/u\', state => state.data))];'],
  ['a method of state is part of the lazy value', 'fn($.data.items.map(x => x));',
    'import { fn } from "@openfn/language-http"; export * from "@openfn/language-http"; export default [fn(state => state.data.items.map(x => x))];'],
  ['then chains become one deferred operation', "get('/x').then(s => s).catch(e => { throw e; });",
    'import { get } from "@openfn/language-http"; export * from "@openfn/language-http"; import { defer as _defer } from "@openfn/runtime"; export default [_defer(get(\'/x\'), p => p.then(s => s).catch(e => { throw e; }))];'],
  ['a catch on the operation is the error handler', "post('/y').catch(e => e);",
    'import { post } from "@openfn/language-http"; export * from "@openfn/language-http"; import { defer as _defer } from "@openfn/runtime"; export default [_defer(post(\'/y\'), undefined, e => e)];'],
  ['chains inside arguments are rewritten too', "each('$.d[*]', post('/u', s => s.data).then(s => s));",
    'import { each, post } from "@openfn/language-http"; export * from "@openfn/language-http"; import { defer as _defer } from "@openfn/runtime"; export default [each(\'$.d[*]\', _defer(post(\'/u\', s => s.data), p => p.then(s => s)))];'],
  ['chains inside a function body are plain JavaScript', 'fn(state => { return Promise.resolve(state).then(s => s); });',
    'import { fn } from "@openfn/language-http"; export * from "@openfn/language-http"; export default [fn(state => { return Promise.resolve(state).then(s => s); })];'],
  ['explicit imports are kept and not imported twice', "import { get } from '@openfn/language-http';\nget('/a');\nfn(s => s);",
    'import { fn } from "@openfn/language-http"; export * from "@openfn/language-http"; import { get } from \'@openfn/language-http\'; export default [get(\'/a\'), fn(s => s)];'],
  ['declarations stay module code and shadow adaptor names', "const get = (u) => fn(s => s);\nfunction helper(s) { return s; }\nget('/x');\nfn(helper);",
    'import { fn } from "@openfn/language-http"; export * from "@openfn/language-http"; const get = (u) => fn(s => s); function helper(s) { return s; } export default [get(\'/x\'), fn(helper)];'],
  ['a top-level object literal is left exactly as written', "const opts = { a: $.data, f: fn };\nget('/x', opts);",
    'import { get } from "@openfn/language-http"; export * from "@openfn/language-http"; const opts = { a: $.data, f: fn }; export default [get(\'/x\', opts)];'],
  ['names the adaptor does not export are not imported', 'upload(cursor);',
    'import { cursor } from "@openfn/language-http"; export * from "@openfn/language-http"; export default [upload(cursor)];'],
  ['statements that are not calls stay where they are', "if (true) { get('/x'); }\nget('/y');",
    'import { get } from "@openfn/language-http"; export * from "@openfn/language-http"; if (true) { get(\'/x\'); } export default [get(\'/y\')];'],
  ['an existing default export is kept', 'export default [fn(s => s)];',
    'import { fn } from "@openfn/language-http"; export * from "@openfn/language-http"; export default [fn(s => s)];'],
  ['a job using nothing from the adaptor imports nothing', 'const x = 1;',
    'const x = 1; export default [];'],
  ['a property named like an export is not a use of it', "const o = {};\no.get = 1;",
    'const o = {}; o.get = 1; export default [];'],
  ['a shorthand property is a use', 'fn(state => ({ ...state, x: { cursor } }));',
    'import { fn, cursor } from "@openfn/language-http"; export * from "@openfn/language-http"; export default [fn(state => ({ ...state, x: { cursor } }))];'],
];

for (const [name, source, expected] of CASES) {
  test(name, () => assert.equal(compiled(source), expected));
}

const ERRORS = [
  ['a syntax error names its line and column', "fn(s => s);\nget('/x'\nfn(s => s);", 'Syntax error: Unexpected token', 3, 0],
  ['$ outside an operation', 'const x = $.data;', 'Lazy state error: must be inside an operation', 1, 10],
  ['$ after a statement boundary', 'fn(state => { return $.data; });', 'Lazy state error: must be inside an operation', 1, 21],
  ['$ in a function of two arguments', 'fn((s, t) => $.data);', 'Lazy state error: the function around $ must take exactly one argument, state', 1, 3],
  ['$ in a function whose argument is not state', 'get((s) => s + $.data);', 'Lazy state error: parameter "s" should be called "state"', 1, 4],
];

for (const [name, source, message, line, column] of ERRORS) {
  test(name, () => {
    assert.throws(() => compile(source, HTTP), (error) => {
      assert.ok(error instanceof CompileError);
      assert.deepEqual([error.message, error.line, error.column, error.severity], [message, line, column, 'crash']);
      assert.ok(error.fix);
      return true;
    });
  });
}

test('the source map lists each operation with its line', () => {
  const { map } = compile("get('/a');\n\nfn(s => s);", HTTP);
  assert.deepEqual(map.operations, [{ name: 'get', line: 1, order: 1 }, { name: 'fn', line: 3, order: 2 }]);
});

test('the source map leads runtime errors back to the line the user wrote', async () => {
  const { SourceMapConsumer } = await import('source-map');
  const { code, map } = compile("fn(s => s);\n\n\nfn(s => s.data.nope.x);", { adaptor: '@openfn/language-http', exports: ['fn'] });
  const lines = code.split('\n');
  const line = lines.findIndex((text) => text.includes('nope')) + 1;
  const consumer = await new SourceMapConsumer(map);
  const original = consumer.originalPositionFor({ line, column: lines[line - 1].indexOf('s.data.nope') });
  assert.equal(original.line, 4);
});

test('the collections adaptor loaded beside the job\'s own lends only `collections`, never re-exported', () => {
  const beside = [{ adaptor: '@openfn/language-collections', exports: ['collections'] }];
  assert.equal(compiled("collections.get('ids', 'k');\nget('/x');", { ...HTTP, beside }),
    'import { collections } from "@openfn/language-collections"; import { get } from "@openfn/language-http"; export * from "@openfn/language-http"; export default [collections.get(\'ids\', \'k\'), get(\'/x\')];');
  assert.equal(compiled("const collections = { get: () => (s) => s };\ncollections.get('ids');", { ...HTTP, beside }),
    'const collections = { get: () => (s) => s }; export default [collections.get(\'ids\')];'); // the job's own is kept
});
