#!/usr/bin/env bash
# Local simulated CCE Ascend cluster: a real control plane (etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler) with kwok-managed fake Ascend 910B (snt9b) nodes (and
# fake nodes of a MindCluster cluster, for the mindcluster profile),
# a device-plugin stand-in that annotates NPU pods the way CCE does, and Volcano (its CRDs, the
# `default` Queue, vc-webhook-manager with its admission webhooks, vc-controller-manager with the
# job plugins incl. the configmap1980 stand-in, and vc-scheduler), plus one real node that runs
# containers (kubelet, containerd, CoreDNS, kube-proxy, stand-ins for the Ascend device plugin and
# the SFS Turbo CSI driver; scripts/cluster/node/). It exists so the Pulumi program and the
# end-to-end tests can deploy to a real API server, and run containers, on a machine without
# Docker or NPUs.
#
# Usage: scripts/cluster.sh start [--nodes N] [--mindcluster-nodes M] [--no-real-node] | stop [--purge] | stop-node | node-owner | status | env | ctl <supervisorctl args>
#   N defaults to $ASCEND_LOCAL_NODES or 4 (the demo stack needs 3: a two-node training job takes
#   every card of two nodes, its P/D instances take cards on others).
#   M (0..40) defaults to $ASCEND_MINDCLUSTER_NODES or 2: fake nodes of the mindcluster profile
#   (scripts/cluster/mindcluster-nodes.mjs), served by the stand-ins for MindCluster's rank-table
#   writer (ascend-operator.mjs) and an NFS provisioner (nfs-provisioner.mjs, class nfs-rwx). Everything lives in the cluster folder,
#   $ASCEND_CLUSTER_DIR or <repo>/.local/cluster/ (`npm test` uses its own, .local/test/cluster/).
#   The processes run under the folder's own supervisord (Debian package `supervisor`, installed
#   by `start` when missing; see docs/local-cluster.md): config <folder>/supervisord.conf, written
#   by every start; socket and pid file in <folder>/run/; each program logs to
#   <folder>/logs/<program>.log. `ctl` runs supervisorctl against it (e.g. `ctl tail kwok`).
#   A program that exits is not restarted: it shows as EXITED in `status` until the next `start`.
#   Ports (loopback only): a new cluster takes the defaults below (+ $ASCEND_PORT_OFFSET) or, when
#   another process holds one, the next free port, and keeps them in <cluster folder>/ports.env.
#   An explicit ASCEND_ETCD_PORT, ASCEND_ETCD_PEER_PORT, ASCEND_APISERVER_PORT, ASCEND_KCM_PORT,
#   ASCEND_SCHEDULER_PORT, ASCEND_KWOK_PORT, ASCEND_VC_WEBHOOK_PORT, ASCEND_VC_CONTROLLER_PORT,
#   ASCEND_VC_SCHEDULER_PORT or one of the real node's (ASCEND_REGISTRY_PORT, ASCEND_KUBELET_PORT,
#   ASCEND_KUBELET_HEALTHZ_PORT, ASCEND_KUBE_PROXY_HEALTHZ_PORT, ASCEND_KUBE_PROXY_METRICS_PORT,
#   ASCEND_COREDNS_HEALTH_PORT, ASCEND_COREDNS_READY_PORT) is used as given (start fails when it is taken).
#   The real node (docs/real-node.md): one per machine, taken over by the cluster that starts last;
#   `start --no-real-node` or ASCEND_REAL_NODE=0 leaves a cluster kwok-only (giving the node up if
#   it has it). `stop-node` stops only the node. Either way the Node object is deleted (node_forget).
#   `node-owner` prints the folder of the cluster that has the real node (nothing when none has it).
#   Processes of this folder that its supervisord does not track (it was killed, or the folder's
#   run/ was deleted) are stopped by start and stop.
#   ASCEND_TOOLCHAIN_BIN=<dir> skips scripts/toolchain.sh and uses binaries from <dir>.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
here="$repo/scripts/cluster"
# shellcheck source=cluster/network.sh
source "$here/network.sh"
source "$repo/scripts/lib.sh" # for ensure_debian_package; say and die are redefined below
state=${ASCEND_CLUSTER_DIR:-$repo/.local/cluster}
case $state in /*) ;; *) state="$PWD/$state" ;; esac
pki="$state/pki"
KUBECONFIG_PATH="$state/kubeconfig"
CONTEXT=ascend-local
CONF="$state/supervisord.conf"
# A unix socket's path must fit in 108 bytes: a deeply nested cluster folder gets one in /tmp.
SOCK="$state/run/supervisor.sock"
[ ${#SOCK} -le 100 ] || SOCK="/tmp/ascend-cluster-$(printf '%s' "$state" | md5sum | cut -c1-16).sock"

# name, default port, override variable. The defaults (+ offset) are only a new cluster's first
# choice; the ports a cluster got are kept in ports.env, so its address never changes by itself.
PORTS=(ETCD_PORT:23790:ASCEND_ETCD_PORT ETCD_PEER_PORT:23800:ASCEND_ETCD_PEER_PORT
  APISERVER_PORT:16443:ASCEND_APISERVER_PORT KCM_PORT:16257:ASCEND_KCM_PORT
  SCHEDULER_PORT:16259:ASCEND_SCHEDULER_PORT KWOK_PORT:16247:ASCEND_KWOK_PORT
  VC_WEBHOOK_PORT:16280:ASCEND_VC_WEBHOOK_PORT VC_CONTROLLER_PORT:16281:ASCEND_VC_CONTROLLER_PORT
  VC_SCHEDULER_PORT:16282:ASCEND_VC_SCHEDULER_PORT
  REGISTRY_PORT:16500:ASCEND_REGISTRY_PORT KUBELET_PORT:16250:ASCEND_KUBELET_PORT
  KUBELET_HEALTHZ_PORT:16248:ASCEND_KUBELET_HEALTHZ_PORT KUBE_PROXY_HEALTHZ_PORT:16256:ASCEND_KUBE_PROXY_HEALTHZ_PORT
  KUBE_PROXY_METRICS_PORT:16249:ASCEND_KUBE_PROXY_METRICS_PORT COREDNS_HEALTH_PORT:16290:ASCEND_COREDNS_HEALTH_PORT
  COREDNS_READY_PORT:16291:ASCEND_COREDNS_READY_PORT)
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
# Start order (and supervisord priority); stop goes in reverse.
CONTROL_COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok device-plugin
  ascend-operator nfs-provisioner vc-webhook-manager vc-controller-manager vc-scheduler)
# shellcheck source=cluster/node/node.sh
source "$here/node/node.sh"
set_components() {
  COMPONENTS=("${CONTROL_COMPONENTS[@]}")
  if real_node_wanted; then COMPONENTS+=("${NODE_COMPONENTS[@]}"); fi
}
set_components

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

# ---- supervision: one supervisord per cluster folder -------------------------------------
ctl() { supervisorctl -c "$CONF" "$@"; }
# supervisor_up: this folder's supervisord answers on its socket.
supervisor_up() { [ -f "$CONF" ] && command -v supervisorctl >/dev/null && ctl pid >/dev/null 2>&1; }
# refresh_status: every program's line ("etcd RUNNING pid 123, uptime 0:01:02") into STATUS, in
# one supervisorctl call (each takes a few hundred ms on a busy machine); empty when supervisord
# does not answer (status exits 0 or 3 when it does).
refresh_status() {
  local rc=0
  STATUS=""
  [ -f "$CONF" ] && command -v supervisorctl >/dev/null || return 0
  STATUS=$(ctl status 2>/dev/null) || rc=$?
  [ $rc = 0 ] || [ $rc = 3 ] || STATUS=""
}
# state_of <name>: the program's state word in STATUS (RUNNING, STOPPED, EXITED, FATAL, ...).
state_of() { awk -v n="$1" '$1 == n { print $2 }' <<<"$STATUS"; }
pid_of() { awk -v n="$1" '$1 == n && $3 == "pid" { sub(/,$/, "", $4); print $4 }' <<<"$STATUS"; }
# running <name>: asks supervisord now (for the health-check loops).
running() { refresh_status; [ "$(state_of "$1")" = RUNNING ]; }

# conf_value <text>: supervisord expands %(name)s in values, so a literal % is written %%
# (twice over for a program's *_logfile, which supervisord 4.2 expands twice).
conf_value() { printf '%s' "${1//%/%%}"; }
# program <name> <priority> <command...>: one [program:x] section. The start sequence below starts
# the programs one by one, each once the one before is healthy; supervisord never starts or
# restarts one by itself, so a crash stays a crash (EXITED) until the next `start`.
# Stopping: TERM to the process group, up to 10 s, then KILL.
program() {
  local name=$1 prio=$2 cmd="" a
  shift 2
  for a in "$@"; do cmd+=" $(printf '%q' "$a")"; done
  cat <<EOF

[program:$name]
command=$(conf_value "${cmd# }")
priority=$prio
directory=$(conf_value "$state")
autostart=false
autorestart=false
startsecs=0
startretries=0
stopsignal=TERM
stopwaitsecs=10
stopasgroup=true
killasgroup=true
redirect_stderr=true
stdout_logfile=$(conf_value "$(conf_value "$state/logs/$name.log")")
stdout_logfile_maxbytes=0
EOF
}
# write_config: the folder's supervisord.conf, with the command lines of this start (binaries,
# ports). A running supervisord takes changes with reread + update, which stops the programs whose
# command line changed; the start sequence then starts them again.
write_config() {
  {
    cat <<EOF
; Written by scripts/cluster.sh start for the local cluster in this folder; rewritten at every start.
[unix_http_server]
file=$(conf_value "$SOCK")
chmod=0700

[supervisorctl]
serverurl=unix://$(conf_value "$SOCK")

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisord]
logfile=$(conf_value "$state/logs/supervisord.log")
logfile_maxbytes=10MB
logfile_backups=1
pidfile=$(conf_value "$state/run/supervisord.pid")
directory=$(conf_value "$state")
childlogdir=$(conf_value "$state/logs")
EOF
    # --unsafe-no-fsync: throwaway test data; fsync latency would dominate on slow disks.
    program etcd 10 "$BIN/etcd" --name ascend-local --data-dir "$state/etcd" \
      --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
      --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
      --initial-cluster "ascend-local=http://127.0.0.1:$ETCD_PEER_PORT" --unsafe-no-fsync --log-level warn
    # --endpoint-reconciler-type=none: the `kubernetes` Endpoints may not hold a loopback address.
    program kube-apiserver 20 "$BIN/kube-apiserver" \
      --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$APISERVER_PORT" \
      --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
      --client-ca-file="$pki/ca.crt" --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
      --service-account-issuer=https://kubernetes.default.svc.cluster.local \
      --service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key" \
      --service-cluster-ip-range="$SERVICE_RANGE" --authorization-mode=Node,RBAC --allow-privileged=true \
      --requestheader-client-ca-file="$pki/front-proxy-ca.crt" --requestheader-allowed-names=front-proxy-client \
      --requestheader-username-headers=X-Remote-User --requestheader-group-headers=X-Remote-Group \
      --requestheader-extra-headers-prefix=X-Remote-Extra- \
      --kubelet-client-certificate="$pki/apiserver-kubelet-client.crt" --kubelet-client-key="$pki/apiserver-kubelet-client.key" \
      --kubelet-certificate-authority="$pki/ca.crt" --kubelet-preferred-address-types=InternalIP \
      --endpoint-reconciler-type=none --profiling=false
    # Single instance: no leader election, so a restart never waits for an old lease to expire.
    program kube-controller-manager 30 "$BIN/kube-controller-manager" \
      --kubeconfig="$state/controller-manager.kubeconfig" \
      --authentication-kubeconfig="$state/controller-manager.kubeconfig" \
      --authorization-kubeconfig="$state/controller-manager.kubeconfig" \
      --bind-address=127.0.0.1 --secure-port="$KCM_PORT" --leader-elect=false \
      --controllers='*' --use-service-account-credentials=true \
      --root-ca-file="$pki/ca.crt" --service-account-private-key-file="$pki/sa.key" \
      --cluster-signing-cert-file="$pki/ca.crt" --cluster-signing-key-file="$pki/ca.key" \
      --service-cluster-ip-range="$SERVICE_RANGE" --profiling=false \
      --node-monitor-grace-period=1h
    program kube-scheduler 40 "$BIN/kube-scheduler" \
      --kubeconfig="$state/scheduler.kubeconfig" \
      --authentication-kubeconfig="$state/scheduler.kubeconfig" \
      --authorization-kubeconfig="$state/scheduler.kubeconfig" \
      --bind-address=127.0.0.1 --secure-port="$SCHEDULER_PORT" --leader-elect=false --profiling=false
    # Only nodes annotated kwok.x-k8s.io/node=fake are simulated; pod IPs come from --cidr.
    # kwok renews node leases (as a kubelet would) and the controller-manager's long grace period
    # above means a busy 2-core machine never gets fake nodes marked NotReady (which would flip
    # every pod to not-ready for good: nothing re-reports readiness the way a kubelet does).
    program kwok 50 "$BIN/kwok" --kubeconfig="$KUBECONFIG_PATH" --config="$here/kwok-stages.yaml" \
      --manage-all-nodes=false --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
      --server-address="127.0.0.1:$KWOK_PORT" --cidr="$KWOK_POD_CIDR" --node-lease-duration-seconds=40
    program device-plugin 60 "$(command -v node)" "$here/device-plugin.mjs" "$state" "$SERVER"
    # The mindcluster profile's stand-ins: MindCluster's rank-table writer and an NFS provisioner.
    program ascend-operator 62 "$(command -v node)" "$here/ascend-operator.mjs" "$state" "$SERVER"
    program nfs-provisioner 64 "$(command -v node)" "$here/nfs-provisioner.mjs" "$state" "$SERVER"
    # Volcano: single instances without leader election; health endpoints on loopback only.
    program vc-webhook-manager 70 "$BIN/vc-webhook-manager" --kubeconfig="$state/volcano.kubeconfig" \
      --listen-address=127.0.0.1 --port="$VC_WEBHOOK_PORT" --webhook-url="https://127.0.0.1:$VC_WEBHOOK_PORT" \
      --tls-cert-file="$pki/volcano-admission.crt" --tls-private-key-file="$pki/volcano-admission.key" \
      --ca-cert-file="$pki/ca.crt" --logtostderr --v=2
    program vc-controller-manager 80 "$BIN/vc-controller-manager" --kubeconfig="$state/volcano.kubeconfig" \
      --controllers=job-controller,pg-controller,queue-controller,gc-controller \
      --leader-elect=false --enable-healthz --healthz-address="127.0.0.1:$VC_CONTROLLER_PORT" --logtostderr --v=2
    # --ignored-provisioners: no CSI node plugin runs here, so no node reports an attach limit for the
    # SFS Turbo driver; counted anyway, the volume would make Volcano 1.10's proportion plugin see the
    # queue as overused and never place a job that mounts it.
    program vc-scheduler 90 "$BIN/vc-scheduler" --kubeconfig="$state/volcano.kubeconfig" \
      --scheduler-conf="$here/volcano/scheduler.conf" --leader-elect=false --cache-dumper=false \
      --ignored-provisioners=sfsturbo.csi.everest.io \
      --enable-healthz --healthz-address="127.0.0.1:$VC_SCHEDULER_PORT" --logtostderr --v=2
    if real_node_wanted; then node_programs; fi
  } >"$CONF.new"
  if cmp -s "$CONF.new" "$CONF"; then rm -f "$CONF.new"; return 0; fi
  mv "$CONF.new" "$CONF"
  if supervisor_up; then ctl reread >/dev/null && ctl update >/dev/null; fi
}
# start_supervisor: this folder's supervisord, unless it answers already (it daemonizes itself:
# own session, stdio on /dev/null, so it outlives `start` and a caller's Ctrl-C).
start_supervisor() {
  supervisor_up && return 0
  say "starting supervisord ($CONF)"
  supervisord -c "$CONF" >>"$state/logs/supervisord.log" 2>&1 || fail_component supervisord "supervisord did not start"
  for _ in $(seq 50); do supervisor_up && return 0; sleep 0.2; done
  fail_component supervisord "not answering on $SOCK"
}
# launch <name>: start the program unless STATUS shows it running; its log gets a marker line.
launch() {
  local name=$1
  if [ "$(state_of "$name")" = RUNNING ]; then say "$name already running (pid $(pid_of "$name"))"; return 0; fi
  say "starting $name"
  echo "=== $(date -Is) start" >>"$state/logs/$name.log"
  ctl start "$name" >/dev/null || fail_component "$name" "supervisord could not start it ($(ctl status "$name" || true))"
}
# stop_programs: every running program, in reverse start order.
stop_programs() {
  local i c
  refresh_status
  for ((i = ${#COMPONENTS[@]} - 1; i >= 0; i--)); do
    c=${COMPONENTS[i]}
    [ "$(state_of "$c")" = RUNNING ] || continue
    ctl stop "$c" >/dev/null
    say "stopped $c (pid $(pid_of "$c"))"
  done
}

# folder_pids <program regex>: processes running one of the programs with this cluster folder in
# their arguments (the folder itself, not only a folder whose name starts the same).
folder_pids() {
  local pid
  for pid in $(pgrep -f -- "^([^ ]*/)?($1)( |$)" || true); do
    case " $(ps -ww -o args= -p "$pid" || true) " in *[\ =]"$state"[/\ ]*) echo "$pid" ;; esac
  done
}
# terminate <pid>: TERM, up to 10 s (tail --pid waits for a process that is not our child), KILL.
terminate() {
  kill -TERM "$1" 2>/dev/null || return 0
  timeout 10 tail --pid="$1" -s 0.2 -f /dev/null || kill -KILL "$1" 2>/dev/null || true
}
# stop_untracked: processes of this folder that its supervisord does not run (their supervisord
# was killed, or the folder's run/ or the whole folder was deleted while they ran) hold its ports
# and data. A lost supervisord goes first: on TERM it stops its own programs.
stop_untracked() {
  local tracked=" " pattern pid c args
  refresh_status
  if [ -n "$STATUS" ]; then
    tracked+="$(ctl pid) "
    for c in "${COMPONENTS[@]}"; do tracked+="$(pid_of "$c") "; done
  fi
  for pattern in 'python3[.0-9]* [^ ]*supervisord' 'etcd|kube-apiserver|kube-controller-manager|kube-scheduler|kwok|node|vc-[a-z-]*' \
    'docker-registry|containerd|coredns|kubelet|kube-proxy|ascend-device-plugin|sfsturbo-csi'; do
    for pid in $(folder_pids "$pattern"); do
      case $tracked in *" $pid "*) continue ;; esac
      args=$(ps -o args= -p "$pid") || continue # gone meanwhile
      say "stopping an untracked process of this cluster: pid $pid (${args:0:100})"
      terminate "$pid"
    done
  done
}

