#!/usr/bin/env bash
# Checks the GitHub Actions workflows with actionlint (syntax, expressions and their types, job
# and step references, action inputs, runner labels; `run:` scripts with shellcheck when it is on
# PATH, e.g. Debian/Ubuntu's package shellcheck, as on GitHub's ubuntu runners).
#
# Usage: bash scripts/lint-workflows.sh [workflow.yml...]   (default: .github/workflows/*.yml)
#   Exit 0: no findings. Exit 1: findings (printed as file:line:col: message [rule]).
#   Any other non-zero exit: actionlint could not be built or could not run.
#
# actionlint is the version pinned in toolchain/versions.env, built by scripts/toolchain.sh from
# toolchain/modules/actionlint (cached in ~/.cache/ascend-stack; a cold build takes about a minute).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bin=$("$repo/scripts/toolchain.sh" actionlint | sed -n 's/^TOOLCHAIN_BIN=//p')
[ -x "$bin/actionlint" ] || { echo "lint-workflows: actionlint was not built (see above)" >&2; exit 2; }
cd "$repo"
if [ $# -eq 0 ]; then shopt -s nullglob; set -- .github/workflows/*.yml .github/workflows/*.yaml; fi
command -v shellcheck >/dev/null || echo "lint-workflows: shellcheck not on PATH; run: scripts are not shell-checked" >&2
status=0
"$bin/actionlint" -no-color "$@" || status=$?
if [ $status -eq 0 ]; then echo "lint-workflows: $# workflow file(s), no findings" >&2; fi
exit $status
