#!/usr/bin/env bash
# Builds the local real node's images without Docker or a public registry and pushes them to the
# cluster's local registry (plain HTTP on loopback) under the references in images.txt.
#   base:  Debian bookworm (debootstrap, minbase + python3) + the stand-ins (start_servers.sh at the
#          manual's llm_tools path). Two layers: the Debian one is cached by its package list.
#   vllm:  the same Debian layer + the vllm-ascend stand-ins (stand-ins/vllm-ascend/): the `vllm` CLI
#          at /usr/local/bin/vllm and the two P/D proxy examples at the image's
#          /vllm-workspace/vllm-ascend/examples/disaggregated_prefill_v1/.
#   pause: the pod sandbox, compiled from the Kubernetes module's build/pause/linux/pause.c.
# Images are single-platform linux/amd64 manifests: the real node is this x86_64 machine (the
# references keep the manual's names, aarch64 tags included, so stacks need no change).
#
# Usage: build.sh <cache dir> <registry host:port>
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
cache=${1:?cache dir}/node-image
registry=${2:?registry host:port}
mkdir -p "$cache"
say() { printf '[node-image] %s\n' "$*" >&2; }
die() { printf '[node-image] ERROR: %s\n' "$*" >&2; exit 1; }
sha() { sha256sum "$1" | cut -d' ' -f1; }

# layer <dir> <out>: a reproducible gzip layer of the folder; writes <out> and <out>.diffid.
layer() {
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$1" -cf "$2.tar" .
  sha "$2.tar" >"$2.diffid"
  gzip -n -1 -c "$2.tar" >"$2.part" && mv "$2.part" "$2"
  rm -f "$2.tar"
}

