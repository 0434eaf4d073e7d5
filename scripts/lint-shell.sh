#!/usr/bin/env bash
# Lints every shell script of the project with shellcheck: scripts/**/*.sh and .ci/run.
# Settings (sourced files are followed from each script's folder) are in .shellcheckrc.
# Installs the Debian package `shellcheck` when it is missing. Exit 0 only with no finding.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
source "$repo/scripts/lib.sh"
ensure_debian_package shellcheck shellcheck "the shell-script linter"
cd "$repo"
mapfile -t files < <(find scripts -type f -name '*.sh' | sort; echo .ci/run)
say "shellcheck $(shellcheck --version | sed -n 's/^version: //p'): ${#files[@]} scripts"
if shellcheck "${files[@]}"; then
  echo "shellcheck: no findings in ${#files[@]} scripts"
else
  die "shellcheck found problems (above)"
fi
