/**
 * SFS Turbo volumes hold the code, data and weights (docs/manual-facts.md#sfs-turbo,
 * #sfs-turbo-cce): their Kubernetes objects must outlive a `pulumi destroy` or replacement, so the
 * data is never released with them.
 */
import { describe, kindOf, type KubeResource } from "../k8s";

export const SFS_TURBO_CSI_DRIVER = "sfsturbo.csi.everest.io";
/** CCE's SFS Turbo StorageClass; teams add their sub-path classes through the policy's config. */
export const DEFAULT_SFS_TURBO_CLASSES = ["csi-sfsturbo"];

/** What makes a resource an SFS Turbo volume, and what it must then set. */
function sfsTurboKind(r: KubeResource, classes: readonly string[]): "pv" | "pvc" | "class" | undefined {
  const { kind } = kindOf(r);
  const p = r.props ?? {};
  if (kind === "PersistentVolume" && (p.spec?.csi?.driver === SFS_TURBO_CSI_DRIVER || classes.includes(p.spec?.storageClassName)))
    return "pv";
  if (kind === "PersistentVolumeClaim" && classes.includes(p.spec?.storageClassName)) return "pvc";
  if (
    kind === "StorageClass" &&
    (p.parameters?.["csi.storage.k8s.io/csi-driver-name"] === SFS_TURBO_CSI_DRIVER || classes.includes(p.metadata?.name))
  )
    return "class";
  return undefined;
}

/**
 * PersistentVolumes: reclaim policy Retain (Kubernetes' default for a static PV); StorageClasses:
 * reclaimPolicy Retain (their default is Delete); volumes and claims: the `protect` resource
 * option, so Pulumi refuses to delete them.
 */
export function sfsTurboRetainViolations(r: KubeResource, classes: readonly string[] = DEFAULT_SFS_TURBO_CLASSES): string[] {
  const what = sfsTurboKind(r, classes);
  if (!what) return [];
  const out: string[] = [];
  const p = r.props ?? {};
  if (what === "pv" && p.spec?.persistentVolumeReclaimPolicy !== undefined && p.spec.persistentVolumeReclaimPolicy !== "Retain")
    out.push(
      `${describe(r)} is an SFS Turbo volume with persistentVolumeReclaimPolicy ${p.spec.persistentVolumeReclaimPolicy}; it must be Retain`,
    );
  if (what === "class" && p.reclaimPolicy !== "Retain")
    out.push(
      `${describe(r)} provisions SFS Turbo volumes with reclaimPolicy ${p.reclaimPolicy ?? "Delete (the default)"}; it must be Retain`,
    );
  if (what !== "class" && r.protect !== true)
    out.push(
      `${describe(r)} is an SFS Turbo ${what === "pvc" ? "claim" : "volume"} without the protect resource option; set protect: true so a destroy cannot remove it`,
    );
  return out;
}
