/** Pure builders for SFS Turbo volumes through CCE's Everest CSI driver, and claims on any RWX class. */
import { standardLabels } from "../common/labels";
import type { PersistentVolumeClaimManifest, PersistentVolumeManifest } from "../common/kube";
import { claimNameOf, type VolumeConfig } from "./config";

export const SFS_TURBO_CSI_DRIVER = "sfsturbo.csi.everest.io";
export const EVEREST_PROVISIONER = "everest-csi-provisioner";

function labelsOf(v: VolumeConfig) {
  return standardLabels({ name: v.type === "dynamic" ? "shared-volume" : "sfs-turbo", instance: v.name, component: "storage" });
}

/** Static PV for an existing SFS Turbo share (CCE's documented static PV shape). */
export function buildStaticPersistentVolume(v: Extract<VolumeConfig, { type: "static" }>): PersistentVolumeManifest {
  return {
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: {
      name: v.name,
      labels: labelsOf(v),
      annotations: { "pv.kubernetes.io/provisioned-by": EVEREST_PROVISIONER },
    },
    spec: {
      accessModes: ["ReadWriteMany"],
      capacity: { storage: v.capacity },
      csi: {
        driver: SFS_TURBO_CSI_DRIVER,
        fsType: "nfs",
        volumeHandle: v.shareId,
        volumeAttributes: {
          "everest.io/share-export-location": v.exportLocation,
          "storage.kubernetes.io/csiProvisionerIdentity": EVEREST_PROVISIONER,
        },
      },
      persistentVolumeReclaimPolicy: "Retain",
      storageClassName: v.storageClassName,
      mountOptions: v.mountOptions,
    },
  };
}

/**
 * The claim workloads mount: bound to the static PV, provisioned by an Everest sub-path
 * StorageClass, or (dynamic) by any ReadWriteMany class, without Everest's annotation.
 */
export function buildPersistentVolumeClaim(
  v: Exclude<VolumeConfig, { type: "existing" }>,
  namespace: string,
): PersistentVolumeClaimManifest {
  const isStatic = v.type === "static";
  return {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: {
      name: claimNameOf(v),
      namespace,
      labels: labelsOf(v),
      annotations: {
        // Everest provisions (sub-path) or binds (static) SFS Turbo claims.
        ...(v.type === "dynamic" ? {} : { "volume.beta.kubernetes.io/storage-provisioner": EVEREST_PROVISIONER }),
        // A provisioned claim binds only when it is provisioned (possibly at first use, with a
        // WaitForFirstConsumer class): don't make `pulumi up` wait for that.
        ...(isStatic ? {} : { "pulumi.com/skipAwait": "true" }),
      },
    },
    spec: {
      accessModes: ["ReadWriteMany"],
      resources: { requests: { storage: v.capacity } },
      storageClassName: v.storageClassName,
      ...(isStatic ? { volumeName: v.name } : {}),
    },
  };
}
