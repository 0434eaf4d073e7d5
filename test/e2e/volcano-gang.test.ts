/**
 * Gang scheduling on the real Volcano scheduler, and why a job's minAvailable defaults to its
 * node count: a training job that needs one NPU node more than the cluster has.
 *   - minAvailable = nodes (the default): Volcano admits nothing; no pod is bound, no NPU held, and
 *     `up` fails fast naming the job's PodGroup and the scheduler's reason.
 *   - minAvailable = 1 (what the manual writes): Volcano binds every pod that fits; those pods hold
 *     every NPU of the cluster while the job can never start.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { allNpuNodes, claimRealNode, ExampleStack, failingUp, npuNodes, previewOps } from "./harness";
import { eventually } from "./poll";
import { podGroupsOf, trainingPods } from "./volcano";

const STACK = "e2e-gang";
const VOLUME = "sfs-e2e-gang";
const JOB = "gang";
const TIMEOUT_SECONDS = 20;
let s: ExampleStack;
/** Every NPU node (Volcano counts them all for the queue), and those the job's pods can use (the real node is tainted). */
let nodes: number;
let usable: number;

beforeAll(async () => {
  // Counted with the real node, as a user's cluster has it (and it is tainted: no pod lands there).
  claimRealNode();
  nodes = allNpuNodes().length;
  usable = npuNodes().length;
  s = await ExampleStack.openLocal(STACK, VOLUME);
  // Preflight refuses a gang bigger than the cluster before `up` (test/e2e/preflight.test.ts): off,
  // so that Volcano's own handling of it, and the fail-fast watch, are what is tested.
  s.edit("cluster", (c) => Object.assign(c, { failFast: { timeoutSeconds: TIMEOUT_SECONDS }, preflight: "off" }));
  s.config["ascend-stack:images"] = { prePull: { enabled: false } };
  s.write();
  s.edit("inference", (inf) => (inf.deployments = []));
  s.edit("training", (t) => (t.jobs = [{ name: JOB, nodes: nodes + 1, command: "sh /mnt/sfs_turbo/train.sh" }]));
});
afterAll(async () => {
  await s?.dispose(VOLUME);
});

describe.sequential("Volcano gang scheduling", () => {
  it("a job needing one NPU node more than exist stays Pending whole: no pod bound, no NPU held; up fails fast saying why", async () => {
    const { text } = await failingUp(s);
    expect(text).toMatch(
      new RegExp(
        `training job ${JOB} cannot start: Volcano created no pod for it in ${TIMEOUT_SECONDS}s: its PodGroup ${JOB}-\\S+ is Pending \\(NotEnoughResources`,
      ),
    );
    const groups = podGroupsOf(STACK, JOB);
    expect(groups.map((g) => [g.spec.minMember, g.status.phase])).toEqual([[nodes + 1, "Pending"]]);
    expect(trainingPods(STACK, JOB).filter((p) => p.node !== "" || p.devices.length > 0)).toEqual([]);
  });

  it("with the manual's minAvailable: 1 the same job binds what fits and holds every NPU while it cannot start", async () => {
    s.edit("training", (t) => (t.jobs[0].minAvailable = 1));
    expect((await previewOps(s)).changed).toEqual({ [`${JOB}-job`]: "replace" });
    const { text } = await failingUp(s);
    expect(text).toMatch(new RegExp(`training job ${JOB} cannot start: pod ${JOB}-work-\\d+ has been Unschedulable for \\d+s`));
    const pods = await eventually(
      () => {
        const ps = trainingPods(STACK, JOB);
        return ps.length === nodes + 1 && ps.filter((p) => p.devices.length === 8).length === usable && ps;
      },
      60_000,
      "the bound pods to hold their NPUs",
    );
    const bound = pods.filter((p) => p.node !== "");
    expect(bound).toHaveLength(usable);
    expect(new Set(bound.map((p) => p.node)).size).toBe(usable);
    expect(pods.filter((p) => p.node === "").map((p) => p.scheduled)).toEqual(Array(nodes + 1 - usable).fill(false));
    expect(podGroupsOf(STACK, JOB).map((g) => g.spec.minMember)).toEqual([1]);
  });
});
