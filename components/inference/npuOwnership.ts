/**
 * Who owns which NPU of an inventory node (docs/npu-exclusivity.md). Inventory instances open
 * their cards by path, so the device plugin's by-count accounting cannot keep other pods off
 * them. The stack therefore
 *   1. reserves every inventory node whole: one CPU-only reservation pod per node requests all
 *      of the node's NPUs, so the device plugin hands none of them to any other pod;
 *   2. publishes a ledger (card -> owning instance, per node) that the instances read at start
 *      and while they run: an instance that is no longer the owner of a card stops;
 *   3. has every instance take an exclusive lock per card on the node before it starts, so a new
 *      owner never runs while the previous one still holds the card (updates, swaps, moves).
 * Pure: the builders and the scenario tests use the same functions.
 */
import type { InferenceNodeConfig } from "./config";
import type { ResolvedDeployment } from "./topology";

/** hostname -> card id -> owning instance (Kubernetes name of its Deployment). */
export type NpuLedger = Record<string, Record<string, string>>;

/** The ledger file format shipped in the ledger ConfigMap (sorted, so the text is stable). */
export interface NpuLedgerFile {
  version: 1;
  nodes: NpuLedger;
}

const inventoryOf = (deployments: readonly ResolvedDeployment[]) => deployments.filter((d) => d.config.mode === "inventory");

/** Card ownership of every inventory instance of the stack, by node and card id. */
export function npuLedgerOf(deployments: readonly ResolvedDeployment[]): NpuLedger {
  const ledger: NpuLedger = {};
  for (const d of inventoryOf(deployments))
    for (const x of d.instances) {
      if (!x.node || !x.devices) continue;
      const cards = (ledger[x.node.hostname] ??= {});
      for (const id of x.devices) cards[String(id)] = x.name;
    }
  const sorted: NpuLedger = {};
  for (const host of Object.keys(ledger).sort())
    sorted[host] = Object.fromEntries(Object.entries(ledger[host]).sort(([a], [b]) => Number(a) - Number(b)));
  return sorted;
}

export function npuLedgerFile(deployments: readonly ResolvedDeployment[]): string {
  const file: NpuLedgerFile = { version: 1, nodes: npuLedgerOf(deployments) };
  return JSON.stringify(file, null, 2) + "\n";
}

/** Inventory nodes that carry at least one instance, in inference.nodes order. */
export function reservedNodesOf(deployments: readonly ResolvedDeployment[], nodes: readonly InferenceNodeConfig[]): InferenceNodeConfig[] {
  const used = new Set(inventoryOf(deployments).flatMap((d) => d.instances.flatMap((x) => (x.node ? [x.node.hostname] : []))));
  return nodes.filter((n) => used.has(n.hostname));
}

/**
 * Hostnames the stack's other NPU pods (training jobs, device-plugin instances) must avoid: every
 * node listed in inference.nodes, once any deployment uses inventory mode. The whole inventory
 * rather than the nodes in use, so that re-packing instances never changes a training job's spec
 * (which would replace the running job).
 */
export function inventoryHostsOf(deployments: readonly ResolvedDeployment[], nodes: readonly InferenceNodeConfig[]): string[] {
  return inventoryOf(deployments).length > 0 ? nodes.map((n) => n.hostname) : [];
}

/** Image of each inventory node's reservation pod: the first inventory deployment's on the node (pre-pulled there). */
export function reservationImagesOf(deployments: readonly ResolvedDeployment[], baseImage: string): Record<string, string> {
  const images: Record<string, string> = {};
  for (const d of inventoryOf(deployments))
    for (const x of d.instances) if (x.node) images[x.node.hostname] ??= d.config.image ?? baseImage;
  return images;
}
