/**
 * Preflight of inventory mode: every node of inference.nodes that an inventory deployment uses
 * exists with that hostname and IP, is an accelerator node with the listed cards, lets the stack's
 * pods in, and no pod that is not the stack's holds its NPUs (the instances open their cards by
 * path, so a card held through the device plugin would be shared) or a host port an instance or
 * scheduler listens on. All errors: pinned pods have no other node to go to. Pure.
 */
import type { StackConfig } from "../config/schema";
import { formatPath } from "../common/issues";
import type { StackDemand } from "./demand";
import { error, type PreflightFinding } from "./findings";
import { acceptsPods, blockingTaints, HOSTNAME_LABEL, hostnameOf, internalIPsOf, matchesSelector, npusOf, podRef } from "./nodes";
import type { NodeOccupancy } from "./occupancy";
import type { NodeJson } from "./snapshot";

export function inventoryFindings(
  config: StackConfig,
  demand: StackDemand,
  nodes: readonly NodeJson[],
  held: Map<string, NodeOccupancy>,
): PreflightFinding[] {
  const out: PreflightFinding[] = [];
  const { accelerator } = config;
  const resource = accelerator.resourceName;
  const used = new Set(demand.pods.flatMap((p) => (p.pinned ? [p.pinned] : [])));
  config.inference.nodes.forEach((inv, i) => {
    if (!used.has(inv.hostname)) return;
    const at = (...rest: (string | number)[]) => formatPath(["inference", "nodes", i, ...rest]);
    const node = nodes.find((n) => hostnameOf(n) === inv.hostname);
    if (!node) {
      out.push(
        error(
          at("hostname"),
          `Node ${HOSTNAME_LABEL}=${inv.hostname}`,
          `no node has this hostname (nodes: ${nodes.map(hostnameOf).slice(0, 10).join(", ") || "none"})`,
        ),
      );
      return;
    }
    const object = `Node ${node.metadata.name}`;
    const ips = internalIPsOf(node);
    if (!ips.includes(inv.hostIP))
      out.push(
        error(
          at("hostIP"),
          object,
          `has InternalIP ${ips.join(", ") || "(none)"}, not ${inv.hostIP}: the rank tables would name the wrong server`,
        ),
      );
    if (!matchesSelector(node, accelerator.nodeSelector))
      out.push(
        error(
          at("hostname"),
          object,
          `lacks the labels of accelerator.nodeSelector (${JSON.stringify(accelerator.nodeSelector)}): the NPU reservation and instances cannot go there`,
        ),
      );
    if (!acceptsPods(node)) out.push(error(at("hostname"), object, "is not Ready or is cordoned"));
    const taints = blockingTaints(node, [...accelerator.tolerations, ...config.inference.inventoryTolerations]);
    if (taints.length)
      out.push(
        error(
          at("hostname"),
          object,
          `has taint ${taints[0].key}:${taints[0].effect} that neither accelerator.tolerations nor inference.inventoryTolerations tolerate`,
        ),
      );
    const cards = npusOf(node, resource);
    if (cards < accelerator.npusPerNode)
      out.push(
        error(
          at("hostname"),
          object,
          `offers ${cards} ${resource}, fewer than accelerator.npusPerNode (${accelerator.npusPerNode}) the NPU reservation requests`,
        ),
      );
    for (const id of Object.keys(inv.deviceIPs))
      if (Number(id) >= cards)
        out.push(error(at("deviceIPs", id), object, `has no card ${id}: it offers ${cards} (device ids 0-${cards - 1})`));

    const others = held.get(node.metadata.name);
    for (const h of others?.holders ?? [])
      if (h.npus > 0)
        out.push(
          error(at("hostname"), object, `${podRef(h.pod)} holds ${h.npus} of its NPUs: the inventory instances would share cards with it`),
        );
    for (const pod of demand.pods.filter((p) => p.pinned === inv.hostname))
      for (const port of pod.ports) {
        const holder = others?.holders.find((h) => h.ports.includes(port));
        if (holder)
          out.push(
            error(pod.path, object, `host port ${port} of ${pod.name} is held by ${podRef(holder.pod)}: the pod would stay Pending`),
          );
      }
  });
  return out;
}
