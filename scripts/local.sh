#!/usr/bin/env bash
# The local demo: the `local` stack (Pulumi.local.yaml) on the local simulated CCE cluster. Each
# command works from any shell (it brings its own pulumi, kubectl and local backend):
#   npm run local                   up:      toolchain, cluster, `pulumi up`, then what was created
#   npm run local:preview           preview: `pulumi preview --diff` with the policy pack (after editing Pulumi.local.yaml)
#   npm run local:destroy           destroy: `pulumi destroy --exclude-protected` (keeps the volume)
#   npm run local:stop [-- --purge] stop:    stop the cluster (--purge: delete it and its data)
#   npm run local:status            status:  the cluster's processes and nodes
#   npm run local:pulumi -- <args>  pulumi:  any pulumi command, e.g. `-- stack output --stack local`
#   npm run local:kubectl -- <args> kubectl: any kubectl command against the cluster
#
# `up` brings the demo up from whatever state it was left in: a stopped or half-started cluster is
# started, processes of its folder that its supervisord does not track are stopped, ports taken by
# other programs are replaced by free ones, a cluster that does not start is rebuilt; a stack state that describes
# another cluster (it was purged or moved) is reset (the stack is throw-away), a stale lock of a
# killed run is removed and operations an interrupted run left pending are cleared.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
source "$repo/scripts/lib.sh"
STACK=local
# The demo's cluster and state are always the ones Pulumi.local.yaml and .local/ name, whatever
# the calling shell has set for the tests.
unset ASCEND_CLUSTER_DIR ASCEND_BACKEND_URL ASCEND_KUBECONFIG ASCEND_PORT_OFFSET

