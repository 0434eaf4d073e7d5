/**
 * A deploy that cannot succeed fails fast and says why (issue: `pulumi up` waited 40 minutes in
 * silence on a P/D pod Pending for "didn't have free ports"). Reproduced on the real engine: a
 * foreign pod holds the prefill instance's host port on its node; `up` must fail within the
 * configured bound with the scheduler's reason, and succeed once the port is free.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExampleStack, failingUp, kubectl, npuNodes, upOps } from "./harness";

const VOLUME = "sfs-e2e-failfast";
const BLOCKER = "port-8088-holder";
let s: ExampleStack;

beforeAll(async () => {
  s = await ExampleStack.openLocalExample("e2e-failfast", "Pulumi.local-inventory.yaml", VOLUME);
  // Preflight would refuse this stack before `up` (test/e2e/preflight.test.ts): off, so that the
  // watch — the backstop for what changes between preview and up — is what is tested.
  s.edit("cluster", (c) => Object.assign(c, { failFast: { timeoutSeconds: 15 }, preflight: "off" }));
  // hostNetwork with containerPort 8088 reserves host port 8088 on ascend-node-1 for the scheduler.
  const pod = {
    spec: {
      nodeName: "ascend-node-1",
      hostNetwork: true,
      containers: [{ name: "holder", image: "busybox", ports: [{ containerPort: 8088 }] }],
    },
  };
  kubectl("-n", "default", "run", BLOCKER, "--image=busybox", "--restart=Never", `--overrides=${JSON.stringify(pod)}`);
});
afterAll(async () => {
  kubectl("-n", "default", "delete", "pod", BLOCKER, "--ignore-not-found", "--wait=false");
  await s?.dispose(VOLUME);
});

describe.sequential("fail fast", () => {
  it("cancels `up` within the bound and names the instance and the scheduler's reason", async () => {
    const { text, seconds } = await failingUp(s);
    expect(text).toMatch(/qwen-2p2d-prefill-0 cannot start: pod qwen-2p2d-prefill-0-\S+ has been Unschedulable for \d+s/);
    expect(text).toMatch(/didn't have free ports for the requested pod ports/);
    // The provider alone would have waited 40 minutes (the instances' load timeout).
    expect(seconds).toBeLessThan(300);
  });

  it("succeeds once the port is free, from the state the cancelled update left", async () => {
    kubectl("-n", "default", "delete", "pod", BLOCKER, "--wait=true");
    await upOps(s);
    const pods = JSON.parse(s.kubectl("get", "pods", "-l", "app.kubernetes.io/instance=qwen-2p2d-prefill-0", "-o", "json")).items;
    expect(pods.map((p: any) => [p.spec.nodeName, p.status.phase])).toEqual([["ascend-node-1", "Running"]]);
  });
});

describe.sequential("fail fast when the NPUs are exhausted", () => {
  const volume = "sfs-e2e-failfast-npus";
  let t: ExampleStack;
  beforeAll(async () => {
    t = await ExampleStack.openLocalExample("e2e-failfast-npus", "Pulumi.local.yaml", volume);
    t.edit("cluster", (c) => Object.assign(c, { failFast: { timeoutSeconds: 15, awaitTrainingJobs: false }, preflight: "off" }));
    // One instance of 8 NPUs more than the cluster has NPU nodes (each of 8): one can never be placed.
    t.edit("inference", (inf) => Object.assign(inf.deployments[0], { tensorParallelSize: 8, prefill: npuNodes().length, decode: 1 }));
  });
  afterAll(async () => {
    await t?.dispose(volume);
  });

  it("cancels `up` naming an instance that found no node with enough NPUs", async () => {
    const { text, seconds } = await failingUp(t);
    expect(text).toMatch(
      /qwen-pd-(prefill|decode)-\d cannot start: pod \S+ has been Unschedulable for \d+s: .*Insufficient huawei.com\/ascend-1980/,
    );
    expect(seconds).toBeLessThan(300);
  });
});
