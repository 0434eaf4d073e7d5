/**
 * NPU exclusivity (docs/manual-facts.md#pd-containers, manual M11–M13): never bind two containers
 * to the same NPU, the later one cannot use it. Stack-wide: the containers may be in different
 * resources.
 *
 * What a container is known to use: the cards it opens by path (hostPath volumes
 * /dev/davinciN, the manual's `--device=/dev/davinciN`) and the physical ids in
 * ASCEND_VISIBLE_DEVICES (Ascend's container runtime), on the node its pod is pinned to
 * (nodeName, the hostname nodeSelector or affinity, as inventory placement does). Cards requested
 * from the device plugin (huawei.com/ascend-*, MindCluster's huawei.com/Ascend910) are exclusive by construction and not listed here.
 */
import { containersOf, envOf, mountsOf, pinnedNodeOf, podTemplatesOf, type Json, type KubeResource, type Violation } from "../k8s";

/** One container's explicit cards. `node` undefined: any node (unpinned pod, DaemonSet). */
export interface NpuUse {
  who: string;
  urn?: string;
  /** Pod identity: containers of one pod differ only by name; init containers run before the others. */
  pod: string;
  init: boolean;
  node?: string;
  replicas: number;
  cards: number[];
}

/** Card ids a container opens by path or names in ASCEND_VISIBLE_DEVICES. */
export function cardsOf(spec: Json, container: Json): number[] {
  const ids = new Set<number>();
  for (const m of mountsOf(spec, container)) {
    const hit = /^\/dev\/davinci(\d+)$/.exec(m.hostPath ?? "");
    if (hit) ids.add(Number(hit[1]));
  }
  for (const id of (envOf(container, "ASCEND_VISIBLE_DEVICES") ?? "").split(",")) if (/^\s*\d+\s*$/.test(id)) ids.add(Number(id));
  return [...ids].sort((a, b) => a - b);
}

export function npuUsesOf(resources: readonly KubeResource[]): NpuUse[] {
  return resources.flatMap((r) =>
    podTemplatesOf(r).flatMap((t, k) =>
      containersOf(t.spec).flatMap((c) => {
        const cards = cardsOf(t.spec, c.container);
        const node = t.perNode ? undefined : pinnedNodeOf(t.spec);
        return cards.length
          ? [
              {
                who: `${t.where} container "${c.name}"`,
                urn: r.urn,
                pod: `${r.urn ?? r.name}#${k}`,
                init: c.init,
                node,
                replicas: t.perNode ? 1 : t.replicas,
                cards,
              },
            ]
          : [];
      }),
    ),
  );
}

const where = (node: string | undefined) => (node ? `node ${node}` : "any node (its pod is not pinned to one)");

/** Pairs of containers that can hold the same card at once, and workloads whose replicas would share theirs. */
export function npuSharingViolations(resources: readonly KubeResource[]): Violation[] {
  const uses = npuUsesOf(resources);
  const out: Violation[] = [];
  for (const u of uses)
    if (u.replicas > 1)
      out.push({
        urn: u.urn,
        message: `${u.who} opens NPUs ${u.cards.join(",")} by device path but runs ${u.replicas} replicas on ${where(u.node)}: replicas on one node would share the cards; the manual gives every container its own NPUs`,
      });
  for (let i = 0; i < uses.length; i++)
    for (let j = i + 1; j < uses.length; j++) {
      const [a, b] = [uses[i], uses[j]];
      // Containers of one pod share cards only if both run at the same time (not init vs. main).
      if (a.pod === b.pod && a.init !== b.init) continue;
      if (a.node !== undefined && b.node !== undefined && a.node !== b.node) continue;
      const shared = a.cards.filter((c) => b.cards.includes(c));
      if (!shared.length) continue;
      // Named in a stable order, whatever order the engine lists the resources in.
      const [x, y] = [a, b].sort((p, q) => p.who.localeCompare(q.who));
      out.push({
        urn: y.urn,
        message: `${x.who} and ${y.who} both use NPU ${shared.join(",")} on ${where(a.node ?? b.node)}; never bind two containers to the same NPU (the manual: the later one cannot use it)`,
      });
    }
  return out;
}