cmd=${1:-up}; [ $# -gt 0 ] && shift

ensure_node_modules "$repo"
source "$repo/scripts/env.sh"
cd "$repo"
backend_dir=${PULUMI_BACKEND_URL#file://}

# Only `up` builds the toolchain; the other commands need it installed.
have_toolchain() {
  if ! command -v pulumi >/dev/null || ! command -v kubectl >/dev/null; then
    die "the local toolchain is not installed yet: run \`npm run local\` first"
  fi
}
cluster_up() {
  "$repo/scripts/cluster.sh" status >/dev/null 2>&1 ||
    die "the local cluster is not running: \`npm run local\` starts it (and deploys the demo)"
}

# Removes lock files of this stack left by a pulumi process that no longer runs on this host.
clear_stale_locks() {
  local f pid host
  for f in "$backend_dir"/.pulumi/locks/*/*/"$STACK"/*.json "$backend_dir"/.pulumi/locks/"$STACK"/*.json; do
    [ -f "$f" ] || continue
    pid=$(node -e 'const l = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(l.pid, l.hostname)' "$f") || continue
    host=${pid#* }; pid=${pid%% *}
    if [ "$host" = "$(hostname)" ] && ! kill -0 "$pid" 2>/dev/null; then
      say "Removing the lock of an earlier run that no longer runs (pid $pid): $f"
      rm -f "$f"
    fi
  done
}

# Checks the stack's state against the running cluster (scripts/local-state.mjs) and repairs it.
reconcile_state() {
  local check
  check=$(pulumi stack export --stack "$STACK" --show-secrets | node "$repo/scripts/local-state.mjs" "$KUBECONFIG") ||
    die "could not read the state of stack $STACK"
  case $check in
    different*)
      say "The $STACK stack's state belongs to another cluster: ${check#different }."
      say "The demo cluster was purged or re-created, so that state describes objects that no longer exist. The $STACK stack is throw-away: resetting its state (Pulumi.local.yaml is kept) and deploying anew"
      pulumi stack rm --stack "$STACK" --force --yes --preserve-config >/dev/null
      pulumi stack init "$STACK" >/dev/null
      return ;;
  esac
  if [[ $check == *pending* ]]; then
    say "An interrupted run left $(sed -n 's/^pending //p' <<<"$check") pending operation(s): clearing them (pulumi refresh --clear-pending-creates)"
    pulumi refresh --stack "$STACK" --yes --skip-preview --clear-pending-creates >/dev/null
  fi
}

next_steps() {
  cat <<'EOF'

Next steps (each works from any shell in this folder):
  npm run local:preview              # pulumi preview --diff of the local stack, e.g. after editing Pulumi.local.yaml
  npm run local                      # apply the changes (pulumi up)
  npm run local:destroy              # pulumi destroy --exclude-protected (the SFS Turbo volume stays)
  npm run local:stop                 # stop the cluster (npm run local:stop -- --purge also deletes it)
  npm run local:pulumi -- stack output --stack local    # any pulumi command
  npm run local:kubectl -- get pods -o wide             # any kubectl command
EOF
}

# rank_table <namespace> <job>: the status of the job's rank table in configmap1980-<job>, with its
# size once the configmap1980 plugin has written it.
rank_table() {
  # shellcheck disable=SC2016 # JavaScript, not shell
  kubectl -n "$1" get configmap "configmap1980-$2" -o jsonpath='{.data.jobstart_hccl\.json}' 2>/dev/null | node -e '
    let t = "";
    process.stdin.on("data", (c) => (t += c)).on("end", () => {
      try {
        const r = JSON.parse(t), servers = r.server_list ?? [];
        const ranks = servers.reduce((n, s) => n + s.device.length, 0);
        console.log(r.status + (servers.length ? `, ${servers.length} server(s), ${ranks} rank(s)` : ""));
      } catch { console.log("missing"); }
    });'
}

# training_status <namespace>: each Volcano training job's state line, its pods (task, node) and
# its rank table. A job whose pods are bound gets a few seconds first for Volcano's status and the
# configmap1980 plugin to catch up.
training_status() {
  local ns=$1 jobs job
  jobs=$(kubectl -n "$ns" get jobs.batch.volcano.sh -o jsonpath='{.items[*].metadata.name}' 2>/dev/null) || return 0
  [ -n "$jobs" ] || return 0
  for job in $jobs; do
    for _ in $(seq 30); do
      [ -n "$(kubectl -n "$ns" get pods -l "volcano.sh/job-name=$job" -o jsonpath='{.items[*].spec.nodeName}')" ] || break
      [[ $(rank_table "$ns" "$job") == completed* ]] &&
        [ "$(kubectl -n "$ns" get jobs.batch.volcano.sh "$job" -o jsonpath='{.status.state.phase}')" = Running ] && break
      sleep 0.5
    done
  done
  say "Training jobs (Volcano)"
  kubectl -n "$ns" get jobs.batch.volcano.sh -o custom-columns='JOB:.metadata.name,STATE:.status.state.phase,MIN AVAILABLE:.spec.minAvailable,RUNNING:.status.running,PENDING:.status.pending,RETRIES:.status.retryCount'
  kubectl -n "$ns" get pods -l volcano.sh/job-name -o custom-columns='POD:.metadata.name,JOB:.metadata.labels.volcano\.sh/job-name,TASK:.metadata.labels.volcano\.sh/task-spec,NODE:.spec.nodeName,HOST IP:.status.hostIP,PHASE:.status.phase'
  for job in $jobs; do echo "rank table of $job (configmap1980-$job): $(rank_table "$ns" "$job")"; done
}

# inference_status <namespace>: each P/D deployment's Service answers a completion request sent
# from this machine (the real node: kube-proxy routes its ClusterIP), and the command to send one.
# Its pods may still be (re)starting, e.g. after a stop: then it says so and does not wait.
inference_status() {
  local ns=$1 svc ip port model answer cmd
  for svc in $(kubectl -n "$ns" get services -l app.kubernetes.io/component=scheduler -o jsonpath='{.items[*].metadata.name}' 2>/dev/null); do
    ip=$(kubectl -n "$ns" get service "$svc" -o jsonpath='{.spec.clusterIP}')
    port=$(kubectl -n "$ns" get service "$svc" -o jsonpath='{.spec.ports[0].port}')
    model=$(kubectl -n "$ns" get deployment "$svc-scheduler" -o jsonpath='{.spec.template.spec.containers[0].command}' 2>/dev/null |
      node -e 'let t="";process.stdin.on("data",(c)=>(t+=c)).on("end",()=>{try{const a=JSON.parse(t);console.log(a[a.indexOf("--served-model-name")+1]??"")}catch{}})') || true
    cmd="curl -s http://$ip:$port/v1/completions -H 'Content-Type: application/json' -d '{\"model\": \"${model:-<model>}\", \"prompt\": \"What is an NPU?\", \"max_tokens\": 8}'"
    COMPLETIONS+=("$cmd")
    # shellcheck disable=SC2016 # JavaScript, not shell
    answer=$(bash -c "$cmd --max-time 10" 2>/dev/null | node -e 'let t="";process.stdin.on("data",(c)=>(t+=c)).on("end",()=>{try{const s=JSON.parse(t).served_by;console.log(`prefill on cards ${s.prefill.cards} (port ${s.prefill.port}), then decode on cards ${s.decode.cards} (port ${s.decode.port})`)}catch{}})') || true
    if [ -n "$answer" ]; then
      say "P/D deployment $svc ($svc.$ns.svc.cluster.local:$port, ClusterIP $ip) answered a completion request: $answer"
    else
      say "P/D deployment $svc ($svc.$ns.svc.cluster.local:$port, ClusterIP $ip) does not answer yet: its pods run on the real node only and may still be starting (\`npm run local:kubectl -- -n $ns get pods -o wide\`)"
    fi
  done
}
COMPLETIONS=()

cmd_up() {
  ensure_toolchain "$repo"
  say "Starting the local simulated CCE cluster ($ASCEND_CLUSTER_DIR)"
  if ! "$repo/scripts/cluster.sh" start; then
    say "The demo cluster did not start (see above). It is throw-away: deleting it and starting a new one"
    "$repo/scripts/cluster.sh" stop --purge || true
    "$repo/scripts/cluster.sh" start || die "the local cluster did not start (see above)"
  fi

  say "Validating Pulumi.local.yaml"
  npx tsx scripts/validate.ts Pulumi.local.yaml || die "Pulumi.local.yaml is invalid"
  pulumi stack select "$STACK" 2>/dev/null || pulumi stack init "$STACK"
  clear_stale_locks
  reconcile_state
  say "pulumi up (stack $STACK)"
  pulumi up --yes --skip-preview --stack "$STACK" || die "pulumi up failed (see above)"

  say "Stack outputs"
  pulumi stack output --stack "$STACK" --json
  local ns; ns=$(pulumi stack output namespace --stack "$STACK")
  say "What was created in the cluster (namespace $ns)"
  kubectl get persistentvolumes -l app.kubernetes.io/part-of=ascend-stack
  kubectl -n "$ns" get persistentvolumeclaims,configmaps,secrets,daemonsets,deployments,services,networkpolicies -l app.kubernetes.io/part-of=ascend-stack
  kubectl -n "$ns" get jobs.batch.volcano.sh,configmaps -l ring-controller.cce
  say "Where the pods landed"
  kubectl -n "$ns" get pods -o wide
  training_status "$ns"
  inference_status "$ns"
  echo
  echo "Done: the local stack is up on $(sed -n 's/^ *server: //p' "$KUBECONFIG")."
  if [ ${#COMPLETIONS[@]} -gt 0 ]; then
    echo
    echo "Send a completion request to the P/D deployment yourself (this machine is the cluster's real node,"
    echo "so the Service's ClusterIP answers here; from a pod, use its name <service>.<namespace>.svc.cluster.local):"
    printf '  %s\n' "${COMPLETIONS[@]}"
  fi
  next_steps
}

case $cmd in
  up) cmd_up ;;
  preview)
    have_toolchain; cluster_up; clear_stale_locks
    pulumi stack select "$STACK" >/dev/null 2>&1 || die "there is no local stack yet: run \`npm run local\`"
    check=$(pulumi stack export --stack "$STACK" --show-secrets | node "$repo/scripts/local-state.mjs" "$KUBECONFIG") || die "could not read the state of stack $STACK"
    [[ $check != different* ]] || die "the local stack was deployed to a cluster that no longer exists (${check#different }): run \`npm run local\`"
    # A preview writes no state, yet the file backend rebuilds and checks the whole snapshot after
    # every step and then discards it; skipping that changes nothing a preview shows or keeps and
    # saves time that grows with the square of the stack's size (docs/performance.md).
    # With the project's policy pack (docs/policy-pack.md): the manual's rules on every object.
    PULUMI_SKIP_CHECKPOINTS=true pulumi preview --diff --stack "$STACK" --policy-pack "$repo/policy" "$@" ;;
  destroy)
    have_toolchain; cluster_up; clear_stale_locks
    pulumi stack select "$STACK" >/dev/null 2>&1 || die "there is no local stack yet: nothing to destroy"
    check=$(pulumi stack export --stack "$STACK" --show-secrets | node "$repo/scripts/local-state.mjs" "$KUBECONFIG") || die "could not read the state of stack $STACK"
    [[ $check != different* ]] || die "the local stack was deployed to a cluster that no longer exists (${check#different }): nothing of it is left to destroy; \`npm run local\` starts over"
    pulumi destroy --stack "$STACK" --exclude-protected --yes "$@"
    say "Destroyed the local stack's objects; the protected SFS Turbo volume (PV and PVC) stays. \`npm run local\` deploys again." ;;
  stop) exec "$repo/scripts/cluster.sh" stop "$@" ;;
  status) exec "$repo/scripts/cluster.sh" status ;;
  pulumi) have_toolchain; exec pulumi "$@" ;;
  kubectl) have_toolchain; exec kubectl "$@" ;;
  *) die "usage: scripts/local.sh up|preview|destroy|stop [--purge]|status|pulumi <args>|kubectl <args>" ;;
esac
