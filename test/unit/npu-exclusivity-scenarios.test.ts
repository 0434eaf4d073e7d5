// NPU exclusivity of inventory mode (issue 7 §1), proven on a model of the cluster that hands out
// concrete card ids (npuModel.ts) driven by the real builders' objects (npuPlan.ts) through
// Pulumi's ordering (npuPulumi.ts). Each scenario deploys config A, then updates to B, under 300
// interleavings (one per seed); after every event no card may be opened by two containers, the
// update must finish, and every instance of B must end up serving on its cards. The negative
// controls switch protections off and must find the violation, so the checks can fail.
import { describe, expect, it } from "vitest";
import { Cluster, prng, type ClusterNode, type ModelOptions, type PodSpec } from "./npuModel";
import { OLD_CODE, planOf, PROTECTED, type Protections } from "./npuPlan";
import { notServing, simulate, type Outcome } from "./npuPulumi";
import { deviceIPs, inferenceRaw, MANUAL_1P1D, NODE_18, NODE_19 } from "./fixtures/inference/configs";

const SEEDS = 300;
const ACCELERATOR = { "accelerator/huawei-npu": "ascend-1980" };
const node = (hostname: string): ClusterNode => ({ hostname, labels: { ...ACCELERATOR, "kubernetes.io/hostname": hostname } });
/** An accelerator node outside inference.nodes: where training and device-plugin pods may go. */
const PLAIN = node("npu-node-30");
const N18 = node(NODE_18.hostname);
const N19 = node(NODE_19.hostname);
const NODE_20 = { hostname: "npu-node-20", hostIP: "10.0.0.20", deviceIPs: deviceIPs(20) };

type Raw = Record<string, unknown>;
const training = (...npus: number[]) => ({
  training: { jobs: npus.map((n, i) => ({ name: `train-${i}`, command: "sh run.sh", npus: n })) },
});
const stack = (deployments: unknown[], nodes: unknown[] = [NODE_18, NODE_19], patch: Raw = training()) =>
  inferenceRaw(deployments, nodes, patch);
const auto = (name: string, prefill = 1, decode = 1) => ({ ...MANUAL_1P1D, name, prefill, decode });

interface Run {
  nodes: ClusterNode[];
  configs: Raw[];
  protections?: Protections;
  model?: Partial<ModelOptions>;
  foreign?: PodSpec[];
}

function run(r: Run, seed: number): Outcome {
  const plans = r.configs.map((c) => planOf(c, r.protections ?? PROTECTED));
  const cluster = new Cluster(r.nodes, { locks: true, stopOnLoss: true, ...r.model }, prng(seed));
  const outcome = simulate(cluster, plans, r.foreign);
  const idle = outcome.violation || outcome.deadlock ? [] : notServing(cluster, plans[plans.length - 1]);
  return idle.length ? { ...outcome, deadlock: `not serving at the end: ${idle.join(", ")}` } : outcome;
}

/** Every seed: no violation, no deadlock, B served; `after` checks the final cluster. */
function expectSafeAndLive(r: Run, after?: (c: Cluster) => void): void {
  for (let seed = 0; seed < SEEDS; seed++) {
    const o = run(r, seed);
    expect(o.violation, `seed ${seed}`).toBeUndefined();
    expect(o.deadlock, `seed ${seed}`).toBeUndefined();
    after?.(o.cluster);
  }
}

/** Seeds whose interleaving breaks exclusivity (or, with `deadlocks`, liveness). */
function failingSeeds(r: Run, what: "violation" | "deadlock" = "violation"): number[] {
  return Array.from({ length: SEEDS }, (_, s) => s).filter((s) => run(r, s)[what] !== undefined);
}

const podsOn = (c: Cluster, owner: string) => c.pods.filter((p) => p.owner === owner && p.phase !== "gone");

