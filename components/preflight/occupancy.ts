/** What pods that are not the stack's own hold on each node: NPUs and host ports. Pure. */
import { podHostPorts, podUnits } from "./nodes";
import type { ClusterPodJson } from "./snapshot";

export interface NodeOccupancy {
  npus: number;
  ports: Set<number>;
  /** The pods holding NPUs or host ports there. */
  holders: { pod: ClusterPodJson; npus: number; ports: number[] }[];
}

/** By node name; `isOwn` pods are left out (the stack reuses what they hold). Pending pods hold nothing yet. */
export function occupancyByNode(
  pods: readonly ClusterPodJson[],
  resource: string,
  isOwn: (pod: ClusterPodJson) => boolean,
): Map<string, NodeOccupancy> {
  const byNode = new Map<string, NodeOccupancy>();
  for (const pod of pods) {
    const node = pod.spec.nodeName;
    if (!node || isOwn(pod)) continue;
    const npus = podUnits(pod, resource);
    const ports = podHostPorts(pod);
    if (npus === 0 && ports.length === 0) continue;
    const entry = byNode.get(node) ?? { npus: 0, ports: new Set<number>(), holders: [] };
    entry.npus += npus;
    for (const p of ports) entry.ports.add(p);
    entry.holders.push({ pod, npus, ports });
    byNode.set(node, entry);
  }
  return byNode;
}
