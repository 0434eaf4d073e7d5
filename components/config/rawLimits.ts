/**
 * Limits checked on the raw config before any schema runs:
 * - nesting depth: the deepest real key is about 8 levels down; deeper input is junk and would
 *   only exhaust recursion somewhere (reported instead of "Maximum call stack size exceeded");
 * - `__proto__` keys: JavaScript object handling (and zod's records) drop them silently;
 * - string size: every value lands in a Kubernetes object, which etcd stores whole (about 1 MiB
 *   per object); one value over 64 KiB is a mistake (a pasted file), not a setting.
 */
import { formatPath, type ConfigIssue, type Path } from "../common/issues";

export const MAX_DEPTH = 32;
export const MAX_STRING_BYTES = 64 * 1024;
/** Never put into an object: the kubeconfig text is read by the provider only. */
const EXEMPT_STRINGS = new Set(["cluster.kubeconfig"]);

const kib = (n: number) => `${Math.ceil(n / 1024)} KiB`;

/** Issues of `raw`, and the top-level sections that are too deep to parse at all. */
export function rawLimitIssues(raw: Record<string, unknown>): { issues: ConfigIssue[]; tooDeep: Set<string> } {
  const issues: ConfigIssue[] = [];
  const tooDeep = new Set<string>();
  const walk = (v: unknown, path: Path): void => {
    if (typeof v === "string") {
      const bytes = Buffer.byteLength(v, "utf8");
      const at = formatPath(path);
      if (bytes > MAX_STRING_BYTES && !EXEMPT_STRINGS.has(at))
        issues.push({
          path: at,
          message: `is ${kib(bytes)}; a single value may be at most 64 KiB (every value ends up in a Kubernetes object, and etcd stores an object of at most about 1 MiB)`,
        });
      return;
    }
    if (typeof v !== "object" || v === null) return;
    if (path.length >= MAX_DEPTH) {
      issues.push({ path: formatPath(path), message: `is nested deeper than ${MAX_DEPTH} levels; no config key is that deep` });
      tooDeep.add(String(path[0]));
      return;
    }
    if (Array.isArray(v)) v.forEach((item, i) => walk(item, [...path, i]));
    else
      for (const key of Object.keys(v)) {
        if (key === "__proto__")
          issues.push({
            path: formatPath([...path, key]),
            message: "is not an allowed key: JavaScript reserves __proto__ and would drop it silently",
          });
        else walk((v as Record<string, unknown>)[key], [...path, key]);
      }
  };
  for (const key of Object.keys(raw)) if (key !== "__proto__") walk(raw[key], [key]);
  return { issues, tooDeep };
}
