# shellcheck shell=bash
# The local cluster's real node, ascend-real-0 (sourced by scripts/cluster.sh): a local registry
# with the images, containerd + runc, CoreDNS, kubelet, kube-proxy and the Ascend device-plugin
# stand-in, under the cluster folder's supervisord like the other components.
# docs/real-node.md.
# Sourced: $here, $repo, $state, $BIN and the helpers (program, launch, wait_for, kc, ...) are
# scripts/cluster.sh's.
# shellcheck disable=SC2154
#
# One real node per machine: the kubelet's device-plugin directory, iptables' KUBE-* chains and the
# bridge are machine-wide. The cluster folder that has it is written in $NODE_OWNER; a start of
# another cluster takes it over (stopping the owner's node programs, with a message).

# shellcheck source=files.sh
source "$here/node/files.sh"
NODE_OWNER=/run/ascend-stack/real-node.owner
NODE_COMPONENTS=(registry containerd coredns kubelet kube-proxy ascend-device-plugin sfsturbo-csi)
NODE_TAINT=ascend.local/real-node

# real_node_wanted: ASCEND_REAL_NODE=0 (or start --no-real-node) leaves the cluster kwok-only.
real_node_wanted() { [ "${ASCEND_REAL_NODE:-1}" != 0 ]; }

node_programs() {
  node_paths
  program registry 100 "$(command -v docker-registry)" serve "$NODE_DIR/registry.yml"
  program containerd 110 "$(command -v containerd)" --config "$NODE_DIR/containerd/config.toml" --log-level warn
  program coredns 120 "$BIN/coredns" -conf "$NODE_DIR/Corefile"
  program kubelet 130 "$BIN/kubelet" --config="$NODE_DIR/kubelet.yaml" --kubeconfig="$state/kubelet.kubeconfig" \
    --root-dir="$KUBELET_ROOT" --hostname-override="$NODE_NAME" --node-ip="$NODE_IP" \
    --node-labels="accelerator/huawei-npu=ascend-1980,$NODE_TAINT=true,topology.kubernetes.io/region=cn-southwest-2" --v=1
  program kube-proxy 140 "$BIN/kube-proxy" --config="$NODE_DIR/kube-proxy.yaml" --v=1
  program ascend-device-plugin 150 "$BIN/ascend-device-plugin" --pod-resources="$KUBELET_ROOT/pod-resources/kubelet.sock" \
    --dev-dir="$DEV_DIR" --kubeconfig="$KUBECONFIG_PATH" --node-ip="$NODE_IP" --node-index="$NODE_INDEX"
  program sfsturbo-csi 160 "$BIN/sfsturbo-csi" --kubelet-root="$KUBELET_ROOT" --share-root="$SFS_DIR" --node-id="$NODE_NAME"
}

node_packages() {
  [ "$(id -u)" = 0 ] || die "the real node needs root (a bridge, iptables rules, containerd): run as root, or set ASCEND_REAL_NODE=0 (or start --no-real-node) for a kwok-only cluster"
  ensure_debian_package containerd containerd "the real node's container runtime"
  ensure_debian_package runc runc "the real node's OCI runtime"
  [ -x /usr/lib/cni/bridge ] || ensure_debian_package /usr/lib/cni/bridge containernetworking-plugins "the real node's pod network (CNI)"
  ensure_debian_package iptables iptables "kube-proxy's service rules and the node's traffic guard"
  ensure_debian_package docker-registry docker-registry "the local registry the real node pulls from"
  ensure_debian_package debootstrap debootstrap "the real node's image (a Debian rootfs)"
  ensure_debian_package gcc gcc "the pod sandbox (pause) image"
}

# node_claim: this folder becomes the real node's owner; another cluster's node programs stop.
node_claim() {
  local owner=""
  mkdir -p "$(dirname "$NODE_OWNER")"
  [ -f "$NODE_OWNER" ] && owner=$(cat "$NODE_OWNER")
  if [ -n "$owner" ] && [ "$owner" != "$state" ] && [ -f "$owner/supervisord.conf" ]; then
    say "the real node moves here from the cluster in $owner (one real node per machine; it gets it back at its next start)"
    ASCEND_CLUSTER_DIR=$owner "$repo/scripts/cluster.sh" stop-node >&2 || die "could not stop the real node of $owner"
  fi
  echo "$state" >"$NODE_OWNER"
}

node_ready() {
  [ "$(kc get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}/{.status.allocatable.huawei\.com/ascend-1980}' 2>/dev/null)" = True/8 ] &&
    kc get csinode "$NODE_NAME" -o jsonpath='{.spec.drivers[*].name}' 2>/dev/null | grep -qw sfsturbo.csi.everest.io
}
coredns_ready() { curl -sf --max-time 2 "http://127.0.0.1:$COREDNS_READY_PORT/ready" >/dev/null; }
ctr_() { ctr -a "$CTRD_SOCK" "$@"; }

# node_launch <program>: launch, restarting it first when its configuration file changed.
node_launch() {
  if [[ $NODE_RESTART == *" $1 "* ]]; then stop_for_restart "its configuration changed" "$1"; fi
  launch "$1"
}

