// The objects that keep inventory cards exclusive (docs/npu-exclusivity.md), from the real
// builders: the ledger, the per-node reservations, the anti-affinity of the stack's other NPU
// pods, the tolerations, and the stack identity that scopes shared directories.
import { describe, expect, it } from "vitest";
import { stackIdOf } from "../../components/common/stackId";
import { inventoryHostsOf, npuLedgerFile, npuLedgerOf, reservedNodesOf } from "../../components/inference/npuOwnership";
import { buildNpuLedgerConfigMap, buildNpuReservation, reservationNameOf } from "../../components/inference/reservation";
import { resolveInference } from "../../components/inference/topology";
import { buildVolcanoJob } from "../../components/training/builders";
import { issuesOf, validConfig } from "./helpers";
import { DEVICE_PLUGIN, inferenceRaw, MANUAL_1P1D, MANUAL_2P2D, NODE_18 } from "./fixtures/inference/configs";

describe("the NPU ledger", () => {
  it("names the owning instance of every card, per node, across deployments", () => {
    const config = validConfig({
      inference: inferenceRaw([
        MANUAL_2P2D,
        { ...MANUAL_1P1D, prefill: [{ node: "npu-node-19", devices: [4, 5] }], decode: [{ node: "npu-node-19", devices: [6, 7] }] },
      ]).inference,
    });
    const deployments = resolveInference(config).deployments;
    expect(npuLedgerOf(deployments)).toEqual({
      "npu-node-18": {
        0: "qwen-2p2d-prefill-0",
        1: "qwen-2p2d-prefill-0",
        2: "qwen-2p2d-prefill-1",
        3: "qwen-2p2d-prefill-1",
        4: "qwen-2p2d-decode-0",
        5: "qwen-2p2d-decode-0",
        6: "qwen-2p2d-decode-1",
        7: "qwen-2p2d-decode-1",
      },
      "npu-node-19": { 4: "qwen-1p1d-prefill-0", 5: "qwen-1p1d-prefill-0", 6: "qwen-1p1d-decode-0", 7: "qwen-1p1d-decode-0" },
    });
    expect(JSON.parse(npuLedgerFile(deployments)).version).toBe(1);
    expect(reservedNodesOf(deployments, config.inference.nodes).map((n) => n.hostname)).toEqual(["npu-node-18", "npu-node-19"]);
    const cm = buildNpuLedgerConfigMap("ai", "dev-0123abcd", npuLedgerFile(deployments)) as any;
    expect(cm.metadata.name).toBe("npu-ledger-dev-0123abcd");
    expect(JSON.parse(cm.data["ledger.json"]).nodes).toEqual(npuLedgerOf(deployments));
  });

  it("is empty, and nothing is reserved or avoided, without inventory deployments", () => {
    const config = validConfig({ inference: inferenceRaw([DEVICE_PLUGIN]).inference });
    const deployments = resolveInference(config).deployments;
    expect(npuLedgerOf(deployments)).toEqual({});
    expect(reservedNodesOf(deployments, config.inference.nodes)).toEqual([]);
    expect(inventoryHostsOf(deployments, config.inference.nodes)).toEqual([]);
  });
});

describe("the node reservation", () => {
  const config = validConfig({ accelerator: { tolerations: [{ key: "npu", operator: "Exists", effect: "NoSchedule" }] } });
  const r = buildNpuReservation({
    namespace: "ai",
    accelerator: config.accelerator,
    hostname: "npu-node-18",
    image: "img:1",
    imagePullPolicy: "IfNotPresent",
    imagePullSecrets: ["swr-pull-secret"],
    tolerations: [{ key: "ascend-stack/inventory", operator: "Equal", value: "true", effect: "NoSchedule" }],
  }) as any;
  const pod = r.spec.template.spec;
  it("requests every NPU unit of exactly its node, and little else", () => {
    expect(r.metadata.name).toBe("npu-reservation-npu-node-18");
    expect(r.spec.strategy).toEqual({ type: "Recreate" });
    expect(pod.nodeSelector).toEqual({ "accelerator/huawei-npu": "ascend-1980", "kubernetes.io/hostname": "npu-node-18" });
    expect(pod.containers[0].resources).toEqual({
      requests: { cpu: "10m", memory: "16Mi", "huawei.com/ascend-1980": "8" },
      limits: { cpu: "100m", memory: "64Mi", "huawei.com/ascend-1980": "8" },
    });
    expect(pod.tolerations).toEqual([{ key: "ascend-stack/inventory", operator: "Equal", value: "true", effect: "NoSchedule" }]);
    expect(pod.imagePullSecrets).toEqual([{ name: "swr-pull-secret" }]);
    expect(pod.containers[0].securityContext).toBeUndefined();
  });
  it("gets a hashed name when the hostname does not fit a label", () => {
    const long = `node-${"x".repeat(60)}.example.com`;
    expect(reservationNameOf(long)).toMatch(/^npu-reservation-[0-9a-f]{12}$/);
    expect(reservationNameOf("192.168.0.12")).toBe("npu-reservation-192.168.0.12");
  });
});

