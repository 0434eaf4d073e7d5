/**
 * Rules of the cluster profiles (docs/cluster-profiles.md): the NPU names must be the profile's,
 * and what only one platform has (SFS Turbo through Everest on CCE) is refused on the other.
 */
import { shown } from "../common/display";
import type { Report } from "../common/issues";
import { ACCELERATOR_DEFAULTS, MINDCLUSTER } from "../common/profiles";
import type { StackConfig } from "./schema";

/** MindCluster's resource names for the chips this product runs (Atlas 800T A2 and 300I Duo). */
const MINDCLUSTER_RESOURCES: readonly string[] = [MINDCLUSTER.npu910, MINDCLUSTER.npu310p];
/** ring-controller.atlas values of MindCluster's 910 and 910B rank-table jobs. */
const MINDCLUSTER_RING_VALUES: readonly string[] = ["ascend-910", "ascend-910b"];
const CCE = ACCELERATOR_DEFAULTS.cce;

/** The config, and which of the sections the rules read passed their schema (a failed one is not judged). */
export interface ProfileRuleInput {
  config: StackConfig;
  acceleratorValid: boolean;
  storageValid: boolean;
}

export function profileRules({ config, acceleratorValid, storageValid }: ProfileRuleInput, report: Report): void {
  const profile = config.cluster.profile;
  if (profile === "mindcluster") {
    if (acceleratorValid) mindclusterAccelerator(config, report);
    if (storageValid)
      config.storage.volumes.forEach((v, i) => {
        if (v.type === "static" || v.type === "subpath")
          report(
            ["storage", "volumes", i, "type"],
            `is ${v.type}, an SFS Turbo volume of CCE's Everest add-on; on the mindcluster profile use type dynamic (a claim on a ReadWriteMany StorageClass) or existing`,
          );
      });
  } else if (acceleratorValid) cceAccelerator(config, report);
}

function mindclusterAccelerator(c: StackConfig, report: Report): void {
  const a = c.accelerator;
  if (!MINDCLUSTER_RESOURCES.includes(a.resourceName))
    report(
      ["accelerator", "resourceName"],
      `is ${shown(a.resourceName)}, not a resource MindCluster's device plugin advertises (${MINDCLUSTER_RESOURCES.join(", ")}; 910B chips are ${MINDCLUSTER.npu910})`,
    );
  else if (a.resourceName !== MINDCLUSTER.npu910) {
    // 310P cards have no RoCE links between servers: no HCCL rank table, so neither training nor P/D.
    const users = [
      ...(c.training.jobs.length ? ["training.jobs"] : []),
      ...(c.inference.deployments.length ? ["inference.deployments"] : []),
    ];
    if (users.length)
      report(
        ["accelerator", "resourceName"],
        `is ${a.resourceName}, whose chips have no HCCL rank table; ${users.join(" and ")} need ${MINDCLUSTER.npu910}`,
      );
  }
  if (a.deviceAnnotation !== MINDCLUSTER.deviceInfoAnnotation)
    report(
      ["accelerator", "deviceAnnotation"],
      `is ${shown(a.deviceAnnotation)}, but MindCluster's device plugin reports the allocated chips and their RoCE addresses in ${MINDCLUSTER.deviceInfoAnnotation}`,
    );
  if (!MINDCLUSTER_RING_VALUES.includes(a.profile))
    report(
      ["accelerator", "profile"],
      `is ${shown(a.profile)}, not a ${MINDCLUSTER.ringControllerLabel} value MindCluster knows (${MINDCLUSTER_RING_VALUES.join(", ")})`,
    );
  for (const key of Object.keys(CCE.nodeSelector))
    if (key in a.nodeSelector)
      report(
        ["accelerator", "nodeSelector", key],
        `is CCE's node label; MindCluster's NPU nodes carry ${MINDCLUSTER.acceleratorLabel} and ${MINDCLUSTER.acceleratorTypeLabel}`,
      );
  // accelerator-type ends in the chips per server (module-910b-8, module-910b-16, card-910b-2).
  const type = a.nodeSelector[MINDCLUSTER.acceleratorTypeLabel];
  const chips = type?.match(/-(\d+)$/)?.[1];
  if (chips !== undefined && Number(chips) !== a.npusPerNode)
    report(
      ["accelerator", "npusPerNode"],
      `is ${a.npusPerNode}, but nodes labelled ${MINDCLUSTER.acceleratorTypeLabel}=${type} (accelerator.nodeSelector) have ${chips} chips`,
    );
}

function cceAccelerator(c: StackConfig, report: Report): void {
  const a = c.accelerator;
  if (MINDCLUSTER_RESOURCES.includes(a.resourceName))
    report(
      ["accelerator", "resourceName"],
      `is MindCluster's resource name; CCE's device plugin advertises ${CCE.resourceName} (or set cluster.profile: mindcluster)`,
    );
  if (a.deviceAnnotation === MINDCLUSTER.deviceInfoAnnotation)
    report(
      ["accelerator", "deviceAnnotation"],
      `is MindCluster's annotation; CCE's device plugin writes ${CCE.deviceAnnotation} (or set cluster.profile: mindcluster)`,
    );
}
