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

/** Splits host mounts into pod volumes and container mounts. */
export function hostMountVolumes(mounts: readonly HostMount[]) {
  return {
    volumes: mounts.map((m) => ({ name: m.name, hostPath: { path: m.hostPath } })),
    volumeMounts: mounts.map((m) => ({ name: m.name, mountPath: m.mountPath, ...(m.readOnly ? { readOnly: true } : {}) })),
  };
}
