/**
 * `npm run bench` (through scripts/bench.sh, which provides the toolchain and the local cluster):
 * for each size N, times `pulumi preview` / `pulumi up` of a stack with N Kubernetes objects
 * against `kubectl apply --server-side --dry-run=server` / `kubectl apply` of the same objects,
 * on the same cluster, and prints one markdown table (also written to .local/bench/results.md).
 *
 *   BENCH_SIZES=10,100 npm run bench      (default 10,100,500; each N must be even)
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { benchConfig, writeManifests, writeStackFile } from "./manifests";
import { measure, type Measurement } from "./measure";

const repo = path.resolve(__dirname, "../..");
const outDir = path.join(repo, ".local/bench");
const t0 = Date.now();
const startLoad = os.loadavg()[0];
const progress = (msg: string) => process.stderr.write(`[bench +${Math.round((Date.now() - t0) / 1000)}s] ${msg}\n`);

const sizes = (process.env.BENCH_SIZES ?? "10,100,500").split(",").map((s) => Number(s.trim()));
for (const n of sizes)
  if (!Number.isInteger(n) || n < 2 || n % 2) throw new Error(`BENCH_SIZES: ${n} is not an even number >= 2 (each job is 2 objects)`);

interface Row {
  n: number;
  preview: Measurement;
  up: Measurement;
  dryRun: Measurement;
  apply: Measurement;
}

/** Untimed helper commands (setup, checks, cleanup). */
function run(cmd: string, args: string[], opts: { quiet?: boolean } = {}): string {
  try {
    return execFileSync(cmd, args, { cwd: repo, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (err) {
    if (opts.quiet) return "";
    throw new Error(`${cmd} ${args.join(" ")} failed:\n${(err as { stderr?: string }).stderr ?? err}`);
  }
}

/** Counts the project's ConfigMaps and Volcano Jobs in a namespace: proves each side made all N. */
function countObjects(ns: string): number {
  const out = run("kubectl", [
    "get",
    "configmaps,jobs.batch.volcano.sh",
    "-n",
    ns,
    "-l",
    "app.kubernetes.io/part-of=ascend-stack",
    "-o",
    "name",
  ]);
  return out.split("\n").filter(Boolean).length;
}

/** Removes the stack and both namespaces; also clears leftovers of an interrupted run. */
function cleanup(n: number, withDestroy: boolean) {
  const stack = `bench-${n}`;
  // destroy first so the state file ends empty; the namespaces go anyway (and take any leftovers).
  if (withDestroy) run("pulumi", ["destroy", "--yes", "--skip-preview", "--non-interactive", "--stack", stack], { quiet: true });
  run("pulumi", ["stack", "rm", "--yes", "--force", "--stack", stack], { quiet: true });
  fs.rmSync(path.join(repo, `Pulumi.${stack}.yaml`), { force: true });
  run("kubectl", ["delete", "namespace", `bench-pulumi-${n}`, `bench-kubectl-${n}`, "--ignore-not-found", "--wait", "--timeout=5m"]);
}

async function benchSize(n: number): Promise<Row> {
  const stack = `bench-${n}`;
  const dir = path.join(outDir, String(n));
  const manifests = path.join(dir, "manifests");
  fs.mkdirSync(dir, { recursive: true });
  cleanup(n, false);

  writeStackFile(repo, stack, benchConfig(n, `bench-pulumi-${n}`));
  const objects = writeManifests(manifests, benchConfig(n, `bench-kubectl-${n}`));
  if (objects !== n) throw new Error(`rendered ${objects} objects, expected ${n}`);
  run("kubectl", ["create", "namespace", `bench-pulumi-${n}`]);
  run("kubectl", ["create", "namespace", `bench-kubectl-${n}`]);
  run("pulumi", ["stack", "init", stack, "--non-interactive"]);

  const step = async (label: string, cmd: string, args: string[]) => {
    progress(`N=${n}: ${label} ...`);
    const log = path.join(dir, `${label.replace(/[^a-z]+/gi, "-")}.log`);
    fs.rmSync(log, { force: true });
    const m = await measure(cmd, args, log, repo);
    progress(`N=${n}: ${label}: ${m.seconds.toFixed(2)} s, peak ${m.peakMiB.toFixed(0)} MiB (log ${path.relative(repo, log)})`);
    return m;
  };
  try {
    const pulumi = ["--stack", stack, "--non-interactive"];
    const preview = await step("pulumi preview", "pulumi", ["preview", ...pulumi]);
    const up = await step("pulumi up", "pulumi", ["up", "--yes", "--skip-preview", ...pulumi]);
    const dryRun = await step("kubectl ssa dry-run", "kubectl", ["apply", "--server-side", "--dry-run=server", "-f", manifests]);
    const apply = await step("kubectl apply", "kubectl", ["apply", "-f", manifests]);
    for (const ns of [`bench-pulumi-${n}`, `bench-kubectl-${n}`]) {
      const found = countObjects(ns);
      if (found !== n) throw new Error(`namespace ${ns} holds ${found} of the ${n} objects`);
    }
    return { n, preview, up, dryRun, apply };
  } finally {
    progress(`N=${n}: cleaning up (pulumi destroy, stack rm, delete namespaces)`);
    // A failing cleanup must not hide the error that got us here; the next run retries it.
    try {
      cleanup(n, true);
    } catch (err) {
      progress(`N=${n}: cleanup failed, rerun the benchmark to clear the leftovers: ${err instanceof Error ? err.message : err}`);
    }
  }
}

const cell = (m: Measurement) => `${m.seconds.toFixed(2)} / ${m.peakMiB.toFixed(0)}`;
const ratio = (a: Measurement, b: Measurement) => `${(a.seconds / b.seconds).toFixed(1)}× / ${(a.peakMiB / b.peakMiB).toFixed(1)}×`;

function table(rows: Row[]): string {
  const lines = [
    "| N objects | pulumi preview s / MiB | pulumi up s / MiB | kubectl SSA dry-run s / MiB | kubectl apply s / MiB | up ÷ apply (time / mem) | preview ÷ dry-run (time / mem) |",
    "|---:|---:|---:|---:|---:|---:|---:|",
    ...rows.map(
      (r) =>
        `| ${r.n} | ${cell(r.preview)} | ${cell(r.up)} | ${cell(r.dryRun)} | ${cell(r.apply)} | ${ratio(r.up, r.apply)} | ${ratio(r.preview, r.dryRun)} |`,
    ),
  ];
  return lines.join("\n");
}

function environment(): string {
  const first = (cmd: string, args: string[]) => run(cmd, args, { quiet: true }).trim().split("\n")[0] || "?";
  const kubectl = first("kubectl", ["version", "--client"]).replace(/^Client Version:\s*/, "");
  const cpu = os.cpus();
  return (
    `started ${new Date(t0).toISOString()}, ${cpu.length} × ${cpu[0]?.model ?? "?"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, ` +
    // Anything else running on the machine skews the timings: record how busy it was.
    `load average ${startLoad.toFixed(2)} at start; ` +
    `pulumi ${first("pulumi", ["version"])}, kubectl ${kubectl}, node ${process.version}`
  );
}

async function main() {
  fs.mkdirSync(outDir, { recursive: true });
  // kubectl caches API discovery on disk; warm it once so no kubectl timing pays for a cold cache.
  run("kubectl", ["api-resources", "-o", "name"]);
  const rows: Row[] = [];
  for (const n of sizes) rows.push(await benchSize(n));
  const notes = [
    `Environment: ${environment()}; local simulated cluster (scripts/cluster.sh).`,
    "Each N = N/2 training jobs × (ConfigMap + Volcano Job): exactly N Kubernetes objects on both sides, in a namespace created beforehand.",
    "Pulumi additionally tracks N/2 + 3 non-Kubernetes resources (TrainingJob and volume components, the provider, the stack).",
    "s = wall-clock seconds; MiB = peak of the summed RSS of the command's whole process tree (pulumi CLI + language host + node program + kubernetes provider), sampled every 100 ms.",
    "pulumi preview runs on a fresh stack; pulumi up runs with --skip-preview; kubectl apply is the plain client-side apply; ratios are time ratio / memory ratio.",
  ];
  const result = `${table(rows)}\n\n${notes.map((l) => `- ${l}`).join("\n")}\n`;
  fs.writeFileSync(path.join(outDir, "results.md"), `# ascend-stack benchmark\n\n${result}`);
  fs.writeFileSync(path.join(outDir, "results.json"), JSON.stringify(rows, null, 2));
  process.stdout.write(`\n${result}\n`);
  progress(`written ${path.relative(repo, path.join(outDir, "results.md"))}`);
}

main().catch((err) => {
  process.stderr.write(`\n[bench] FAILED: ${err instanceof Error ? err.message : err}\n`);
  process.exit(1);
});
