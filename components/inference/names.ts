/** Names, labels and in-container paths a P/D deployment derives from its name. */
import { standardLabels, selectorLabels, type LabelSource } from "../common/labels";

export type Role = "prefill" | "decode" | "scheduler";

/** Kubernetes Deployment of one instance: <dep>-prefill-0, <dep>-decode-1, <dep>-scheduler. */
export function instanceNameOf(deployment: string, role: Role, index = 0): string {
  return role === "scheduler" ? `${deployment}-scheduler` : `${deployment}-${role}-${index}`;
}

/** The scheduler's Service (its OpenAI endpoint): the deployment name itself. */
export const serviceNameOf = (deployment: string) => deployment;
/** The ConfigMap with rank tables (inventory) or the rendezvous manifest (device-plugin), plus the wrapper script. */
export const pdConfigMapNameOf = (deployment: string) => `${deployment}-ranktable`;
export const networkPolicyNameOf = (deployment: string) => `${deployment}-instances`;

/** Label shared by every pod of one deployment (NetworkPolicy selection). */
export const DEPLOYMENT_LABEL = "ascend-stack.io/pd-deployment";

export function labelSourceOf(deployment: string, role: Role, index = 0): LabelSource {
  return {
    name: role === "scheduler" ? "pd-scheduler" : `vllm-${role}`,
    instance: instanceNameOf(deployment, role, index),
    component: role,
  };
}
export function instanceLabels(deployment: string, role: Role, index = 0): Record<string, string> {
  return { ...standardLabels(labelSourceOf(deployment, role, index)), [DEPLOYMENT_LABEL]: deployment };
}
export function instanceSelector(deployment: string, role: Role, index = 0): Record<string, string> {
  return selectorLabels(labelSourceOf(deployment, role, index));
}

/** In-container paths (none under /home/ma-user: mounting there breaks the image). */
export const PATHS = {
  /** ConfigMap volume: rank tables (inventory), manifest.json (device-plugin) and rendezvous.py. */
  config: "/etc/ascend-stack/pd",
  /** emptyDir the rendezvous writes the assembled tables to (device-plugin). */
  tables: "/var/run/ascend-stack/ranktable",
  /** Downward-API volume with the pod's annotations (device-plugin). */
  podInfo: "/etc/ascend-stack/podinfo",
} as const;

export const RENDEZVOUS_SCRIPT = "rendezvous.py";
/** Its front for MindCluster's device-plugin annotation (shipped beside it, only on that profile). */
export const MINDCLUSTER_RENDEZVOUS_SCRIPT = "mindcluster_rendezvous.py";
export const MANIFEST_KEY = "manifest.json";

/**
 * Shared directory of a deployment's rendezvous entries, on the SFS Turbo volume. Scoped by
 * namespace and stack: the same deployment name in another namespace, stack or cluster that
 * mounts the same share must never read (and restart on) this deployment's entries.
 */
export function rendezvousDirOf(workDir: string, namespace: string, stackId: string, deployment: string): string {
  return `${workDir.replace(/\/+$/, "")}/.ascend-stack/rendezvous/${namespace}/${stackId}/${deployment}`;
}
