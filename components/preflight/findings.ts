/** What preflight reports: a finding per problem, naming the config path and the cluster object. */

export interface PreflightFinding {
  /** error: the deploy cannot succeed as configured; warning: it may not, or it was not checked. */
  severity: "error" | "warning";
  /** Config path, e.g. "training.jobs[0].queue". */
  path: string;
  /** The cluster object concerned, e.g. "Queue research" or "Node ascend-node-1". */
  object: string;
  message: string;
}

export const error = (path: string, object: string, message: string): PreflightFinding => ({ severity: "error", path, object, message });
export const warning = (path: string, object: string, message: string): PreflightFinding => ({
  severity: "warning",
  path,
  object,
  message,
});

/** One line per finding, errors first, the way the program and `npm run validate -- --cluster` print them. */
export function formatFindings(findings: readonly PreflightFinding[]): string {
  const sorted = [...findings].sort((a, b) => (a.severity === b.severity ? 0 : a.severity === "error" ? -1 : 1));
  return sorted.map((f) => `  - ${f.severity} ${f.path || "(root)"} [${f.object}]: ${f.message}`).join("\n");
}

export const errorsOf = (findings: readonly PreflightFinding[]) => findings.filter((f) => f.severity === "error");