# holder <port>: who listens on the port ("" when nobody does).
holder() {
  local line who
  line=$(ss -Hltnp "sport = :$1" 2>/dev/null | head -n1) || true
  [ -n "$line" ] || { ss -Hltn "sport = :$1" | grep -q . && echo "an unknown process"; return 0; }
  who=$(sed -n 's/.*users:(("\([^"]*\)",pid=\([0-9]*\).*/pid \2 (\1)/p' <<<"$line")
  echo "${who:-an unknown process}"
}
# choose_ports: every port is free or held by this cluster's own component; a port another process
# holds is replaced by the next free one (unless it was set explicitly). Saved in ports.env.
choose_ports() {
  local p name def var comp port was who taken=" " moved=0
  refresh_status
  for p in "${PORTS[@]}"; do
    IFS=: read -r name def var <<<"$p"
    case $name in ETCD*) comp=etcd ;; APISERVER*) comp=kube-apiserver ;; KCM*) comp=kube-controller-manager ;;
      SCHEDULER*) comp=kube-scheduler ;; KWOK*) comp=kwok ;; VC_WEBHOOK*) comp=vc-webhook-manager ;;
      VC_CONTROLLER*) comp=vc-controller-manager ;; VC_SCHEDULER*) comp=vc-scheduler ;; REGISTRY*) comp=registry ;;
      KUBELET*) comp=kubelet ;; KUBE_PROXY*) comp=kube-proxy ;; COREDNS*) comp=coredns ;; esac
    port=${!name}
    if [ "$(state_of "$comp")" != RUNNING ]; then
      who=$(holder "$port")
      if [ -n "$who" ] || [[ $taken == *" $port "* ]]; then
        [ -n "${!var:-}" ] && die "port $port for $comp ($var) is in use by ${who:-this cluster}; choose another one"
        was=$port
        while [ -n "$(holder "$port")" ] || [[ $taken == *" $port "* ]]; do port=$((port + 1)); done
        say "port $was for $comp is in use by ${who:-another component}: this cluster now uses $port"
        printf -v "$name" '%s' "$port"
        moved=1
      fi
    fi
    taken+="$port "
  done
  # Components still running were started against the old address.
  if [ $moved = 1 ]; then stop_programs; fi
  SERVER="https://127.0.0.1:$APISERVER_PORT"
  for p in "${PORTS[@]}"; do IFS=: read -r name def var <<<"$p"; echo "$name=${!name}"; done >"$state/ports.env"
}

