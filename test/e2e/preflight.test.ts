/**
 * Preflight against the local cluster (docs/preflight.md): the real engine runs the program, which
 * reads the real API server before registering anything. A cluster that cannot take the stack
 * fails `pulumi preview` with every finding (config path and cluster object) and leaves nothing
 * registered; `advisory` only reports; `off` skips; `npm run validate -- --cluster` says the same
 * without Pulumi. Inventory node ascend-node-1 is the inventory example's (Pulumi.local-inventory.yaml).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { clusterDir, ExampleStack, kubectl, npuNodes, projectObjects, repo } from "./harness";
import { startHidingProxy } from "./hidingProxy";

const VOLUME = "sfs-e2e-preflight";
const INVENTORY_NODE = "ascend-node-1";
let s: ExampleStack;
const foreignPods: string[] = [];
/** What preflight prints (the stack's name, e2e-preflight, is no match). */
const PREFLIGHT_OUTPUT = /preflight( \(\w+\)|: the cluster)/;

/** A pod of another team in namespace default, bound to `node`, holding NPUs or a host port. */
function foreignPod(name: string, node: string, hold: { npus?: number; hostPort?: number }): void {
  const container = {
    name: "app",
    image: "busybox",
    ...(hold.hostPort ? { ports: [{ containerPort: hold.hostPort }] } : {}),
    ...(hold.npus ? { resources: { limits: { "huawei.com/ascend-1980": String(hold.npus) } } } : {}),
  };
  const overrides = { spec: { nodeName: node, hostNetwork: hold.hostPort !== undefined, containers: [container] } };
  kubectl("-n", "default", "run", name, "--image=busybox", "--restart=Never", `--overrides=${JSON.stringify(overrides)}`);
  foreignPods.push(name);
}

/** `pulumi preview`'s failure text, or undefined when it succeeds (then its output). */
async function preview(): Promise<{ failure?: string; output: string }> {
  return s.stack.preview().then(
    (r) => ({ output: r.stdout + r.stderr }),
    (e: Error) => ({ failure: e.message, output: e.message }),
  );
}

/** Only the stack's root resource exists: no provider, no component, no object was registered. */
async function nothingRegistered(): Promise<void> {
  const exported = await s.stack.exportStack();
  const types = (exported.deployment.resources ?? []).map((r: { type: string }) => r.type);
  expect(types.filter((t: string) => t !== "pulumi:pulumi:Stack")).toEqual([]);
}

beforeAll(async () => {
  s = await ExampleStack.openLocalExample("e2e-preflight", "Pulumi.local-inventory.yaml", VOLUME);
  s.config["ascend-stack:training"] = { jobs: [{ name: "pf-train", nodes: 1, command: "sh /mnt/sfs_turbo/train.sh" }] };
  s.write();
});
afterEach(() => {
  if (foreignPods.length) kubectl("-n", "default", "delete", "pod", ...foreignPods.splice(0), "--ignore-not-found", "--wait=false");
  s.edit("cluster", (c) => delete c.preflight);
});
afterAll(async () => {
  await s?.dispose(VOLUME);
});

