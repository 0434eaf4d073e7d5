/** Every preflight check: the validated stack config and a cluster snapshot in, all findings out. Pure. */
import type { StackConfig } from "../config/schema";
import { capacityFindings } from "./capacityChecks";
import { stackDemand } from "./demand";
import { warning, type PreflightFinding } from "./findings";
import { inventoryFindings } from "./inventoryChecks";
import { occupancyByNode } from "./occupancy";
import { namespaceFindings, storageFindings, volcanoFindings } from "./platformChecks";
import type { ClusterSnapshot } from "./snapshot";

export function preflightFindings(config: StackConfig, snap: ClusterSnapshot): PreflightFinding[] {
  const out = [...namespaceFindings(config, snap), ...volcanoFindings(config, snap), ...storageFindings(config, snap)];
  const demand = stackDemand(config);
  if (demand.pods.length === 0) return out;
  if (!snap.nodes.ok) return [...out, warning("accelerator", "Nodes", `NPU capacity not checked: ${snap.nodes.reason}`)];
  if (!snap.pods.ok) out.push(warning("accelerator", "Pods", `what other pods hold is not counted: ${snap.pods.reason}`));
  const held = occupancyByNode(snap.pods.ok ? snap.pods.value : [], config.accelerator.resourceName, demand.isOwnPod);
  return [
    ...out,
    ...inventoryFindings(config, demand, snap.nodes.value, held),
    ...capacityFindings(config, demand, snap.nodes.value, held),
  ];
}
