/**
 * The pack's policies as plain data: name, description, default enforcement level and the pure
 * check each runs. index.ts wires them into @pulumi/policy; the unit tests use them directly.
 */
import type { KubeResource, Violation } from "./k8s";
import { driverWithoutNpuSmiViolations, homeMountViolations } from "./rules/mounts";
import { nodePortsViolations } from "./rules/nodePorts";
import { npuSharingViolations } from "./rules/npus";
import { batchedTokensViolations } from "./rules/startServers";
import { DEFAULT_SFS_TURBO_CLASSES, sfsTurboRetainViolations } from "./rules/storage";
import { gangViolations } from "./rules/volcano";

export type Level = "advisory" | "mandatory" | "disabled";

/** Policy config (PulumiPolicy config file); storageClassNames only for sfs-turbo-retained. */
export interface RuleConfig {
  storageClassNames?: string[];
}

interface Base {
  name: string;
  description: string;
  enforcementLevel: Level;
}
export interface ResourceRule extends Base {
  resource: (r: KubeResource, config: RuleConfig) => string[];
}
export interface StackRule extends Base {
  stack: (resources: readonly KubeResource[], config: RuleConfig) => Violation[];
}
export type Rule = ResourceRule | StackRule;

export const RULES: readonly Rule[] = [
  {
    name: "no-mount-under-ma-user-home",
    description: "No container mounts a volume at or under /home/ma-user, the Ascend base image's home directory (manual M11-M13).",
    enforcementLevel: "mandatory",
    resource: homeMountViolations,
  },
  {
    name: "driver-mounted-with-npu-smi",
    description:
      "A container that mounts the Ascend driver (/usr/local/Ascend/driver) also mounts npu-smi (/usr/local/sbin/npu-smi) (manual M11-M13).",
    enforcementLevel: "mandatory",
    resource: driverWithoutNpuSmiViolations,
  },
  {
    name: "npu-not-shared",
    description:
      "No two containers of the stack can use the same NPU: cards opened by /dev/davinciN or ASCEND_VISIBLE_DEVICES on one node (manual M11-M13).",
    enforcementLevel: "mandatory",
    stack: npuSharingViolations,
  },
  {
    name: "batched-tokens-cover-model-len",
    description:
      "start_servers.sh arguments: --max-num-batched-tokens >= --max-model-len, unless --enable-chunked-prefill (manual M11-M13, vLLM 0.6.3).",
    enforcementLevel: "mandatory",
    resource: batchedTokensViolations,
  },
  {
    name: "node-ports-follow-rank-table",
    description:
      "The P/D scheduler's NODE_PORTS lists the instances' ports in the global rank table's order: prefill, then decode (manual M13, M14).",
    enforcementLevel: "mandatory",
    stack: nodePortsViolations,
  },
  {
    name: "volcano-gang-complete",
    description:
      "A Volcano Job of several pods sets minAvailable to all of its replicas, so it is gang-scheduled (manual M6; the manual's template says 1).",
    enforcementLevel: "advisory",
    resource: gangViolations,
  },
  {
    name: "sfs-turbo-retained",
    description:
      "SFS Turbo PersistentVolumes and claims are protected and reclaimed with Retain; SFS Turbo StorageClasses use reclaimPolicy Retain.",
    enforcementLevel: "mandatory",
    resource: (r, config) => sfsTurboRetainViolations(r, config.storageClassNames ?? DEFAULT_SFS_TURBO_CLASSES),
  },
];
