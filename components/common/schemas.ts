/** Zod pieces shared by the sections of the stack config. */
import { z } from "zod";
import { isQuantity } from "./quantity";

const QUANTITY_MESSAGE = "must be a Kubernetes quantity such as 2650m, 192, 3200Mi or 1500Gi";

/** A quantity written as text ("500Gi"). */
export const quantityText = z.string().refine(isQuantity, { message: QUANTITY_MESSAGE });

/** A quantity as text or a plain number (YAML `cpu: 192`), normalised to text. */
export const quantity = z.union([z.string(), z.number()]).transform(String).refine(isQuantity, { message: QUANTITY_MESSAGE });

/** `{ request, limit }` with defaults. */
export const requestLimit = (request: string, limit: string) =>
  z
    .object({ request: quantity.default(request), limit: quantity.default(limit) })
    .strict()
    .default({});

/** `{ cpu: {request, limit}, memory: {request, limit} }` with defaults. */
export const resourcesSchema = (cpu: [string, string], memory: [string, string]) =>
  z
    .object({ cpu: requestLimit(...cpu), memory: requestLimit(...memory) })
    .strict()
    .default({});

/** An absolute path (in a container or on a node). */
export const absolutePath = z.string().startsWith("/", { message: "must be an absolute path" });

/** A TCP port a workload listens on (unprivileged). */
export const portNumber = z.number().int().min(1024, { message: "must be 1024-65535" }).max(65535, { message: "must be 1024-65535" });

/** Environment variable names (checked by the rules, which report each bad key with its path). */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * A Kubernetes toleration. Lets the stack's pods onto nodes that are tainted to keep other
 * workloads off (the documented way to dedicate NPU nodes).
 */
export const tolerationSchema = z
  .object({
    /** Taint key; omitted with operator Exists, it tolerates every taint. */
    key: z.string().min(1).optional(),
    /** Equal (key and value must match) or Exists (any value). */
    operator: z.enum(["Equal", "Exists"]).default("Equal"),
    /** Taint value (operator Equal only). */
    value: z.string().optional(),
    /** Taint effect to tolerate; omitted, every effect. */
    effect: z.enum(["NoSchedule", "PreferNoSchedule", "NoExecute"]).optional(),
    /** NoExecute only: how long the pod stays after the taint appears. */
    tolerationSeconds: z.number().int().min(0).max(2147483647).optional(),
  })
  .strict()
  .superRefine((t, ctx) => {
    if (t.operator === "Exists" && t.value !== undefined)
      ctx.addIssue({ code: "custom", path: ["value"], message: "must be omitted with operator Exists (Kubernetes rejects it)" });
    if (t.key === undefined && t.operator !== "Exists")
      ctx.addIssue({ code: "custom", path: ["operator"], message: "must be Exists when key is omitted (Kubernetes rejects it)" });
    if (t.tolerationSeconds !== undefined && t.effect !== "NoExecute")
      ctx.addIssue({ code: "custom", path: ["tolerationSeconds"], message: "is only allowed with effect NoExecute" });
  });
export type Toleration = z.infer<typeof tolerationSchema>;

/** Where a workload's pods may run, on top of accelerator.nodeSelector and accelerator.tolerations. */
export const placementSchema = z
  .object({
    /** Node labels required besides accelerator.nodeSelector. */
    nodeSelector: z.record(z.string()).default({}),
    /** Tolerations besides accelerator.tolerations. */
    tolerations: z.array(tolerationSchema).default([]),
  })
  .strict();
