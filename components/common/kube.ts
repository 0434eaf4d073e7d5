/** Minimal shapes of the plain Kubernetes objects the builders return (JSON-ready, no Pulumi types). */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  // The rest of the object (spec, data, ...) is free-form: builders own its shape.
  [field: string]: unknown;
}

/** Env var list from a map, in key order, so the rendered order is stable. */
export function envList(env: Record<string, string>): { name: string; value: string }[] {
  return Object.entries(env).map(([name, value]) => ({ name, value }));
}
