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

# ensure_debian_package <command> <package> <what it is for>: installs a Debian package the
# scripts need (supervisor, shellcheck) when its command is missing. CI runs as root on Debian, so
# this is one apt-get install there; elsewhere it says what to install.
ensure_debian_package() {
  local cmd=$1 pkg=$2 why=$3
  command -v "$cmd" >/dev/null 2>&1 && return 0
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    die "$cmd not found: install the Debian/Ubuntu package '$pkg' ($why), e.g. sudo apt-get install $pkg"
  fi
  say "Installing the Debian package '$pkg' ($why): apt-get install $pkg"
  # A stale or missing package index is the usual reason an install fails: refresh it first.
  { DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$pkg"; } >&2 ||
    die "apt-get install $pkg failed (see the output above)"
  command -v "$cmd" >/dev/null 2>&1 || die "$cmd is still not on PATH after installing $pkg"
}
