/**
 * Whether the stack's pods fit the nodes: a best-fit-decreasing packing of NPUs and host ports,
 * honouring each pod's node eligibility and the one-pod-per-node rule of a training job. Packing
 * is NP-hard in general; best-fit decreasing is exact when the pods' NPU counts divide one another
 * (1, 2, 4, 8 on 8-card servers, the manual's shapes), and otherwise may miss an exotic packing —
 * which is why a capacity shortfall on nodes other pods hold is only a warning. Pure.
 */
import type { PodDemand } from "./demand";

/** A node's room for the stack: NPUs and host ports still free. */
export interface NodeRoom {
  name: string;
  npus: number;
  ports: Set<number>;
}

/** A node's room while packing, and the spread groups already on it. */
type Free = NodeRoom & { groups: Set<string> };

/**
 * Places every pod (most NPUs first) on the eligible node where it leaves the least NPUs free;
 * returns the pods that found no node. `eligible[i]`: the rooms of the nodes pod i may use (by
 * labels, taints, readiness and avoided hosts), in a fixed order; rooms are told apart by node
 * name. The rooms are not modified.
 */
export function unplacedPods(pods: readonly PodDemand[], eligible: readonly (readonly NodeRoom[])[]): PodDemand[] {
  const free = new Map<string, Free>();
  for (const list of new Set(eligible))
    for (const r of list)
      if (!free.has(r.name)) free.set(r.name, { name: r.name, npus: r.npus, ports: new Set(r.ports), groups: new Set() });
  const order = pods.map((_, i) => i).sort((a, b) => pods[b].npus - pods[a].npus || eligible[a].length - eligible[b].length || a - b);
  const unplaced: PodDemand[] = [];
  for (const i of order) {
    const pod = pods[i];
    let best: Free | undefined;
    for (const node of eligible[i]) {
      const room = free.get(node.name)!;
      if (room.npus < pod.npus || pod.ports.some((p) => room.ports.has(p))) continue;
      if (pod.spreadGroup && room.groups.has(pod.spreadGroup)) continue;
      if (!best || room.npus < best.npus) best = room;
    }
    if (!best) {
      unplaced.push(pod);
      continue;
    }
    best.npus -= pod.npus;
    for (const p of pod.ports) best.ports.add(p);
    if (pod.spreadGroup) best.groups.add(pod.spreadGroup);
  }
  return unplaced;
}
