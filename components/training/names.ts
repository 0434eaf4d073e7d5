/** Names the Volcano training job derives from the job name. */
import { DEFAULT_CLUSTER_PROFILE, type ClusterProfile } from "../common/profiles";
import { TRAINING_FLAVORS } from "./flavors";

/** The manual's task names. */
export const TRAINING_TASK_NAMES = { master: "main", worker: "work" } as const;

/**
 * The rank-table ConfigMap: the profile's controller looks for its fixed prefix (CCE's
 * configmap1980 plugin, docs/manual-facts.md#training-configmap; MindCluster's rings-config-).
 */
export function rankTableConfigMapNameOf(job: string, profile: ClusterProfile = DEFAULT_CLUSTER_PROFILE): string {
  return `${TRAINING_FLAVORS[profile].rankTable.prefix}${job}`;
}

/** Volcano names pods <job>-<task>-<index>; with hostNetwork the pod name is also its DNS label. */
export function podHostnameOf(job: string, task: string, index: number): string {
  return `${job}-${task}-${index}`;
}

/** Address of the main pod through the headless Service Volcano's svc plugin creates. */
export function masterAddressOf(job: string, namespace: string): string {
  return `${podHostnameOf(job, TRAINING_TASK_NAMES.master, 0)}.${job}.${namespace}.svc`;
}