# ---- helpers ------------------------------------------------------------------------------
toolchain() {
  if [ -n "${ASCEND_TOOLCHAIN_BIN:-}" ]; then BIN=$ASCEND_TOOLCHAIN_BIN; else
    local out
    local tools=(etcd kubernetes kwok volcano)
    real_node_wanted && tools+=(node coredns)
    out=$("$repo/scripts/toolchain.sh" "${tools[@]}" 2>"$state/logs/toolchain.log") ||
      { tail -n 20 "$state/logs/toolchain.log" >&2; die "scripts/toolchain.sh failed"; }
    BIN=$(printf '%s\n' "$out" | sed -n 's/^TOOLCHAIN_BIN=//p' | tail -n1)
  fi
  local bins=(etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok vc-webhook-manager vc-controller-manager vc-scheduler)
  real_node_wanted && bins+=(kubelet kube-proxy ascend-device-plugin sfsturbo-csi coredns)
  for b in "${bins[@]}"; do
    [ -x "$BIN/$b" ] || die "$b not found in $BIN (run scripts/toolchain.sh)"
  done
  CACHE_DIR=$(dirname "$BIN")
  # shellcheck source=../toolchain/versions.env
  source "$repo/toolchain/versions.env"
  CRDS="$(dirname "$BIN")/volcano-crds-$VOLCANO_VERSION"
  [ -f "$CRDS/nodeinfo.volcano.sh_numatopologies.yaml" ] || die "Volcano CRDs missing in $CRDS (run scripts/toolchain.sh volcano)"
}
kc() { "$BIN/kubectl" --kubeconfig "$KUBECONFIG_PATH" "$@"; }
# installed_bin: where the toolchain's binaries are, for commands that do not build it (status, stop).
installed_bin() { echo "${ASCEND_TOOLCHAIN_BIN:-${ASCEND_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ascend-stack}/bin}"; }
# webhook_serving: Volcano's admission server answers TLS with a cert the cluster CA signed (any
# HTTP status will do: a GET without an AdmissionReview is an error, but a served one).
webhook_serving() {
  curl -s -o /dev/null --max-time 2 --cacert "$pki/ca.crt" -w '%{http_code}' "https://127.0.0.1:$VC_WEBHOOK_PORT/jobs/validate" | grep -qv '^000$'
}
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