describe("(a) inventory 1p1d (cards 4,5 / 6,7) and a training job with npus: 4", () => {
  const config = stack([MANUAL_1P1D], [NODE_18], training(4));
  it("stays Pending when the inventory node is the only accelerator node (never shares its cards)", () =>
    expectSafeAndLive({ nodes: [N18], configs: [config] }, (c) => expect(podsOn(c, "train-0").map((p) => p.phase)).toEqual(["pending"])));
  it("lands on the plain node when there is one", () =>
    expectSafeAndLive({ nodes: [N18, PLAIN], configs: [config] }, (c) =>
      expect(podsOn(c, "train-0").map((p) => p.node)).toEqual([PLAIN.hostname]),
    ));
  it("also when the job is added to a running inference stack", () =>
    expectSafeAndLive({ nodes: [N18], configs: [stack([MANUAL_1P1D], [NODE_18]), config] }));
});

describe("(b) inventory next to a device-plugin deployment", () => {
  const dp = (decode: number) => ({ ...MANUAL_1P1D, name: "qwen-dp", mode: "device-plugin", prefill: 2, decode });
  it("keeps the device-plugin pods on the plain node, also when one is added", () =>
    expectSafeAndLive({ nodes: [N18, PLAIN], configs: [stack([MANUAL_1P1D, dp(1)]), stack([MANUAL_1P1D, dp(2)])] }, (c) =>
      expect(new Set(c.pods.filter((p) => p.owner.startsWith("qwen-dp") && p.phase === "running").map((p) => p.node))).toEqual(
        new Set([PLAIN.hostname]),
      ),
    ));
  it("moves device-plugin pods off a node that joins inference.nodes before an instance starts there", () => {
    const moved = { ...MANUAL_1P1D, decode: [{ node: "npu-node-19", devices: [0, 1] }] };
    expectSafeAndLive({
      nodes: [N18, N19, PLAIN],
      configs: [stack([MANUAL_1P1D, dp(1)], [NODE_18]), stack([moved, dp(1)], [NODE_18, NODE_19])],
    });
  });
});

const SWAPPED = { ...MANUAL_1P1D, prefill: [{ node: "npu-node-18", devices: [6, 7] }], decode: [{ node: "npu-node-18", devices: [4, 5] }] };

describe("(c) prefill and decode swap cards", () => {
  it("hands each card over only after its previous owner stopped", () =>
    expectSafeAndLive({
      nodes: [N18, PLAIN],
      configs: [stack([MANUAL_1P1D], [NODE_18], training(4)), stack([SWAPPED], [NODE_18], training(4))],
    }));
});

describe("(d) an instance moves to another inventory node", () => {
  const moved = { ...MANUAL_1P1D, decode: [{ node: "npu-node-19", devices: [0, 1] }] };
  it("reserves the new node before the instance starts there", () =>
    expectSafeAndLive({
      nodes: [N18, N19, PLAIN],
      configs: [stack([MANUAL_1P1D], undefined, training(8)), stack([moved], undefined, training(8))],
    }));
});

describe("(e) an added instance re-packs automatic placement", () => {
  const before = stack([auto("one"), auto("two")]);
  const after = stack([auto("one", 2), auto("two")]);
  it("moves later instances' cards (two-decode-0 to the second node) without two owners at once", () => {
    const cards = (raw: Raw) =>
      planOf(raw)
        .filter((r) => r.key.startsWith("two-"))
        .map((r) => r.pods[0].inv);
    expect(cards(after)).not.toEqual(cards(before)); // the scenario really re-packs
    expectSafeAndLive({ nodes: [N18, N19, PLAIN], configs: [before, after] });
  });
});

describe("(f) an inference node is replaced by a new hostname", () => {
  it("moves the instances; a training job on the new node is replaced off it before the node is reserved", () =>
    expectSafeAndLive({
      nodes: [N18, node(NODE_20.hostname), PLAIN],
      configs: [stack([auto("qwen")], [NODE_18], training(4)), stack([auto("qwen")], [NODE_20], training(4))],
    }));
});