describe.sequential("preflight", () => {
  it("passes a cluster that can take the stack, silently", async () => {
    const r = await preview();
    expect(r.failure).toBeUndefined();
    expect(r.output).not.toMatch(PREFLIGHT_OUTPUT);
  });

  it("fails the preview when another pod holds an inventory instance's host port, naming both; nothing is registered", async () => {
    foreignPod("pf-port-8088", INVENTORY_NODE, { hostPort: 8088 });
    const before = projectObjects();
    const r = await preview();
    expect(r.failure).toContain(
      "preflight: the cluster cannot take this stack as configured (1 error(s), 0 warning(s)); nothing was changed",
    );
    expect(r.failure).toContain(
      `error inference.deployments[0].prefill[0] [Node ${INVENTORY_NODE}]: host port 8088 of qwen-2p2d-prefill-0 is held by Pod default/pf-port-8088`,
    );
    await nothingRegistered();
    expect(projectObjects()).toEqual(before);

    // advisory: the same finding, printed; the preview goes on.
    s.edit("cluster", (c) => (c.preflight = "advisory"));
    const advisory = await preview();
    expect(advisory.failure).toBeUndefined();
    expect(advisory.output).toContain("preflight (advisory): 1 error(s), 0 warning(s)");
    expect(advisory.output).toContain("host port 8088 of qwen-2p2d-prefill-0 is held by Pod default/pf-port-8088");

    // off: no check at all.
    s.edit("cluster", (c) => (c.preflight = "off"));
    const off = await preview();
    expect(off.failure).toBeUndefined();
    expect(off.output).not.toMatch(PREFLIGHT_OUTPUT);
  });

  it("npm run validate -- --cluster reports the same findings without Pulumi, exit 1", () => {
    foreignPod("pf-port-8088", INVENTORY_NODE, { hostPort: 8088 });
    const r = spawnSync("npm", ["run", "--silent", "validate", "--", "--cluster", path.basename(s.file)], { cwd: repo, encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${path.basename(s.file)}: valid; preflight: 1 error(s), 0 warning(s)`);
    expect(r.stderr).toContain("host port 8088 of qwen-2p2d-prefill-0 is held by Pod default/pf-port-8088");
  });

  it("fails when the stack needs more NPUs than the nodes offer; warns when other pods hold them", async () => {
    // Every kwok NPU node but the inventory one, plus one: a gang that can never be placed.
    const usable = npuNodes().filter((n) => n !== `node/${INVENTORY_NODE}`);
    s.config["ascend-stack:training"].jobs[0].nodes = usable.length + 1;
    s.write();
    const r = await preview();
    expect(r.failure).toMatch(
      new RegExp(
        `error training\\.jobs\\[0\\] \\[training job pf-train\\]: needs ${usable.length + 1} pod\\(s\\), ${8 * (usable.length + 1)} NPU\\(s\\) \\(a gang: ${usable.length + 1} nodes with room at once\\) of huawei\\.com/ascend-1980; the ${usable.length} node\\(s\\) it may use offer ${8 * usable.length} NPU\\(s\\)`,
      ),
    );
    await nothingRegistered();

    // The job fits the nodes, but other pods hold every NPU of them now: a warning, not a failure.
    s.config["ascend-stack:training"].jobs[0].nodes = 1;
    s.write();
    usable.forEach((n, i) => foreignPod(`pf-npus-${i}`, n.replace("node/", ""), { npus: 8 }));
    const held = await preview();
    expect(held.failure).toBeUndefined();
    expect(held.output).toMatch(/preflight \(enforce\): 0 error\(s\), 1 warning\(s\)/);
    expect(held.output).toMatch(
      /warning training\.jobs\[0\] \[training job pf-train\]: 1 of its 1 pod\(s\), 8 NPU\(s\) .*would stay Pending now.*Pod default\/pf-npus-0 on ascend-node-\d \(8 NPU\(s\)\)/,
    );
  });

  it("fails on a cluster without Volcano's CRDs, and on a queue that does not exist", async () => {
    const proxy = await startHidingProxy(
      clusterDir(),
      process.env.KUBECONFIG!,
      ["/apis/batch.volcano.sh", "/apis/scheduling.volcano.sh"],
      path.join(clusterDir(), "kubeconfig-no-volcano"),
    );
    try {
      s.edit("cluster", (c) => (c.kubeconfig = proxy.kubeconfig));
      const r = await preview();
      expect(r.failure).toMatch(
        /error training\.jobs \[CustomResourceDefinitions of Volcano\]: the cluster does not serve batch\.volcano\.sh\/v1alpha1 Job, scheduling\.volcano\.sh\/v1beta1 Queue, scheduling\.volcano\.sh\/v1beta1 PodGroup: Volcano is not installed/,
      );
      await nothingRegistered();
    } finally {
      s.edit("cluster", (c) => (c.kubeconfig = process.env.KUBECONFIG));
      await proxy.close();
      fs.rmSync(proxy.kubeconfig, { force: true });
    }
    s.config["ascend-stack:training"].jobs[0].queue = "research";
    s.write();
    const r = await preview();
    expect(r.failure).toMatch(
      /error training\.jobs\[0\]\.queue \[Queue research\]: does not exist \(queues: [^)]*default[^)]*\): Volcano would leave the job pending/,
    );
  });
});