node_start() {
  node_paths
  say "real node $NODE_NAME: network, host stand-ins, images"
  "$here/node/net.sh" up || die "the real node's network could not be set up (scripts/cluster/node/net.sh up)"
  node_host_standins
  kc apply -f "$here/node/rbac.yaml" >/dev/null
  node_launch registry
  wait_for registry 30 curl -sf --max-time 2 "http://127.0.0.1:$REGISTRY_PORT/v2/"
  "$here/node-image/build.sh" "$CACHE_DIR" "127.0.0.1:$REGISTRY_PORT" 2>"$state/logs/node-image.log" ||
    { tail -n 20 "$state/logs/node-image.log" >&2; die "building the real node's images failed (log: $state/logs/node-image.log)"; }
  node_launch containerd
  wait_for containerd 30 ctr_ version
  node_launch coredns
  wait_for coredns 30 coredns_ready
  node_launch kubelet
  node_launch kube-proxy
  wait_for kube-proxy 60 curl -sf --max-time 2 "http://127.0.0.1:$KUBE_PROXY_HEALTHZ_PORT/healthz"
  launch ascend-device-plugin
  launch sfsturbo-csi
  say "waiting for $NODE_NAME to be Ready with 8 NPUs and the SFS Turbo CSI driver"
  wait_for kubelet 120 node_ready
}

# node_teardown: every container of the node stopped, then its programs; nothing of it left
# running or mounted. The pods stay bound: the next start runs them again.
node_teardown() {
  node_paths
  refresh_status
  local c pid ns owner bin=${BIN:-$(installed_bin)}
  owner=$(cat "$NODE_OWNER" 2>/dev/null || true)
  # Nothing to do unless this cluster has the node (or still runs a program of it).
  if [ "$owner" != "$state" ]; then
    for c in "${NODE_COMPONENTS[@]}"; do [ "$(state_of "$c")" = RUNNING ] && break; done
    [ "$(state_of "$c")" = RUNNING ] || return 0
  fi
  for c in sfsturbo-csi ascend-device-plugin kube-proxy kubelet coredns; do
    [ "$(state_of "$c")" = RUNNING ] && { ctl stop "$c" >/dev/null; say "stopped $c"; }
  done
  if [ -x "$bin/kube-proxy" ]; then "$bin/kube-proxy" --cleanup >/dev/null 2>&1 || true; fi
  if [ "$(state_of containerd)" = RUNNING ]; then
    for c in $(ctr_ -n k8s.io tasks ls -q 2>/dev/null); do ctr_ -n k8s.io tasks kill -s KILL "$c" >/dev/null 2>&1 || true; done
    for _ in $(seq 20); do
      ctr_ -n k8s.io tasks ls 2>/dev/null | grep -q RUNNING || break
      sleep 0.5
    done
    for c in $(ctr_ -n k8s.io tasks ls -q 2>/dev/null); do ctr_ -n k8s.io tasks delete "$c" >/dev/null 2>&1 || true; done
  fi
  for c in containerd registry; do
    [ "$(state_of "$c")" = RUNNING ] && { ctl stop "$c" >/dev/null; say "stopped $c"; }
  done
  for pid in $(pgrep -f -- "containerd-shim-runc-v2 .*-address $CTRD_SOCK( |$)" || true); do terminate "$pid"; done
  # The pods' network namespaces (containerd keeps them bind-mounted in /run/netns) and addresses.
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep '^cni-' || true); do
    if ip netns exec "$ns" ip -4 -o addr 2>/dev/null | grep -q ' 10\.245\.0\.'; then ip netns delete "$ns" 2>/dev/null || true; fi
  done
  rm -rf "$NODE_DIR/cni/ipam"
  node_unmount
  if [ "$owner" = "$state" ]; then "$here/node/net.sh" down || true; rm -f "$NODE_OWNER"; fi
}

# node_forget: the cluster no longer lists the real node (after it moved to another cluster, or
# was left out by `start --no-real-node`). A Node object whose kubelet is gone would stay NotReady
# with its pods shown as running there, and DaemonSets (the image pre-pull) would wait for it; once
# it is deleted, the controllers re-create those pods, Pending until the node comes back (its
# kubelet registers it again at the next start that wants it).
node_forget() {
  [ -f "$pki/admin.crt" ] && readyz || return 0
  BIN=${BIN:-$(installed_bin)}
  [ -x "$BIN/kubectl" ] || return 0
  kc delete node "$NODE_NAME" --ignore-not-found --wait=false >/dev/null 2>&1 || true
}

# node_unmount: everything mounted below the node's folder (container rootfs, pod volumes),
# deepest first, so that a purge never deletes through a mount.
node_unmount() {
  local m
  # The kubelet bind-mounts its root onto itself: the folders themselves count too.
  findmnt -rn -o TARGET | awk -v d="$NODE_DIR" -v k="$KUBELET_ROOT" '$0 == d || $0 == k || index($0, d "/") == 1 || index($0, k "/") == 1' | sort -r |
    while read -r m; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done
}
