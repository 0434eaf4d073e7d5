#!/usr/bin/env bash
# The one-command local demo (`npm run local`): builds or reuses the toolchain, starts the local
# simulated CCE cluster and runs `pulumi up` on the `local` stack (Pulumi.local.yaml), then shows
# what was created and where the pods landed.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
source "$repo/scripts/lib.sh"
ensure_node_modules "$repo"
source "$repo/scripts/env.sh"
ensure_toolchain "$repo"

say "Starting the local simulated CCE cluster"
"$repo/scripts/cluster.sh" start || die "the local cluster did not start"

cd "$repo"
say "Validating Pulumi.local.yaml"
npx tsx scripts/validate.ts Pulumi.local.yaml || die "Pulumi.local.yaml is invalid"
pulumi stack select local 2>/dev/null || pulumi stack init local
say "pulumi up (stack local)"
pulumi up --yes --skip-preview --stack local || die "pulumi up failed (see above)"

say "Stack outputs"
pulumi stack output --stack local --json
say "What was created in the cluster"
kubectl get persistentvolumes,persistentvolumeclaims,configmaps,daemonsets,deployments,services,networkpolicies,jobs.batch.volcano.sh -l app.kubernetes.io/part-of=ascend-stack -A 2>/dev/null || true
say "Where the pods landed"
kubectl get pods -A -o wide -l app.kubernetes.io/part-of=ascend-stack
echo
echo "Done. Try: pulumi preview --diff --stack local   |   scripts/cluster.sh stop   |   pulumi destroy --stack local --exclude-protected"