# restart_after_outage <program...>: stops the running ones, so that `launch` starts them afresh.
restart_after_outage() { stop_for_restart "the API server was down (its informers start afresh)" "$@"; }
# stop_for_restart <reason> <program...>: stops the running ones, so that `launch` starts them afresh.
stop_for_restart() {
  local reason=$1 c
  shift
  for c in "$@"; do
    [ "$(state_of "$c")" = RUNNING ] || continue
    say "restarting $c: $reason"
    ctl stop "$c" >/dev/null
  done
  refresh_status
}

# ---- commands -----------------------------------------------------------------------------
cmd_start() {
  local nodes=${ASCEND_LOCAL_NODES:-4} mc_nodes=${ASCEND_MINDCLUSTER_NODES:-2} i c kind keep
  while [ $# -gt 0 ]; do
    case $1 in
      --nodes) nodes=${2:?--nodes needs a number}; shift 2 ;;
      --nodes=*) nodes=${1#*=}; shift ;;
      --mindcluster-nodes) mc_nodes=${2:?--mindcluster-nodes needs a number}; shift 2 ;;
      --mindcluster-nodes=*) mc_nodes=${1#*=}; shift ;;
      --no-real-node) ASCEND_REAL_NODE=0; set_components; shift ;;
      *) die "unknown start option '$1'" ;;
    esac
  done
  # Up to 50: the stand-in chip addresses of mindcluster-node-<i> start at node index 50
  # (nodeIndexOf in cluster/device-allocator.mjs), so the two kinds of node never share one.
  if [[ ! $nodes =~ ^[0-9]+$ ]] || [ "$nodes" -lt 1 ] || [ "$nodes" -gt 50 ]; then die "--nodes must be 1..50"; fi
  if [[ ! $mc_nodes =~ ^[0-9]+$ ]] || [ "$mc_nodes" -gt 40 ]; then die "--mindcluster-nodes must be 0..40"; fi
  mkdir -p "$state/run" "$state/logs" "$state/etcd"

  ensure_debian_package supervisord supervisor "the process supervisor of the local cluster"
  if real_node_wanted; then node_packages; fi
  toolchain
  refresh_status
  if [ "$(awk '$2 == "RUNNING"' <<<"$STATUS" | wc -l)" = ${#COMPONENTS[@]} ] && readyz; then
    say "already running ($SERVER)"
  fi

  stop_untracked
  choose_ports

  "$here/certs.sh" "$pki" 2>"$state/logs/certs.log" || { cat "$state/logs/certs.log" >&2; die "certificate generation failed"; }
  kubeconfig "$KUBECONFIG_PATH" admin
  kubeconfig "$state/controller-manager.kubeconfig" controller-manager
  kubeconfig "$state/scheduler.kubeconfig" scheduler
  kubeconfig "$state/volcano.kubeconfig" volcano
  kubeconfig "$state/kubelet.kubeconfig" kubelet
  kubeconfig "$state/kube-proxy.kubeconfig" kube-proxy
  kubeconfig "$state/coredns.kubeconfig" coredns
  # Without the real node, this cluster gives it up first if it has it (its programs leave the config).
  if real_node_wanted; then write_node_files; node_claim; else node_teardown; fi
  write_config
  start_supervisor

  refresh_status
  # Controllers act on informer events: across an API server outage they can miss one for good (a
  # PodGroup admitted while Volcano's controller re-listed left its job without pods; watches
  # refused by the restarting API server's not yet synced authorizer left a claim unbound). After
  # the API server had to be (re)started, the controller-manager, the scheduler and Volcano's
  # controller and scheduler are restarted too, so they begin from a fresh, complete list.
  local apiserver_was_down=false
  [ "$(state_of kube-apiserver)" = RUNNING ] || apiserver_was_down=true
  launch etcd
  wait_for etcd 30 curl -sf --max-time 2 "http://127.0.0.1:$ETCD_PORT/health"
  launch kube-apiserver
  say "waiting for $SERVER/readyz"
  wait_for kube-apiserver 90 readyz
  if $apiserver_was_down; then restart_after_outage kube-controller-manager kube-scheduler; fi
  launch kube-controller-manager
  launch kube-scheduler
  launch kwok
  launch device-plugin
  launch ascend-operator
  launch nfs-provisioner

  say "ensuring $nodes fake Ascend node(s) of CCE and $mc_nodes of MindCluster"
  for ((i = 0; i < nodes; i++)); do node_manifest "$i"; done | kc apply -f - >/dev/null
  node "$here/mindcluster-nodes.mjs" "$mc_nodes" "$KUBERNETES_VERSION" | kc apply -f - >/dev/null
  # Drop nodes beyond --nodes (--mindcluster-nodes) left over from an earlier, larger start.
  kc get nodes -o name | sed -n 's#^node/\(ascend\|mindcluster\)-node-\([0-9]*\)$#\1 \2#p' | while read -r kind i; do
    case $kind in ascend) keep=$nodes ;; *) keep=$mc_nodes ;; esac
    [ "$i" -lt "$keep" ] && continue
    kc delete node "$kind-node-$i" --wait=false >/dev/null
    kc -n kube-system delete configmap "mindx-dl-deviceinfo-$kind-node-$i" --ignore-not-found >/dev/null
  done

  say "installing Volcano: CRDs, access, admission webhooks"
  kc apply --server-side --force-conflicts -f "$CRDS" >/dev/null
  # Retried: `kubectl wait` errors out (instead of waiting) while a new CRD has no conditions yet.
  wait_for kube-apiserver 30 kc wait --for=condition=Established --timeout=5s \
    crd/jobs.batch.volcano.sh crd/commands.bus.volcano.sh crd/numatopologies.nodeinfo.volcano.sh crd/queues.scheduling.volcano.sh crd/podgroups.scheduling.volcano.sh >/dev/null
  kc apply -f "$here/volcano/rbac.yaml" >/dev/null
  "$here/volcano/webhooks.sh" "$VC_WEBHOOK_PORT" "$pki/ca.crt" | kc apply -f - >/dev/null
  launch vc-webhook-manager
  wait_for vc-webhook-manager 60 webhook_serving
  if $apiserver_was_down; then restart_after_outage vc-controller-manager vc-scheduler; fi
  launch vc-controller-manager
  launch vc-scheduler
  # Through the webhooks now serving (queues are mutated and validated like any other).
  kc apply --server-side --force-conflicts -f "$here/default-queue.yaml" >/dev/null
  # SFS Turbo's CSI driver and StorageClass, as CCE's Everest add-on registers them.
  kc apply --server-side --force-conflicts -f "$here/everest.yaml" >/dev/null
  # The mindcluster profile's RWX StorageClass.
  kc apply --server-side --force-conflicts -f "$here/mindcluster.yaml" >/dev/null

  wait_for kwok 60 kc wait --for=condition=Ready node -l accelerator/huawei-npu=ascend-1980 --timeout=5s
  if [ "$mc_nodes" -gt 0 ]; then wait_for kwok 60 kc wait --for=condition=Ready node -l accelerator=huawei-Ascend910 --timeout=5s; fi
  # Pods are rejected until the service-account controller has made `default`.
  wait_for kube-controller-manager 60 kc -n default get serviceaccount default
  wait_for kube-scheduler 30 curl -skf --max-time 2 "https://127.0.0.1:$SCHEDULER_PORT/healthz"
  wait_for device-plugin 30 this_run_logged device-plugin "watching pods"
  wait_for ascend-operator 30 this_run_logged ascend-operator "watching rank-table jobs"
  wait_for nfs-provisioner 30 this_run_logged nfs-provisioner "provisioning claims"
  wait_for vc-controller-manager 30 curl -sf --max-time 2 "http://127.0.0.1:$VC_CONTROLLER_PORT/healthz"
  wait_for vc-scheduler 30 curl -sf --max-time 2 "http://127.0.0.1:$VC_SCHEDULER_PORT/healthz"
  if real_node_wanted; then node_start; else node_forget; fi
  refresh_status
  for c in "${COMPONENTS[@]}"; do [ "$(state_of "$c")" = RUNNING ] || fail_component "$c" "process exited"; done
  if real_node_wanted; then
    say "cluster ready: $nodes kwok node(s), $mc_nodes MindCluster kwok node(s) and the real node $NODE_NAME, context $CONTEXT"
  else
    say "cluster ready: $nodes node(s) and $mc_nodes MindCluster node(s), context $CONTEXT"
  fi
  echo "export KUBECONFIG=$KUBECONFIG_PATH"
}

