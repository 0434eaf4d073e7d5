/**
 * What differs between the cluster profiles' training jobs (docs/cluster-profiles.md): who writes
 * the rank table where, the ring-controller label, the job plugins and the pod's own names.
 * Everything else of the Volcano Job is the same on both.
 */
import type { AcceleratorConfig } from "../common/accelerator";
import { fieldEnv as field, type EnvVar } from "../common/kube";
import { MINDCLUSTER, type ClusterProfile } from "../common/profiles";

export interface TrainingFlavor {
  /** Label key on the ConfigMap, the Job and the pods; its value is accelerator.profile. */
  ringControllerLabel: string;
  /** The rank-table ConfigMap the profile's controller fills once the pods are placed. */
  rankTable: {
    prefix: string;
    key: string;
    /** What the ConfigMap holds until then. */
    initial: string;
    /** The pods' volume of it and where they see it (undefined: they do not mount it). */
    mount?: { volume: string; path: string };
  };
  /** Labels of the Job besides the ring-controller and recommended ones. */
  jobLabels: Record<string, string>;
  /** The pods' app label. */
  app: string;
  /** Volcano job plugins with their arguments. */
  plugins: Record<string, string[]>;
  /** The profile's own environment, before the distributed-training variables. */
  env(accelerator: AcceleratorConfig): EnvVar[];
}

/** The svc plugin's headless Service publishes the pods before they are ready (MASTER_ADDR resolves at once). */
const SVC = ["--publish-not-ready-addresses=true"];

/** Where MindCluster's samples mount `rings-config-<job>` (and its ascend-operator reads hccl.json back). */
export const MINDCLUSTER_RANK_TABLE_DIR = "/user/serverid/devindex/config";

export const TRAINING_FLAVORS: Record<ClusterProfile, TrainingFlavor> = {
  // The manual's job on CCE: CCE's Volcano add-on runs the configmap1980 plugin, which writes
  // jobstart_hccl.json into configmap1980-<job> (docs/manual-facts.md#training-job).
  cce: {
    ringControllerLabel: "ring-controller.cce",
    rankTable: { prefix: "configmap1980-", key: "jobstart_hccl.json", initial: '{\n    "status":"initializing"\n}\n' },
    jobLabels: { "fault-scheduling": "force" },
    app: "ascendspeed",
    plugins: { configmap1980: ["--rank-table-version=v2"], env: [], svc: SVC },
    // The manual's three variables.
    env: () => [field("name", "metadata.name"), field("ip", "status.hostIP"), { name: "framework", value: "PyTorch" }],
  },
  // MindCluster's rank-table vcjob: upstream Volcano's env and svc plugins; MindCluster's
  // ascend-operator writes hccl.json into rings-config-<job>, which the pods mount.
  mindcluster: {
    ringControllerLabel: MINDCLUSTER.ringControllerLabel,
    rankTable: {
      prefix: "rings-config-",
      key: "hccl.json",
      initial: '{"status":"initializing"}\n',
      mount: { volume: "ascend-910-config", path: MINDCLUSTER_RANK_TABLE_DIR },
    },
    jobLabels: { framework: "pytorch", "fault-scheduling": "force" },
    app: "pytorch",
    plugins: { env: [], svc: SVC },
    env: (a) => [
      // The device plugin lists the allocated chips in the annotation named like the resource.
      field("ASCEND_VISIBLE_DEVICES", `metadata.annotations['${a.resourceName}']`),
      field("XDL_IP", "status.hostIP"),
      { name: "RANK_TABLE_FILE", value: `${MINDCLUSTER_RANK_TABLE_DIR}/hccl.json` },
    ],
  },
};
