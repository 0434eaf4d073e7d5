#!/usr/bin/env bash
# `npm run bench`: times pulumi preview/up against kubectl apply (server-side dry-run and plain)
# for training stacks of 10, 100 and 500 Kubernetes objects and a P/D stack on the local
# simulated cluster, profiles where the time goes, and prints the tables (also in
# .local/bench/results.md). The work is in scripts/bench/run.ts.
#   BENCH_SIZES=10,100 BENCH_REPS=3 npm run bench      sizes (even numbers) and runs per cell
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
source "$repo/scripts/lib.sh"
ensure_node_modules "$repo"
# Throw-away stacks get their own state folder, away from the local/e2e stacks in .local/state.
mkdir -p "$repo/.local/bench/state"
export ASCEND_BACKEND_URL="file://$repo/.local/bench/state"
source "$repo/scripts/env.sh"
# toolchain.sh prints TOOLCHAIN_BIN=… on stdout: keep stdout for the table.
ensure_toolchain "$repo" >&2

# Start the cluster only when nothing of it runs (status exit 3), and then stop it at the end;
# a cluster someone else started (or half-started) is left as it was found.
started=0
status=0; "$repo/scripts/cluster.sh" status >/dev/null 2>&1 || status=$?
if [ "$status" != 0 ]; then
  say "Starting the local simulated CCE cluster"
  # Without the real node: the benchmark's pods stay on the simulated nodes, and a test run
  # that holds the real node keeps it.
  "$repo/scripts/cluster.sh" start --no-real-node >&2 || die "the local cluster did not start"
  [ "$status" = 3 ] && started=1
fi
trap '[ $started = 1 ] && { say "Stopping the local cluster (the benchmark started it)"; "$repo/scripts/cluster.sh" stop >&2; }' EXIT

cd "$repo"
say "Benchmark: sizes ${BENCH_SIZES:-10,100,500} and P/D, ${BENCH_REPS:-3} runs each"
npx tsx scripts/bench/run.ts
