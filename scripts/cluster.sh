#!/usr/bin/env bash
# Local simulated CCE Ascend cluster: a real control plane (etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler) with kwok-managed fake Ascend 910B (snt9b) nodes,
# the Volcano CRDs plus the `default` Queue, and a device-plugin stand-in that annotates NPU pods
# the way CCE does. No containers run anywhere: it exists so the Pulumi program and the
# end-to-end tests can deploy to a real API server on a machine without Docker or NPUs.
#
# Usage: scripts/cluster.sh start [--nodes N] | stop [--purge] | status | env
#   N defaults to $ASCEND_LOCAL_NODES or 2. Everything lives in the cluster folder,
#   $ASCEND_CLUSTER_DIR or <repo>/.local/cluster/ (`npm test` uses its own, .local/test/cluster/).
#   Ports (loopback only): a new cluster takes the defaults below (+ $ASCEND_PORT_OFFSET) or, when
#   another process holds one, the next free port, and keeps them in <cluster folder>/ports.env.
#   An explicit ASCEND_ETCD_PORT, ASCEND_ETCD_PEER_PORT, ASCEND_APISERVER_PORT, ASCEND_KCM_PORT,
#   ASCEND_SCHEDULER_PORT or ASCEND_KWOK_PORT is used as given (start fails when it is taken).
#   Processes left running from this folder without a pid file (e.g. its run/ was deleted) are
#   stopped by start and stop.
#   ASCEND_TOOLCHAIN_BIN=<dir> skips scripts/toolchain.sh and uses binaries from <dir>.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
here="$repo/scripts/cluster"
state=${ASCEND_CLUSTER_DIR:-$repo/.local/cluster}
case $state in /*) ;; *) state="$PWD/$state" ;; esac
pki="$state/pki"
KUBECONFIG_PATH="$state/kubeconfig"
CONTEXT=ascend-local

# name, default port, override variable. The defaults (+ offset) are only a new cluster's first
# choice; the ports a cluster got are kept in ports.env, so its address never changes by itself.
PORTS=(ETCD_PORT:23790:ASCEND_ETCD_PORT ETCD_PEER_PORT:23800:ASCEND_ETCD_PEER_PORT
  APISERVER_PORT:16443:ASCEND_APISERVER_PORT KCM_PORT:16257:ASCEND_KCM_PORT
  SCHEDULER_PORT:16259:ASCEND_SCHEDULER_PORT KWOK_PORT:16247:ASCEND_KWOK_PORT)
load_ports() {
  local p name def var
  for p in "${PORTS[@]}"; do
    IFS=: read -r name def var <<<"$p"
    printf -v "$name" '%s' "$((def + ${ASCEND_PORT_OFFSET:-0}))"
  done
  # shellcheck disable=SC1091
  [ -f "$state/ports.env" ] && source "$state/ports.env"
  for p in "${PORTS[@]}"; do
    IFS=: read -r name def var <<<"$p"
    [ -n "${!var:-}" ] && printf -v "$name" '%s' "${!var}"
  done
  SERVER="https://127.0.0.1:$APISERVER_PORT"
}
load_ports
# Start order; stop goes in reverse.
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok device-plugin)

t0=$(date +%s)
# Progress goes to stderr so that `eval "$(scripts/cluster.sh start)"` only sees the export line.
say() { printf '[cluster +%ss] %s\n' "$(($(date +%s) - t0))" "$*" >&2; }
die() { printf '[cluster] ERROR: %s\n' "$*" >&2; exit 1; }
# fail_component <name> <message>: name the component and show the end of its log.
fail_component() {
  printf '[cluster] ERROR: %s: %s\n--- last lines of %s ---\n' "$1" "$2" "$state/logs/$1.log" >&2
  tail -n 25 "$state/logs/$1.log" >&2 2>/dev/null || true
  exit 1
}

# ---- process bookkeeping -----------------------------------------------------------------
pid_of() { cat "$state/run/$1.pid" 2>/dev/null; }
# owns_state <pid>: the process is one of this cluster's components: a control-plane binary or
# node whose arguments name this cluster folder (not only a folder whose name starts the same).
owns_state() {
  tr '\0' '\n' 2>/dev/null <"/proc/$1/cmdline" | awk -v s="$state" '
    NR == 1 { n = split($0, a, "/"); if (a[n] !~ /^(etcd|kube-apiserver|kube-controller-manager|kube-scheduler|kwok|node)(-v[0-9.]+)?$/) exit 1; next }
    { sub(/^--[^=]*=/, ""); if ($0 == s || index($0, s "/") == 1) f = 1 }
    END { exit !f }'
}
# running <name>: the pid file names a live process that is still that component of this cluster.
running() {
  local pid; pid=$(pid_of "$1") || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  local match=$1; [ "$1" = device-plugin ] && match=device-plugin.mjs
  grep -aqF "$match" "/proc/$pid/cmdline" 2>/dev/null && owns_state "$pid"
}
# terminate <pid>: TERM, up to 10 s, then KILL.
terminate() {
  kill -TERM "$1" 2>/dev/null || true
  for _ in $(seq 100); do alive "$1" || break; sleep 0.1; done
  if alive "$1"; then kill -KILL "$1" 2>/dev/null || true; fi
}
# stop_orphans: components of this cluster that no pid file tracks any more (their run/ folder
# was deleted, or the folder was removed and recreated while they ran) hold its ports and data.
stop_orphans() {
  local tracked=" " c pid
  for c in "${COMPONENTS[@]}"; do running "$c" && tracked+="$(pid_of "$c") "; done
  for pid in $(ls /proc | grep -E '^[0-9]+$'); do
    [ "$pid" = $$ ] && continue
    case $tracked in *" $pid "*) continue ;; esac
    owns_state "$pid" || continue
    say "stopping an untracked process of this cluster: pid $pid ($(tr '\0' ' ' <"/proc/$pid/cmdline" | cut -c1-100))"
    terminate "$pid"
  done
}
# launch <name> <command...>: background it detached from this shell (own session, stdin
# closed) so it outlives `start` and a caller's Ctrl-C; the child writes its own pid.
launch() {
  local name=$1; shift
  if running "$name"; then say "$name already running (pid $(pid_of "$name"))"; return; fi
  say "starting $name"
  echo "=== $(date -Is) start" >>"$state/logs/$name.log"
  rm -f "$state/run/$name.pid" # a stale pid must not pass for the new process
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$state/run/$name.pid" "$@" \
    </dev/null >>"$state/logs/$name.log" 2>&1 &
  for _ in 1 2 3 4 5 6 7 8 9 10; do [ -s "$state/run/$name.pid" ] && break; sleep 0.1; done
}
# holder <port>: who listens on the port ("" when nobody does).
holder() {
  local line; line=$(ss -Hltnp "sport = :$1" 2>/dev/null | head -n1) || true
  [ -n "$line" ] || { ss -Hltn "sport = :$1" | grep -q . && echo "an unknown process"; return 0; }
  local pid; pid=$(sed -n 's/.*pid=\([0-9]*\).*/\1/p' <<<"$line")
  if [ -n "$pid" ]; then echo "pid $pid ($(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-80))"; else echo "an unknown process"; fi
}
# choose_ports: every port is free or held by this cluster's own component; a port another process
# holds is replaced by the next free one (unless it was set explicitly). Saved in ports.env.
choose_ports() {
  local p name def var comp port taken=" " moved=0
  for p in "${PORTS[@]}"; do
    IFS=: read -r name def var <<<"$p"
    case $name in ETCD*) comp=etcd ;; APISERVER*) comp=kube-apiserver ;; KCM*) comp=kube-controller-manager ;;
      SCHEDULER*) comp=kube-scheduler ;; KWOK*) comp=kwok ;; esac
    port=${!name}
    if ! running "$comp"; then
      local who; who=$(holder "$port")
      if [ -n "$who" ] || [[ $taken == *" $port "* ]]; then
        [ -n "${!var:-}" ] && die "port $port for $comp ($var) is in use by ${who:-this cluster}; choose another one"
        local was=$port
        while [ -n "$(holder "$port")" ] || [[ $taken == *" $port "* ]]; do port=$((port + 1)); done
        say "port $was for $comp is in use by ${who:-another component}: this cluster now uses $port"
        printf -v "$name" '%s' "$port"; moved=1
      fi
    fi
    taken+="$port "
  done
  if [ $moved = 1 ]; then
    # Components still running were started against the old address.
    for ((i = ${#COMPONENTS[@]} - 1; i >= 0; i--)); do stop_component "${COMPONENTS[i]}"; done
  fi
  SERVER="https://127.0.0.1:$APISERVER_PORT"
  for p in "${PORTS[@]}"; do IFS=: read -r name def var <<<"$p"; echo "$name=${!name}"; done >"$state/ports.env"
}
# alive <pid>: exists and is not a zombie (an exited child of a parent that has not reaped it yet).
alive() { kill -0 "$1" 2>/dev/null && ! awk '{exit $3 != "Z"}' "/proc/$1/stat" 2>/dev/null; }
stop_component() {
  local name=$1 pid
  running "$name" || { rm -f "$state/run/$name.pid"; return 0; }
  pid=$(pid_of "$name")
  terminate "$pid"
  rm -f "$state/run/$name.pid"
  say "stopped $name (pid $pid)"
}

# ---- helpers ------------------------------------------------------------------------------
toolchain() {
  if [ -n "${ASCEND_TOOLCHAIN_BIN:-}" ]; then BIN=$ASCEND_TOOLCHAIN_BIN; else
    local out
    out=$("$repo/scripts/toolchain.sh" etcd kubernetes kwok volcano 2>"$state/logs/toolchain.log") ||
      { tail -n 20 "$state/logs/toolchain.log" >&2; die "scripts/toolchain.sh failed"; }
    BIN=$(printf '%s\n' "$out" | sed -n 's/^TOOLCHAIN_BIN=//p' | tail -n1)
  fi
  for b in etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok; do
    [ -x "$BIN/$b" ] || die "$b not found in $BIN (run scripts/toolchain.sh)"
  done
  # shellcheck source=../toolchain/versions.env
  source "$repo/toolchain/versions.env"
  CRDS="$(dirname "$BIN")/volcano-crds-$VOLCANO_VERSION"
  [ -f "$CRDS/batch.volcano.sh_jobs.yaml" ] || die "Volcano CRDs missing in $CRDS (run scripts/toolchain.sh volcano)"
}
kc() { "$BIN/kubectl" --kubeconfig "$KUBECONFIG_PATH" "$@"; }
readyz() {
  curl -sf --max-time 2 --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" \
    "$SERVER/readyz" 2>/dev/null | grep -qx ok
}
# wait_for <component> <seconds> <command...>: poll until the command succeeds; fail naming the
# component (with its log) when it dies or the time is up.
wait_for() {
  local name=$1 secs=$2; shift 2
  local deadline=$(($(date +%s) + secs))
  until "$@" >/dev/null 2>&1; do
    running "$name" || fail_component "$name" "process exited"
    [ "$(date +%s)" -lt "$deadline" ] || fail_component "$name" "not ready after ${secs}s"
    sleep 0.3
  done
}

# this_run_logged <component> <text>: the log since the component's last start contains text.
# (awk reads the whole file: an early-exiting pipe would trip pipefail with SIGPIPE.)
this_run_logged() { awk -v t="$2" '/^=== .* start$/ { f = 0 } index($0, t) { f = 1 } END { exit !f }' "$state/logs/$1.log"; }

# kubeconfig <file> <cert name>: self-contained (embedded certs) so it can be copied anywhere.
kubeconfig() {
  local b64='base64 -w0'
  cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: $CONTEXT
  cluster:
    server: $SERVER
    certificate-authority-data: $($b64 <"$pki/ca.crt")
users:
- name: $2
  user:
    client-certificate-data: $($b64 <"$pki/$2.crt")
    client-key-data: $($b64 <"$pki/$2.key")
contexts:
- name: $CONTEXT
  context: {cluster: $CONTEXT, user: $2}
current-context: $CONTEXT
EOF
  chmod 600 "$1"
}

# node_manifest <i>: a fake node shaped like a CCE Ascend 910B (snt9b) bare-metal node.
# Addresses stay in 127.0.0.0/8 so nothing can ever try to reach a real host.
node_manifest() {
  cat <<EOF
---
apiVersion: v1
kind: Node
metadata:
  name: ascend-node-$1
  annotations:
    kwok.x-k8s.io/node: fake
  labels:
    accelerator/huawei-npu: ascend-1980
    kubernetes.io/hostname: ascend-node-$1
    kubernetes.io/arch: arm64
    kubernetes.io/os: linux
    node.kubernetes.io/instance-type: physical.kat2ne.48xlarge.8.313t.ei.c002.ondemand
    topology.kubernetes.io/region: cn-southwest-2
    topology.kubernetes.io/zone: cn-southwest-2a
spec: {}
status:
  addresses:
  - {type: InternalIP, address: 127.0.10.$(($1 + 1))}
  - {type: Hostname, address: ascend-node-$1}
  capacity: {cpu: "192", memory: 1500Gi, pods: "110", ephemeral-storage: 3500Gi, huawei.com/ascend-1980: "8"}
  allocatable: {cpu: "190", memory: 1400Gi, pods: "110", ephemeral-storage: 3200Gi, huawei.com/ascend-1980: "8"}
  nodeInfo:
    architecture: arm64
    operatingSystem: linux
    osImage: Huawei Cloud EulerOS 2.0 (aarch64)
    kernelVersion: 5.10.0-182.0.0.95.r1941_123.hce2.aarch64
    containerRuntimeVersion: containerd://1.7.2
    kubeletVersion: $KUBERNETES_VERSION
    kubeProxyVersion: $KUBERNETES_VERSION
EOF
}

# ---- commands -----------------------------------------------------------------------------
cmd_start() {
  local nodes=${ASCEND_LOCAL_NODES:-2}
  while [ $# -gt 0 ]; do
    case $1 in
      --nodes) nodes=${2:?--nodes needs a number}; shift 2 ;;
      --nodes=*) nodes=${1#*=}; shift ;;
      *) die "unknown start option '$1'" ;;
    esac
  done
  [[ $nodes =~ ^[0-9]+$ ]] && [ "$nodes" -ge 1 ] && [ "$nodes" -le 90 ] || die "--nodes must be 1..90"
  mkdir -p "$state/run" "$state/logs" "$state/etcd"

  local all=1
  for c in "${COMPONENTS[@]}"; do running "$c" || all=0; done
  toolchain
  if [ $all = 1 ] && readyz; then say "already running ($SERVER)"; fi

  stop_orphans
  choose_ports

  "$here/certs.sh" "$pki" 2>"$state/logs/certs.log" || { cat "$state/logs/certs.log" >&2; die "certificate generation failed"; }
  kubeconfig "$KUBECONFIG_PATH" admin
  kubeconfig "$state/controller-manager.kubeconfig" controller-manager
  kubeconfig "$state/scheduler.kubeconfig" scheduler

  # --unsafe-no-fsync: throwaway test data; fsync latency would dominate on slow disks.
  launch etcd "$BIN/etcd" --name ascend-local --data-dir "$state/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "ascend-local=http://127.0.0.1:$ETCD_PEER_PORT" --unsafe-no-fsync --log-level warn
  wait_for etcd 30 curl -sf --max-time 2 "http://127.0.0.1:$ETCD_PORT/health"

  # --endpoint-reconciler-type=none: the `kubernetes` Endpoints may not hold a loopback address.
  launch kube-apiserver "$BIN/kube-apiserver" \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$APISERVER_PORT" \
    --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
    --client-ca-file="$pki/ca.crt" --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key" \
    --service-cluster-ip-range=10.96.0.0/16 --authorization-mode=Node,RBAC --allow-privileged=true \
    --requestheader-client-ca-file="$pki/front-proxy-ca.crt" --requestheader-allowed-names=front-proxy-client \
    --requestheader-username-headers=X-Remote-User --requestheader-group-headers=X-Remote-Group \
    --requestheader-extra-headers-prefix=X-Remote-Extra- \
    --endpoint-reconciler-type=none --profiling=false
  say "waiting for $SERVER/readyz"
  wait_for kube-apiserver 90 readyz

  # Single instance: no leader election, so a restart never waits for an old lease to expire.
  launch kube-controller-manager "$BIN/kube-controller-manager" \
    --kubeconfig="$state/controller-manager.kubeconfig" \
    --authentication-kubeconfig="$state/controller-manager.kubeconfig" \
    --authorization-kubeconfig="$state/controller-manager.kubeconfig" \
    --bind-address=127.0.0.1 --secure-port="$KCM_PORT" --leader-elect=false \
    --controllers='*' --use-service-account-credentials=true \
    --root-ca-file="$pki/ca.crt" --service-account-private-key-file="$pki/sa.key" \
    --cluster-signing-cert-file="$pki/ca.crt" --cluster-signing-key-file="$pki/ca.key" \
    --service-cluster-ip-range=10.96.0.0/16 --profiling=false \
    --node-monitor-grace-period=1h
  launch kube-scheduler "$BIN/kube-scheduler" \
    --kubeconfig="$state/scheduler.kubeconfig" \
    --authentication-kubeconfig="$state/scheduler.kubeconfig" \
    --authorization-kubeconfig="$state/scheduler.kubeconfig" \
    --bind-address=127.0.0.1 --secure-port="$SCHEDULER_PORT" --leader-elect=false --profiling=false
  # Only nodes annotated kwok.x-k8s.io/node=fake are simulated; pod IPs come from --cidr.
  # kwok renews node leases (as a kubelet would) and the controller-manager's long grace period
  # above means a busy 2-core machine never gets fake nodes marked NotReady (which would flip
  # every pod to not-ready for good: nothing re-reports readiness the way a kubelet does).
  launch kwok "$BIN/kwok" --kubeconfig="$KUBECONFIG_PATH" --config="$here/kwok-stages.yaml" \
    --manage-all-nodes=false --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
    --server-address="127.0.0.1:$KWOK_PORT" --cidr=10.244.0.1/16 --node-lease-duration-seconds=40
  launch device-plugin node "$here/device-plugin.mjs" "$state" "$SERVER"

  say "ensuring $nodes fake Ascend node(s)"
  for ((i = 0; i < nodes; i++)); do node_manifest "$i"; done | kc apply -f - >/dev/null
  # Drop nodes beyond --nodes left over from an earlier, larger start.
  kc get nodes -o name | sed -n 's#^node/ascend-node-\([0-9]*\)$#\1#p' | while read -r i; do
    [ "$i" -lt "$nodes" ] || kc delete node "ascend-node-$i" --wait=false >/dev/null
  done

  say "installing Volcano CRDs and the default Queue"
  kc apply --server-side --force-conflicts -f "$CRDS" >/dev/null
  # Retried: `kubectl wait` errors out (instead of waiting) while a new CRD has no conditions yet.
  wait_for kube-apiserver 30 kc wait --for=condition=Established --timeout=5s \
    crd/jobs.batch.volcano.sh crd/queues.scheduling.volcano.sh crd/podgroups.scheduling.volcano.sh >/dev/null
  kc apply -f "$here/default-queue.yaml" >/dev/null

  wait_for kwok 60 kc wait --for=condition=Ready node -l accelerator/huawei-npu=ascend-1980 --timeout=5s
  # Pods are rejected until the service-account controller has made `default`.
  wait_for kube-controller-manager 60 kc -n default get serviceaccount default
  wait_for kube-scheduler 30 curl -skf --max-time 2 "https://127.0.0.1:$SCHEDULER_PORT/healthz"
  wait_for device-plugin 30 this_run_logged device-plugin "watching pods"
  for c in "${COMPONENTS[@]}"; do running "$c" || fail_component "$c" "process exited"; done
  say "cluster ready: $nodes node(s), context $CONTEXT"
  echo "export KUBECONFIG=$KUBECONFIG_PATH"
}

cmd_stop() {
  local purge=0
  [ "${1:-}" = --purge ] && purge=1
  for ((i = ${#COMPONENTS[@]} - 1; i >= 0; i--)); do stop_component "${COMPONENTS[i]}"; done
  stop_orphans
  if [ $purge = 1 ]; then rm -rf "$state"; say "purged $state"; else say "stopped (data kept in $state)"; fi
}

cmd_status() {
  local up=0
  for c in "${COMPONENTS[@]}"; do
    if running "$c"; then printf '%-24s running (pid %s)\n' "$c" "$(pid_of "$c")"; up=1
    else printf '%-24s stopped\n' "$c"; fi
  done
  [ $up = 1 ] || return 3
  if [ -f "$pki/admin.crt" ] && readyz; then
    echo "apiserver                $SERVER ready"
    BIN=${ASCEND_TOOLCHAIN_BIN:-${ASCEND_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ascend-stack}/bin}
    [ -x "$BIN/kubectl" ] && kc get nodes -o wide
  else
    echo "apiserver                $SERVER not ready"; return 1
  fi
}

case ${1:-} in
  start) shift; cmd_start "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  status) cmd_status ;;
  env) echo "export KUBECONFIG=$KUBECONFIG_PATH" ;;
  *) echo "usage: $0 start [--nodes N] | stop [--purge] | status | env" >&2; exit 2 ;;
esac
