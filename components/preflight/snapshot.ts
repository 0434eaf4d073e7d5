/**
 * What preflight reads from the target cluster (collect.ts fetches it), as plain data: the fields
 * of the API objects the checks look at, nothing else. The checks (checks.ts) are pure functions
 * of a snapshot and the stack config, so every decision is unit-testable without a cluster.
 */

/** A part of the snapshot, or why it could not be read (e.g. RBAC forbids listing nodes). */
export type Observed<T> = { ok: true; value: T } | { ok: false; reason: string };

export const observed = <T>(value: T): Observed<T> => ({ ok: true, value });
export const unobserved = <T>(reason: string): Observed<T> => ({ ok: false, reason });

export interface Taint {
  key: string;
  value?: string;
  effect: string;
}

/** The fields of a Node the checks read. */
export interface NodeJson {
  metadata: { name: string; labels?: Record<string, string> };
  spec?: { unschedulable?: boolean; taints?: Taint[] };
  status?: {
    allocatable?: Record<string, string>;
    capacity?: Record<string, string>;
    addresses?: { type: string; address: string }[];
    conditions?: { type: string; status: string }[];
  };
}

interface ContainerJson {
  name: string;
  ports?: { containerPort: number; hostPort?: number; protocol?: string }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
}

/** The fields of a Pod the checks read: where it runs, what it holds there. */
export interface ClusterPodJson {
  metadata: { name: string; namespace: string; labels?: Record<string, string> };
  spec: { nodeName?: string; hostNetwork?: boolean; containers: ContainerJson[]; initContainers?: ContainerJson[] };
  status?: { phase?: string };
}

/** Which of Volcano's APIs the API server serves (API discovery). */
export interface VolcanoApis {
  /** batch.volcano.sh/v1alpha1 Job. */
  jobs: boolean;
  /** scheduling.volcano.sh/v1beta1 Queue. */
  queues: boolean;
  /** scheduling.volcano.sh/v1beta1 PodGroup. */
  podGroups: boolean;
}

export interface QueueJson {
  name: string;
  /** status.state: Open, Closed, Closing, Unknown. */
  state?: string;
}

export interface StorageClassJson {
  name: string;
  reclaimPolicy: string;
}

/** Everything the checks need, read once per run. */
export interface ClusterSnapshot {
  /** Whether the stack's namespace exists. */
  namespaceExists: Observed<boolean>;
  volcano: Observed<VolcanoApis>;
  /** Volcano queues (cluster-scoped); not read when the queue API is missing. */
  queues: Observed<QueueJson[]>;
  /** StorageClasses: name and reclaim policy (Kubernetes' default, Delete, when unset). */
  storageClasses: Observed<StorageClassJson[]>;
  /** CSI drivers known to the cluster: CSIDriver objects and the drivers nodes register (CSINode). */
  csiDrivers: Observed<string[]>;
  /** Claims in the stack's namespace. */
  claims: Observed<string[]>;
  nodes: Observed<NodeJson[]>;
  /** Pods not yet finished, in every namespace. */
  pods: Observed<ClusterPodJson[]>;
}
