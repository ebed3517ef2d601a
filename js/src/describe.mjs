// An error as the Python side reports it: OpenFn's type, message, severity, fix and position (line and
// column both counted from 1: the runtime's positions already are, the parser's columns count from 0).
export function describe(error) {
  if (!error || typeof error !== 'object') return { type: 'Error', message: String(error) };
  const described = { type: error.name || error.type || 'Error', message: error.message ?? String(error) };
  for (const key of ['severity', 'source', 'subtype', 'fix', 'details', 'code', 'operationName']) {
    if (error[key] !== undefined && error[key] !== null && typeof error[key] !== 'object') described[key] = error[key];
  }
  if (error.pos?.line) described.position = { line: error.pos.line, column: error.pos.column };
  if (error.line) described.position = { line: error.line, column: (error.column ?? 0) + 1 };
  return described;
}
