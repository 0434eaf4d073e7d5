#!/usr/bin/env bash
# Prints the admission webhook configurations of Volcano's webhook manager for the local cluster:
# the seven upstream registers (names volcano-admission-service-<path>, which vc-webhook-manager
# looks up at start), each pointing at https://127.0.0.1:<port><path> with the cluster CA as
# caBundle (it signed the webhook's serving cert). kube-system is left out, as upstream does.
# Usage: webhooks.sh <port> <ca.crt>
set -euo pipefail
port=$1
ca=$(base64 -w0 <"$2")

# webhook <Mutating|Validating> <path> <group> <version> <resource> <operations> <webhook name>
webhook() {
  cat <<YAML
---
apiVersion: admissionregistration.k8s.io/v1
kind: $1WebhookConfiguration
metadata:
  name: volcano-admission-service${2//\//-}
  labels: {app.kubernetes.io/part-of: ascend-local-cluster}
webhooks:
  - name: $7
    admissionReviewVersions: [v1]
    clientConfig:
      url: https://127.0.0.1:$port$2
      caBundle: $ca
    failurePolicy: Fail
    matchPolicy: Equivalent
    namespaceSelector:
      matchExpressions: [{key: kubernetes.io/metadata.name, operator: NotIn, values: [kube-system]}]
    rules:
      - {apiGroups: ["$3"], apiVersions: [$4], operations: [$6], resources: [$5], scope: "*"}
    sideEffects: NoneOnDryRun
    timeoutSeconds: 10
YAML
}

webhook Mutating /pods/mutate "" v1 pods CREATE mutatepod.volcano.sh
webhook Mutating /queues/mutate scheduling.volcano.sh v1beta1 queues CREATE mutatequeue.volcano.sh
webhook Mutating /podgroups/mutate scheduling.volcano.sh v1beta1 podgroups CREATE mutatepodgroup.volcano.sh
webhook Mutating /jobs/mutate batch.volcano.sh v1alpha1 jobs CREATE mutatejob.volcano.sh
webhook Validating /jobs/validate batch.volcano.sh v1alpha1 jobs "CREATE, UPDATE" validatejob.volcano.sh
webhook Validating /pods/validate "" v1 pods CREATE validatepod.volcano.sh
webhook Validating /queues/validate scheduling.volcano.sh v1beta1 queues "CREATE, UPDATE, DELETE" validatequeue.volcano.sh
