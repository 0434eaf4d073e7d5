// VllmAscendPd and the stack's wiring with Pulumi mocks: typed component, explicit provider,
// children named after it, the proxy after the instances, outputs awaited; the ascendcloud-llm
// deployment beside it keeps its objects; preflight counts the new pods.
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { stackDemand } from "../../components/preflight/demand";
import { installMocks, nameOf, recorder, registered, settled, valueOf } from "./mocks";
import { VLLM_1P1D, VLLM_2P1D_DP, vllmConfig, vllmInputs } from "./fixtures/vllm/configs";

installMocks();
let stack: typeof import("../../components/stack");
let pulumi: typeof import("@pulumi/pulumi");
let VllmAscendPd: typeof import("../../components/inference/vllmAscend/VllmAscendPd").VllmAscendPd;
beforeAll(async () => {
  stack = await import("../../components/stack");
  pulumi = await import("@pulumi/pulumi");
  VllmAscendPd = (await import("../../components/inference/vllmAscend/VllmAscendPd")).VllmAscendPd;
});
beforeEach(() => {
  registered.length = 0;
});

const ASCEND_PD = { name: "pd", model: "/mnt/sfs_turbo/models/m", servedModelName: "m" };

/** Every Kubernetes object the whole stack registers, by name. */
async function stackObjects(config: ReturnType<typeof vllmConfig>) {
  registered.length = 0;
  stack.deployStack(config, { registryPassword: pulumi.secret("pw") });
  await settled();
  return Object.fromEntries(registered.filter((r) => r.type.startsWith("kubernetes:")).map((r) => [`${r.type} ${r.name}`, r.inputs]));
}

describe("VllmAscendPd", () => {
  it("is typed, names its children after itself, starts the proxy after every instance and its Service, and outputs the endpoint", async () => {
    const { transformation, seen } = recorder();
    const pd = new VllmAscendPd("dsv", vllmInputs(vllmConfig(VLLM_2P1D_DP)), { transformations: [transformation] });
    await settled();
    expect(registered.find((r) => r.name === "dsv")!.type).toBe("ascend:inference:VllmAscendPd");
    delete seen.dsv; // the component itself
    expect(Object.keys(seen).sort()).toEqual([
      "dsv-decode-0",
      "dsv-decode-0-dns",
      "dsv-launcher",
      "dsv-netpol",
      "dsv-prefill-0",
      "dsv-prefill-0-dns",
      "dsv-prefill-1",
      "dsv-prefill-1-dns",
      "dsv-proxy",
      "dsv-service",
    ]);
    const deps = async (name: string) =>
      (await Promise.all(((seen[name].opts.dependsOn ?? []) as import("@pulumi/pulumi").Resource[]).map(nameOf))).sort();
    expect(await deps("dsv-proxy")).toEqual([
      "dsv-decode-0",
      "dsv-decode-0-dns",
      "dsv-launcher",
      "dsv-prefill-0",
      "dsv-prefill-0-dns",
      "dsv-prefill-1",
      "dsv-prefill-1-dns",
    ]);
    expect(await deps("dsv-prefill-0")).toEqual(["dsv-launcher"]);
    expect(await deps("dsv-prefill-0-dns")).toEqual(["dsv-prefill-0"]);
    expect(seen["dsv-prefill-0"].opts.customTimeouts).toMatchObject({ create: "40m" });
    for (const r of Object.values(seen)) expect(r.opts.parent).toBe(pd);
    expect(await valueOf(pd.endpoint)).toBe("dsv.ai.svc.cluster.local:8000");
    const topology = await valueOf(pd.topology);
    expect(topology.instances.map((x) => [x.name, x.kvPort, x.engineId])).toEqual([
      ["dsv-prefill-0", 30000, "dsv-prefill-0"],
      ["dsv-prefill-1", 30200, "dsv-prefill-1"],
      ["dsv-decode-0", 30100, "dsv-decode-0"],
    ]);
  });
});

describe("the stack with both engines", () => {
  it("deploys each engine's component; the ascendcloud-llm deployment's objects are the same with or without the vllm-ascend one", async () => {
    const alone = await stackObjects(vllmConfig(ASCEND_PD));
    const both = await stackObjects(vllmConfig(ASCEND_PD, VLLM_1P1D));
    expect(registered.filter((r) => r.type.startsWith("ascend:inference:")).map((r) => `${r.type} ${r.name}`)).toEqual([
      "ascend:inference:PdInference pd",
      "ascend:inference:VllmAscendPd qwen",
    ]);
    const ofPd = (objects: Record<string, unknown>) => Object.entries(objects).filter(([k]) => / pd-/.test(k));
    expect(ofPd(alone).length).toBeGreaterThan(4);
    expect(ofPd(both)).toEqual(ofPd(alone));
    // The vllm-ascend image joins the pre-pull (a DaemonSet per image list).
    expect(stack.inferenceImages(vllmConfig(ASCEND_PD, VLLM_1P1D))).toEqual([
      vllmConfig(ASCEND_PD).images.base,
      "quay.io/ascend/vllm-ascend:v0.13.0",
    ]);
  });
});

describe("preflight demand", () => {
  it("counts each instance's dp×tp NPUs and every host port it holds; the proxy holds none", () => {
    const pods = stackDemand(vllmConfig(VLLM_2P1D_DP)).pods.filter((p) => p.workload === "P/D deployment dsv");
    expect(pods.map((p) => [p.name, p.npus, p.path])).toEqual([
      ["dsv-prefill-0", 4, "inference.deployments[0].prefill.instances[0]"],
      ["dsv-prefill-1", 4, "inference.deployments[0].prefill.instances[1]"],
      ["dsv-decode-0", 2, "inference.deployments[0].decode.instances"],
      ["dsv-proxy", 0, "inference.deployments[0].proxy"],
    ]);
    expect(pods[0].ports).toEqual([9100, 9101, 30000, 30001, 30002, 30003, 30004, 12321]);
    expect(pods[3].ports).toEqual([]);
  });
});
