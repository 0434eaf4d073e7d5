/**
 * The scheduler's view of a node and a pod, reduced to what decides NPU placement: labels, taints,
 * readiness, the accelerator resource and host ports. Pure.
 */
import type { Toleration } from "../common/schemas";
import type { ClusterPodJson, NodeJson, Taint } from "./snapshot";

export const HOSTNAME_LABEL = "kubernetes.io/hostname";

export const hostnameOf = (node: NodeJson): string => node.metadata.labels?.[HOSTNAME_LABEL] ?? node.metadata.name;

export const internalIPsOf = (node: NodeJson): string[] =>
  (node.status?.addresses ?? []).filter((a) => a.type === "InternalIP").map((a) => a.address);

/** Whole units of an extended resource in a resource list (NPUs are never fractional). */
export function unitsOf(list: Record<string, string> | undefined, resource: string): number {
  const n = Number(list?.[resource] ?? 0);
  return Number.isFinite(n) ? Math.floor(n) : 0;
}

/** NPUs the node offers pods (allocatable; capacity when the kubelet reports no allocatable). */
export const npusOf = (node: NodeJson, resource: string): number => unitsOf(node.status?.allocatable ?? node.status?.capacity, resource);

export function matchesSelector(node: NodeJson, selector: Record<string, string>): boolean {
  const labels = node.metadata.labels ?? {};
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** Whether a toleration lets a pod past a taint (Kubernetes' matching rules). */
export function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect !== undefined && t.effect !== taint.effect) return false;
  if (t.key === undefined) return t.operator === "Exists";
  if (t.key !== taint.key) return false;
  return t.operator === "Exists" || (t.value ?? "") === (taint.value ?? "");
}

/** Taints that keep a pod with these tolerations off the node (PreferNoSchedule only discourages). */
export function blockingTaints(node: NodeJson, tolerations: readonly Toleration[]): Taint[] {
  return (node.spec?.taints ?? []).filter((taint) => taint.effect !== "PreferNoSchedule" && !tolerations.some((t) => tolerates(t, taint)));
}

/** Ready and not cordoned: the scheduler places new pods there. */
export function acceptsPods(node: NodeJson): boolean {
  const ready = node.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
  return ready && node.spec?.unschedulable !== true;
}

/**
 * The units of `resource` a pod holds on its node: the sum over its containers (a request, or the
 * limit, which is the request of an extended resource when only the limit is set), or the largest
 * init container's when that is more — the scheduler's rule.
 */
export function podUnits(pod: ClusterPodJson, resource: string): number {
  const of = (c: ClusterPodJson["spec"]["containers"][number]) =>
    c.resources?.requests?.[resource] !== undefined ? unitsOf(c.resources.requests, resource) : unitsOf(c.resources?.limits, resource);
  const main = pod.spec.containers.reduce((sum, c) => sum + of(c), 0);
  const init = Math.max(0, ...(pod.spec.initContainers ?? []).map(of));
  return Math.max(main, init);
}

/** TCP host ports a pod holds on its node: every container port of a host-network pod, else its hostPorts. */
export function podHostPorts(pod: ClusterPodJson): number[] {
  const ports: number[] = [];
  for (const c of [...pod.spec.containers, ...(pod.spec.initContainers ?? [])])
    for (const p of c.ports ?? []) {
      if ((p.protocol ?? "TCP") !== "TCP") continue;
      const port = pod.spec.hostNetwork ? p.containerPort : p.hostPort;
      if (port) ports.push(port);
    }
  return ports;
}

export const podRef = (pod: ClusterPodJson): string => `Pod ${pod.metadata.namespace}/${pod.metadata.name}`;
