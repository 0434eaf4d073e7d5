// The fail-fast decisions of `pulumi up` (components/cluster/failFast.ts): which new pods make a
// deploy hopeless, after how long, and with which words.
import { describe, expect, it } from "vitest";
import {
  fatalFindings,
  formatFinding,
  jobScheduled,
  jobsToAwait,
  leftUnplacedBefore,
  podProblem,
  unplacedJobMessage,
  type PodGroupJson,
  type PodJson,
  type ProblemClock,
} from "../../components/cluster/failFast";

const PORTS =
  "0/3 nodes are available: 1 node(s) didn't have free ports for the requested pod ports, 2 node(s) didn't match Pod's node affinity/selector.";

function pod(
  name: string,
  status: PodJson["status"],
  labels: Record<string, string> = { "app.kubernetes.io/instance": name.replace(/-[a-z0-9]+-[a-z0-9]+$/, "") },
): PodJson {
  return { metadata: { name, uid: `uid-${name}`, labels }, status };
}
const unschedulable = (message = PORTS): PodJson["status"] => ({
  phase: "Pending",
  conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable", message }],
});
const waiting = (reason: string, message: string): PodJson["status"] => ({
  phase: "Pending",
  conditions: [{ type: "PodScheduled", status: "True" }],
  containerStatuses: [{ name: "prefill", state: { waiting: { reason, message } } }],
});

describe("podProblem", () => {
  it("reports the scheduler's reason for an unschedulable pod", () => {
    expect(podProblem(pod("qwen-prefill-0-abc-def", unschedulable()))).toEqual({ reason: "Unschedulable", message: PORTS });
  });
  it("reports images that cannot be pulled and containers that cannot be created, not a pull in progress", () => {
    expect(podProblem(pod("p-a-b", waiting("ImagePullBackOff", 'Back-off pulling image "x"')))).toEqual({
      reason: "ImagePullBackOff",
      message: 'container prefill: Back-off pulling image "x"',
    });
    expect(podProblem(pod("p-a-b", waiting("CreateContainerConfigError", 'secret "s" not found')))?.reason).toBe(
      "CreateContainerConfigError",
    );
    expect(podProblem(pod("p-a-b", waiting("ContainerCreating", "")))).toBeUndefined();
    expect(podProblem(pod("p-a-b", { phase: "Running", conditions: [{ type: "PodScheduled", status: "True" }] }))).toBeUndefined();
  });
});

describe("fatalFindings", () => {
  const timeout = 60_000;
  it("fails a new pod only after its problem lasted the whole bound, naming the workload and the reason", () => {
    const clock: ProblemClock = new Map();
    const pods = [pod("qwen-prefill-0-abc-def", unschedulable())];
    expect(fatalFindings(pods, new Set(), clock, 0, timeout)).toEqual([]);
    expect(fatalFindings(pods, new Set(), clock, 59_000, timeout)).toEqual([]);
    const [f] = fatalFindings(pods, new Set(), clock, 60_000, timeout);
    expect(f).toEqual({ pod: "qwen-prefill-0-abc-def", workload: "qwen-prefill-0", reason: "Unschedulable", message: PORTS, seconds: 60 });
    expect(formatFinding(f)).toBe(`qwen-prefill-0 cannot start: pod qwen-prefill-0-abc-def has been Unschedulable for 60s: ${PORTS}`);
  });
  it("ignores pods that existed before the update (they are not this deploy's doing)", () => {
    const clock: ProblemClock = new Map();
    const old = pod("old-prefill-0-abc-def", unschedulable());
    expect(fatalFindings([old], new Set([old.metadata.uid]), clock, 0, timeout)).toEqual([]);
    expect(fatalFindings([old], new Set([old.metadata.uid]), clock, 600_000, timeout)).toEqual([]);
  });
  it("restarts the clock when the problem clears or changes (a pod that got scheduled, then hit a bad image)", () => {
    const clock: ProblemClock = new Map();
    const name = "qwen-decode-0-abc-def";
    fatalFindings([pod(name, unschedulable())], new Set(), clock, 0, timeout);
    fatalFindings([pod(name, waiting("ErrImagePull", "not found"))], new Set(), clock, 50_000, timeout);
    expect(fatalFindings([pod(name, waiting("ErrImagePull", "not found"))], new Set(), clock, 100_000, timeout)).toEqual([]);
    expect(fatalFindings([pod(name, waiting("ErrImagePull", "not found"))], new Set(), clock, 110_000, timeout)).toHaveLength(1);
    fatalFindings([pod(name, { phase: "Running" })], new Set(), clock, 120_000, timeout);
    expect(clock.size).toBe(0);
  });
  it("names the training job of a Volcano pod", () => {
    const clock: ProblemClock = new Map();
    const p = pod("llama-main-0", unschedulable("pod group is not ready, 2 Pending, 2 minAvailable"), { "volcano.sh/job-name": "llama" });
    expect(fatalFindings([p], new Set(), clock, 0, 0)[0].workload).toBe("training job llama");
  });
});

