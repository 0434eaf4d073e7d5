/**
 * Preflight of what the stack's objects need installed in the cluster: the namespace, Volcano's
 * APIs and queues (training jobs), and SFS Turbo's CSI driver, StorageClasses (a dynamic volume's must Retain) and existing claims
 * (volumes). Pure: a snapshot in, findings out.
 */
import type { ClusterProfile } from "../common/profiles";
import { formatPath } from "../common/issues";
import type { StackConfig } from "../config/schema";
import { SFS_TURBO_CSI_DRIVER } from "../storage/builders";
import { claimNameOf } from "../storage/config";
import { error, warning, type PreflightFinding } from "./findings";
import type { ClusterSnapshot, Observed } from "./snapshot";

/** A part of the snapshot that could not be read: the check is skipped with a warning saying so. */
function unchecked<T>(part: Observed<T>, path: string, what: string, out: PreflightFinding[]): part is { ok: false; reason: string } {
  if (part.ok) return false;
  out.push(warning(path, what, `not checked: ${part.reason}`));
  return true;
}

/** How each cluster profile gets Volcano. */
const INSTALL_VOLCANO: Record<ClusterProfile, string> = {
  cce: "on CCE, install the Volcano add-on",
  mindcluster: "install upstream Volcano with MindCluster's Volcano plugin",
};

export function namespaceFindings(config: StackConfig, snap: ClusterSnapshot): PreflightFinding[] {
  const out: PreflightFinding[] = [];
  const ns = config.cluster.namespace;
  if (config.cluster.createNamespace || unchecked(snap.namespaceExists, "cluster.namespace", `Namespace ${ns}`, out)) return out;
  if (!snap.namespaceExists.value)
    out.push(error("cluster.namespace", `Namespace ${ns}`, "does not exist: create it, or set cluster.createNamespace: true"));
  return out;
}

export function volcanoFindings(config: StackConfig, snap: ClusterSnapshot): PreflightFinding[] {
  const out: PreflightFinding[] = [];
  const jobs = config.training.jobs;
  if (jobs.length === 0 || unchecked(snap.volcano, "training.jobs", "Volcano APIs", out)) return out;
  const apis = snap.volcano.value;
  const missing = [
    ...(apis.jobs ? [] : ["batch.volcano.sh/v1alpha1 Job"]),
    ...(apis.queues ? [] : ["scheduling.volcano.sh/v1beta1 Queue"]),
    ...(apis.podGroups ? [] : ["scheduling.volcano.sh/v1beta1 PodGroup"]),
  ];
  if (missing.length > 0) {
    out.push(
      error(
        "training.jobs",
        "CustomResourceDefinitions of Volcano",
        `the cluster does not serve ${missing.join(", ")}: Volcano is not installed (${INSTALL_VOLCANO[config.cluster.profile]}); training jobs need its CRDs, controller and scheduler`,
      ),
    );
    if (!apis.queues) return out;
  }
  if (unchecked(snap.queues, "training.jobs", "Volcano queues", out)) return out;
  const queues = new Map(snap.queues.value.map((q) => [q.name, q]));
  jobs.forEach((job, i) => {
    const path = formatPath(["training", "jobs", i, "queue"]);
    const queue = queues.get(job.queue);
    if (!queue)
      out.push(
        error(
          path,
          `Queue ${job.queue}`,
          `does not exist (queues: ${[...queues.keys()].join(", ") || "none"}): Volcano would leave the job pending`,
        ),
      );
    else if (queue.state && queue.state !== "Open")
      out.push(error(path, `Queue ${job.queue}`, `is ${queue.state}: Volcano admits no new job into it`));
  });
  return out;
}

export function storageFindings(config: StackConfig, snap: ClusterSnapshot): PreflightFinding[] {
  const out: PreflightFinding[] = [];
  const volumes = config.storage.volumes;
  const classes = snap.storageClasses.ok ? new Map(snap.storageClasses.value.map((c) => [c.name, c])) : undefined;
  const needs = (kinds: string[]) => volumes.some((v) => kinds.includes(v.type));
  if (needs(["static", "subpath", "dynamic"])) unchecked(snap.storageClasses, "storage.volumes", "StorageClasses", out);
  if (needs(["static"]) && !unchecked(snap.csiDrivers, "storage.volumes", `CSIDriver ${SFS_TURBO_CSI_DRIVER}`, out)) {
    const firstStatic = volumes.findIndex((v) => v.type === "static");
    if (!snap.csiDrivers.value.includes(SFS_TURBO_CSI_DRIVER))
      out.push(
        error(
          formatPath(["storage", "volumes", firstStatic]),
          `CSIDriver ${SFS_TURBO_CSI_DRIVER}`,
          "is not installed (no CSIDriver object, no node registers it): static SFS Turbo volumes never mount; install CCE's Everest add-on",
        ),
      );
  }
  const ns = config.cluster.namespace;
  const nsMissing = snap.namespaceExists.ok && !snap.namespaceExists.value;
  volumes.forEach((v, i) => {
    if (v.type === "existing") {
      if (nsMissing || unchecked(snap.claims, formatPath(["storage", "volumes", i]), `PersistentVolumeClaim ${ns}/${claimNameOf(v)}`, out))
        return;
      if (!snap.claims.value.includes(claimNameOf(v)))
        out.push(
          error(
            formatPath(["storage", "volumes", i, v.claimName ? "claimName" : "name"]),
            `PersistentVolumeClaim ${ns}/${claimNameOf(v)}`,
            "does not exist: a volume of type existing only refers to a claim; every pod mounting it would stay Pending",
          ),
        );
      return;
    }
    if (!classes) return;
    const path = formatPath(["storage", "volumes", i, "storageClassName"]);
    const object = `StorageClass ${v.storageClassName}`;
    const sc = classes.get(v.storageClassName);
    if (v.type === "dynamic") {
      if (!sc) out.push(error(path, object, "does not exist: the claim is never provisioned and every pod mounting it stays Pending"));
      // The product protects the claim, but a class that deletes its volumes with the claim loses
      // the data on any deletion outside Pulumi (kubectl, a deleted namespace).
      else if (sc.reclaimPolicy !== "Retain")
        out.push(
          error(
            path,
            object,
            `reclaims its volumes with ${sc.reclaimPolicy}: deleting the claim would delete the data; use a class with reclaimPolicy: Retain`,
          ),
        );
      return;
    }
    if (sc) return;
    if (v.type === "subpath")
      out.push(
        error(
          path,
          object,
          "does not exist: the sub-path claim is never provisioned (an Everest StorageClass with everest.io/volume-as: subpath)",
        ),
      );
    else
      out.push(
        warning(path, object, "does not exist: the static PV and claim still bind by name, but CCE's Everest add-on normally provides it"),
      );
  });
  return out;
}
