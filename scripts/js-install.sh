#!/usr/bin/env bash
# Installs the JavaScript side (js/): OpenFn's runtime, the compiler's parser and the adaptors, exactly as
# js/package-lock.json pins them. Run by `make run`, `make test` and the Dockerfile; never at run time.
set -euo pipefail
cd "$(dirname "$0")/../js"
node -e '
const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 20 || (major === 20 && minor < 18)) {
  console.error(`Node.js ${process.versions.node} is too old for JavaScript jobs: install 20.18 or newer.`);
  process.exit(1);
}'
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
touch node_modules/.installed
