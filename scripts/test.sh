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
  if [ -n "${demo_pid:-}" ]; then kill "$demo_pid" 2>/dev/null && wait "$demo_pid" 2>/dev/null; fi
  if $started_here; then say "Stopping the test cluster"; "$repo/scripts/cluster.sh" stop || true; fi
}
trap stop_cluster EXIT

# The type check and the lint run side by side (output kept apart, shown in order), then the unit tests.
checks="$repo/.local/test/checks"
mkdir -p "$checks"
say "Type check and lint (eslint, prettier, shellcheck, actionlint, gofmt), side by side"
npx tsc --noEmit -p . >"$checks/tsc.log" 2>&1 &
tsc_pid=$!
bash "$repo/scripts/lint.sh" >"$checks/lint.log" 2>&1 &
lint_pid=$!
tsc_ok=true lint_ok=true
wait "$tsc_pid" || tsc_ok=false
wait "$lint_pid" || lint_ok=false
cat "$checks/tsc.log" "$checks/lint.log" >&2
$tsc_ok || die "type errors (above)"
$lint_ok || die "lint findings (above); \`npm run format\` fixes formatting"

say "Unit tests"
npx vitest run --project unit

say "Waiting for the test cluster"
if ! wait "$cluster_start"; then
  tail -n 40 "$start_log" >&2
  die "the test cluster did not start (above; whole log: $start_log)"
fi
grep -E '^\[cluster \+[0-9]+s\] cluster ready' "$start_log" >&2 || true

# The end-to-end suites, in two phases (docs: README, "Tests"):
#   1. the demo's suite, with its own cluster, beside every suite that needs no real node, which run
#      in order against the tests' cluster, kwok-only: the demo takes the machine's one real node
#      first (the tests' cluster forgets it), then those suites start;
#   2. the suites that need the real node (they call claimRealNode), in order, once the demo is gone.
cd "$repo"
beside=(test/e2e/local-demo.test.ts)
mapfile -t needs_node < <(grep -l 'claimRealNode()' test/e2e/*.test.ts)
kwok_only=()
for f in test/e2e/*.test.ts; do
  [[ " ${beside[*]} ${needs_node[*]} " == *" $f "* ]] || kwok_only+=("$f")
done
e2e_status=0
demo_log="$repo/.local/test/e2e-demo.log"
say "End-to-end tests, phase 1: ${beside[*]} (its own cluster; log: $demo_log) beside ${#kwok_only[@]} suite(s) on the tests' cluster at $(sed -n 's/^ *server: //p' "$KUBECONFIG")"
npx vitest run --project e2e "${beside[@]}" >"$demo_log" 2>&1 &
demo_pid=$!
# The kwok-only suites start once the demo has the real node (it starts the node at once).
for _ in $(seq 600); do
  [ "$("$repo/scripts/cluster.sh" node-owner)" != "$ASCEND_CLUSTER_DIR" ] && break
  kill -0 "$demo_pid" 2>/dev/null || break
  sleep 0.5
done
ASCEND_REAL_NODE=0 npx vitest run --project e2e "${kwok_only[@]}" || e2e_status=1
wait "$demo_pid" || e2e_status=1
say "End-to-end tests, phase 1: output of ${beside[*]}"
cat "$demo_log"
say "End-to-end tests, phase 2: ${needs_node[*]} (the real node back on the tests' cluster)"
npx vitest run --project e2e "${needs_node[@]}" || e2e_status=1
[ $e2e_status = 0 ] || die "end-to-end tests failed (above; the demo's suite: $demo_log)"
