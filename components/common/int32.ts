/** Integers that end up in 32-bit fields of Kubernetes or Volcano objects (replicas, ports, counts). */
import { z } from "zod";

export const INT32_MAX = 2 ** 31 - 1;

/** An integer ≥ min that Kubernetes and Volcano can store (int32). */
export const int32 = (min: number) =>
  z
    .number()
    .int()
    .min(min)
    .max(INT32_MAX, { message: `must be at most ${INT32_MAX}: Kubernetes and Volcano store it as a 32-bit integer` });
