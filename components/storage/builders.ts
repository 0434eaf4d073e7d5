/** Pure builders for SFS Turbo volumes through CCE's Everest CSI driver. */
import { standardLabels } from "../common/labels";
import type { PersistentVolumeClaimManifest, PersistentVolumeManifest } from "../common/kube";
import { claimNameOf, type VolumeConfig } from "./config";

export const SFS_TURBO_CSI_DRIVER = "sfsturbo.csi.everest.io";
export const EVEREST_PROVISIONER = "everest-csi-provisioner";

function labelsOf(v: VolumeConfig) {
  return standardLabels({ name: "sfs-turbo", instance: v.name, component: "storage" });
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

/** A claim on any ReadWriteMany StorageClass: no Everest annotations; binding may wait for the first pod. */
export function buildDynamicClaim(v: Extract<VolumeConfig, { type: "dynamic" }>, namespace: string): PersistentVolumeClaimManifest {
  return {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: {
      name: claimNameOf(v),
      namespace,
      labels: standardLabels({ name: "shared-volume", instance: v.name, component: "storage" }),
      // A WaitForFirstConsumer class binds at the first pod: don't make `pulumi up` wait for that.
      annotations: { "pulumi.com/skipAwait": "true" },
    },
    spec: {
      accessModes: ["ReadWriteMany"],
      resources: { requests: { storage: v.capacity } },
      storageClassName: v.storageClassName,
    },
  };
}

/** The claim workloads mount: bound to the static PV, or provisioned by a sub-path StorageClass. */
export function buildPersistentVolumeClaim(
  v: Extract<VolumeConfig, { type: "static" | "subpath" }>,
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
      // Everest provisions (sub-path) or binds (static) SFS Turbo claims.
      annotations: {
        "volume.beta.kubernetes.io/storage-provisioner": EVEREST_PROVISIONER,
        // A sub-path claim binds only when Everest provisions it (possibly at first use):
        // don't make `pulumi up` wait for that.
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
