/**
 * Kubernetes recommended labels (app.kubernetes.io/*), derived in one place so selectors and
 * labels are never written twice.
 */
export const PART_OF = "ascend-stack";

export interface LabelSource {
  /** app.kubernetes.io/name: what the workload is, e.g. "vllm-prefill". */
  name: string;
  /** app.kubernetes.io/instance: the unique instance, e.g. "qwen-pd-prefill-0". */
  instance: string;
  /** app.kubernetes.io/component: the role within the architecture, e.g. "prefill". */
  component: string;
}

/** Labels that select exactly one instance; stable for the life of the object. */
export function selectorLabels(src: LabelSource): Record<string, string> {
  return {
    "app.kubernetes.io/name": src.name,
    "app.kubernetes.io/instance": src.instance,
  };
}

/** Full recommended label set for metadata. */
export function standardLabels(src: LabelSource): Record<string, string> {
  return {
    ...selectorLabels(src),
    "app.kubernetes.io/component": src.component,
    "app.kubernetes.io/part-of": PART_OF,
    "app.kubernetes.io/managed-by": "pulumi",
  };
}
