/** Names the Volcano training job derives from the job name. */

/** The manual's task names. */
export const TRAINING_TASK_NAMES = { master: "main", worker: "work" } as const;

/** The CCE Volcano plugin looks for this prefix (docs/manual-facts.md#training-configmap: the prefix is fixed). */
export const CONFIGMAP_PREFIX = "configmap1980-";

export function rankTableConfigMapNameOf(job: string): string {
  return `${CONFIGMAP_PREFIX}${job}`;
}

/** Volcano names pods <job>-<task>-<index>; with hostNetwork the pod name is also its DNS label. */
export function podHostnameOf(job: string, task: string, index: number): string {
  return `${job}-${task}-${index}`;
}

/** Address of the main pod through the headless Service Volcano's svc plugin creates. */
export function masterAddressOf(job: string, namespace: string): string {
  return `${podHostnameOf(job, TRAINING_TASK_NAMES.master, 0)}.${job}.${namespace}.svc`;
}