cmd_stop() {
  local purge=0 pid
  [ "${1:-}" = --purge ] && purge=1
  if supervisor_up; then
    node_teardown
    stop_programs
    pid=$(ctl pid)
    ctl shutdown >/dev/null
    timeout 20 tail --pid="$pid" -s 0.2 -f /dev/null || true
    say "stopped supervisord (pid $pid)"
  fi
  stop_untracked
  if [ $purge = 1 ]; then
    node_paths
    node_unmount
    case $KUBELET_ROOT in "$state"/*) ;; *) rm -rf --one-file-system "$KUBELET_ROOT" ;; esac
    rm -rf --one-file-system "$state"
    say "purged $state"
  else say "stopped (data kept in $state)"; fi
}

cmd_status() {
  local up=0 c line
  refresh_status
  if [ -n "$STATUS" ]; then
    printf '%-24s running (pid %s), config %s, log %s\n' supervisord "$(ctl pid)" "$CONF" "$state/logs/supervisord.log"
  else
    printf '%-24s not running (%s)\n' supervisord "$CONF"
  fi
  for c in "${COMPONENTS[@]}"; do
    # supervisorctl's line without the name, e.g. "RUNNING pid 123, uptime 0:04:10" or "EXITED <when>".
    line=$(awk -v n="$c" '$1 == n { $1 = ""; sub(/^ +/, ""); print }' <<<"$STATUS")
    printf '%-24s %-44s log %s\n' "$c" "${line:-STOPPED}" "$state/logs/$c.log"
    [[ $line == RUNNING* ]] && up=1
  done
  [ $up = 1 ] || return 3
  if [ -f "$pki/admin.crt" ] && readyz; then
    echo "apiserver                $SERVER ready"
    BIN=$(installed_bin)
    if [ -x "$BIN/kubectl" ]; then kc get nodes -o wide; fi
  else
    echo "apiserver                $SERVER not ready"; return 1
  fi
}

case ${1:-} in
  start) shift; cmd_start "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  status) cmd_status ;;
  env) echo "export KUBECONFIG=$KUBECONFIG_PATH" ;;
  node-owner) cat "$NODE_OWNER" 2>/dev/null || true ;;
  stop-node)
    if supervisor_up; then node_teardown; fi
    node_forget
    say "the real node's programs are stopped, and it left this cluster's node list" ;;
  ctl)
    shift
    if [ ! -f "$CONF" ] || ! command -v supervisorctl >/dev/null; then die "no cluster in $state: \`$0 start\` first"; fi
    exec supervisorctl -c "$CONF" "$@" ;;
  *) echo "usage: $0 start [--nodes N] [--mindcluster-nodes M] [--no-real-node] | stop [--purge] | stop-node | node-owner | status | env | ctl <supervisorctl args>" >&2; exit 2 ;;
esac