describe("the stack's other NPU pods", () => {
  it("training jobs avoid every inventory node and carry the accelerator tolerations", () => {
    const config = validConfig({ accelerator: { tolerations: [{ key: "npu", operator: "Exists" }] } });
    const job = buildVolcanoJob({
      job: config.training.jobs[0],
      namespace: "ai",
      accelerator: config.accelerator,
      image: "img:1",
      imagePullPolicy: "IfNotPresent",
      claimName: "sfs",
      avoidHosts: ["npu-node-18", "npu-node-19"],
    }) as any;
    const pod = job.spec.tasks[0].template.spec;
    expect(pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms).toEqual([
      { matchExpressions: [{ key: "kubernetes.io/hostname", operator: "NotIn", values: ["npu-node-18", "npu-node-19"] }] },
    ]);
    // one pod per node, as before
    expect(pod.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey).toBe("kubernetes.io/hostname");
    expect(pod.tolerations).toEqual([{ key: "npu", operator: "Exists" }]);
  });
  it("a training job without inventory nodes is the manual's template (no node affinity)", () => {
    const config = validConfig();
    const job = buildVolcanoJob({
      job: config.training.jobs[0],
      namespace: "ai",
      accelerator: config.accelerator,
      image: "i",
      imagePullPolicy: "IfNotPresent",
      claimName: "c",
    }) as any;
    expect(job.spec.tasks[0].template.spec.affinity.nodeAffinity).toBeUndefined();
    expect(job.spec.tasks[0].template.spec.tolerations).toBeUndefined();
  });
  it("the inventory is every listed node once a deployment uses inventory mode, used or not", () => {
    const config = validConfig({ inference: inferenceRaw([MANUAL_1P1D, DEVICE_PLUGIN]).inference });
    expect(inventoryHostsOf(resolveInference(config).deployments, config.inference.nodes)).toEqual(["npu-node-18", "npu-node-19"]);
  });
});

describe("tolerations are validated as Kubernetes validates them", () => {
  it("rejects a value with Exists, a missing key without Exists, tolerationSeconds without NoExecute, unknown effects", () => {
    const issues = issuesOf(
      inferenceRaw([MANUAL_1P1D], [NODE_18], {
        accelerator: {
          tolerations: [
            { key: "a", operator: "Exists", value: "x" },
            { operator: "Equal", value: "y" },
          ],
        },
      }),
    );
    const paths = issues.map((i) => i.path);
    expect(paths).toContain("accelerator.tolerations[0].value");
    expect(paths).toContain("accelerator.tolerations[1].operator");
    const more = issuesOf({
      ...inferenceRaw([MANUAL_1P1D], [NODE_18]),
      inference: {
        nodes: [NODE_18],
        deployments: [MANUAL_1P1D],
        inventoryTolerations: [
          { key: "a", tolerationSeconds: 5 },
          { key: "b", effect: "NoRun" },
        ],
      },
    });
    expect(more.map((i) => i.path)).toEqual(
      expect.arrayContaining(["inference.inventoryTolerations[0].tolerationSeconds", "inference.inventoryTolerations[1].effect"]),
    );
  });
});

describe("stackIdOf", () => {
  it("is readable, stable, and differs between stacks, projects and organizations", () => {
    expect(stackIdOf("org", "ascend-stack", "prod")).toMatch(/^prod-[0-9a-f]{8}$/);
    expect(stackIdOf("org", "ascend-stack", "prod")).toBe(stackIdOf("org", "ascend-stack", "prod"));
    const ids = new Set([
      stackIdOf("org", "ascend-stack", "prod"),
      stackIdOf("org", "other", "prod"),
      stackIdOf("org2", "ascend-stack", "prod"),
      stackIdOf("org", "ascend-stack", "dev"),
    ]);
    expect(ids.size).toBe(4);
    expect(stackIdOf("o", "p", "My_Cluster/Prod!")).toMatch(/^my-cluster-prod-[0-9a-f]{8}$/);
  });
});
