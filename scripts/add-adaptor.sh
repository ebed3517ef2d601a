#!/usr/bin/env bash
# `make adaptor ADD=<adaptor>[@<version>]`: adds an OpenFn adaptor version to the JavaScript install and
# records it in js/package.json and js/package-lock.json (commit both). <adaptor> is `http`,
# `language-http` or `@openfn/language-http`; without a version, the newest one the registry serves.
set -euo pipefail
spec=${1:-}
if [[ -z $spec ]]; then
  echo "usage: make adaptor ADD=@openfn/language-http@7.2.10" >&2
  exit 2
fi
name=$spec version=""
if [[ ${spec:1} == *@* ]]; then  # a version after the scope's own leading @
  name=${spec%@*} version=${spec##*@}
fi
name=${name#@openfn/}
name=${name#language-}
package="@openfn/language-$name"
cd "$(dirname "$0")/../js"
if [[ -z $version || $version == latest ]]; then
  version=$(npm view "$package" version)
fi
if [[ ! $version =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]]; then
  echo "$version is not an exact version: name one such as $package@7.2.10" >&2
  exit 2
fi
npm install --save-exact --ignore-scripts --no-audit --no-fund --loglevel=error "${package}_${version}@npm:${package}@${version}"
touch node_modules/.installed
echo "Added $package@$version: commit js/package.json and js/package-lock.json."
