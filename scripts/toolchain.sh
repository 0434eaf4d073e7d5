#!/usr/bin/env bash
# Provides every tool the local stack and the end-to-end tests need, at the versions pinned in
# toolchain/versions.env: pulumi, pulumi-language-nodejs, pulumi-resource-kubernetes, etcd,
# kube-apiserver, kube-controller-manager, kube-scheduler, kubectl and kwok, plus the Volcano CRDs.
#
# A tool already installed at the pinned version is used as is; otherwise it is built from the Go
# module proxy into a per-user cache outside the repo, keyed by version, and reused later.
# Where an upstream go.mod has `replace` directives (which `go install mod@version` refuses), a
# small wrapper module pins the replaced modules to released versions instead.
#
# Usage: scripts/toolchain.sh [tool...]      (no argument: all tools)
# Prints the bin directory to put on PATH as its last line ("TOOLCHAIN_BIN=<dir>").
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../toolchain/versions.env
source "$repo/toolchain/versions.env"

cache=${ASCEND_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ascend-stack}
bin="$cache/bin"
logs="$cache/logs"
mkdir -p "$bin" "$logs" "$cache/build"
export GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=0

step() { printf '[toolchain] %s\n' "$*" >&2; }
fail() { printf '[toolchain] FAILED: %s\n' "$*" >&2; exit 1; }

# run_logged <log name> <command...>: run quietly, keep the log, show its tail on failure.
run_logged() {
  local log="$logs/$1.log"; shift
  if ! "$@" >>"$log" 2>&1; then
    tail -n 30 "$log" >&2
    fail "$(basename "$log" .log): '$*' failed (full log: $log)"
  fi
}

# have <name> <version>: the cached binary for this version exists.
have() { [ -x "$bin/$1-$2" ]; }

# link <name> <version>: expose the versioned binary under its plain name.
link() { ln -sfn "$1-$2" "$bin/$1"; }

# use_installed <name> <version> <version-probe...>: reuse a binary already on PATH when its
# version output contains the pinned version.
use_installed() {
  local name=$1 version=$2; shift 2
  local found; found=$(PATH=$(echo "$PATH" | tr ':' '\n' | grep -vx "$bin" | paste -sd:) command -v "$name" 2>/dev/null) || return 1
  if "$found" "$@" 2>/dev/null | grep -qF "${version#v}"; then
    ln -sfn "$found" "$bin/$name-$version"; link "$name" "$version"
    step "$name $version: using installed $found"
    return 0
  fi
  return 1
}

# wrapper <dir> <module go.mod body>: create a wrapper module.
wrapper() {
  local dir=$1 body=$2
  mkdir -p "$dir"
  printf 'module ascendstack.local/toolchain\n\ngo 1.24\n\n%s\n' "$body" >"$dir/go.mod"
}

build_pulumi() {
  local v=$PULUMI_VERSION
  have pulumi "$v" && { link pulumi "$v"; return; }
  use_installed pulumi "$v" version && return
  step "pulumi $v: building from the Go module proxy (cold: 10-25 min)"
  local dir="$cache/build/pulumi-$v"
  wrapper "$dir" "require (
	github.com/pulumi/pulumi/pkg/v3 $v
	github.com/pulumi/pulumi/sdk/v3 $v
)
replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e"
  printf '//go:build tools\n\npackage tools\n\nimport _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"\n' >"$dir/tools.go"
  (cd "$dir" && run_logged "pulumi-$v" go mod tidy &&
    run_logged "pulumi-$v" go build -trimpath -o "$bin/pulumi-$v" \
      -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$v" \
      github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
  link pulumi "$v"
}