describe("jobScheduled", () => {
  const scheduled: PodJson["status"] = { phase: "Pending", conditions: [{ type: "PodScheduled", status: "True" }] };
  const jobPod = (name: string, status: PodJson["status"]) => pod(name, status, { "volcano.sh/job-name": "llama" });
  it("needs every pod of the job, each scheduled", () => {
    expect(jobScheduled([], "llama", 2)).toBe(false);
    expect(jobScheduled([jobPod("llama-main-0", scheduled)], "llama", 2)).toBe(false);
    expect(jobScheduled([jobPod("llama-main-0", scheduled), jobPod("llama-work-0", unschedulable())], "llama", 2)).toBe(false);
    expect(jobScheduled([jobPod("llama-main-0", scheduled), jobPod("llama-work-0", scheduled)], "llama", 2)).toBe(true);
  });
});

describe("unplacedJobMessage", () => {
  const group = (owner: string, status: PodGroupJson["status"]): PodGroupJson => ({
    metadata: { name: `${owner}-1234`, ownerReferences: [{ kind: "Job", name: owner }] },
    spec: { minMember: 5 },
    status,
  });
  it("gives the PodGroup's reason when the gang does not fit", () => {
    const pending = group("llama", {
      phase: "Pending",
      conditions: [{ type: "Unschedulable", status: "True", reason: "NotEnoughResources", message: "5/0 tasks in gang unschedulable" }],
    });
    const msg = unplacedJobMessage("llama", 20, [group("other", { phase: "Running" }), pending]);
    expect(msg).toBe(
      "training job llama cannot start: Volcano created no pod for it in 20s: its PodGroup llama-1234 is Pending " +
        "(NotEnoughResources: 5/0 tasks in gang unschedulable); the gang of 5 pods does not fit the cluster's free NPU nodes",
    );
  });
  it("points at Volcano's controller or the queue when there is no PodGroup", () => {
    expect(unplacedJobMessage("llama", 180, [group("other", {})])).toMatch(/no PodGroup either \(is Volcano's controller running/);
  });
});

describe("jobsToAwait", () => {
  const jobs = [
    { name: "new", pods: 1 },
    { name: "placed", pods: 1 },
    { name: "stuck", pods: 2 },
    { name: "done", pods: 1 },
  ];
  const scheduled = (name: string) =>
    pod(`${name}-main-0`, { phase: "Running", conditions: [{ type: "PodScheduled", status: "True" }] }, { "volcano.sh/job-name": name });
  it("awaits new jobs and unfinished ones not yet placed (the update may replace them), not placed or finished ones", () => {
    const live = [
      { name: "placed", phase: "Running" },
      { name: "stuck", phase: "Pending" },
      { name: "done", phase: "Completed" },
    ];
    const pods = [scheduled("placed"), scheduled("stuck")];
    expect(jobsToAwait(jobs, live, pods).map((j) => j.name)).toEqual(["new", "stuck"]);
  });
});

describe("leftUnplacedBefore", () => {
  const jobPod = (name: string) => pod(name, unschedulable(), { "volcano.sh/job-name": "llama" });
  it("holds only when the job has pods and every one existed before the update", () => {
    const old = jobPod("llama-main-0");
    const fresh = jobPod("llama-work-0");
    expect(leftUnplacedBefore([], "llama", new Set())).toBe(false);
    expect(leftUnplacedBefore([old], "llama", new Set([old.metadata.uid]))).toBe(true);
    expect(leftUnplacedBefore([old, fresh], "llama", new Set([old.metadata.uid]))).toBe(false);
  });
});