# The Debian layer: rebuilt only when the package list (this line) changes.
DEBIAN_SUITE=bookworm DEBIAN_INCLUDE=python3
debian_layer() {
  local key out
  key=$(printf '%s %s minbase v1' "$DEBIAN_SUITE" "$DEBIAN_INCLUDE" | sha256sum | cut -c1-16)
  out="$cache/debian-$key.tar.gz"
  if [ ! -f "$out" ] || [ ! -f "$out.diffid" ]; then
    local root="$cache/rootfs-$key"
    rm -rf "$root"
    say "building the Debian $DEBIAN_SUITE rootfs (debootstrap minbase + $DEBIAN_INCLUDE, ~3 min, once)"
    command -v debootstrap >/dev/null || die "debootstrap is not installed"
    debootstrap --variant=minbase --include="$DEBIAN_INCLUDE" "$DEBIAN_SUITE" "$root" http://deb.debian.org/debian \
      >"$cache/debootstrap.log" 2>&1 || { tail -n 20 "$cache/debootstrap.log" >&2; die "debootstrap failed (log: $cache/debootstrap.log)"; }
    rm -rf "$root"/usr/share/{doc,man,info,locale} "$root"/var/cache/apt/* "$root"/var/lib/apt/lists/* "$root"/var/log/*
    layer "$root" "$out"
    rm -rf "$root"
  fi
  echo "$out"
}

# The stand-ins at the manual's in-image paths (llmToolsPath default).
standin_layer() {
  local stage="$cache/standins" out="$cache/standins.tar.gz"
  rm -rf "$stage"
  local pd="$stage/home/ma-user/AscendCloud/AscendCloud-LLM/llm_tools/PD_separate"
  mkdir -p "$pd"
  install -m 0755 "$here/stand-ins/start_servers.sh" "$here/stand-ins/start_servers.py" "$pd/"
  layer "$stage" "$out"
  rm -rf "$stage"
  echo "$out"
}

# vllm-ascend's image (quay.io/ascend/vllm-ascend): the `vllm` CLI and the P/D proxy examples at the
# image's paths; `python` too, which the tutorials' commands call.
vllm_standin_layer() {
  local stage="$cache/vllm-standins" out="$cache/vllm-standins.tar.gz" src="$here/stand-ins/vllm-ascend"
  rm -rf "$stage"
  local ex="$stage/vllm-workspace/vllm-ascend/examples/disaggregated_prefill_v1"
  mkdir -p "$stage/usr/local/bin" "$ex"
  install -m 0755 "$src/vllm" "$stage/usr/local/bin/vllm"
  ln -s /usr/bin/python3 "$stage/usr/local/bin/python"
  install -m 0755 "$src/load_balance_proxy_server_example.py" "$src/load_balance_proxy_layerwise_server_example.py" "$ex/"
  install -m 0644 "$src/pd_proxy_stand_in.py" "$ex/"
  layer "$stage" "$out"
  rm -rf "$stage"
  echo "$out"
}

pause_layer() {
  local src out="$cache/pause.tar.gz" stage="$cache/pause"
  # shellcheck source=../../../toolchain/versions.env
  source "$repo/toolchain/versions.env"
  src="$(cd "$repo/toolchain/modules/kubernetes" && go env GOMODCACHE)/k8s.io/kubernetes@$KUBERNETES_VERSION/build/pause/linux/pause.c"
  [ -f "$src" ] || (cd "$repo/toolchain/modules/kubernetes" && go mod download "k8s.io/kubernetes@$KUBERNETES_VERSION")
  [ -f "$src" ] || die "pause.c not found in the Go module cache ($src)"
  if [ ! -f "$out" ] || [ "$src" -nt "$out" ]; then
    rm -rf "$stage"; mkdir -p "$stage"
    gcc -Os -Wall -Werror -static -DVERSION="$KUBERNETES_VERSION-ascend-local" -o "$stage/pause" "$src"
    layer "$stage" "$out"
    rm -rf "$stage"
  fi
  echo "$out"
}

# push_blob <repository> <file> <media digest>: upload unless the registry has it.
push_blob() {
  local name=$1 file=$2 digest=$3 location
  curl -sf -o /dev/null -I "http://$registry/v2/$name/blobs/$digest" && return 0
  location=$(curl -sf -X POST -D - -o /dev/null "http://$registry/v2/$name/blobs/uploads/" |
    tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
  [ -n "$location" ] || die "registry $registry refused an upload to $name"
  case $location in http*) ;; *) location="http://$registry$location" ;; esac
  case $location in *\?*) location+="&digest=$digest" ;; *) location+="?digest=$digest" ;; esac
  curl -sf -X PUT -H 'content-type: application/octet-stream' --data-binary "@$file" "$location" >/dev/null ||
    die "uploading $file to $name failed"
}

# push <reference> <entrypoint json> <layer files...>
push() {
  local ref=$1 entrypoint=$2; shift 2
  local path=${ref#*/} name tag
  name=${path%:*}; tag=${path##*:}
  local diffids="" layers="" f d
  for f in "$@"; do
    d="sha256:$(sha "$f")"
    push_blob "$name" "$f" "$d"
    diffids+="${diffids:+,}\"sha256:$(cat "$f.diffid")\""
    layers+="${layers:+,}{\"mediaType\":\"application/vnd.docker.image.rootfs.diff.tar.gzip\",\"size\":$(stat -c %s "$f"),\"digest\":\"$d\"}"
  done
  local config="$cache/config.json" manifest="$cache/manifest.json"
  printf '{"architecture":"amd64","os":"linux","config":{"Entrypoint":%s,"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]},"rootfs":{"type":"layers","diff_ids":[%s]}}' \
    "$entrypoint" "$diffids" >"$config"
  d="sha256:$(sha "$config")"
  push_blob "$name" "$config" "$d"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":%s,"digest":"%s"},"layers":[%s]}' \
    "$(stat -c %s "$config")" "$d" "$layers" >"$manifest"
  curl -sf -X PUT -H 'content-type: application/vnd.docker.distribution.manifest.v2+json' \
    --data-binary "@$manifest" "http://$registry/v2/$name/manifests/$tag" >/dev/null || die "pushing the manifest of $ref failed"
  say "pushed $ref"
}

debian=$(debian_layer)
standins=$(standin_layer)
vllm_standins=$(vllm_standin_layer)
pause=$(pause_layer)
grep -v '^#' "$here/images.txt" | while read -r ref kind; do
  [ -n "$ref" ] || continue
  case $kind in
    base) push "$ref" 'null' "$debian" "$standins" ;;
    vllm) push "$ref" 'null' "$debian" "$vllm_standins" ;;
    pause) push "$ref" '["/pause"]' "$pause" ;;
    *) die "images.txt: unknown content '$kind' for $ref" ;;
  esac
done
