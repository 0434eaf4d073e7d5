/**
 * The Volcano Job (batch.volcano.sh/v1alpha1) as the builders write it: the fields this project
 * sets, typed, with pod templates typed as Kubernetes' own. Volcano's CRD has no generated
 * Pulumi types; this interface keeps a misspelled field from compiling all the same.
 */
import type * as k8s from "@pulumi/kubernetes";

export interface VolcanoTask {
  name: string;
  replicas: number;
  /** Volcano's webhook defaults it to replicas; declared so the stored object equals ours. */
  minAvailable: number;
  maxRetry: number;
  template: k8s.types.input.core.v1.PodTemplateSpec;
}

export interface VolcanoJobSpec {
  /** Pods that must be placed together (gang scheduling). */
  minAvailable: number;
  schedulerName: "volcano";
  policies: { event: string; action: string }[];
  /** Job plugins by name, with their arguments (CCE's configmap1980, env, svc). */
  plugins: Record<string, string[]>;
  maxRetry: number;
  queue: string;
  tasks: VolcanoTask[];
}

export interface VolcanoJobManifest {
  apiVersion: "batch.volcano.sh/v1alpha1";
  kind: "Job";
  metadata: k8s.types.input.meta.v1.ObjectMeta & { name: string };
  spec: VolcanoJobSpec;
}
