/**
 * Mount rules of the manual's instance containers (docs/manual-facts.md#pd-containers, manual
 * sections M11–M13): nothing is mounted at or under /home/ma-user, and the Ascend driver is never
 * mounted without npu-smi.
 */
import { atOrUnder, containersOf, mountsOf, podTemplatesOf, type KubeResource } from "../k8s";

export const MA_USER_HOME = "/home/ma-user";
export const ASCEND_DRIVER = "/usr/local/Ascend/driver";
export const NPU_SMI = "/usr/local/sbin/npu-smi";

/**
 * /home/ma-user is the base image's `ma-user` home directory (the manual's working directory):
 * a volume mounted there, or below it, hides what the image installed and makes it unusable.
 */
export function homeMountViolations(r: KubeResource): string[] {
  return podTemplatesOf(r).flatMap((t) =>
    containersOf(t.spec).flatMap((c) =>
      mountsOf(t.spec, c.container)
        .filter((m) => atOrUnder(m.mountPath, MA_USER_HOME))
        .map(
          (m) =>
            `${t.where}: container "${c.name}" mounts volume "${m.volumeName}" at ${m.mountPath}; nothing may be mounted at or under ` +
            `${MA_USER_HOME}, the image's ma-user home directory (the manual: mounting over it makes the image unusable)`,
        ),
    ),
  );
}

/**
 * The manual mounts the driver and npu-smi together, always: tools in the image call npu-smi to
 * query the cards the driver exposes. A container mounting the driver (by host path or at the
 * driver's path) must also mount npu-smi (the binary or its host directory, or at its path).
 */
export function driverWithoutNpuSmiViolations(r: KubeResource): string[] {
  return podTemplatesOf(r).flatMap((t) =>
    containersOf(t.spec).flatMap((c) => {
      const mounts = mountsOf(t.spec, c.container);
      const driver = mounts.find(
        (m) => (m.hostPath !== undefined && atOrUnder(m.hostPath, ASCEND_DRIVER)) || atOrUnder(m.mountPath, ASCEND_DRIVER),
      );
      if (!driver) return [];
      const npuSmi = mounts.some(
        (m) => (m.hostPath !== undefined && atOrUnder(NPU_SMI, m.hostPath) && m.hostPath !== "/") || m.mountPath === NPU_SMI,
      );
      return npuSmi
        ? []
        : [
            `${t.where}: container "${c.name}" mounts the Ascend driver (volume "${driver.volumeName}" at ${driver.mountPath}) but not npu-smi ` +
              `(hostPath ${NPU_SMI}); the manual mounts the driver and npu-smi together, always`,
          ];
    }),
  );
}
