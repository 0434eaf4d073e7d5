# Shared helpers for the project's entry scripts.
# shellcheck shell=bash

# The system tools the local cluster's real node runs (ip, iptables, runc, debootstrap) are in the
# sbin folders, which a minimal PATH (cron, CI with `env -i`) lacks.
for d in /usr/local/sbin /usr/sbin /sbin; do
  case ":$PATH:" in *":$d:"*) ;; *) [ -d "$d" ] && PATH="$PATH:$d" ;; esac
done
unset d
say() { printf '\n==> %s\n' "$*" >&2; }
die() { printf '\nERROR: %s\n' "$*" >&2; exit 1; }

# node_at_least <major>: the `node` on PATH exists and is at least this major version.
node_at_least() { node -e 'process.exit(+process.versions.node.split(".")[0] >= +process.argv[1] ? 0 : 1)' "$1" 2>/dev/null; }

# Makes a supported Node.js the first `node` on PATH (package.json "engines": 22 or later, as
# @pulumi/pulumi declares). When the machine's node is older or missing, installs the Node.js
# pinned in toolchain/versions.env (NODE_VERSION) once, from the npm registry's prebuilt package
# node-<os>-<arch> (the binary the `node` npm package installs), into the per-user cache
# (~/.cache/ascend-stack/node-v<version>; no network afterwards), and puts it first on PATH. npm,
# npx, vitest, the Pulumi language host and the local cluster's scripts then all run on it.
ensure_node() {
  local repo=$1 want; want=$(sed -n 's/^NODE_VERSION=//p' "$repo/toolchain/versions.env")
  [ -n "$want" ] || die "NODE_VERSION is not set in toolchain/versions.env"
  node_at_least "${want%%.*}" && return 0
  local cache=${ASCEND_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ascend-stack} os arch
  local dir="$cache/node-v$want"
  if [ ! -x "$dir/bin/node" ]; then
    case $(uname -s) in Linux) os=linux ;; Darwin) os=darwin ;; *) die "Node.js ${want%%.*}+ is required; install it (this system has no prebuilt npm package)" ;; esac
    case $(uname -m) in x86_64 | amd64) arch=x64 ;; aarch64 | arm64) arch=arm64 ;; *) die "Node.js ${want%%.*}+ is required; install it (no prebuilt npm package for $(uname -m))" ;; esac
    command -v npm >/dev/null || die "Node.js ${want%%.*}+ is required (found: $(node --version 2>/dev/null || echo none)), and npm is not available to install it"
    say "Installing Node.js $want (npm package node-$os-$arch) into $dir: the node on PATH is $(node --version 2>/dev/null || echo missing), the project needs ${want%%.*}+"
    local tmp="$dir.partial.$$"
    if ! { rm -rf "$tmp" && mkdir -p "$tmp/bin" &&
      npm install --prefix "$tmp" --no-save --no-package-lock --no-audit --no-fund --ignore-scripts --loglevel=error "node-$os-$arch@$want" >&2 &&
      ln -s "../node_modules/node-$os-$arch/bin/node" "$tmp/bin/node" &&
      [ "$("$tmp/bin/node" --version)" = "v$want" ]; }; then
      rm -rf "$tmp"
      die "installing Node.js $want from the npm registry failed (above)"
    fi
    rm -rf "$dir" && mv "$tmp" "$dir"
  fi
  export PATH="$dir/bin:$PATH"
  node_at_least "${want%%.*}" || die "$dir/bin/node does not run"
}

# Installs the npm dependencies from the lockfile when node_modules is missing or older than it,
# after making a supported Node.js the one on PATH (ensure_node).
ensure_node_modules() {
  local repo=$1
  ensure_node "$repo"
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
