/** Pod pieces both NPU assignment modes use. */
import type { PdDeploymentConfig } from "../config";
import { MINDCLUSTER } from "../../common/profiles";
import { PATHS, RENDEZVOUS_SCRIPT } from "../names";
import type { PdInputs } from "../builders";

/** The wrapper script inside every container (shipped in the deployment's ConfigMap). */
export const SCRIPT = `${PATHS.config}/${RENDEZVOUS_SCRIPT}`;

/** The device plugin writes MindCluster's annotation format (server_id the pod UID, host_ip the node). */
export const readsMindClusterAnnotation = (i: PdInputs) => i.accelerator.deviceAnnotation === MINDCLUSTER.deviceInfoAnnotation;

export const workDirOf = (d: PdDeploymentConfig) => d.workDir ?? d.mountPath;

/** requests = limits for NPUs (extended resources cannot be overcommitted). */
export function resourcesOf(rl: PdDeploymentConfig["resources"], npus?: { name: string; count: number }) {
  const extra = npus ? { [npus.name]: String(npus.count) } : {};
  return {
    requests: { cpu: rl.cpu.request, memory: rl.memory.request, ...extra },
    limits: { cpu: rl.cpu.limit, memory: rl.memory.limit, ...extra },
  };
}

/** USE_OPENAI of every container of the deployment. */
export const useOpenAIEnv = (d: PdDeploymentConfig) => ({ name: "USE_OPENAI", value: d.scheduler.useOpenAI ? "1" : "0" });

/** Tolerations of a pod: the accelerator's, plus inventoryTolerations on inventory nodes. */
export function tolerationsOf(i: PdInputs, onInventoryNode: boolean) {
  const all = [...i.accelerator.tolerations, ...(onInventoryNode ? i.inventoryTolerations : [])];
  return all.length ? { tolerations: all } : {};
}
