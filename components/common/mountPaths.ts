/**
 * In-container paths the builders mount themselves. A user mount path equal to, above or below one
 * of them would shadow it or be shadowed (Kubernetes refuses two mounts at one path), so the rules
 * reject such overlaps before anything is registered.
 */
import { INFERENCE_HOST_MOUNTS, TRAINING_HOST_MOUNTS, VLLM_ASCEND_HOST_MOUNTS } from "./hostMounts";
import { isUnder } from "./paths";

export interface ReservedMount {
  path: string;
  what: string;
}

const hostMounts = (list: typeof TRAINING_HOST_MOUNTS): ReservedMount[] =>
  list.map((m) => ({ path: m.mountPath, what: `the host mount of ${m.hostPath}` }));

/** /dev holds the device nodes the runtime and (inventory mode) the builders put there. */
const DEVICES: ReservedMount = { path: "/dev", what: "the container's device nodes (/dev)" };

/** training/builders.ts: /dev/shm, then the manual's host mounts. */
export const TRAINING_RESERVED_MOUNTS: readonly ReservedMount[] = [
  { path: "/dev/shm", what: "the job's in-memory /dev/shm (shmSize)" },
  ...hostMounts(TRAINING_HOST_MOUNTS),
  DEVICES,
];

/** inference/builders.ts: host mounts, the rank-table ConfigMap, the assembled tables, the pod info, the NPU device nodes. */
export function inferenceReservedMounts(paths: { config: string; tables: string; podInfo: string }): ReservedMount[] {
  return [
    ...hostMounts(INFERENCE_HOST_MOUNTS),
    { path: paths.config, what: "the rank-table ConfigMap" },
    { path: paths.tables, what: "the assembled rank tables" },
    { path: paths.podInfo, what: "the pod's annotations (downward API)" },
    DEVICES,
  ];
}

/** inference/vllmAscend/builders.ts: the tutorial's host mounts, the launcher's ConfigMap, /dev/shm and the device nodes. */
export function vllmAscendReservedMounts(configDir: string): ReservedMount[] {
  return [
    ...hostMounts(VLLM_ASCEND_HOST_MOUNTS),
    { path: configDir, what: "the launcher's ConfigMap" },
    { path: "/dev/shm", what: "the servers' in-memory /dev/shm" },
    DEVICES,
  ];
}

/** The reserved mount `path` overlaps (equal, above or below), or undefined. */
export function mountCollision(path: string, reserved: readonly ReservedMount[]): ReservedMount | undefined {
  return reserved.find((r) => isUnder(path, r.path) || isUnder(r.path, path));
}
