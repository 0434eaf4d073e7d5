/**
 * Preflight end to end: reads the target cluster with the stack's kubeconfig and context, then
 * judges it (checks.ts). Shared by the Pulumi program (program.ts) and `npm run validate -- --cluster`.
 */
import { loadKubeTarget, type KubeTarget } from "../cluster/kubeApi";
import type { StackConfig } from "../config/schema";
import { preflightFindings } from "./checks";
import { ClusterUnreachable, collectSnapshot } from "./collect";
import { error, type PreflightFinding } from "./findings";

export async function runPreflight(config: StackConfig): Promise<PreflightFinding[]> {
  let target: KubeTarget;
  try {
    target = loadKubeTarget(config.cluster.kubeconfig, config.cluster.context);
  } catch (e) {
    return [error(config.cluster.kubeconfig ? "cluster.kubeconfig" : "cluster", "kubeconfig", `cannot be read: ${(e as Error).message}`)];
  }
  try {
    return preflightFindings(config, await collectSnapshot(target, config));
  } catch (e) {
    if (e instanceof ClusterUnreachable) return [error("cluster", target.server, e.message)];
    throw e;
  }
}
