/** Checks that several sections' rules share. */
import { parseQuantity } from "../common/quantity";
import { ENV_NAME } from "../common/schemas";
import type { Path, Report } from "./issues";

/** Reports a request larger than its limit. */
export function reportRequestOverLimit(path: Path, rl: { request: string; limit: string }, report: Report): void {
  const req = parseQuantity(rl.request);
  const lim = parseQuantity(rl.limit);
  if (req !== undefined && lim !== undefined && req > lim) report(path, `request ${rl.request} exceeds limit ${rl.limit}`);
}

/** Reports every key of `env` that is not a valid environment variable name. */
export function reportBadEnvNames(path: Path, env: Record<string, string>, report: Report): void {
  for (const key of Object.keys(env)) if (!ENV_NAME.test(key)) report([...path, key], `"${key}" is not a valid environment variable name`);
}
