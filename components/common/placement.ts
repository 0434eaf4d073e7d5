/** Scheduling constraints shared by the NPU workloads. */

/**
 * Required node anti-affinity: never schedule onto these hostnames. The stack's other NPU pods
 * use it to stay off inventory nodes, whose cards inventory instances open by path.
 */
export function avoidHosts(hostnames: readonly string[]) {
  if (hostnames.length === 0) return {};
  return {
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: "kubernetes.io/hostname", operator: "NotIn", values: [...hostnames] }] }],
        },
      },
    },
  };
}