describe("(g) an instance is removed while another takes its cards", () => {
  const A = {
    ...MANUAL_1P1D,
    decode: [
      { node: "npu-node-18", devices: [6, 7] },
      { node: "npu-node-18", devices: [0, 1] },
    ],
  };
  const B = { ...MANUAL_1P1D, prefill: [{ node: "npu-node-18", devices: [0, 1] }] };
  const r: Run = { nodes: [N18], configs: [stack([A], [NODE_18]), stack([B], [NODE_18])] };
  it("does not deadlock: the removed instance's pod (deleted only after the update) stops on the ledger change", () =>
    expectSafeAndLive(r));
  it("negative control: without stopping on ownership loss, the update deadlocks", () =>
    expect(failingSeeds({ ...r, model: { stopOnLoss: false } }, "deadlock")).toHaveLength(SEEDS));
});

describe("(h) an image upgrade while another tool's NPU pod waits for cards", () => {
  // Not the stack's: only the accelerator nodeSelector, no anti-affinity; it wants a whole node.
  const foreign: PodSpec[] = [
    {
      role: "unit",
      template: { nodeSelector: ACCELERATOR, containers: [{ name: "other", resources: { requests: { "huawei.com/ascend-1980": "8" } } }] },
    },
  ];
  const upgrade = (patch: Raw): Run => ({
    nodes: [N18],
    configs: [stack([MANUAL_1P1D], [NODE_18]), stack([MANUAL_1P1D], [NODE_18], { ...training(), ...patch })],
    foreign,
  });
  const images = { images: { base: "swr.example.com/ascend/base:2" } };
  it("keeps the reservation pod (Pulumi ignores its image), so the node's units are never free", () => expectSafeAndLive(upgrade(images)));
  it("negative control: recreating the reservation on the new image frees the units while the instances still run", () =>
    expect(failingSeeds({ ...upgrade(images), protections: { ...PROTECTED, stableReservation: false } }).length).toBeGreaterThan(0));
  it("KNOWN HOLE: a change of inventoryTolerations still recreates the reservation (taint the inventory nodes so other pods stay off)", () =>
    expect(
      failingSeeds(
        upgrade({
          inference: {
            ...(stack([MANUAL_1P1D], [NODE_18]).inference as Raw),
            inventoryTolerations: [{ key: "inventory", operator: "Exists" }],
          },
        }),
      ).length,
    ).toBeGreaterThan(0));
});

describe("(i) a deployment leaves inventory mode for device-plugin mode on the same node", () => {
  const dp = { ...MANUAL_1P1D, mode: "device-plugin", prefill: 1, decode: 1 };
  const before = stack([MANUAL_1P1D], [NODE_18]);
  it("KNOWN HOLE: in one update it deadlocks (the new pods wait for the reservation, deleted only after the update)", () =>
    expect(failingSeeds({ nodes: [N18], configs: [before, stack([dp], [NODE_18])] }, "deadlock")).toHaveLength(SEEDS));
  it("in two updates (first remove the inventory deployment, then add the device-plugin one) it completes", () =>
    expectSafeAndLive({ nodes: [N18], configs: [before, stack([], [NODE_18]), stack([dp], [NODE_18])] }));
});

describe("negative controls: with the protections off the model finds the violation", () => {
  it("(f) without the reservation, the instances start on the new node next to the training job still running there", () =>
    expect(
      failingSeeds({
        nodes: [N18, node(NODE_20.hostname), PLAIN],
        configs: [stack([auto("qwen")], [NODE_18], training(4)), stack([auto("qwen")], [NODE_20], training(4))],
        protections: { ...PROTECTED, reservation: false },
      }).length,
    ).toBeGreaterThan(0));
  it("(a) the code before issue 7 (no reservation, instances request tp units, no anti-affinity): the training job gets cards in use", () =>
    expect(
      failingSeeds({ nodes: [N18], configs: [stack([MANUAL_1P1D], [NODE_18], training(4))], protections: OLD_CODE }).length,
    ).toBeGreaterThan(0));
  it("(c) without per-card locks: a new owner starts while the old one, its ledger view stale, still runs", () =>
    expect(
      failingSeeds({ nodes: [N18], configs: [stack([MANUAL_1P1D], [NODE_18]), stack([SWAPPED], [NODE_18])], model: { locks: false } })
        .length,
    ).toBeGreaterThan(0));
});
