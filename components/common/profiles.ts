/**
 * The cluster profiles: which Ascend software stack the cluster runs, and so which names every
 * NPU object carries (docs/cluster-profiles.md).
 * - `cce`: Huawei Cloud CCE with its Volcano add-on and Everest (the manual's platform).
 * - `mindcluster`: any Kubernetes with upstream Volcano and Huawei's open-source MindCluster
 *   (MindX DL: Ascend device plugin, Volcano scheduling plugin, ascend-operator).
 */
export const CLUSTER_PROFILES = ["cce", "mindcluster"] as const;
export type ClusterProfile = (typeof CLUSTER_PROFILES)[number];
export const DEFAULT_CLUSTER_PROFILE: ClusterProfile = "cce";

/** Where a profile's NPU nodes are found and how their device plugin reports allocations. */
export interface AcceleratorDefaults {
  /** Value of the profile's ring-controller label on the training objects. */
  profile: string;
  resourceName: string;
  nodeSelector: Record<string, string>;
  deviceAnnotation: string;
}

/** MindCluster's names, from its device plugin and Volcano plugin sources (docs/cluster-profiles.md). */
export const MINDCLUSTER = {
  /** Atlas 800T A2 (910B) chips; MindCluster advertises 910B under the 910 name. */
  npu910: "huawei.com/Ascend910",
  /** Atlas 300I Duo (310P) inference cards. */
  npu310p: "huawei.com/Ascend310P",
  /** The device plugin's JSON of the allocated chips and their RoCE addresses, on the pod. */
  deviceInfoAnnotation: "ascend.kubectl.kubernetes.io/ascend-910-configuration",
  /** Node labels MindCluster's Volcano plugin selects NPU nodes by. */
  acceleratorLabel: "accelerator",
  acceleratorTypeLabel: "accelerator-type",
  /** Label of the training Job, its pods and rank-table ConfigMap; its value names the chip generation. */
  ringControllerLabel: "ring-controller.atlas",
} as const;

export const ACCELERATOR_DEFAULTS: Record<ClusterProfile, AcceleratorDefaults> = {
  cce: {
    profile: "ascend-1980",
    resourceName: "huawei.com/ascend-1980",
    nodeSelector: { "accelerator/huawei-npu": "ascend-1980" },
    deviceAnnotation: "cce.kubectl.kubernetes.io/ascend-1980-configuration",
  },
  mindcluster: {
    profile: "ascend-910b",
    resourceName: MINDCLUSTER.npu910,
    nodeSelector: { [MINDCLUSTER.acceleratorLabel]: "huawei-Ascend910", [MINDCLUSTER.acceleratorTypeLabel]: "module-910b-8" },
    deviceAnnotation: MINDCLUSTER.deviceInfoAnnotation,
  },
};
