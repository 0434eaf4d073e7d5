/** Runs scripts/bench/mocks.ts once per repetition, each in a fresh Node.js process. */
import * as path from "node:path";
import { progress, run } from "./steps";

export interface MockRun {
  /** program: the project's program; floor: as many plain Deployments of the same spec (mocks.ts). */
  mode: "program" | "floor";
  instances: number;
  resources: number;
  loadSeconds: number;
  validateSeconds: number;
  programSeconds: number;
  resolveSeconds: number;
  evaluationSeconds: number;
  heapMiB: number;
}

export function mockEvaluation(repo: string, reps: number): MockRun[] {
  const runs: MockRun[] = [];
  for (let rep = 1; rep <= reps; rep++)
    for (const mode of ["program", "floor"] as const) {
      const env = { ...process.env, BENCH_MOCK_MODE: mode };
      const out = run("npx", ["tsx", path.join(repo, "scripts/bench/mocks.ts")], { cwd: repo, env });
      runs.push(JSON.parse(out.trim().split("\n").pop()!) as MockRun);
      progress(
        `mocks (${mode}) run ${rep}/${reps}: ${runs.at(-1)!.evaluationSeconds.toFixed(2)} s for ${runs.at(-1)!.resources} resources`,
      );
    }
  return runs;
}
