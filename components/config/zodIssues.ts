/** Turns zod's issues into config issues whose messages say what is wrong in the user's terms. */
import type { z } from "zod";
import { shown } from "../common/display";
import { formatPath, type ConfigIssue, type Path } from "../common/issues";

/** The raw value at `path` (own properties only), or undefined. */
function valueAt(root: unknown, path: Path): unknown {
  let v = root;
  for (const seg of path) {
    if (typeof v !== "object" || v === null || !Object.prototype.hasOwnProperty.call(v, seg)) return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

const listOf = (options: readonly unknown[]) => options.map((o) => JSON.stringify(o)).join(", ");

function messageOf(issue: z.ZodIssue, value: unknown): string {
  if (typeof value === "number" && !Number.isFinite(value)) return "is not a finite number (.inf and .nan are not allowed here)";
  switch (issue.code) {
    case "invalid_union_discriminator":
      // An optional discriminator (an entry without it takes the default kind) lists undefined among the options.
      return `${shown(value)} is not a known type; the types are ${listOf(issue.options.filter((o) => o !== undefined))}`;
    case "invalid_enum_value":
      return `must be one of ${listOf(issue.options)}, not ${shown(value)}`;
    case "invalid_literal":
      return `must be ${JSON.stringify(issue.expected)}, not ${shown(value)}`;
    default:
      return issue.message;
  }
}

/** Every issue of `error` with its config path; `input` is what was parsed (for the offending values). */
export function zodIssues(error: z.ZodError, input: unknown, prefix: Path = []): ConfigIssue[] {
  const out = error.issues.flatMap((issue): ConfigIssue[] => {
    // A union reports one issue per branch; show the branch errors instead of "Invalid input".
    if (issue.code === "invalid_union") return issue.unionErrors.flatMap((e) => zodIssues(e, input, prefix)).slice(0, 3);
    if (issue.code === "unrecognized_keys")
      return issue.keys.map((k) => ({
        path: formatPath([...prefix, ...issue.path, k]),
        message: "unknown key (check the spelling against the config reference)",
      }));
    return [{ path: formatPath([...prefix, ...issue.path]), message: messageOf(issue, valueAt(input, issue.path)) }];
  });
  const seen = new Set<string>();
  return out.filter((i) => !seen.has(i.path + "\n" + i.message) && !!seen.add(i.path + "\n" + i.message));
}
