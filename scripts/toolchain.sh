#!/usr/bin/env bash
# Provides every tool the local stack and the end-to-end tests need, at the versions pinned in
# toolchain/versions.env: pulumi, pulumi-language-nodejs, pulumi-resource-kubernetes, etcd,
# kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, kwok, actionlint, Volcano's
# vc-webhook-manager, vc-controller-manager and vc-scheduler plus its CRDs, and the real node's
# kubelet, kube-proxy, ascend-device-plugin and sfsturbo-csi (our stand-ins) and CoreDNS.
#
# A tool already installed at the pinned version is used as is; otherwise it is built from the Go
# module proxy into a per-user cache outside the repo and reused later. Every build uses the
# module committed under toolchain/modules/<tool>/ (go.mod and go.sum, plus the tools.go or
# main.go naming the main package) with GOFLAGS=-mod=readonly: the module graph is pinned and
# every download is checked against go.sum; nothing is resolved, tidied or written at run time.
# Each cached binary records the hash of its module's files (<binary>.modkey), so a changed
# module rebuilds. (Wrapper modules, not `go install mod@version`, because upstream go.mods with
# `replace` directives are refused by go install; the wrappers pin those modules to releases.)
#
# Changing a pinned version: edit toolchain/versions.env and toolchain/modules/<tool>/go.mod,
# run `go mod tidy` in that directory once, and commit go.mod and go.sum.
#
# Usage: scripts/toolchain.sh [tool...]      (no argument: all tools)
#   tools: pulumi language-nodejs kubernetes-provider kubernetes etcd kwok actionlint volcano node coredns
# Prints the bin directory to put on PATH as its last line ("TOOLCHAIN_BIN=<dir>").
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../toolchain/versions.env
source "$repo/toolchain/versions.env"

modules="$repo/toolchain/modules"
cache=${ASCEND_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ascend-stack}
bin="$cache/bin"
logs="$cache/logs"
mkdir -p "$bin" "$logs" "$cache/build"
export GOFLAGS=-mod=readonly GOTOOLCHAIN=local CGO_ENABLED=0

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

# module_key <tool>: hash of the names and contents of the committed module's files.
module_key() {
  local dir="$modules/$1"
  if [ ! -f "$dir/go.mod" ] || [ ! -f "$dir/go.sum" ]; then fail "$1: the committed module $dir (go.mod, go.sum) is missing"; fi
  (cd "$dir" && find . -type f -print | LC_ALL=C sort | xargs sha256sum) | sha256sum | cut -c1-16
}

# have <name> <version> <tool> <key>: the cached binary for this version exists and was built
# from this module. A binary built before keys were recorded is adopted (its key written) when the
# wrapper module it was built in, $cache/build/<tool>-<version>, has exactly the committed go.sum.
have() {
  local f="$bin/$1-$2" tool=$3 key=$4
  [ -x "$f" ] || return 1
  if [ -f "$f.modkey" ]; then [ "$(cat "$f.modkey")" = "$key" ]; return; fi
  [ ! -L "$f" ] && cmp -s "$cache/build/$tool-$2/go.sum" "$modules/$tool/go.sum" || return 1
  echo "$key" >"$f.modkey"
}

# link <name> <version>: expose the versioned binary under its plain name.
link() { ln -sfn "$1-$2" "$bin/$1"; }

# built <name> <version> <key>: record the module key of a freshly built binary and link it.
built() { echo "$3" >"$bin/$1-$2.modkey"; link "$1" "$2"; }

# use_installed <name> <version> <version-probe...>: reuse a binary already on PATH when its
# version output contains the pinned version.
use_installed() {
  local name=$1 version=$2; shift 2
  local found; found=$(PATH=$(echo "$PATH" | tr ':' '\n' | grep -vx "$bin" | paste -sd:) command -v "$name" 2>/dev/null) || return 1
  if "$found" "$@" 2>/dev/null | grep -qF "${version#v}"; then
    rm -f "$bin/$name-$version.modkey"
    ln -sfn "$found" "$bin/$name-$version"; link "$name" "$version"
    step "$name $version: using installed $found"
    return 0
  fi
  return 1
}

