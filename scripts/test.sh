#!/usr/bin/env bash
# The one test command (`npm test`): installs what it needs, starts the local simulated CCE
# cluster, runs every vitest suite (unit, then end-to-end against the real Pulumi engine), and
# stops the cluster again. `npm test -- unit` runs only the unit suite (no toolchain, no cluster).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
source "$repo/scripts/lib.sh"
ensure_node_modules "$repo"
source "$repo/scripts/env.sh"

if [ "${1:-}" = unit ]; then
  exec npx vitest run --project unit
fi

say "Type check"
npx tsc --noEmit -p . || die "type errors (above)"

say "Unit tests"
npx vitest run --project unit

ensure_toolchain "$repo"
started_here=false
if ! "$repo/scripts/cluster.sh" status >/dev/null 2>&1; then
  say "Starting the local simulated CCE cluster"
  "$repo/scripts/cluster.sh" start || die "the local cluster did not start"
  started_here=true
fi
stop_cluster() { if $started_here; then say "Stopping the local cluster"; "$repo/scripts/cluster.sh" stop || true; fi; }
trap stop_cluster EXIT

say "End-to-end tests (real Pulumi engine, local cluster)"
npx vitest run --project e2e
