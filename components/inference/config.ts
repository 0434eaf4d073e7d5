import { z } from "zod";

/** Placeholder: P/D-separated inference deployments (filled by the P/D issue). */
export const inferenceSchema = z
  .object({ deployments: z.array(z.never()).default([]) })
  .strict()
  .default({});
export type InferenceConfig = z.infer<typeof inferenceSchema>;
