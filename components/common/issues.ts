/** A validation problem: where in the stack config, and which rule it breaks. */
export interface ConfigIssue {
  /** Dotted path from the config key, e.g. "training.jobs[0].npus". */
  path: string;
  message: string;
}

export type Path = ReadonlyArray<string | number>;

/** Formats ["training","jobs",0,"npus"] as "training.jobs[0].npus". */
export function formatPath(path: Path): string {
  return path.reduce<string>((out, seg) => (typeof seg === "number" ? `${out}[${seg}]` : out ? `${out}.${seg}` : seg), "");
}

/** Collects cross-field issues; the rules modules call `report(path, message)`. */
export type Report = (path: Path, message: string) => void;

/**
 * Sections that failed their schema and were replaced by defaults. A rule that looks into
 * another section skips it when that section failed, so it reports no consequential noise.
 */
export type FailedSections = ReadonlySet<string>;

/** One line per issue, the way the CLI and the Pulumi program print them. */
export function formatIssues(issues: readonly ConfigIssue[]): string {
  return issues.map((i) => `  - ${i.path || "(root)"}: ${i.message}`).join("\n");
}

/** A problem found by a pure resolver (placement, ports), before it is formatted for the user. */
export interface Problem {
  path: Path;
  message: string;
}
