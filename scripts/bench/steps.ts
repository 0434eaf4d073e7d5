/** Untimed helpers of the benchmark: commands, throw-away stacks, namespaces. */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import { parse } from "yaml";
import { manifestFiles, writeStackFile } from "./manifests";

export const t0 = Date.now();

export const progress = (msg: string) => process.stderr.write(`[bench +${Math.round((Date.now() - t0) / 1000)}s] ${msg}\n`);

/** Runs an untimed helper command (setup, checks, cleanup) and returns its stdout. */
export function run(
  cmd: string,
  args: string[],
  opts: { quiet?: boolean; cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {},
): string {
  try {
    return execFileSync(cmd, args, {
      cwd: opts.cwd,
      env: opts.env,
      input: opts.input,
      encoding: "utf8",
      stdio: [opts.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
      maxBuffer: 64 << 20,
    });
  } catch (err) {
    if (opts.quiet) return "";
    throw new Error(`${cmd} ${args.join(" ")} failed:\n${(err as { stderr?: string }).stderr ?? err}`);
  }
}

/** The claim the cases mount (storage type `existing`), bound to a volume of its own per namespace. */
export const BENCH_CLAIM = "bench-share";

function claimObjects(namespace: string): string {
  const volume = `${BENCH_CLAIM}-${namespace}`;
  const pv = {
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name: volume, labels: { "ascend-stack.io/bench": "true" } },
    spec: {
      capacity: { storage: "1Gi" },
      accessModes: ["ReadWriteMany"],
      persistentVolumeReclaimPolicy: "Delete",
      storageClassName: "",
      hostPath: { path: "/tmp/ascend-bench" },
      claimRef: { namespace, name: BENCH_CLAIM },
    },
  };
  const pvc = {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name: BENCH_CLAIM, namespace },
    spec: { accessModes: ["ReadWriteMany"], storageClassName: "", volumeName: volume, resources: { requests: { storage: "1Gi" } } },
  };
  return JSON.stringify({ apiVersion: "v1", kind: "List", items: [pv, pvc] });
}

/** Deletes the namespaces and their claims' volumes, and waits until they are gone. */
export function deleteNamespaces(namespaces: string[]): void {
  run("kubectl", ["delete", "namespace", ...namespaces, "--ignore-not-found", "--wait", "--timeout=10m"]);
  const volumes = namespaces.map((ns) => `persistentvolume/${BENCH_CLAIM}-${ns}`);
  run("kubectl", ["delete", ...volumes, "--ignore-not-found", "--wait", "--timeout=2m"]);
}

/**
 * Deletes the namespaces (waiting until they are gone) and creates them again with nothing but
 * the bound claim the workloads mount (the simulated nodes schedule no pod whose claim is missing).
 */
export function resetNamespaces(namespaces: string[]): void {
  deleteNamespaces(namespaces);
  for (const ns of namespaces) {
    run("kubectl", ["create", "namespace", ns]);
    run("kubectl", ["apply", "-f", "-"], { input: claimObjects(ns) });
  }
}

/** `kubectl get` resource names of the kinds among the rendered objects (e.g. jobs.batch.volcano.sh). */
export function objectKinds(manifestDir: string): string[] {
  const kinds = new Set<string>();
  for (const file of manifestFiles(manifestDir)) {
    const { apiVersion, kind } = parse(fs.readFileSync(file, "utf8")) as { apiVersion: string; kind: string };
    const plural = kind.toLowerCase().replace(/y$/, "ie") + "s";
    const group = apiVersion.includes("/") ? apiVersion.split("/")[0] : "";
    kinds.add(group ? `${plural}.${group}` : plural);
  }
  return [...kinds].sort();
}

/**
 * A throw-away stack in the project (its own Pulumi.<name>.yaml). `remove` forgets it without a
 * destroy: its objects go with the namespace.
 */
export class BenchStack {
  readonly args: string[];

  constructor(
    private readonly repo: string,
    readonly name: string,
    sections: Record<string, unknown>,
  ) {
    this.remove();
    writeStackFile(repo, name, sections);
    run("pulumi", ["stack", "init", name, "--non-interactive"], { cwd: repo });
    this.args = ["--stack", name, "--non-interactive"];
  }

  remove(): void {
    run("pulumi", ["stack", "rm", "--yes", "--force", "--stack", this.name], { cwd: this.repo, quiet: true });
    fs.rmSync(`${this.repo}/Pulumi.${this.name}.yaml`, { force: true });
  }

  /** Runs `fn` on a new throw-away stack `name`, and forgets the stack afterwards, whatever happens. */
  static async with<T>(repo: string, name: string, sections: Record<string, unknown>, fn: (stack: BenchStack) => Promise<T>): Promise<T> {
    const stack = new BenchStack(repo, name, sections);
    try {
      return await fn(stack);
    } finally {
      stack.remove();
    }
  }
}
