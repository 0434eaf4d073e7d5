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
ns=$(pulumi stack output namespace --stack local)
say "What was created in the cluster (namespace $ns)"
kubectl get persistentvolumes -l app.kubernetes.io/part-of=ascend-stack
kubectl -n "$ns" get persistentvolumeclaims,configmaps,secrets,daemonsets,deployments,services,networkpolicies -l app.kubernetes.io/part-of=ascend-stack
kubectl -n "$ns" get jobs.batch.volcano.sh,configmaps -l ring-controller.cce
say "Where the pods landed"
kubectl -n "$ns" get pods -o wide
echo
echo "Done. Try: pulumi preview --diff --stack local   |   scripts/cluster.sh stop   |   pulumi destroy --stack local --exclude-protected"
