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
  z.object({ request: quantity.default(request), limit: quantity.default(limit) }).strict().default({});

/** `{ cpu: {request, limit}, memory: {request, limit} }` with defaults. */
export const resourcesSchema = (cpu: [string, string], memory: [string, string]) =>
  z.object({ cpu: requestLimit(...cpu), memory: requestLimit(...memory) }).strict().default({});

/** Environment variable names (checked by the rules, which report each bad key with its path). */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
