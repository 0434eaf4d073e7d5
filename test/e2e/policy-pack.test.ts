/**
 * The CrossGuard policy pack (policy/, docs/policy-pack.md) in the real engine: `pulumi preview
 * --policy-pack policy` passes our own local stack, fails a hand-written violating program
 * (test/e2e/fixtures/policy-violations) with every policy's message, and its enforcement levels
 * follow a policy config file. Previews only: nothing reaches the cluster.
 */
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExampleStack, projectObjects, repo, requireEnvironment } from "./harness";

const pack = path.join(repo, "policy");

describe.each([
  ["Pulumi.local.yaml", "e2e-policy-local"],
  ["Pulumi.local-inventory.yaml", "e2e-policy-inventory"],
])("our stack %s passes the policy pack", (file, name) => {
  let s: ExampleStack;
  beforeAll(async () => {
    s = await ExampleStack.openLocalExample(name, file, `sfs-turbo-${name}`);
  });
  afterAll(async () => {
    await s?.remove();
  });

  it("previews with every policy passing and nothing changed in the cluster", async () => {
    const before = projectObjects();
    const r = await s.stack.preview({ policyPacks: [pack] });
    expect(r.stdout).toMatch(/ascend-stack@v0\.1\.0 \(local: .*policy\)/);
    expect(r.stdout).not.toMatch(/\[(mandatory|advisory)\]/);
    expect(projectObjects()).toEqual(before);
  });
});

describe("a violating program fails it", () => {
  let stack: Stack;
  beforeAll(async () => {
    requireEnvironment();
    stack = await LocalWorkspace.createOrSelectStack({
      stackName: "e2e-policy-violations",
      workDir: path.join(__dirname, "fixtures/policy-violations"),
    });
  });
  afterAll(async () => {
    await stack?.workspace.removeStack("e2e-policy-violations", { force: true }).catch(() => undefined);
  });

  /** The preview's whole output: the error's text when it fails. */
  const preview = (policyPackConfigs: string[] = []) =>
    stack.preview({ policyPacks: [pack], policyPackConfigs }).then(
      (r) => ({ ok: true, text: r.stdout }),
      (e: Error) => ({ ok: false, text: e.message }),
    );

  it("reports every rule, blocking on the mandatory ones", async () => {
    const r = await preview();
    expect(r.ok).toBe(false);
    const lines = [
      "[mandatory]  no-mount-under-ma-user-home",
      'container "server" mounts volume "work" at /home/ma-user/work',
      "[mandatory]  driver-mounted-with-npu-smi",
      'container "server" mounts the Ascend driver (volume "ascend-driver" at /usr/local/Ascend/driver) but not npu-smi',
      "[mandatory]  batched-tokens-cover-model-len",
      "--max-num-batched-tokens=4096 below --max-model-len=8192",
      "[mandatory]  npu-not-shared",
      'Pod default/npu-a container "npu" and Pod default/npu-b container "npu" both use NPU 1 on node ascend-node-0',
      "[mandatory]  node-ports-follow-rank-table",
      'has NODE_PORTS "8089,8088", but the global rank table /tables/global.json lists 2 instance(s) (prefill, then decode) whose ports are "8088,8089"',
      "[advisory]  volcano-gang-complete",
      "Job default/gang: minAvailable is 1 but its 2 task(s) run 2 pods; set minAvailable: 2",
      "[mandatory]  sfs-turbo-retained",
      "PersistentVolume policy-violations-sfs is an SFS Turbo volume with persistentVolumeReclaimPolicy Delete; it must be Retain",
      "PersistentVolume policy-violations-sfs is an SFS Turbo volume without the protect resource option",
    ];
    for (const line of lines) expect(r.text).toContain(line);
  });

  it("passes, still reporting, when a policy config makes every policy advisory", async () => {
    const r = await preview([path.join(pack, "advisory.json")]);
    expect(r.ok, r.text).toBe(true);
    expect(r.text).toContain("[advisory]  npu-not-shared");
    expect(r.text).not.toContain("[mandatory]");
  });
});
