/**
 * Host paths an Ascend container needs (driver, npu-smi, hccn.conf, ...), as volume/mount pairs
 * in the manual's order so generated manifests read like the manual's templates.
 */
export interface HostMount {
  /** Volume name, as the manual names it. */
  name: string;
  /** Path on the node. */
  hostPath: string;
  /** Path in the container. */
  mountPath: string;
  readOnly?: boolean;
  /** hostPath type: what must already exist on the node (unset: anything, a missing path is created as a directory). */
  type?: "File" | "Directory";
}

/** The manual's training template (docs/manual-facts.md#training-volumes), after /dev/shm and before the SFS Turbo mount. */
export const TRAINING_HOST_MOUNTS: readonly HostMount[] = [
  { name: "ascend-driver", hostPath: "/usr/local/Ascend/driver", mountPath: "/usr/local/Ascend/driver" },
  { name: "ascend-add-ons", hostPath: "/usr/local/Ascend/add-ons", mountPath: "/usr/local/Ascend/add-ons" },
  { name: "localtime", hostPath: "/etc/localtime", mountPath: "/etc/localtime" },
  { name: "hccn", hostPath: "/etc/hccn.conf", mountPath: "/etc/hccn.conf" },
  { name: "npu-smi", hostPath: "/usr/local/sbin/npu-smi", mountPath: "/usr/local/sbin/npu-smi" },
  { name: "ascend-install", hostPath: "/etc/ascend_install.info", mountPath: "/etc/ascend_install.info" },
  { name: "log", hostPath: "/usr/slog", mountPath: "/var/log/npu/" },
];

/** The manual's `docker run` mounts for P/D instances (docs/manual-facts.md#pd-containers). Note the log mount's direction differs from training. */
export const INFERENCE_HOST_MOUNTS: readonly HostMount[] = [
  { name: "localtime", hostPath: "/etc/localtime", mountPath: "/etc/localtime" },
  { name: "ascend-driver", hostPath: "/usr/local/Ascend/driver", mountPath: "/usr/local/Ascend/driver" },
  { name: "ascend-install", hostPath: "/etc/ascend_install.info", mountPath: "/etc/ascend_install.info" },
  { name: "log", hostPath: "/var/log/npu/", mountPath: "/usr/slog" },
  { name: "npu-smi", hostPath: "/usr/local/sbin/npu-smi", mountPath: "/usr/local/sbin/npu-smi" },
  { name: "cgroup", hostPath: "/sys/fs/cgroup", mountPath: "/sys/fs/cgroup", readOnly: true },
];

/**
 * vllm-ascend's P/D tutorials' `docker run` mounts (docs/vllm-ascend.md#containers), same paths
 * on both sides but npu-smi's host path. hccn_tool and /etc/hccn.conf are why they are typed: without them a server
 * starts and answers garbage (vllm-ascend issue #7711), so a node lacking them fails the pod
 * at start instead (a missing File or Directory is an error, never created empty).
 */
export const VLLM_ASCEND_HOST_MOUNTS: readonly HostMount[] = [
  { name: "dcmi", hostPath: "/usr/local/dcmi", mountPath: "/usr/local/dcmi", type: "Directory" },
  {
    name: "hccn-tool",
    hostPath: "/usr/local/Ascend/driver/tools/hccn_tool",
    mountPath: "/usr/local/Ascend/driver/tools/hccn_tool",
    type: "File",
  },
  // CCE's nodes keep npu-smi in /usr/local/sbin (the manual); the tutorials' image looks in /usr/local/bin.
  { name: "npu-smi", hostPath: "/usr/local/sbin/npu-smi", mountPath: "/usr/local/bin/npu-smi", type: "File" },
  { name: "driver-lib64", hostPath: "/usr/local/Ascend/driver/lib64", mountPath: "/usr/local/Ascend/driver/lib64", type: "Directory" },
  {
    name: "driver-version",
    hostPath: "/usr/local/Ascend/driver/version.info",
    mountPath: "/usr/local/Ascend/driver/version.info",
    type: "File",
  },
  { name: "ascend-install", hostPath: "/etc/ascend_install.info", mountPath: "/etc/ascend_install.info", type: "File" },
  { name: "hccn-conf", hostPath: "/etc/hccn.conf", mountPath: "/etc/hccn.conf", type: "File" },
];

/** Splits host mounts into pod volumes and container mounts. */
export function hostMountVolumes(mounts: readonly HostMount[]) {
  return {
    volumes: mounts.map((m) => ({ name: m.name, hostPath: { path: m.hostPath, ...(m.type ? { type: m.type } : {}) } })),
    volumeMounts: mounts.map((m) => ({ name: m.name, mountPath: m.mountPath, ...(m.readOnly ? { readOnly: true } : {}) })),
  };
}
