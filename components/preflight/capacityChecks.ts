/**
 * Preflight of NPU capacity for the pods the scheduler places (training jobs, device-plugin P/D
 * instances and schedulers): some node must match each pod, and the whole stack must fit the
 * nodes' NPUs and host ports — an error when it cannot fit even on empty nodes, a warning when it
 * fits only once pods that are not the stack's release what they hold (that may change before
 * `up`). Inventory pods are pinned to their nodes: inventoryChecks.ts. Pure.
 */
import type { StackConfig } from "../config/schema";
import type { PodDemand, StackDemand } from "./demand";
import { error, warning, type PreflightFinding } from "./findings";
import { unplacedPods, type NodeRoom } from "./fit";
import { acceptsPods, blockingTaints, hostnameOf, matchesSelector, npusOf, podRef } from "./nodes";
import type { NodeOccupancy } from "./occupancy";
import type { NodeJson } from "./snapshot";

const selectorText = (s: Record<string, string>) =>
  Object.entries(s)
    .map(([k, v]) => `${k}=${v}`)
    .join(",") || "(any node)";

/** Why no node takes a pod: the nodes matching its labels, and what keeps each of them out. */
function noNodeMessage(pod: PodDemand, nodes: readonly NodeJson[]): string {
  const labelled = nodes.filter((n) => matchesSelector(n, pod.nodeSelector));
  const head = `no node can take its pods: ${labelled.length} node(s) match ${selectorText(pod.nodeSelector)}`;
  const reasons = labelled.slice(0, 5).map((n) => {
    const taints = blockingTaints(n, pod.tolerations);
    if (!acceptsPods(n)) return `${n.metadata.name} is not Ready or is cordoned`;
    if (pod.avoidHosts.includes(hostnameOf(n))) return `${n.metadata.name} is an inventory node (inference.nodes)`;
    if (taints.length)
      return `${n.metadata.name} has taint ${taints[0].key}=${taints[0].value ?? ""}:${taints[0].effect} that its tolerations (accelerator.tolerations, placement.tolerations) do not tolerate`;
    return `${n.metadata.name} offers fewer than ${pod.npus} NPUs`;
  });
  return reasons.length ? `${head} (${reasons.join("; ")})` : head;
}

/** The nodes each pod may use, computed once per distinct placement. */
function eligibility(pods: readonly PodDemand[], nodes: readonly NodeJson[], resource: string): NodeJson[][] {
  const memo = new Map<string, NodeJson[]>();
  return pods.map((p) => {
    const key = JSON.stringify([p.nodeSelector, p.tolerations, p.avoidHosts, p.npus]);
    let found = memo.get(key);
    if (!found) {
      found = nodes.filter(
        (n) =>
          acceptsPods(n) &&
          matchesSelector(n, p.nodeSelector) &&
          !p.avoidHosts.includes(hostnameOf(n)) &&
          blockingTaints(n, p.tolerations).length === 0 &&
          npusOf(n, resource) >= p.npus,
      );
      memo.set(key, found);
    }
    return found;
  });
}

/** Pods per workload, in first-seen order. */
function byWorkload(pods: readonly PodDemand[]): Map<string, PodDemand[]> {
  const groups = new Map<string, PodDemand[]>();
  for (const p of pods) {
    const group = groups.get(p.workload);
    if (group) group.push(p);
    else groups.set(p.workload, [p]);
  }
  return groups;
}

const describeDemand = (pods: readonly PodDemand[]) => {
  const npus = pods.reduce((s, p) => s + p.npus, 0);
  const gang = pods[0].gang ? ` (a gang: ${pods.length} nodes with room at once)` : "";
  return `${pods.length} pod(s), ${npus} NPU(s)${gang}`;
};

export function capacityFindings(
  config: StackConfig,
  demand: StackDemand,
  nodes: readonly NodeJson[],
  held: Map<string, NodeOccupancy>,
): PreflightFinding[] {
  const resource = config.accelerator.resourceName;
  const pods = demand.pods.filter((p) => !p.pinned);
  if (pods.length === 0) return [];
  const out: PreflightFinding[] = [];
  const eligible = eligibility(pods, nodes, resource);
  const homeless = new Set(pods.filter((_, i) => eligible[i].length === 0).map((p) => p.workload));
  for (const [workload, mine] of byWorkload(pods))
    if (homeless.has(workload)) out.push(error(mine[0].path, workload, noNodeMessage(mine[0], nodes)));

  const total = new Map(
    nodes.map((n): [string, NodeRoom] => [n.metadata.name, { name: n.metadata.name, npus: npusOf(n, resource), ports: new Set() }]),
  );
  const net = new Map(
    nodes.map((n): [string, NodeRoom] => {
      const h = held.get(n.metadata.name);
      return [
        n.metadata.name,
        { name: n.metadata.name, npus: Math.max(0, npusOf(n, resource) - (h?.npus ?? 0)), ports: h?.ports ?? new Set() },
      ];
    }),
  );
  // Pods of one placement share one list of nodes (eligibility's memo), and so one list of rooms.
  const rooms = (of: Map<string, NodeRoom>) => {
    const byList = new Map<NodeJson[], NodeRoom[]>();
    for (const ns of eligible)
      if (!byList.has(ns))
        byList.set(
          ns,
          ns.map((n) => of.get(n.metadata.name)!),
        );
    return eligible.map((ns) => byList.get(ns)!);
  };
  const short = new Set(unplacedPods(pods, rooms(total)).map((p) => p.workload));
  const waiting = unplacedPods(pods, rooms(net));

  for (const [workload, mine] of byWorkload(pods)) {
    if (homeless.has(workload)) continue;
    const usable = eligible[pods.indexOf(mine[0])];
    const offered = usable.reduce((s, n) => s + npusOf(n, resource), 0);
    if (short.has(workload)) {
      out.push(
        error(
          mine[0].path,
          workload,
          `needs ${describeDemand(mine)} of ${resource}; the ${usable.length} node(s) it may use offer ${offered} NPU(s) in total, not enough beside the stack's other NPU pods even with no other pod running`,
        ),
      );
      continue;
    }
    const stuck = waiting.filter((p) => p.workload === workload);
    if (stuck.length === 0) continue;
    const holders = usable.flatMap((n) => held.get(n.metadata.name)?.holders.map((h) => ({ node: n.metadata.name, ...h })) ?? []);
    const named = holders
      .slice(0, 5)
      .map((h) => `${podRef(h.pod)} on ${h.node} (${h.npus} NPU(s)${h.ports.length ? `, ports ${h.ports.join(",")}` : ""})`);
    out.push(
      warning(
        mine[0].path,
        workload,
        `${stuck.length} of its ${describeDemand(mine)} would stay Pending now: the nodes it may use have the NPUs and ports, but other pods hold them: ${named.join("; ")}${holders.length > 5 ? `; and ${holders.length - 5} more` : ""}`,
      ),
    );
  }
  return out;
}
