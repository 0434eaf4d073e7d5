/**
 * The Kubernetes object model the policies read: plain JSON (a resource's inputs or outputs as
 * the Pulumi engine shows them), whatever program or component produced it. Pure; no Pulumi here.
 */

/**
 * Kubernetes JSON as any program may write it: deliberately untyped, since a policy must judge
 * objects no schema vouches for (CRDs, partial objects, unknown values removed). Every read checks
 * the type of what it finds.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

/** A Kubernetes resource of a stack: its Pulumi type token, name, URN, properties and protection. */
export interface KubeResource {
  /** Pulumi type token, e.g. "kubernetes:apps/v1:Deployment", "kubernetes:batch.volcano.sh/v1alpha1:Job". */
  type: string;
  /** Pulumi resource name (used when metadata.name is not known). */
  name: string;
  urn?: string;
  /** The object: apiVersion, kind, metadata, spec, data, ... (unknown values absent). */
  props: Json;
  /** The `protect` resource option. */
  protect?: boolean;
}

/** One violation; `urn` names the resource a stack-wide check blames. */
export interface Violation {
  urn?: string;
  message: string;
}

/** apiVersion and kind: from the object, else from the type token ("core/v1" is "v1"). */
export function kindOf(r: KubeResource): { apiVersion: string; kind: string } {
  const [pkg, mod = "", kind = ""] = r.type.split(":");
  const fromType = pkg === "kubernetes" ? { apiVersion: mod.replace(/^core\//, ""), kind } : { apiVersion: "", kind: "" };
  return {
    apiVersion: typeof r.props?.apiVersion === "string" ? r.props.apiVersion : fromType.apiVersion,
    kind: typeof r.props?.kind === "string" ? r.props.kind : fromType.kind,
  };
}

export const isVolcanoJob = (r: KubeResource) => {
  const k = kindOf(r);
  return k.kind === "Job" && k.apiVersion.startsWith("batch.volcano.sh/");
};

/** `Deployment default/qwen-prefill-0`: how messages name a resource. */
export function describe(r: KubeResource): string {
  const md = r.props?.metadata ?? {};
  const name = typeof md.name === "string" ? md.name : r.name;
  return `${kindOf(r).kind || r.type} ${typeof md.namespace === "string" ? `${md.namespace}/` : ""}${name}`;
}

export const namespaceOf = (r: KubeResource): string =>
  typeof r.props?.metadata?.namespace === "string" ? r.props.metadata.namespace : "";

/** A pod template inside a resource, with how many copies of it run. */
export interface PodTemplate {
  resource: KubeResource;
  /** `Deployment default/x`, plus `task "main"` for Volcano tasks. */
  where: string;
  spec: Json;
  /** Pods from this template at once (replicas, parallelism); DaemonSets run one per node. */
  replicas: number;
  perNode: boolean;
}

const num = (v: unknown, dflt: number) => (typeof v === "number" && Number.isFinite(v) ? v : dflt);

/**
 * Every pod template of a resource: Pod, PodTemplate, Deployment, StatefulSet, DaemonSet,
 * ReplicaSet, ReplicationController, Job, CronJob, Volcano Job tasks, and any other kind with a
 * `spec.template.spec.containers` (e.g. operators' workload CRDs).
 */
export function podTemplatesOf(r: KubeResource): PodTemplate[] {
  const p = r.props ?? {};
  const { kind } = kindOf(r);
  const where = describe(r);
  const one = (spec: Json, replicas = 1, perNode = false): PodTemplate[] =>
    spec && Array.isArray(spec.containers) ? [{ resource: r, where, spec, replicas, perNode }] : [];
  if (isVolcanoJob(r)) {
    const tasks: Json[] = Array.isArray(p.spec?.tasks) ? p.spec.tasks : [];
    return tasks.flatMap((t, i) =>
      t?.template?.spec && Array.isArray(t.template.spec.containers)
        ? [{ resource: r, where: `${where} task "${t.name ?? i}"`, spec: t.template.spec, replicas: num(t.replicas, 1), perNode: false }]
        : [],
    );
  }
  switch (kind) {
    case "Pod":
      return one(p.spec);
    case "PodTemplate":
      return one(p.template?.spec);
    case "DaemonSet":
      return one(p.spec?.template?.spec, 1, true);
    case "Job":
      return one(p.spec?.template?.spec, num(p.spec?.parallelism, 1));
    case "CronJob":
      return one(p.spec?.jobTemplate?.spec?.template?.spec, num(p.spec?.jobTemplate?.spec?.parallelism, 1));
    default:
      return one(p.spec?.template?.spec, num(p.spec?.replicas, 1));
  }
}

/** A container of a pod template; init containers run before the others, not beside them. */
export interface ContainerRef {
  name: string;
  container: Json;
  init: boolean;
}

export function containersOf(spec: Json): ContainerRef[] {
  const list = (v: unknown, init: boolean): ContainerRef[] =>
    (Array.isArray(v) ? v : []).map((c: Json, i: number) => ({
      name: typeof c?.name === "string" ? c.name : `#${i}`,
      container: c ?? {},
      init,
    }));
  return [...list(spec?.initContainers, true), ...list(spec?.containers, false), ...list(spec?.ephemeralContainers, false)];
}

/** A volume mount with its pod volume resolved. */
export interface Mount {
  volumeName: string;
  mountPath: string;
  subPath?: string;
  volume?: Json;
  /** The volume's hostPath, normalised, when it is one. */
  hostPath?: string;
}

/** "/a//b/" → "/a/b". */
export const normalizePath = (p: string) => "/" + p.split("/").filter(Boolean).join("/");

/** `path` equals `dir` or lies under it. */
export const atOrUnder = (path: string, dir: string) => {
  const p = normalizePath(path);
  const d = normalizePath(dir);
  return p === d || p.startsWith(d === "/" ? "/" : `${d}/`);
};

export function mountsOf(spec: Json, container: Json): Mount[] {
  const volumes: Json[] = Array.isArray(spec?.volumes) ? spec.volumes : [];
  const mounts: Json[] = Array.isArray(container?.volumeMounts) ? container.volumeMounts : [];
  return mounts
    .filter((m) => typeof m?.mountPath === "string")
    .map((m) => {
      const volume = volumes.find((v) => v?.name === m.name);
      const hp = volume?.hostPath?.path;
      return {
        volumeName: String(m.name ?? ""),
        mountPath: normalizePath(m.mountPath),
        ...(typeof m.subPath === "string" && m.subPath ? { subPath: m.subPath } : {}),
        volume,
        ...(typeof hp === "string"
          ? { hostPath: normalizePath(typeof m.subPath === "string" && m.subPath ? `${hp}/${m.subPath}` : hp) }
          : {}),
      };
    });
}

/** A container's literal environment variable (undefined when absent or not a literal value). */
export function envOf(container: Json, name: string): string | undefined {
  const env: Json[] = Array.isArray(container?.env) ? container.env : [];
  const e = env.find((x) => x?.name === name);
  return typeof e?.value === "string" ? e.value : undefined;
}

/** command + args as one argv; shell strings (`sh -c "..."`) are split on whitespace. */
export function argvOf(container: Json): string[] {
  const parts = [
    ...(Array.isArray(container?.command) ? container.command : []),
    ...(Array.isArray(container?.args) ? container.args : []),
  ];
  return parts.filter((x): x is string => typeof x === "string").flatMap((x) => (/\s/.test(x) ? x.split(/\s+/).filter(Boolean) : [x]));
}

/** The node a pod is pinned to: nodeName, the hostname nodeSelector, or a one-value required hostname affinity. */
export function pinnedNodeOf(spec: Json): string | undefined {
  if (typeof spec?.nodeName === "string" && spec.nodeName) return spec.nodeName;
  const sel = spec?.nodeSelector?.["kubernetes.io/hostname"];
  if (typeof sel === "string" && sel) return sel;
  const terms: Json[] = spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  if (Array.isArray(terms) && terms.length === 1) {
    const e = (terms[0]?.matchExpressions ?? []).find((x: Json) => x?.key === "kubernetes.io/hostname" && x?.operator === "In");
    if (Array.isArray(e?.values) && e.values.length === 1) return String(e.values[0]);
  }
  return undefined;
}

/**
 * A plain copy of a resource's properties. During a preview some values are unknown, and reading
 * one through @pulumi/policy's proxy throws: an unknown value becomes absent, so the checks judge
 * what is known instead of giving up on the whole resource (or stack).
 */
export function plain(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (let i = 0; i < value.length; i++) out.push(read(value, i));
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const v = read(value as Record<string, unknown>, key);
    if (v !== undefined) out[key] = v;
  }
  return out;
}

function read(obj: Json, key: string | number): unknown {
  try {
    return plain(obj[key]);
  } catch {
    return undefined;
  }
}
