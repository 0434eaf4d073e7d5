#!/usr/bin/env bash
# `npm run lint` (and the first step of `npm test`): ESLint and Prettier on the TypeScript,
# the shell linter on the scripts, actionlint on the GitHub workflows, gofmt on the Go code of the
# toolchain modules (its go vet and tests run where it is built, scripts/toolchain.sh). Each tool
# is installed by the project's own scripts when missing (Go is a prerequisite of the toolchain).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
status=0
echo "[lint] eslint" >&2
npx eslint . || status=1
echo "[lint] prettier --check" >&2
npx prettier --check --log-level warn . || { echo "[lint] run: npx prettier --write ." >&2; status=1; }
echo "[lint] shellcheck" >&2
bash scripts/lint-shell.sh || status=1
echo "[lint] actionlint" >&2
bash scripts/lint-workflows.sh || status=1
echo "[lint] gofmt" >&2
unformatted=$(gofmt -l toolchain/modules) || status=1
if [ -n "$unformatted" ]; then echo "[lint] not gofmt-formatted (run gofmt -w): $unformatted" >&2; status=1; fi
exit $status