# uncached <tool> <version> <key> <binary...>: links each binary cached for this module and
# prints the names of the others (one per line), which need a build.
uncached() {
  local tool=$1 v=$2 key=$3 t; shift 3
  for t in "$@"; do
    if have "$t" "$v" "$tool" "$key"; then link "$t" "$v"; else echo "$t"; fi
  done
}

# needs_build <tool> <version> <key> <module> <test package> <cold time> <binary...>: links the
# binaries cached for this module; when some are not (MISSING), prepares the build directory (DIR),
# runs go vet on the module and the tests of our own code in it. Returns 1 when nothing is missing.
needs_build() {
  local tool=$1 v=$2 key=$3 mod=$4 tests=$5 cold=$6; shift 6
  mapfile -t MISSING < <(uncached "$tool" "$v" "$key" "$@")
  [ ${#MISSING[@]} -gt 0 ] || return 1
  step "${MISSING[*]} $v: building toolchain/modules/$tool (cold: $cold)"
  DIR=$(prepare "$tool" "$v" "$key" "$mod" "$v")
  (cd "$DIR" && run_logged "$tool-$v" go vet ./... && run_logged "$tool-$v" go test "$tests")
}

# build_each <tool> <version> <key> <ldflags> <package function> <binary...>: go build of each
# binary in DIR (its package named by the function).
build_each() {
  local tool=$1 v=$2 key=$3 ld=$4 package=$5 t; shift 5
  for t in "$@"; do
    step "  $t"
    rm -f "$bin/$t-$v"
    (cd "$DIR" && run_logged "$tool-$v" go build -trimpath -o "$bin/$t-$v" -ldflags "$ld" "$("$package" "$t")")
    built "$t" "$v" "$key"
  done
}

# prepare <tool> <version> <key> <module> <module version>: checks that the committed module
# requires the pinned version, copies it into a fresh build directory and prints that directory.
prepare() {
  local tool=$1 version=$2 key=$3 mod=$4 mv=$5
  grep -qE "^[[:space:]]*(require[[:space:]]+)?$mod $mv( |$)" "$modules/$tool/go.mod" ||
    fail "$tool: toolchain/modules/$tool/go.mod does not require $mod $mv as toolchain/versions.env pins; update the module (go mod tidy in it) and commit it"
  local dir="$cache/build/$tool-$version-$key"
  rm -rf "$dir"; mkdir -p "$dir"
  cp -R "$modules/$tool"/. "$dir/"
  chmod -R u+w "$dir"
  echo "$dir"
}

build_pulumi() {
  local v=$PULUMI_VERSION key; key=$(module_key pulumi)
  have pulumi "$v" pulumi "$key" && { link pulumi "$v"; return; }
  use_installed pulumi "$v" version && return
  step "pulumi $v: building toolchain/modules/pulumi (cold: 10-25 min)"
  local dir; dir=$(prepare pulumi "$v" "$key" github.com/pulumi/pulumi/pkg/v3 "$v")
  rm -f "$bin/pulumi-$v"
  (cd "$dir" && run_logged "pulumi-$v" go build -trimpath -o "$bin/pulumi-$v" \
      -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$v" \
      github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
  built pulumi "$v" "$key"
}

build_language_nodejs() {
  local v=$PULUMI_LANGUAGE_NODEJS_VERSION name=pulumi-language-nodejs key; key=$(module_key $name)
  have $name "$v" $name "$key" && { link $name "$v"; return; }
  step "$name $v: building toolchain/modules/$name"
  local dir; dir=$(prepare $name "$v" "$key" github.com/pulumi/pulumi/sdk/v3 "$v")
  rm -f "$bin/$name-$v"
  (cd "$dir" && run_logged "$name-$v" go build -trimpath -o "$bin/$name-$v" \
      -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$v" \
      github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/$name)
  built $name "$v" "$key"
}

build_kubernetes_provider() {
  local v=$PULUMI_KUBERNETES_VERSION mv=$PULUMI_KUBERNETES_PROVIDER_MODULE_VERSION
  local name=pulumi-resource-kubernetes key; key=$(module_key $name)
  have $name "$v" $name "$key" && { link $name "$v"; install_plugin $name "$v"; return; }
  step "$name $v: building toolchain/modules/$name (cold: 10-25 min)"
  local mod=github.com/pulumi/pulumi-kubernetes/provider/v4 dir
  dir=$(prepare $name "$v" "$key" $mod "$mv")
  grep -qE "github.com/pulumi/pulumi-kubernetes/sdk/v4 $PULUMI_KUBERNETES_SDK_VERSION( |$)" "$dir/go.mod" ||
    fail "$name: toolchain/modules/$name/go.mod does not use github.com/pulumi/pulumi-kubernetes/sdk/v4 $PULUMI_KUBERNETES_SDK_VERSION"
  # The upstream main package embeds schema-embed.json and terraform-mapping-embed.json, which
  # its Makefile generates and its module zip therefore lacks: generate them into the build
  # directory, next to the committed copy of the (tiny) main package. They are not committed.
  (cd "$dir" && run_logged "$name-$v" go mod download -json "$mod")
  local src; src=$(cd "$dir" && go mod download -json "$mod" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  [ -d "$src" ] || fail "$name: module source for $mod@$mv not found"
  python3 - "$src/cmd/$name" "$dir" "$v" <<'PY' || fail "$name: generating the embedded schema"
import json, sys
src, out, version = sys.argv[1:]
schema = json.load(open(f"{src}/schema.json"))
schema["version"] = version
json.dump(schema, open(f"{out}/schema-embed.json", "w"), separators=(",", ":"))
json.dump(json.load(open(f"{src}/terraform-mapping.json")), open(f"{out}/terraform-mapping-embed.json", "w"), separators=(",", ":"))
PY
  rm -f "$bin/$name-$v"
  (cd "$dir" && run_logged "$name-$v" go build -trimpath -o "$bin/$name-$v" \
      -ldflags "-s -w -X $mod/pkg/version.Version=$v" .)
  built $name "$v" "$key"
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
  local v=$KUBERNETES_VERSION missing=() key; key=$(module_key kubernetes)
  for t in "${KUBE_TOOLS[@]}"; do
    if have "$t" "$v" kubernetes "$key"; then link "$t" "$v"
    elif [ "$t" = kubectl ] && use_installed kubectl "$v" version --client; then :
    elif [ "$t" != kubectl ] && use_installed "$t" "$v" --version; then :
    else missing+=("$t"); fi
  done
  [ ${#missing[@]} -eq 0 ] && return
  step "${missing[*]} $v: building toolchain/modules/kubernetes (cold: ~20 min)"
  # k8s.io/kubernetes replaces every staging module with a local directory; the committed module
  # pins each to its released v0.<minor>.<patch> instead.
  local dir; dir=$(prepare kubernetes "$v" "$key" k8s.io/kubernetes "$v")
  local minor ld
  minor=$(echo "$v" | cut -d. -f2)
  ld="-s -w -X k8s.io/component-base/version.gitVersion=$v -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
  ld="$ld -X k8s.io/client-go/pkg/version.gitVersion=$v"
  for t in "${missing[@]}"; do
    step "  $t"
    rm -f "$bin/$t-$v"
    (cd "$dir" && run_logged "kubernetes-$v" go build -trimpath -o "$bin/$t-$v" -ldflags "$ld" "k8s.io/kubernetes/cmd/$t")
    built "$t" "$v" "$key"
  done
}

# The real node's programs (toolchain/modules/node): kubelet and kube-proxy from the control
# plane's k8s.io/kubernetes version, and our stand-ins for the Ascend device plugin (its tests run
# first) and the SFS Turbo CSI node plugin.
NODE_TOOLS=(kubelet kube-proxy ascend-device-plugin sfsturbo-csi)
build_node() {
  local v=$KUBERNETES_VERSION key ld; key=$(module_key node)
  needs_build node "$v" "$key" k8s.io/kubernetes ./deviceplugin/ "~8 min" "${NODE_TOOLS[@]}" || return 0
  ld="-s -w -X k8s.io/component-base/version.gitVersion=$v -X k8s.io/component-base/version.gitMajor=1"
  ld="$ld -X k8s.io/component-base/version.gitMinor=$(echo "$v" | cut -d. -f2) -X k8s.io/client-go/pkg/version.gitVersion=$v"
  build_each node "$v" "$key" "$ld" node_package "${MISSING[@]}"
}
node_package() { case $1 in ascend-device-plugin | sfsturbo-csi) echo "./cmd/$1" ;; *) echo "k8s.io/kubernetes/cmd/$1" ;; esac; }

# CoreDNS with only the plugins the real node's Corefile uses (toolchain/modules/coredns).
build_coredns() {
  local v=$COREDNS_VERSION key; key=$(module_key coredns)
  have coredns "$v" coredns "$key" && { link coredns "$v"; return; }
  step "coredns $v: building toolchain/modules/coredns"
  local dir; dir=$(prepare coredns "$v" "$key" github.com/coredns/coredns "$v")
  rm -f "$bin/coredns-$v"
  (cd "$dir" && CGO_ENABLED=0 run_logged "coredns-$v" go build -trimpath -o "$bin/coredns-$v" -ldflags "-s -w" .)
  built coredns "$v" "$key"
}

build_etcd() {
  local v=$ETCD_VERSION key; key=$(module_key etcd)
  have etcd "$v" etcd "$key" && { link etcd "$v"; return; }
  use_installed etcd "$v" --version && return
  step "etcd $v: building toolchain/modules/etcd"
  local dir; dir=$(prepare etcd "$v" "$key" go.etcd.io/etcd/server/v3 "$v")
  rm -f "$bin/etcd-$v"
  (cd "$dir" && run_logged "etcd-$v" go build -trimpath -o "$bin/etcd-$v" -ldflags "-s -w" .)
  built etcd "$v" "$key"
}

build_kwok() {
  local v=$KWOK_VERSION key; key=$(module_key kwok)
  have kwok "$v" kwok "$key" && { link kwok "$v"; return; }
  use_installed kwok "$v" --version && return
  step "kwok $v: building toolchain/modules/kwok"
  local dir; dir=$(prepare kwok "$v" "$key" sigs.k8s.io/kwok "$v")
  rm -f "$bin/kwok-$v"
  (cd "$dir" && run_logged "kwok-$v" go build -trimpath -o "$bin/kwok-$v" \
      -ldflags "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=$v" sigs.k8s.io/kwok/cmd/kwok)
  built kwok "$v" "$key"
}

build_actionlint() {
  local v=$ACTIONLINT_VERSION key; key=$(module_key actionlint)
  have actionlint "$v" actionlint "$key" && { link actionlint "$v"; return; }
  use_installed actionlint "$v" -version && return
  step "actionlint $v: building toolchain/modules/actionlint"
  local dir; dir=$(prepare actionlint "$v" "$key" github.com/rhysd/actionlint "$v")
  rm -f "$bin/actionlint-$v"
  (cd "$dir" && run_logged "actionlint-$v" go build -trimpath -o "$bin/actionlint-$v" \
      -ldflags "-s -w -X github.com/rhysd/actionlint.version=$v" github.com/rhysd/actionlint/cmd/actionlint)
  built actionlint "$v" "$key"
}

# Volcano's three components. The module is ours (toolchain/modules/volcano): the controller and
# webhook mains are upstream's with the configmap1980 job plugin stand-in (in the module, with its
# tests, which run before the build) registered next to upstream's plugins; the scheduler is
# upstream's main package as is. go vet and the plugin's tests run before the build.
VOLCANO_TOOLS=(vc-webhook-manager vc-controller-manager vc-scheduler)
build_volcano() {
  fetch_volcano_crds
  local v=$VOLCANO_VERSION key; key=$(module_key volcano)
  needs_build volcano "$v" "$key" volcano.sh/volcano ./configmap1980/ "~15 min" "${VOLCANO_TOOLS[@]}" || return 0
  build_each volcano "$v" "$key" "-s -w -X volcano.sh/volcano/pkg/version.Version=$v" volcano_package "${MISSING[@]}"
}
volcano_package() { if [ "$1" = vc-scheduler ]; then echo volcano.sh/volcano/cmd/scheduler; else echo "./cmd/$1"; fi; }

# The Volcano CRDs are files in the volcano.sh/volcano module zip, not Go code; the zip is
# checked against toolchain/modules/volcano/go.sum.
# All five of the module's CRDs: the job controller watches Commands (bus.volcano.sh) and the scheduler
# waits for its Numatopology (nodeinfo.volcano.sh) informer besides Jobs, PodGroups and Queues.
VOLCANO_CRDS=(batch.volcano.sh_jobs.yaml bus.volcano.sh_commands.yaml nodeinfo.volcano.sh_numatopologies.yaml scheduling.volcano.sh_queues.yaml scheduling.volcano.sh_podgroups.yaml)
fetch_volcano_crds() {
  local v=$VOLCANO_VERSION f
  local out="$cache/volcano-crds-$v" absent=0
  for f in "${VOLCANO_CRDS[@]}"; do [ -f "$out/$f" ] || absent=1; done
  [ $absent = 0 ] && return
  step "volcano $v: extracting the Job, Command, Numatopology, Queue and PodGroup CRDs from the module zip"
  grep -qF "volcano.sh/volcano $v h1:" "$modules/volcano/go.sum" ||
    fail "volcano: toolchain/modules/volcano/go.sum has no checksum for volcano.sh/volcano $v"
  local src; src=$(cd "$modules/volcano" && go mod download -json "volcano.sh/volcano@$v" 2>>"$logs/volcano-$v.log" |
    sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  [ -d "$src" ] || fail "volcano: could not download volcano.sh/volcano@$v (log: $logs/volcano-$v.log)"
  mkdir -p "$out"
  local base="$src/config/crd/volcano/bases"
  for f in "${VOLCANO_CRDS[@]}"; do
    [ -f "$base/$f" ] || fail "volcano: $base/$f missing from the module"
    cp "$base/$f" "$out/$f"
  done
  chmod u+w "$out"/*.yaml
}

# --- Node.js policy packs (issue 12): a front for the pinned language host -----------------------
# `pulumi preview --policy-pack <dir>` runs a Node.js pack through the nodejs language host's RunPlugin,
# which the pinned host (PULUMI_LANGUAGE_NODEJS_VERSION) does not implement. The front
# (toolchain/modules/pulumi-language-nodejs-policy; its tests run first) implements it for policy packs,
# forwards every other call to the real host, and takes the name `pulumi-language-nodejs` next to
# `pulumi`, where the engine looks for it; the real host stays pulumi-language-nodejs-<version>.
build_language_nodejs_policy() {
  local v=$PULUMI_LANGUAGE_NODEJS_VERSION name=pulumi-language-nodejs-policy key; key=$(module_key $name)
  if ! have $name "$v" $name "$key"; then
    step "$name $v: building toolchain/modules/$name"
    local dir; dir=$(prepare $name "$v" "$key" github.com/pulumi/pulumi/sdk/v3 "$PULUMI_VERSION")
    (cd "$dir" && run_logged "$name-$v" go vet ./... && run_logged "$name-$v" go test ./...)
    rm -f "$bin/$name-$v"
    (cd "$dir" && run_logged "$name-$v" go build -trimpath -o "$bin/$name-$v" \
        -ldflags "-s -w -X main.realHost=pulumi-language-nodejs-$v" .)
    echo "$key" >"$bin/$name-$v.modkey"
  fi
  ln -sfn "$name-$v" "$bin/pulumi-language-nodejs"
}

command -v go >/dev/null || fail "Go is required to build the toolchain (go not found on PATH)"
tools=("$@")
if [ ${#tools[@]} -eq 0 ]; then
  # Two independent chains in parallel: a cold build overlaps downloads, compiles and links.
  rc_file="$logs/chain-pulumi.rc"; rm -f "$rc_file"
  { "$0" pulumi language-nodejs kubernetes-provider 2>&1 | grep --line-buffered -v '^TOOLCHAIN_BIN=' | sed -u 's/^/[pulumi chain] /' >&2
    echo "${PIPESTATUS[0]}" >"$rc_file"; } &
  status=0
  "$0" volcano etcd kwok actionlint kubernetes node coredns >/dev/null || status=$?
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
    language-nodejs) build_language_nodejs; build_language_nodejs_policy ;;
    kubernetes-provider) build_kubernetes_provider ;;
    kubernetes) build_kubernetes ;;
    etcd) build_etcd ;;
    kwok) build_kwok ;;
    actionlint) build_actionlint ;;
    volcano) build_volcano ;;
    node) build_node ;;
    coredns) build_coredns ;;
    *) fail "unknown tool '$t'" ;;
  esac
done
step "ready in $bin"
echo "TOOLCHAIN_BIN=$bin"
