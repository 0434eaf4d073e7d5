/** Scheduling constraints shared by the NPU workloads. */
import type { AcceleratorConfig } from "./accelerator";
import type { Toleration } from "./schemas";

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

/**
 * A device-plugin pod's placement: any accelerator node, narrowed by the workload's own placement,
 * never an inventory node; the accelerator's tolerations, then the workload's.
 */
export function acceleratorPlacement(
  accelerator: Pick<AcceleratorConfig, "nodeSelector" | "tolerations">,
  own: { nodeSelector: Record<string, string>; tolerations: Toleration[] } | undefined,
  inventoryHosts: readonly string[],
) {
  const tolerations = [...accelerator.tolerations, ...(own?.tolerations ?? [])];
  return {
    nodeSelector: { ...accelerator.nodeSelector, ...own?.nodeSelector },
    ...avoidHosts(inventoryHosts),
    ...(tolerations.length ? { tolerations } : {}),
  };
}
