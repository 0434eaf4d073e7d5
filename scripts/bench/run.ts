/**
 * `npm run bench` (through scripts/bench.sh, which provides the toolchain and the local cluster).
 * For each case (training stacks of BENCH_SIZES objects, and a P/D stack with 16 instances), each
 * repetition times, side by side on the same cluster:
 *   pulumi preview  vs  kubectl apply --server-side --dry-run=server
 *     (and once more with PULUMI_SKIP_CHECKPOINTS=true, which a preview can use safely)
 *   pulumi up       vs  kubectl apply            (P/D: + kubectl wait for the Deployments)
 * on a fresh stack and fresh namespaces, then one more, profiled run per case shows where the time
 * goes (scripts/bench/profile.ts). Then the fixed cost (CLI start, an empty Pulumi program) and
 * the program's evaluation alone with Pulumi mocks for 1,000 P/D instances. Prints markdown
 * tables (also written to .local/bench/results.md) with medians and the spread.
 *
 *   BENCH_SIZES=10,100 BENCH_REPS=3 npm run bench      (defaults 10,100,500 and 3)
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pdCase, trainingCase, type BenchCase } from "./cases";
import { fixedCost, type FixedCost } from "./fixedCost";
import { renderManifests } from "./manifests";
import { measure, type Measurement } from "./measure";
import { mockEvaluation, type MockRun } from "./mockRuns";
import { profileCase, upWithoutCheckpoints, type CaseProfile } from "./profile";
import { breakdownTable, fixedCostTable, mainTable, mockTable } from "./report";
import { BenchStack, deleteNamespaces, objectKinds, progress, resetNamespaces, run, t0 } from "./steps";

const repo = path.resolve(__dirname, "../..");
const outDir = path.join(repo, ".local/bench");
const startLoad = os.loadavg()[0];

// BENCH_SIZES= (empty) leaves only the P/D case.
const sizes = (process.env.BENCH_SIZES ?? "10,100,500")
  .split(",")
  .filter((s) => s.trim() !== "")
  .map((s) => Number(s.trim()));
const reps = Number(process.env.BENCH_REPS ?? 3);
if (!Number.isInteger(reps) || reps < 1) throw new Error(`BENCH_REPS: ${process.env.BENCH_REPS} is not a whole number >= 1`);
const trainingCases = sizes.map(trainingCase);
const largestTraining = trainingCases[sizes.indexOf(Math.max(...sizes))];
const cases: BenchCase[] = [...trainingCases, pdCase()];

export interface CaseResult {
  benchCase: BenchCase;
  objects: number;
  preview: Measurement[];
  /** Preview with PULUMI_SKIP_CHECKPOINTS=true: nothing is persisted either way (docs/performance.md). */
  previewNoSnapshots: Measurement[];
  dryRun: Measurement[];
  up: Measurement[];
  apply: Measurement[];
  profile: CaseProfile;
  /** The largest training case only: `up` without state checkpoints, for comparison. */
  withoutCheckpoints?: Measurement;
}

/** Proves a side made all the objects: counts the stack's objects of the rendered kinds in `ns`. */
function expectObjects(ns: string, kinds: string[], objects: number): void {
  const found = run("kubectl", ["get", kinds.join(","), "-n", ns, "-l", "app.kubernetes.io/part-of=ascend-stack", "-o", "name"]);
  const count = found.split("\n").filter(Boolean).length;
  if (count !== objects) throw new Error(`namespace ${ns} holds ${count} of the ${objects} objects`);
}

