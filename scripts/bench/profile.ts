/**
 * One profiled `pulumi preview` and `pulumi up` per case, on a fresh stack and namespace, outside
 * the timed runs (profiling slows them down): the CPU time and peak memory of each program in the
 * process tree, the engine's CPU profile (its share of writing the state), the Node.js program's
 * CPU profile by category, and the API server's requests on the stack's kinds.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { diffCounters, formatCounters, readRequestCounters } from "./apiRequests";
import type { BenchCase } from "./cases";
import { readEngineProfile, type EngineProfile } from "./engineProfile";
import { measure, type Measurement } from "./measure";
import { classifyNodeProfile, largestProfile } from "./nodeProfile";
import { BenchStack, progress, resetNamespaces } from "./steps";

export interface CommandProfile extends Measurement {
  engine?: EngineProfile;
  /** Node.js program CPU milliseconds by category (nodeProfile.ts). */
  node?: Record<string, number>;
  requests: string;
}

export interface CaseProfile {
  preview: CommandProfile;
  up: CommandProfile;
}

async function profiled(repo: string, dir: string, label: string, args: string[], kinds: string[]): Promise<CommandProfile> {
  const work = path.join(dir, `profile-${label}`);
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(work, { recursive: true });
  const env = { ...process.env, NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${work}` };
  const resources = new Set(kinds.map((k) => k.split(".")[0]));
  const before = readRequestCounters(resources);
  const m = await measure("pulumi", [...args, "--profiling", path.join(work, "engine")], path.join(work, "pulumi.log"), repo, env);
  const requests = formatCounters(diffCounters(before, readRequestCounters(resources)));
  const nodeProfile = largestProfile(work);
  return {
    ...m,
    engine: readEngineProfile(path.join(work, "engine")),
    node: nodeProfile ? classifyNodeProfile(nodeProfile) : undefined,
    requests,
  };
}

export async function profileCase(repo: string, dir: string, c: BenchCase, namespace: string, kinds: string[]): Promise<CaseProfile> {
  progress(`${c.label}: profiled preview and up`);
  resetNamespaces([namespace]);
  return BenchStack.with(repo, `bench-${c.id}-profile`, c.sections(namespace), async (stack) => {
    const preview = await profiled(repo, dir, "preview", ["preview", ...stack.args], kinds);
    const up = await profiled(repo, dir, "up", ["up", "--yes", "--skip-preview", ...stack.args], kinds);
    return { preview, up };
  });
}

/**
 * `pulumi up` with PULUMI_SKIP_CHECKPOINTS=true on a fresh stack: what the state writes cost.
 * Not a recommendation (an interrupted update then leaves no record of what it created); it
 * bounds what a backend that writes increments instead of whole checkpoints can save.
 */
export async function upWithoutCheckpoints(repo: string, dir: string, c: BenchCase, namespace: string): Promise<Measurement> {
  progress(`${c.label}: up without checkpoints (comparison only)`);
  resetNamespaces([namespace]);
  const env = { ...process.env, PULUMI_SKIP_CHECKPOINTS: "true" };
  const log = path.join(dir, "up-without-checkpoints.log");
  return BenchStack.with(repo, `bench-${c.id}-nocheckpoints`, c.sections(namespace), (stack) =>
    measure("pulumi", ["up", "--yes", "--skip-preview", ...stack.args], log, repo, env),
  );
}
