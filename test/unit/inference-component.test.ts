// PdInference and the stack's inference wiring with Pulumi mocks: typed component, explicit provider,
// children named after the component, start order, outputs awaited.
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import * as path from "node:path";
import { readStackFile } from "../../components/config/stackFile";
import { validateStackConfig } from "../../components/config/validate";
import type { StackConfig } from "../../components/config/schema";
import { installMocks, nameOf, registered, settled, valueOf } from "./mocks";
import { resolveInference } from "../../components/inference/topology";

installMocks();
let stack: typeof import("../../components/stack");
let k8s: typeof import("@pulumi/kubernetes");
let pulumi: typeof import("@pulumi/pulumi");
let PdInference: typeof import("../../components/inference/PdInference").PdInference;
beforeAll(async () => {
  PdInference = (await import("../../components/inference/PdInference")).PdInference;
  stack = await import("../../components/stack");
  k8s = await import("@pulumi/kubernetes");
  pulumi = await import("@pulumi/pulumi");
});
beforeEach(() => {
  registered.length = 0;
});

function examples(): StackConfig {
  const { raw, secrets } = readStackFile(path.join(__dirname, "../../Pulumi.pd-examples.yaml"));
  const r = validateStackConfig(raw, secrets);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.config;
}

function run(config: StackConfig, providerName: string) {
  const provider = new k8s.Provider(providerName, {});
  const resolved = stack.resolvedInference(config);
  const ctx = {
    config,
    provider,
    stackId: "examples-0123abcd",
    claims: { "sfs-turbo": pulumi.output("sfs-claim") },
    imagePullSecrets: ["swr-pull-secret"],
    dependsOn: [],
  };
  return stack.deployInference(ctx, resolved, []);
}

/** Builds one PdInference directly, recording every child's resource options by name. */
function component(config: StackConfig, index: number) {
  const opts: Record<string, any> = {};
  const record = (args: { name: string; opts: unknown }) => {
    opts[args.name] = args.opts;
    return undefined;
  };
  const dep = resolveInference(config).deployments[index];
  new PdInference(
    dep.config.name,
    {
      deployment: dep,
      namespace: "default",
      accelerator: config.accelerator,
      image: "img:1",
      imagePullPolicy: "IfNotPresent",
      claimName: "sfs-claim",
      stackId: "examples-0123abcd",
      inventoryHosts: [],
      inventoryTolerations: [],
    },
    { transformations: [record as any] },
  );
  return opts;
}

describe("deployInference on the examples stack", () => {
  it("creates one typed PdInference per deployment with children named after it, all on the explicit provider", async () => {
    const config = examples();
    const outputs = run(config, "pd-k8s");
    await settled();
    const components = registered.filter((r) => r.type === "ascend:inference:PdInference").map((r) => r.name);
    expect(components).toEqual(["qwen-1p1d", "qwen-2p2d", "qwen-dp"]);
    const kids = registered.filter((r) => r.type.startsWith("kubernetes:") && r.type !== "pulumi:providers:kubernetes");
    for (const r of kids) expect(r.provider, r.name).toMatch(/::pulumi:providers:kubernetes::pd-k8s::/);
    const of1p1d = kids
      .filter((r) => r.name.startsWith("qwen-1p1d-"))
      .map((r) => `${r.type.replace("kubernetes:", "")} ${r.name}`)
      .sort();
    expect(of1p1d).toEqual([
      "apps/v1:Deployment qwen-1p1d-decode-0",
      "apps/v1:Deployment qwen-1p1d-prefill-0",
      "apps/v1:Deployment qwen-1p1d-scheduler",
      "core/v1:ConfigMap qwen-1p1d-ranktable",
      "core/v1:Service qwen-1p1d-service",
      "networking.k8s.io/v1:NetworkPolicy qwen-1p1d-netpol",
    ]);
    // the resolved claim and pull secret reach the pod specs
    const prefill = kids.find((r) => r.name === "qwen-1p1d-prefill-0")!.inputs;
    expect(prefill.spec.template.spec.volumes).toContainEqual({ name: "sfs-volume", persistentVolumeClaim: { claimName: "sfs-claim" } });
    expect(prefill.spec.template.spec.imagePullSecrets).toEqual([{ name: "swr-pull-secret" }]);
    expect(prefill.spec.template.spec.containers[0].image).toBe(config.images.base);

    // outputs, awaited
    const o1 = (await valueOf(outputs["qwen-1p1d"])) as any;
    expect(o1.endpoint).toBe("qwen-1p1d.default.svc.cluster.local:9000");
    expect(o1.nodePorts).toBe("8088,8089");
    expect(o1.topology.instances).toEqual([
      { name: "qwen-1p1d-prefill-0", role: "prefill", port: 8088, node: "npu-node-18", hostIP: "10.0.0.18", devices: [4, 5] },
      { name: "qwen-1p1d-decode-0", role: "decode", port: 8089, node: "npu-node-18", hostIP: "10.0.0.18", devices: [6, 7] },
    ]);
    const o2 = (await valueOf(outputs["qwen-2p2d"])) as any;
    expect(o2.nodePorts).toBe("8088,8090,8089,8091");
    const dp = (await valueOf(outputs["qwen-dp"])) as any;
    expect(dp.topology.instances.every((x: any) => x.node === undefined && x.devices === undefined)).toBe(true);
    expect(dp.endpoint).toBe(`qwen-dp.default.svc.cluster.local:${dp.topology.scheduler.port}`);
  });

  it("orders the start: inventory scheduler after every instance; device-plugin scheduler with them", async () => {
    const config = examples();
    const inv = component(config, 0);
    const deps = async (opts: Record<string, any>, name: string) =>
      (await Promise.all(((opts[name]?.dependsOn ?? []) as import("@pulumi/pulumi").Resource[]).map(nameOf))).sort();
    // Inventory: the provider waits for each instance Deployment's readiness before the scheduler.
    expect(await deps(inv, "qwen-1p1d-scheduler")).toEqual(["qwen-1p1d-decode-0", "qwen-1p1d-prefill-0", "qwen-1p1d-ranktable"]);
    expect(await deps(inv, "qwen-1p1d-prefill-0")).toEqual(["qwen-1p1d-ranktable"]);
    // Device-plugin: every table holds the scheduler's address, so it starts with the instances
    // (its rendezvous waits for their ports); depending on them would deadlock.
    const dp = component(config, 2);
    expect(await deps(dp, "qwen-dp-scheduler")).toEqual(["qwen-dp-ranktable"]);
    // The ConfigMap has a fixed name the pods mount: a replacement must delete first.
    expect(inv["qwen-1p1d-ranktable"].deleteBeforeReplace).toBe(true);
    expect(inv["qwen-1p1d-prefill-0"].customTimeouts).toMatchObject({ create: expect.any(String) });
  });

  it("pre-pulls each inference image once", () => {
    const config = examples();
    expect(stack.inferenceImages(config)).toEqual([config.images.base]);
    const other = {
      ...config,
      inference: {
        ...config.inference,
        deployments: [{ ...config.inference.deployments[0], image: "swr.example.com/a/b:1" }, ...config.inference.deployments.slice(1)],
      },
    };
    expect(stack.inferenceImages(other)).toEqual(["swr.example.com/a/b:1", config.images.base]);
  });

  it("refuses to deploy a topology that does not validate", () => {
    const config = examples();
    const bad = { ...config, inference: { ...config.inference, nodes: [] } };
    expect(() => run(bad, "bad-k8s")).toThrow(/inference config is invalid:[\s\S]*is not in inference.nodes/);
  });
});
