import { z } from "zod";
import { quantityText as quantity } from "../common/schemas";

/** The mount options CCE applies to SFS Turbo volumes by default. */
export const SFS_TURBO_DEFAULT_MOUNT_OPTIONS = ["vers=3", "nolock", "timeo=600", "hard"];

const common = {
  /** Volume name; the PV and PVC are named after it unless claimName is set. */
  name: z.string(),
  /** Claim name the workloads mount (the manual's ${pvc_name}). Default: the volume name. */
  claimName: z.string().optional(),
  /**
   * Let `pulumi destroy` delete the Kubernetes objects of this volume. Default false: they are
   * protected, so a destroy cannot remove them (the data on SFS Turbo is never deleted either way,
   * the PV's reclaim policy is Retain).
   */
  allowDestroy: z.boolean().default(false),
};

/** A static PV bound to an existing SFS Turbo share, plus its PVC. */
const staticVolume = z
  .object({
    ...common,
    type: z.literal("static"),
    /** The SFS Turbo share id (the PV's csi.volumeHandle). */
    shareId: z.string().min(1),
    /** The share's export location, e.g. "192.168.0.169:/" (everest.io/share-export-location). */
    exportLocation: z.string().min(1),
    /** Capacity to declare on the PV/PVC (SFS Turbo does not enforce it). */
    capacity: quantity.default("500Gi"),
    /** Storage class name on the PV and PVC. */
    storageClassName: z.string().default("csi-sfsturbo"),
    /** NFS mount options. */
    mountOptions: z.array(z.string()).default(SFS_TURBO_DEFAULT_MOUNT_OPTIONS),
  })
  .strict();

/** A dynamically provisioned sub-directory of a share, through an Everest sub-path StorageClass. */
const subpathVolume = z
  .object({
    ...common,
    type: z.literal("subpath"),
    /** StorageClass whose parameters set everest.io/volume-as: subpath (created by the CCE admin). */
    storageClassName: z.string().min(1),
    /** Requested capacity (the sub-directory quota). */
    capacity: quantity.default("100Gi"),
  })
  .strict();

/**
 * A claim the stack creates on any ReadWriteMany StorageClass (NFS, CephFS, …): the volume kind of
 * clusters without SFS Turbo (the mindcluster profile). Data safety comes from the class: preflight
 * requires its reclaimPolicy to be Retain.
 */
const dynamicVolume = z
  .object({
    ...common,
    type: z.literal("dynamic"),
    /** A ReadWriteMany StorageClass whose reclaimPolicy is Retain. */
    storageClassName: z.string().min(1),
    /** Requested capacity. */
    capacity: quantity.default("100Gi"),
  })
  .strict();

/** A claim that already exists (created when the cluster was associated with SFS Turbo). */
const existingVolume = z
  .object({
    ...common,
    type: z.literal("existing"),
  })
  .strict();

export const volumeSchema = z.discriminatedUnion("type", [staticVolume, subpathVolume, dynamicVolume, existingVolume]);
export type VolumeConfig = z.infer<typeof volumeSchema>;

export const storageSchema = z
  .object({
    /** Shared volumes (SFS Turbo on CCE); training jobs and inference deployments refer to them by name. */
    volumes: z.array(volumeSchema).default([]),
  })
  .strict()
  .default({});
export type StorageConfig = z.infer<typeof storageSchema>;

/** The claim a volume's workloads mount. */
export function claimNameOf(v: VolumeConfig): string {
  return v.claimName ?? v.name;
}
