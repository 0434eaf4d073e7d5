/**
 * The accelerator profile: which extended resource, node labels and pod annotation the NPU nodes
 * of the cluster use. Shared by every NPU workload (training, inference, reservations).
 */
import { z } from "zod";
import { ACCELERATOR_DEFAULTS, type AcceleratorDefaults, type ClusterProfile } from "./profiles";
import { tolerationSchema } from "./schemas";

/** The accelerator section, its defaults those of a cluster profile (common/profiles.ts). */
function acceleratorSchemaWith(d: AcceleratorDefaults) {
  return z
    .object({
      /** Chip generation, the ring-controller label's value: CCE's Snt9b nodes are "ascend-1980", MindCluster's 910B "ascend-910b". */
      profile: z.string().default(d.profile),
      /** Extended resource the device plugin advertises. */
      resourceName: z.string().default(d.resourceName),
      /** Node selector that matches the NPU nodes. */
      nodeSelector: z.record(z.string()).default(d.nodeSelector),
      /** NPUs per node (8 on a Snt9b server). */
      npusPerNode: z.number().int().min(1).max(64).default(8),
      /** Pod annotation in which the device plugin reports the allocated devices and their RoCE addresses. */
      deviceAnnotation: z.string().default(d.deviceAnnotation),
      /** Tolerations of every NPU pod of the stack (training jobs, P/D instances), for tainted NPU nodes. */
      tolerations: z.array(tolerationSchema).default([]),
    })
    .strict()
    .default({});
}

/** The accelerator section with the `cce` profile's defaults (the config's type). */
export const acceleratorSchema = acceleratorSchemaWith(ACCELERATOR_DEFAULTS.cce);

/** The accelerator section of each cluster profile: same fields, that profile's defaults. */
export const acceleratorSchemaOf: Record<ClusterProfile, typeof acceleratorSchema> = {
  cce: acceleratorSchema,
  mindcluster: acceleratorSchemaWith(ACCELERATOR_DEFAULTS.mindcluster),
};

export type AcceleratorConfig = z.infer<typeof acceleratorSchema>;
