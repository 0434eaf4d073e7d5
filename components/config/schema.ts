import { z } from "zod";
import { clusterSchema } from "../cluster/config";
import { acceleratorSchema } from "../common/accelerator";
import { imagesSchema, registrySchema } from "../images/config";
import { inferenceSchema } from "../inference/config";
import { storageSchema } from "../storage/config";
import { trainingSchema } from "../training/config";

/**
 * The whole stack config: one key per section under the project namespace
 * (`ascend-stack:cluster`, `ascend-stack:training`, ...). The single source of truth for types.
 */
export const stackConfigSchema = z
  .object({
    cluster: clusterSchema,
    accelerator: acceleratorSchema,
    images: imagesSchema,
    registry: registrySchema,
    storage: storageSchema,
    training: trainingSchema,
    inference: inferenceSchema,
  })
  .strict();

export type StackConfig = z.infer<typeof stackConfigSchema>;
/** What a user writes (defaults not yet applied). */
export type StackConfigInput = z.input<typeof stackConfigSchema>;

/** Config keys that are not part of the object: secrets, read with config.requireSecret. */
export const SECRET_KEYS = ["registryPassword"] as const;

export const PROJECT = "ascend-stack";
