/** Checks that several sections' rules share. */
import { shown } from "./display";
import { parseQuantity } from "./quantity";
import { ENV_NAME } from "./schemas";
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

/** Reports the second and later occurrences of a key among `items`. */
export function reportDuplicates<T>(
  items: readonly T[],
  key: (t: T) => string,
  path: (i: number) => Path,
  what: string,
  report: Report,
): void {
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    const k = key(item);
    const first = seen.get(k);
    if (first !== undefined) report(path(i), `${what} ${shown(k)} is already used by entry [${first}]; ${what}s must be unique`);
    else seen.set(k, i);
  });
}