async function benchCase(c: BenchCase): Promise<CaseResult> {
  const dir = path.join(outDir, c.id);
  const manifests = path.join(dir, "manifests");
  fs.mkdirSync(dir, { recursive: true });
  const pulumiNs = `bench-pulumi-${c.id}`;
  const kubectlNs = `bench-kubectl-${c.id}`;
  progress(`${c.label}: rendering the objects for kubectl`);
  const objects = renderManifests(repo, dir, `bench-render-${c.id}`, c.sections(kubectlNs), manifests);
  const kinds = objectKinds(manifests);
  const runs: Pick<CaseResult, "preview" | "previewNoSnapshots" | "dryRun" | "up" | "apply"> = {
    preview: [],
    previewNoSnapshots: [],
    dryRun: [],
    up: [],
    apply: [],
  };
  // P/D: `pulumi up` waits for the Deployments, so kubectl's side waits for them too.
  const kubectlWait = `kubectl apply -R -f "$1" && kubectl wait --for=condition=Available deployment --all -n "$2" --timeout=10m`;
  const kubectlApply = c.awaitsDeployments
    ? { cmd: "bash", args: ["-c", kubectlWait, "apply", manifests, kubectlNs] }
    : { cmd: "kubectl", args: ["apply", "-R", "-f", manifests] };
  try {
    for (let rep = 1; rep <= reps; rep++) {
      const tag = `${c.label}, run ${rep}/${reps}`;
      resetNamespaces([pulumiNs, kubectlNs]);
      const step = async (label: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env) => {
        progress(`${tag}: ${label} ...`);
        const log = path.join(dir, `${label.replace(/[^a-z]+/gi, "-")}-${rep}.log`);
        fs.rmSync(log, { force: true });
        const m = await measure(cmd, args, log, repo, env);
        progress(`${tag}: ${label}: ${m.seconds.toFixed(2)} s, peak ${m.peakMiB.toFixed(0)} MiB (load ${m.loadBefore.toFixed(2)})`);
        return m;
      };
      await BenchStack.with(repo, `bench-${c.id}-${rep}`, c.sections(pulumiNs), async (stack) => {
        runs.preview.push(await step("pulumi preview", "pulumi", ["preview", ...stack.args]));
        const noSnapshots = { ...process.env, PULUMI_SKIP_CHECKPOINTS: "true" };
        runs.previewNoSnapshots.push(await step("pulumi preview without snapshots", "pulumi", ["preview", ...stack.args], noSnapshots));
        runs.dryRun.push(
          await step("kubectl ssa dry-run", "kubectl", ["apply", "--server-side", "--dry-run=server", "-R", "-f", manifests]),
        );
        runs.up.push(await step("pulumi up", "pulumi", ["up", "--yes", "--skip-preview", ...stack.args]));
        expectObjects(pulumiNs, kinds, objects);
        // Running P/D pods hold host ports and NPUs: the kubectl side gets the nodes to itself.
        if (c.awaitsDeployments) deleteNamespaces([pulumiNs]);
        runs.apply.push(await step("kubectl apply", kubectlApply.cmd, kubectlApply.args));
        expectObjects(kubectlNs, kinds, objects);
      });
    }
    // Profiled alone: P/D instances use host ports and NPUs the kubectl side's pods would hold.
    deleteNamespaces([kubectlNs]);
    const profile = await profileCase(repo, dir, c, pulumiNs, kinds);
    const withoutCheckpoints = c === largestTraining ? await upWithoutCheckpoints(repo, dir, c, pulumiNs) : undefined;
    return { benchCase: c, objects, ...runs, profile, withoutCheckpoints };
  } finally {
    progress(`${c.label}: deleting the namespaces`);
    // A failing cleanup must not hide the error that got us here; the next run starts clean anyway.
    try {
      deleteNamespaces([pulumiNs, kubectlNs]);
    } catch (err) {
      progress(`cleanup failed, the next run clears it: ${err instanceof Error ? err.message : err}`);
    }
  }
}

function environment(): string {
  const first = (cmd: string, args: string[]) => run(cmd, args, { quiet: true }).trim().split("\n")[0] || "?";
  const kubectl = first("kubectl", ["version", "--client"]).replace(/^Client Version:\s*/, "");
  const cpu = os.cpus();
  return (
    `started ${new Date(t0).toISOString()}, ${cpu.length} × ${cpu[0]?.model ?? "?"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, ` +
    // Anything else running on the machine skews the timings: record how busy it was.
    `load average ${startLoad.toFixed(2)} at start, ${os.loadavg()[0].toFixed(2)} at the end; ` +
    `pulumi ${first("pulumi", ["version"])}, kubectl ${kubectl}, node ${first("node", ["--version"])}, ${reps} runs per cell`
  );
}

async function main() {
  fs.mkdirSync(outDir, { recursive: true });
  // kubectl caches API discovery on disk; warm it once so no kubectl timing pays for a cold cache.
  run("kubectl", ["api-resources", "-o", "name"]);
  const results: CaseResult[] = [];
  for (const c of cases) results.push(await benchCase(c));
  progress("fixed cost: CLI start and an empty Pulumi program");
  const fixed: FixedCost = await fixedCost(repo, path.join(outDir, "empty-program"), reps);
  progress("program evaluation with Pulumi mocks");
  const mocks: MockRun[] = mockEvaluation(repo, reps);
  const sections = [
    "## pulumi vs kubectl (seconds; median (min–max) of the runs)",
    mainTable(results),
    "## Where the time goes (one extra, profiled run per case)",
    breakdownTable(results),
    "## Fixed cost",
    fixedCostTable(fixed, results),
    "## Program evaluation alone (Pulumi mocks, no engine)",
    mockTable(mocks),
    `Environment: ${environment()}; local simulated cluster (scripts/cluster.sh).`,
  ];
  const text = sections.join("\n\n") + "\n";
  fs.writeFileSync(path.join(outDir, "results.md"), `# ascend-stack benchmark\n\n${text}`);
  fs.writeFileSync(path.join(outDir, "results.json"), JSON.stringify({ results, fixed, mocks }, null, 2));
  process.stdout.write(`\n${text}\n`);
  progress(`written ${path.relative(repo, path.join(outDir, "results.md"))}`);
}

main().catch((err) => {
  process.stderr.write(`\n[bench] FAILED: ${err instanceof Error ? err.message : err}\n`);
  process.exit(1);
});
