/**
 * Object-size bound: etcd stores each Kubernetes object whole, and the API server refuses a
 * ConfigMap whose data exceeds 1 MiB (etcd's default request limit is 1.5 MiB). The generated
 * objects are estimated from the config (the user-supplied parts, counted as often as the object
 * repeats them, plus a generous allowance for the fixed parts), so an oversized object is refused
 * before anything is registered instead of failing `up` half-way.
 */
import { RENDEZVOUS_SOURCE, serverArgs } from "../inference/builders";
import { rankTableFiles } from "../inference/ranktable";
import type { ResolvedInference } from "../inference/topology";
import { trainingCommand } from "../training/builders";
import type { Report } from "../common/issues";
import type { StackConfig } from "./schema";

export const MAX_OBJECT_BYTES = 1024 * 1024;
/** The fixed parts of a generated object (metadata, volumes, probes, the manual's mounts). */
const FIXED_ALLOWANCE = 16 * 1024;
/** A device-plugin manifest entry: name, role, index, port. */
const MANIFEST_ENTRY_BYTES = 160;

const bytes = (v: unknown) => Buffer.byteLength(JSON.stringify(v), "utf8");
const mib = (n: number) => `${(n / 1024 / 1024).toFixed(2)} MiB`;

/** `resolved`: the resolved inference, undefined when the accelerator section failed (no placement to judge). */
export function objectSizeRules(c: StackConfig, resolved: ResolvedInference | undefined, report: Report): void {
  const tooBig = (what: string, size: number) =>
    `makes ${what} about ${mib(size)}; Kubernetes stores an object of at most 1 MiB (shorten the values or split the work)`;

  c.training.jobs.forEach((job, i) => {
    // The Volcano Job repeats the pod template per task: main and, for several nodes, work.
    const templates = job.nodes > 1 ? 2 : 1;
    const size =
      FIXED_ALLOWANCE + templates * bytes({ command: trainingCommand(job), env: job.env, alloc: job.npuAllocConf, image: job.image });
    if (size > MAX_OBJECT_BYTES) report(["training", "jobs", i], tooBig(`the Volcano Job "${job.name}"`, size));
  });

  if (!resolved) return;
  for (const d of resolved.deployments) {
    const at = ["inference", "deployments", d.index];
    const dep = d.config;
    if (resolved.problems.some((p) => p.path[2] === d.index)) continue;
    for (const x of d.instances) {
      const size = FIXED_ALLOWANCE + bytes({ args: serverArgs(dep, x.role, x.port, x.extraArgs), env: dep.env });
      if (size > MAX_OBJECT_BYTES) report(x.path, tooBig(`the Deployment "${x.name}"`, size));
    }
    const scheduler =
      FIXED_ALLOWANCE + bytes({ args: serverArgs(dep, "scheduler", d.scheduler.port), env: dep.env, noProxy: dep.scheduler.noProxy });
    if (scheduler > MAX_OBJECT_BYTES) report([...at, "scheduler"], tooBig(`the Deployment "${d.scheduler.name}"`, scheduler));
    const topology = d.rankTopology;
    const tables = topology ? bytes(rankTableFiles(topology)) : d.instances.length * MANIFEST_ENTRY_BYTES;
    const configMap = FIXED_ALLOWANCE + tables + bytes(RENDEZVOUS_SOURCE);
    if (configMap > MAX_OBJECT_BYTES) report(at, tooBig("the rank-table ConfigMap", configMap));
  }
}
