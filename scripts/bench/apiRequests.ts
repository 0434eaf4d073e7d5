/**
 * Requests the API server served during a command, from its own counters
 * (apiserver_request_total, apiserver_request_duration_seconds_sum) before and after. The
 * counters do not say which client asked. Only requests on the kinds the stack creates, with the
 * verbs a deploy uses, are counted: that leaves out most of what controllers do in reaction (Volcano
 * creating a job's pods and Service, the Deployment controller's ReplicaSets), but not all of it
 * (Volcano also reads and updates the new Jobs, and its svc plugin creates ConfigMaps).
 */
import { execFileSync } from "node:child_process";

export type RequestCounters = Map<string, { count: number; seconds: number }>;

const VERBS = new Set(["APPLY", "POST", "PATCH", "PUT", "GET", "LIST", "DELETE"]);

function labels(text: string): Record<string, string> {
  return Object.fromEntries([...text.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
}

/** Parses the metrics text into counters keyed "VERB resource" (" dry-run" appended for dry runs). */
export function parseRequestMetrics(text: string, resources: Set<string>): RequestCounters {
  const out: RequestCounters = new Map();
  for (const line of text.split("\n")) {
    const m = /^(apiserver_request_total|apiserver_request_duration_seconds_sum)\{([^}]*)\} ([\d.e+-]+)$/.exec(line);
    if (!m) continue;
    const l = labels(m[2]);
    if (!VERBS.has(l.verb) || !resources.has(l.resource) || l.subresource) continue;
    const key = `${l.verb} ${l.resource}${l.dry_run ? " dry-run" : ""}`;
    const entry = out.get(key) ?? { count: 0, seconds: 0 };
    if (m[1] === "apiserver_request_total") entry.count += Number(m[3]);
    else entry.seconds += Number(m[3]);
    out.set(key, entry);
  }
  return out;
}

export function readRequestCounters(resources: Set<string>): RequestCounters {
  return parseRequestMetrics(execFileSync("kubectl", ["get", "--raw", "/metrics"], { encoding: "utf8", maxBuffer: 64 << 20 }), resources);
}

/** after − before, without the unchanged entries. */
export function diffCounters(before: RequestCounters, after: RequestCounters): RequestCounters {
  const out: RequestCounters = new Map();
  for (const [key, a] of after) {
    const b = before.get(key) ?? { count: 0, seconds: 0 };
    if (a.count > b.count) out.set(key, { count: a.count - b.count, seconds: a.seconds - b.seconds });
  }
  return out;
}

/** "50 APPLY configmaps dry-run (0.41 s), 50 POST jobs (0.30 s)". */
export function formatCounters(c: RequestCounters): string {
  if (c.size === 0) return "none";
  return [...c.entries()]
    .sort((a, b) => b[1].count - a[1].count)
    .map(([key, v]) => `${v.count} ${key} (${v.seconds.toFixed(2)} s)`)
    .join(", ");
}
