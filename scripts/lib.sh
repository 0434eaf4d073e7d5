# Shared helpers for the project's entry scripts.
# shellcheck shell=bash
say() { printf '\n==> %s\n' "$*" >&2; }
die() { printf '\nERROR: %s\n' "$*" >&2; exit 1; }

# Installs the npm dependencies from the lockfile when node_modules is missing or older than it.
ensure_node_modules() {
  local repo=$1
  if [ ! -d "$repo/node_modules" ] || [ "$repo/package-lock.json" -nt "$repo/node_modules/.package-lock.json" ]; then
    say "Installing npm dependencies (npm ci)"
    (cd "$repo" && npm ci --no-audit --no-fund) || die "npm ci failed (see the output above)"
  fi
}

# Builds or reuses the pinned toolchain (see toolchain/versions.env).
ensure_toolchain() {
  local repo=$1
  say "Preparing the toolchain (cached under ${ASCEND_CACHE:-~/.cache/ascend-stack}; a cold build takes a while)"
  "$repo/scripts/toolchain.sh" || die "toolchain setup failed; the step and its log are named above"
}
