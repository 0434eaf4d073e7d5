import { describe, expect, it } from "vitest";
import { buildTrainingConfigMap, buildVolcanoJob, trainingCommand, type TrainingJobInputs } from "../../components/training/builders";
import { validConfig } from "./helpers";
import { manualConfigMap, manualSingleNodeJob, manualTwoNodeJob, PLACEHOLDERS } from "./fixtures/manualTemplates";

function inputs(jobPatch: Record<string, unknown> = {}): TrainingJobInputs {
  const c = validConfig({ training: { jobs: [{ name: "vcjob", command: PLACEHOLDERS.command, ...jobPatch }] } });
  return {
    job: c.training.jobs[0],
    namespace: "default",
    accelerator: c.accelerator,
    image: PLACEHOLDERS.image_name,
    imagePullPolicy: "IfNotPresent",
    claimName: PLACEHOLDERS.pvc_name,
  };
}

/**
 * Drops what we add on top of the manual on purpose: recommended labels, and the fields Volcano's
 * webhook would default (task minAvailable and maxRetry, dnsPolicy of host-network pods).
 */
function withoutAdditions(job: any) {
  const copy = structuredClone(job);
  for (const key of Object.keys(copy.metadata.labels)) if (key.startsWith("app.kubernetes.io/")) delete copy.metadata.labels[key];
  for (const task of copy.spec.tasks) {
    delete task.minAvailable;
    delete task.maxRetry;
    delete task.template.spec.dnsPolicy;
  }
  return copy;
}

describe("single-node job = the manual's single-node template", () => {
  it("ConfigMap: fixed prefix, ring-controller label, initializing rank table", () => {
    const cm: any = buildTrainingConfigMap(inputs());
    expect(cm.metadata.name).toBe(manualConfigMap.metadata.name);
    expect(cm.metadata.namespace).toBe("default");
    expect(cm.metadata.labels["ring-controller.cce"]).toBe("ascend-1980");
    expect(Object.keys(cm.data)).toEqual(["jobstart_hccl.json"]);
    expect(JSON.parse(cm.data["jobstart_hccl.json"])).toEqual(manualConfigMap.data["jobstart_hccl.json"]);
  });

  it("Volcano Job equals the template field for field", () => {
    const job = buildVolcanoJob(inputs());
    expect(withoutAdditions(job)).toEqual(manualSingleNodeJob);
  });

  it("sets what Volcano's webhook would default, so a re-run shows no diff", () => {
    const job: any = buildVolcanoJob(inputs());
    expect(job.spec.tasks).toHaveLength(1);
    expect(job.spec.tasks[0]).toMatchObject({ name: "main", replicas: 1, minAvailable: 1, maxRetry: 3 });
    expect(job.spec.tasks[0].template.spec.dnsPolicy).toBe("ClusterFirstWithHostNet");
  });
});

describe("two-node job = the manual's two-node template, gang-schedulable", () => {
  const job: any = buildVolcanoJob(inputs({ nodes: 2 }));

  it("has tasks main (1) and work (1) and minAvailable 2, not the manual's 1", () => {
    expect(job.spec.tasks.map((t: any) => [t.name, t.replicas])).toEqual([
      ["main", 1],
      ["work", 1],
    ]);
    expect(job.spec.minAvailable).toBe(2);
  });

  it("equals the manual's template apart from the distributed-training additions", () => {
    const copy = withoutAdditions(job);
    copy.spec.minAvailable = 1; // the manual's value; ours gang-schedules
    for (const task of copy.spec.tasks) {
      const c = task.template.spec.containers[0];
      c.env = c.env.slice(0, 3);
      c.args = [c.args[0].split("; ").at(-1)];
    }
    expect(copy).toEqual(manualTwoNodeJob);
  });

  it("gives torch_npu the master address from Volcano's svc hosts, node count, port and rank", () => {
    const env = (task: number) =>
      Object.fromEntries(
        job.spec.tasks[task].template.spec.containers[0].env.filter((e: any) => e.value !== undefined).map((e: any) => [e.name, e.value]),
      );
    expect(env(0)).toMatchObject({
      MASTER_ADDR: "vcjob-main-0.vcjob.default.svc",
      MASTER_PORT: "29500",
      NNODES: "2",
      NPUS_PER_NODE: "8",
      NODE_RANK_OFFSET: "0",
    });
    expect(env(1)).toMatchObject({ MASTER_ADDR: "vcjob-main-0.vcjob.default.svc", NODE_RANK_OFFSET: "1" });
    expect(job.spec.tasks[1].template.spec.containers[0].args[0]).toBe(
      `export NODE_RANK=$((\${VC_TASK_INDEX:-0} + \${NODE_RANK_OFFSET:-0})); ${PLACEHOLDERS.command}`,
    );
  });

  it("scales to N nodes with N-1 workers and overridable minAvailable", () => {
    const big: any = buildVolcanoJob(inputs({ nodes: 4, minAvailable: 1 }));
    expect(big.spec.tasks.map((t: any) => [t.name, t.replicas, t.minAvailable])).toEqual([
      ["main", 1, 1],
      ["work", 3, 3],
    ]);
    expect(big.spec.minAvailable).toBe(1);
  });
});

describe("troubleshooting knobs are typed options", () => {
  it("sets PYTORCH_NPU_ALLOC_CONF, HCCL timeouts and extra env", () => {
    const job: any = buildVolcanoJob(
      inputs({
        npuAllocConf: "expandable_segments:True",
        hccl: { connectTimeoutSeconds: 1800, execTimeoutSeconds: 3600 },
        env: { FOO: "bar" },
      }),
    );
    const env = job.spec.tasks[0].template.spec.containers[0].env.slice(3);
    expect(env).toEqual([
      { name: "PYTORCH_NPU_ALLOC_CONF", value: "expandable_segments:True" },
      { name: "HCCL_CONNECT_TIMEOUT", value: "1800" },
      { name: "HCCL_EXEC_TIMEOUT", value: "3600" },
      { name: "FOO", value: "bar" },
    ]);
  });

  it("applies the manual's exit-barrier edit before the command", () => {
    const command = trainingCommand(inputs({ exitBarrierTimeoutSeconds: 3000 }).job);
    expect(command).toMatch(/^sed -i 's\/barrier_timeout=self._exit_barrier_timeout\/barrier_timeout=3000\/' /);
    expect(command.endsWith(`; ${PLACEHOLDERS.command}`)).toBe(true);
  });

  it("requests fewer NPUs when asked, in requests and limits alike", () => {
    const job: any = buildVolcanoJob(inputs({ npus: 4 }));
    const r = job.spec.tasks[0].template.spec.containers[0].resources;
    expect([r.requests["huawei.com/ascend-1980"], r.limits["huawei.com/ascend-1980"]]).toEqual(["4", "4"]);
  });
});
