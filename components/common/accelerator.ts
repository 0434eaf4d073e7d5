/**
 * The accelerator profile: which extended resource, node labels and pod annotation the NPU nodes
 * of the cluster use. Shared by every NPU workload (training, inference, reservations).
 */
import { z } from "zod";
import { tolerationSchema } from "./schemas";

/** The accelerator profile: which extended resource and node label the NPU nodes carry. */
export const acceleratorSchema = z
  .object({
    /** Profile name; CCE's Snt9b nodes are "ascend-1980". */
    profile: z.string().default("ascend-1980"),
    /** Extended resource the device plugin advertises. */
    resourceName: z.string().default("huawei.com/ascend-1980"),
    /** Node selector that matches the NPU nodes. */
    nodeSelector: z.record(z.string()).default({ "accelerator/huawei-npu": "ascend-1980" }),
    /** NPUs per node (8 on a Snt9b server). */
    npusPerNode: z.number().int().min(1).max(64).default(8),
    /** Pod annotation in which CCE's device plugin reports the allocated devices. */
    deviceAnnotation: z.string().default("cce.kubectl.kubernetes.io/ascend-1980-configuration"),
    /** Tolerations of every NPU pod of the stack (training jobs, P/D instances), for tainted NPU nodes. */
    tolerations: z.array(tolerationSchema).default([]),
  })
  .strict()
  .default({});

export type AcceleratorConfig = z.infer<typeof acceleratorSchema>;
