#!/usr/bin/env bash
# The one test command (`npm test`): installs what it needs, starts the test's own local simulated
# CCE cluster, runs every vitest suite (unit, then end-to-end against the real Pulumi engine), and
# stops the cluster again. `npm test -- unit` runs only the unit suite (no toolchain, no cluster).
#
# Nothing is shared with the demo (`npm run local`): the tests use their own cluster folder
# (.local/test/cluster), their own ports (the demo's + 100, or the next free ones) and their own
# Pulumi state (.local/test/state), so a demo left running never affects them, and vice versa.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
source "$repo/scripts/lib.sh"
export ASCEND_CLUSTER_DIR="$repo/.local/test/cluster" ASCEND_BACKEND_URL="file://$repo/.local/test/state"
export ASCEND_PORT_OFFSET=${ASCEND_TEST_PORT_OFFSET:-100}
unset ASCEND_KUBECONFIG ASCEND_ETCD_PORT ASCEND_ETCD_PEER_PORT ASCEND_APISERVER_PORT ASCEND_KCM_PORT ASCEND_SCHEDULER_PORT ASCEND_KWOK_PORT
ensure_node_modules "$repo"
source "$repo/scripts/env.sh"

if [ "${1:-}" = unit ]; then
  exec npx vitest run --project unit
fi

# The tests' cluster starts in the background (after the toolchain it needs) while the type check,
# lint and unit tests run: they need no cluster. Its output goes to a log, shown if it fails.
ensure_toolchain "$repo"
start_log="$repo/.local/test/cluster-start.log"
mkdir -p "$(dirname "$start_log")"
started_here=false
# A test cluster that runs and answers is reused (completed by `start`, and left running); anything else (stopped, half
# started, left by an aborted run) is thrown away with the test state that described it.
if ! "$repo/scripts/cluster.sh" status >/dev/null 2>&1; then
  say "Starting the tests' own local simulated CCE cluster ($ASCEND_CLUSTER_DIR) in the background (log: $start_log)"
  { "$repo/scripts/cluster.sh" stop --purge >/dev/null 2>&1 || true
    rm -rf "${PULUMI_BACKEND_URL#file://}"; mkdir -p "${PULUMI_BACKEND_URL#file://}"
    "$repo/scripts/cluster.sh" start; } >"$start_log" 2>&1 &
  started_here=true
else
  # Reused: `start` brings up whatever is not running (e.g. a component added since it started).
  say "Completing the running test cluster in the background (scripts/cluster.sh start; log: $start_log)"
  "$repo/scripts/cluster.sh" start >"$start_log" 2>&1 &
fi
cluster_start=$!
stop_cluster() {
  kill "$cluster_start" 2>/dev/null && wait "$cluster_start" 2>/dev/null
  if $started_here; then say "Stopping the test cluster"; "$repo/scripts/cluster.sh" stop || true; fi
}
trap stop_cluster EXIT

say "Type check"
npx tsc --noEmit -p . || die "type errors (above)"

say "Lint (eslint, prettier, shellcheck, actionlint)"
bash "$repo/scripts/lint.sh" || die "lint findings (above); \`npm run format\` fixes formatting"

say "Unit tests"
npx vitest run --project unit

say "Waiting for the test cluster"
if ! wait "$cluster_start"; then
  tail -n 40 "$start_log" >&2
  die "the test cluster did not start (above; whole log: $start_log)"
fi
grep -E '^\[cluster \+[0-9]+s\] cluster ready' "$start_log" >&2 || true

say "End-to-end tests (real Pulumi engine, the test cluster at $(sed -n 's/^ *server: //p' "$KUBECONFIG"))"
npx vitest run --project e2e
