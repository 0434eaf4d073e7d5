/**
 * Best-effort parse of a section that failed its schema, so that "every problem at once" holds as
 * far as the data allows: each entry of the section's lists is parsed on its own; a broken entry
 * is kept in place (indices stay right) with its offending keys removed and required keys filled
 * by placeholders. Rule issues inside a broken entry are consequences and are dropped; the valid
 * siblings still get every cross-field rule.
 */
import type { z } from "zod";
import { deploymentSchema, inferenceNodeSchema } from "../inference/config";
import { volumeSchema } from "../storage/config";
import { trainingJobSchema } from "../training/config";
import { formatPath, type Path } from "../common/issues";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

interface EntryList {
  key: string;
  schema: z.ZodTypeAny;
  /** Required keys a broken entry gets when its own are missing or removed. */
  placeholder: (i: number) => Obj;
}

const PLACEHOLDER_NAME = (i: number) => `(entry ${i})`;

/** The lists of entries per section. */
const ENTRY_LISTS: Record<string, EntryList[]> = {
  storage: [{ key: "volumes", schema: volumeSchema, placeholder: (i) => ({ name: PLACEHOLDER_NAME(i), type: "existing" }) }],
  training: [{ key: "jobs", schema: trainingJobSchema, placeholder: (i) => ({ name: PLACEHOLDER_NAME(i), command: "true" }) }],
  inference: [
    {
      key: "nodes",
      schema: inferenceNodeSchema,
      placeholder: (i) => ({ hostname: PLACEHOLDER_NAME(i), hostIP: "0.0.0.0", deviceIPs: {} }),
    },
    {
      key: "deployments",
      schema: deploymentSchema,
      placeholder: (i) => ({ name: PLACEHOLDER_NAME(i), model: "/mnt/sfs_turbo/model", servedModelName: "model" }),
    },
  ],
};

/** The paths zod complains about, cut at the first list index (the whole list key goes). */
function offendingPaths(error: z.ZodError): Path[] {
  return error.issues.flatMap((issue) => {
    const paths = issue.code === "unrecognized_keys" ? issue.keys.map((k) => [...issue.path, k]) : [issue.path];
    return paths.map((p) => {
      const cut = p.findIndex((seg) => typeof seg === "number");
      return cut < 0 ? p : p.slice(0, cut);
    });
  });
}

/** `obj` without the value at `path` (copy on write). */
function without(obj: Obj, path: Path): Obj {
  if (path.length === 0) return {};
  const [head, ...rest] = path;
  const copy: Obj = { ...obj };
  const child = copy[head as string];
  if (rest.length === 0 || !isObj(child)) delete copy[head as string];
  else copy[head as string] = without(child, rest);
  return copy;
}

/** `raw` with every offending path removed, or undefined when nothing of it is usable. */
function stripped(schema: z.ZodTypeAny, raw: unknown, fill: Obj = {}): { value: unknown; removed: Path[] } | undefined {
  const first = schema.safeParse(raw);
  if (first.success) return { value: raw, removed: [] };
  const removed = offendingPaths(first.error);
  const base = isObj(raw) ? removed.reduce<Obj>(without, raw) : {};
  const candidate = { ...fill, ...base };
  if (schema.safeParse(candidate).success) return { value: candidate, removed };
  if (isObj(raw) && schema.safeParse({ ...fill, ...(typeof raw.name === "string" ? { name: raw.name } : {}) }).success)
    return { value: { ...fill, ...(typeof raw.name === "string" ? { name: raw.name } : {}) }, removed: [[]] };
  return undefined;
}

export interface Salvaged {
  /** The parsed section (defaults when nothing could be salvaged). */
  data: unknown;
  /** Config paths whose rule issues are consequences of a schema error. */
  broken: string[];
}

/** Parses a failed section as far as possible. */
export function salvageSection(section: string, schema: z.ZodTypeAny, raw: unknown): Salvaged {
  const broken: string[] = [];
  let value = raw;
  if (isObj(raw)) {
    const copy: Obj = { ...raw };
    for (const list of ENTRY_LISTS[section] ?? []) {
      const entries = copy[list.key];
      if (!Array.isArray(entries)) continue;
      copy[list.key] = entries.map((entry, i) => {
        const s = stripped(list.schema, entry, list.placeholder(i));
        if (s?.removed.length === 0) return entry;
        broken.push(formatPath([section, list.key, i]));
        return s ? s.value : list.placeholder(i);
      });
    }
    value = copy;
  }
  const result = stripped(schema, value);
  if (result) {
    const parsed = schema.safeParse(result.value);
    if (parsed.success) return { data: parsed.data, broken: [...broken, ...result.removed.map((p) => formatPath([section, ...p]))] };
  }
  return { data: schema.safeParse(undefined).data, broken: [section] };
}

/** True when `path` is `prefix` or lies inside it. */
export function isInside(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(prefix + ".") || path.startsWith(prefix + "[");
}
