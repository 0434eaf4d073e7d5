/**
 * End-to-end harness: the real Pulumi CLI and engine (Automation API) against the local
 * simulated CCE cluster. Run through `npm test`, which provides the toolchain and the cluster.
 */
import { LocalWorkspace, type EngineEvent, type Stack } from "@pulumi/pulumi/automation";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { expect } from "vitest";
import { parse, stringify } from "yaml";
import { eventually } from "./poll";

export const repo = path.resolve(__dirname, "../..");

/** Fails fast with a clear message when the suite is not started by `npm test`. */
export function requireEnvironment(): void {
  const missing = ["PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE", "KUBECONFIG", "ASCEND_CLUSTER_DIR"].filter(
    (k) => process.env[k] === undefined,
  );
  if (missing.length) throw new Error(`e2e tests need ${missing.join(", ")}: run them with \`npm test\` (scripts/test.sh)`);
}

/** The folder of the cluster the tests run against (scripts/test.sh: the tests' own, never the demo's). */
export function clusterDir(): string {
  requireEnvironment();
  return process.env.ASCEND_CLUSTER_DIR!;
}

export function kubectl(...args: string[]): string {
  return execFileSync("kubectl", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** The label and taint of the local cluster's real node (scripts/cluster/node/node.sh). */
export const REAL_NODE = { name: "ascend-real-0", label: "ascend.local/real-node", ip: "10.245.0.1" };

/**
 * Gives the tests' cluster the machine's one real node (`scripts/cluster.sh start` with it), which
 * the demo's test or an earlier `--no-real-node` start may have taken away. scripts/test.sh runs
 * every suite that calls this after the suites that run beside the demo's (it greps for the call).
 */
export function claimRealNode(): void {
  execFileSync("bash", [path.join(repo, "scripts/cluster.sh"), "start"], {
    env: { ...process.env, ASCEND_REAL_NODE: "1" },
    stdio: ["ignore", "ignore", "pipe"],
  });
}

/** The cluster's kwok NPU nodes ("node/<name>"): every NPU node but the (tainted) real one. */
export function npuNodes(): string[] {
  return kubectl("get", "nodes", "-l", `accelerator/huawei-npu=ascend-1980,!${REAL_NODE.label}`, "-o", "name").trim().split("\n");
}

/** Every NPU node, the real one included (where a DaemonSet that tolerates everything runs). */
export function allNpuNodes(): string[] {
  return kubectl("get", "nodes", "-l", "accelerator/huawei-npu=ascend-1980", "-o", "name").trim().split("\n");
}

/** Names of every object of the project in the cluster, as "kind/namespace/name". */
export function projectObjects(): string[] {
  const kinds =
    "persistentvolumes,persistentvolumeclaims,configmaps,secrets,daemonsets,deployments,services,networkpolicies,jobs.batch.volcano.sh";
  const out = kubectl("get", kinds, "-A", "-l", "app.kubernetes.io/part-of=ascend-stack", "-o", "json");
  return (JSON.parse(out).items as any[]).map((o) => `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`).sort();
}

/** A stack whose config is a copy of an example stack file, with edits applied to the copy. */
export class ExampleStack {
  readonly file: string;
  config: Record<string, any>;

  private constructor(
    readonly name: string,
    readonly stack: Stack,
    source: string,
  ) {
    this.file = path.join(repo, `Pulumi.${name}.yaml`);
    this.config = parse(fs.readFileSync(source, "utf8")).config;
    this.write();
  }

  /**
   * Opens stack `name` with the example's config, isolated in its own namespace (named after the
   * stack) so it never touches the demo stack's objects on a shared cluster.
   */
  static async open(name: string, exampleFile: string): Promise<ExampleStack> {
    const source = path.join(repo, exampleFile);
    fs.writeFileSync(path.join(repo, `Pulumi.${name}.yaml`), fs.readFileSync(source, "utf8"));
    const stack = await LocalWorkspace.createOrSelectStack({ stackName: name, workDir: repo });
    // A run that was aborted may have left the stack behind: start from nothing.
    if ((await stack.exportStack()).deployment?.resources?.length) await stack.destroy({ excludeProtected: true });
    const s = new ExampleStack(name, stack, source);
    // The examples name the demo cluster's kubeconfig: point them at the tests' cluster instead.
    s.edit("cluster", (c) =>
      Object.assign(c, { namespace: name, createNamespace: true, ...(c.kubeconfig ? { kubeconfig: process.env.KUBECONFIG } : {}) }),
    );
    return s;
  }

  /** Opens Pulumi.local.yaml as stack `name`, with its SFS Turbo volume renamed to `volume` (PVs are cluster-wide). */
  static async openLocal(name: string, volume: string): Promise<ExampleStack> {
    return ExampleStack.openLocalExample(name, "Pulumi.local.yaml", volume);
  }

  /**
   * Opens a local-cluster example stack file as stack `name`, its first volume renamed to `volume`,
   * on the kwok nodes only: P/D placements on the real node are dropped (the real node's own
   * tests, real-node.test.ts, use openRealNode).
   */
  static async openLocalExample(name: string, exampleFile: string, volume: string): Promise<ExampleStack> {
    requireEnvironment();
    const s = await ExampleStack.open(name, exampleFile);
    s.edit("storage", (st) => {
      st.volumes[0].name = volume;
    });
    s.edit("inference", (inf) => inf?.deployments?.forEach((d: any) => delete d.placement));
    return s;
  }

  /** Opens Pulumi.local.yaml as stack `name` with every NPU workload on the real node. */
  static async openRealNode(name: string, volume: string): Promise<ExampleStack> {
    // The accelerator's own selector and tolerations take every NPU workload there (placement aside).
    const s = await ExampleStack.openLocalExample(name, "Pulumi.local.yaml", volume);
    s.config["ascend-stack:accelerator"] = {
      nodeSelector: { "accelerator/huawei-npu": "ascend-1980", [REAL_NODE.label]: "true" },
      tolerations: [{ key: REAL_NODE.label, operator: "Exists", effect: "NoSchedule" }],
    };
    s.write();
    return s;
  }

  /**
   * Tears the stack down and removes it; the protected volume outlives the stack by design, so
   * it and the namespace are then deleted directly to keep the shared test cluster clean.
   */
  async dispose(volume: string): Promise<void> {
    await this.stack.destroy({ excludeProtected: true }).catch(() => undefined);
    await this.remove();
    kubectl("delete", "pvc,pv", "-A", "-l", `app.kubernetes.io/instance=${volume}`, "--ignore-not-found", "--wait=false");
    kubectl("delete", "namespace", this.name, "--ignore-not-found", "--wait=false");
  }

  /** kubectl in this stack's namespace. */
  kubectl(...args: string[]): string {
    return kubectl("-n", this.name, ...args);
  }

  /** Edits the stack's config (the `ascend-stack:<section>` objects) and writes the file. */
  edit(section: string, change: (value: any) => void): void {
    const key = `ascend-stack:${section}`;
    change(this.config[key]);
    this.write();
  }

  /** Sets a secret config key (e.g. registryPassword) the way `pulumi config set --secret` does. */
  async setSecret(key: string, value: string): Promise<void> {
    await this.stack.setConfig(`ascend-stack:${key}`, { value, secret: true });
    this.config = parse(fs.readFileSync(this.file, "utf8")).config;
  }

  write(): void {
    const existing = fs.existsSync(this.file) ? parse(fs.readFileSync(this.file, "utf8")) : {};
    fs.writeFileSync(this.file, stringify({ ...existing, config: this.config }));
  }

  /** Removes the stack and its file; objects left in the cluster are the caller's business. */
  async remove(): Promise<void> {
    await this.stack.workspace.removeStack(this.name, { force: true }).catch(() => undefined);
    fs.rmSync(this.file, { force: true });
  }
}

export interface StepOps {
  /** op per resource name (the last URN segment), for every resource the engine touched. */
  ops: Record<string, string>;
  /** Resources whose op is not "same". */
  changed: Record<string, string>;
  /** Property paths each changed resource's diff names (the provider's detailed diff). */
  diffs: Record<string, string[]>;
}

/** Collects per-resource ops from engine events. */
export function opsCollector() {
  const ops: Record<string, string> = {};
  const diffs: Record<string, string[]> = {};
  const onEvent = (e: EngineEvent) => {
    const md = e.resourcePreEvent?.metadata;
    if (!md || md.type === "pulumi:pulumi:Stack") return;
    const name = md.urn.split("::").pop()!;
    // A replacement emits several steps (delete-replaced, replace, create-replacement): report
    // "replace" for the resource, and the union of the properties its steps name.
    if (ops[name] !== "replace") ops[name] = md.op.endsWith("-replaced") || md.op.endsWith("-replacement") ? "replace" : md.op;
    diffs[name] = [...new Set([...(diffs[name] ?? []), ...(md.diffs ?? []), ...Object.keys(md.detailedDiff ?? {})])].sort();
  };
  const result = (): StepOps => {
    const changed = Object.fromEntries(Object.entries(ops).filter(([, op]) => op !== "same" && op !== "read"));
    return { ops, changed, diffs: Object.fromEntries(Object.keys(changed).map((k) => [k, diffs[k]])) };
  };
  return { onEvent, result };
}

/** Runs `pulumi preview --diff` (with extra environment variables for the CLI, if any). */
export async function previewOps(s: ExampleStack, env: Record<string, string> = {}): Promise<StepOps> {
  const c = opsCollector();
  const workspace = s.stack.workspace;
  const saved = workspace.envVars;
  workspace.envVars = { ...saved, ...env };
  try {
    await s.stack.preview({ diff: true, onEvent: c.onEvent });
  } finally {
    workspace.envVars = saved;
  }
  return c.result();
}

/** Runs `up`, which must fail; returns its error text and duration. */
export async function failingUp(s: ExampleStack): Promise<{ text: string; seconds: number }> {
  const started = Date.now();
  const error = await upOps(s).then(
    () => undefined,
    (e: Error) => e,
  );
  expect(error, "up should have failed").toBeInstanceOf(Error);
  return { text: String(error), seconds: (Date.now() - started) / 1000 };
}

export async function upOps(s: ExampleStack): Promise<StepOps & { outputs: Record<string, any> }> {
  const c = opsCollector();
  const r = await s.stack.up({ onEvent: c.onEvent });
  const outputs = Object.fromEntries(Object.entries(r.outputs).map(([k, v]) => [k, v.value]));
  return { ...c.result(), outputs };
}

/**
 * Identity of every workload object and pod in a namespace (uid and generation): equal snapshots
 * mean nothing was replaced, updated or restarted.
 */
export function workloadSnapshot(namespace: string): Record<string, string> {
  const kinds = "pods,deployments,daemonsets,jobs.batch.volcano.sh,configmaps,services,networkpolicies,persistentvolumeclaims";
  const items = JSON.parse(kubectl("-n", namespace, "get", kinds, "-o", "json")).items as any[];
  return Object.fromEntries(items.map((o) => [`${o.kind}/${o.metadata.name}`, `${o.metadata.uid}@${o.metadata.generation ?? "-"}`]));
}

/** The stack's raw checkpoint (state file) as text. */
export async function stateText(s: ExampleStack): Promise<string> {
  const exported = await s.stack.exportStack();
  return JSON.stringify(exported);
}

/** Runs `python3 -c <python>` in a one-shot pod of `image` on the real node, in the stack's namespace; its phase and log. */
export async function runOnRealNode(
  s: ExampleStack,
  name: string,
  image: string,
  python: string,
  hostNetwork = false,
): Promise<{ phase: string; log: string }> {
  s.kubectl("delete", "pod", name, "--ignore-not-found", "--wait=true");
  const spec = {
    spec: {
      nodeSelector: { [REAL_NODE.label]: "true" },
      tolerations: [{ key: REAL_NODE.label, operator: "Exists" }],
      restartPolicy: "Never",
      hostNetwork,
      containers: [{ name: "c", image, command: ["python3", "-c", python] }],
    },
  };
  s.kubectl("run", name, `--image=${image}`, "--restart=Never", `--overrides=${JSON.stringify(spec)}`);
  const phase = await eventually(
    () => {
      const p = s.kubectl("get", "pod", name, "-o", "jsonpath={.status.phase}");
      return (p === "Succeeded" || p === "Failed") && p;
    },
    120_000,
    `pod ${name} to finish`,
  );
  return { phase, log: s.kubectl("logs", name) };
}