build_language_nodejs() {
  local v=$PULUMI_LANGUAGE_NODEJS_VERSION
  have pulumi-language-nodejs "$v" && { link pulumi-language-nodejs "$v"; return; }
  step "pulumi-language-nodejs $v: building from the Go module proxy"
  local dir="$cache/build/pulumi-language-nodejs-$v"
  wrapper "$dir" "require github.com/pulumi/pulumi/sdk/v3 $v
replace golang.org/x/text => golang.org/x/text v0.3.6"
  printf '//go:build tools\n\npackage tools\n\nimport _ "github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs"\n' >"$dir/tools.go"
  (cd "$dir" && run_logged "pulumi-language-nodejs-$v" go mod tidy &&
    run_logged "pulumi-language-nodejs-$v" go build -trimpath -o "$bin/pulumi-language-nodejs-$v" \
      -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$v" \
      github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs)
  link pulumi-language-nodejs "$v"
}

build_kubernetes_provider() {
  local v=$PULUMI_KUBERNETES_VERSION mv=$PULUMI_KUBERNETES_PROVIDER_MODULE_VERSION
  local name=pulumi-resource-kubernetes
  have $name "$v" && { link $name "$v"; install_plugin $name "$v"; return; }
  step "$name $v: building from the Go module proxy (cold: 10-25 min)"
  local dir="$cache/build/$name-$v" mod=github.com/pulumi/pulumi-kubernetes/provider/v4
  wrapper "$dir" "require (
	$mod $mv
	github.com/pulumi/pulumi-kubernetes/sdk/v4 $PULUMI_KUBERNETES_SDK_VERSION
)"
  # The upstream main package embeds schema-embed.json and terraform-mapping-embed.json, which
  # its Makefile generates and its module zip therefore lacks: generate them here, next to a
  # copy of the (tiny) main package.
  (cd "$dir" && run_logged "$name-$v" go mod download -json "$mod@$mv")
  local src; src=$(cd "$dir" && go mod download -json "$mod@$mv" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  [ -d "$src" ] || fail "$name: module source for $mod@$mv not found"
  python3 - "$src/cmd/$name" "$dir" "$v" <<'PY' || fail "$name: generating the embedded schema"
import json, sys
src, out, version = sys.argv[1:]
schema = json.load(open(f"{src}/schema.json"))
schema["version"] = version
json.dump(schema, open(f"{out}/schema-embed.json", "w"), separators=(",", ":"))
json.dump(json.load(open(f"{src}/terraform-mapping.json")), open(f"{out}/terraform-mapping-embed.json", "w"), separators=(",", ":"))
PY
  cat >"$dir/main.go" <<EOF
// Copy of the upstream cmd/$name main package with its generated embeds.
package main

import (
	_ "embed"

	"$mod/pkg/provider"
	"$mod/pkg/version"
)

//go:embed schema-embed.json
var pulumiSchema []byte

//go:embed terraform-mapping-embed.json
var terraformMapping []byte

func main() {
	provider.Serve("kubernetes", version.Version, pulumiSchema, terraformMapping)
}
EOF
  (cd "$dir" && run_logged "$name-$v" go mod tidy &&
    run_logged "$name-$v" go build -trimpath -o "$bin/$name-$v" \
      -ldflags "-s -w -X $mod/pkg/version.Version=$v" .)
  link $name "$v"
  install_plugin $name "$v"
}

# install_plugin <binary> <version>: registers a resource plugin in Pulumi's plugin cache (the
# PULUMI_HOME scripts/env.sh uses) so the engine finds exactly this version without a download
# and without PATH lookups.
install_plugin() {
  local dir="${PULUMI_HOME:-$cache/pulumi-home}/plugins/resource-${1#pulumi-resource-}-v${2#v}"
  mkdir -p "$dir"
  ln -sfn "$bin/$1-$2" "$dir/$1"
  rm -f "$dir.partial"
}

KUBE_TOOLS=(kube-apiserver kube-controller-manager kube-scheduler kubectl)
build_kubernetes() {
  local v=$KUBERNETES_VERSION missing=()
  for t in "${KUBE_TOOLS[@]}"; do
    if have "$t" "$v"; then link "$t" "$v"
    elif [ "$t" = kubectl ] && use_installed kubectl "$v" version --client; then :
    elif [ "$t" != kubectl ] && use_installed "$t" "$v" --version; then :
    else missing+=("$t"); fi
  done
  [ ${#missing[@]} -eq 0 ] && return
  step "${missing[*]} $v: building from the Go module proxy (cold: ~20 min)"
  local dir="$cache/build/kubernetes-$v" staging="v0.${v#v1.}"
  # k8s.io/kubernetes replaces every staging module with a local directory; pin each to its
  # released v0.x.y instead.
  local replaces; replaces=$(cd "$cache/build" && go mod download -json "k8s.io/kubernetes@$v" >/dev/null 2>&1;
    grep -oE '^\s+k8s.io/[a-z0-9-]+ => ./staging' "$(go env GOMODCACHE)/cache/download/k8s.io/kubernetes/@v/$v.mod" |
    awk -v s="$staging" '{print "replace " $1 " => " $1 " " s}')
  [ -n "$replaces" ] || fail "kubernetes: could not read k8s.io/kubernetes@$v go.mod"
  wrapper "$dir" "require k8s.io/kubernetes $v
$replaces"
  {
    printf '//go:build tools\n\npackage tools\n\nimport (\n'
    for t in "${missing[@]}"; do printf '\t_ "k8s.io/kubernetes/cmd/%s"\n' "$t"; done
    printf ')\n'
  } >"$dir/tools.go"
  (cd "$dir" && run_logged "kubernetes-$v" go mod tidy)
  local minor ld
  minor=$(echo "$v" | cut -d. -f2)
  ld="-s -w -X k8s.io/component-base/version.gitVersion=$v -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
  ld="$ld -X k8s.io/client-go/pkg/version.gitVersion=$v"
  for t in "${missing[@]}"; do
    step "  $t"
    (cd "$dir" && run_logged "kubernetes-$v" go build -trimpath -o "$bin/$t-$v" -ldflags "$ld" "k8s.io/kubernetes/cmd/$t")
    link "$t" "$v"
  done
}

build_etcd() {
  local v=$ETCD_VERSION
  have etcd "$v" && { link etcd "$v"; return; }
  use_installed etcd "$v" --version && return
  step "etcd $v: building from the Go module proxy"
  local dir="$cache/build/etcd-$v"
  wrapper "$dir" "require (
	go.etcd.io/etcd/server/v3 $v
	go.etcd.io/etcd/api/v3 $v
	go.etcd.io/etcd/client/pkg/v3 $v
	go.etcd.io/etcd/client/v3 $v
	go.etcd.io/etcd/pkg/v3 $v
)"
  printf 'package main\n\nimport (\n\t"os"\n\n\t"go.etcd.io/etcd/server/v3/etcdmain"\n)\n\nfunc main() { etcdmain.Main(os.Args) }\n' >"$dir/main.go"
  (cd "$dir" && run_logged "etcd-$v" go mod tidy &&
    run_logged "etcd-$v" go build -trimpath -o "$bin/etcd-$v" -ldflags "-s -w" .)
  link etcd "$v"
}

build_kwok() {
  local v=$KWOK_VERSION
  have kwok "$v" && { link kwok "$v"; return; }
  use_installed kwok "$v" --version && return
  step "kwok $v: building from the Go module proxy"
  local dir="$cache/build/kwok-$v"
  wrapper "$dir" "require sigs.k8s.io/kwok $v"
  printf '//go:build tools\n\npackage tools\n\nimport _ "sigs.k8s.io/kwok/cmd/kwok"\n' >"$dir/tools.go"
  (cd "$dir" && run_logged "kwok-$v" go mod tidy &&
    run_logged "kwok-$v" go build -trimpath -o "$bin/kwok-$v" \
      -ldflags "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=$v" sigs.k8s.io/kwok/cmd/kwok)
  link kwok "$v"
}

# The Volcano CRDs are files in the volcano.sh/volcano module zip, not Go code.
fetch_volcano_crds() {
  local v=$VOLCANO_VERSION
  local out="$cache/volcano-crds-$v"
  [ -f "$out/.complete" ] && return
  step "volcano $v: extracting the Job, Queue and PodGroup CRDs from the module zip"
  local dir="$cache/build/volcano-$v"; mkdir -p "$dir" "$out"
  (cd "$dir" && [ -f go.mod ] || printf 'module ascendstack.local/volcano\n\ngo 1.24\n' >"$dir/go.mod")
  local src; src=$(cd "$dir" && GOFLAGS=-mod=mod go mod download -json "volcano.sh/volcano@$v" 2>>"$logs/volcano-$v.log" |
    sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  [ -d "$src" ] || fail "volcano: could not download volcano.sh/volcano@$v (log: $logs/volcano-$v.log)"
  local base="$src/config/crd/volcano/bases"
  for f in batch.volcano.sh_jobs.yaml scheduling.volcano.sh_queues.yaml scheduling.volcano.sh_podgroups.yaml; do
    [ -f "$base/$f" ] || fail "volcano: $base/$f missing from the module"
    cp "$base/$f" "$out/$f"
  done
  chmod u+w "$out"/*.yaml
  touch "$out/.complete"
}

command -v go >/dev/null || fail "Go is required to build the toolchain (go not found on PATH)"
tools=("$@")
if [ ${#tools[@]} -eq 0 ]; then
  # Two independent chains in parallel: a cold build overlaps downloads, compiles and links.
  rc_file="$logs/chain-pulumi.rc"; rm -f "$rc_file"
  { "$0" pulumi language-nodejs kubernetes-provider 2>&1 | grep --line-buffered -v '^TOOLCHAIN_BIN=' | sed -u 's/^/[pulumi chain] /' >&2
    echo "${PIPESTATUS[0]}" >"$rc_file"; } &
  status=0
  "$0" volcano etcd kwok kubernetes >/dev/null || status=$?
  wait
  [ "$(cat "$rc_file" 2>/dev/null)" = 0 ] || fail "the Pulumi tool chain failed (its step is named above)"
  [ $status -eq 0 ] || fail "the Kubernetes tool chain failed (its step is named above)"
  step "ready in $bin"
  echo "TOOLCHAIN_BIN=$bin"
  exit 0
fi
for t in "${tools[@]}"; do
  case $t in
    pulumi) build_pulumi ;;
    language-nodejs) build_language_nodejs ;;
    kubernetes-provider) build_kubernetes_provider ;;
    kubernetes) build_kubernetes ;;
    etcd) build_etcd ;;
    kwok) build_kwok ;;
    volcano) fetch_volcano_crds ;;
    *) fail "unknown tool '$t'" ;;
  esac
done
step "ready in $bin"
echo "TOOLCHAIN_BIN=$bin"
