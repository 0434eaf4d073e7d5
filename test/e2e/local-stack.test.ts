/**
 * The local example stack through the real engine: preview, up, what Volcano makes of the
 * training job, idempotence, targeted config edits, refresh, secrets, destroy. Steps run in order
 * and build on each other.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { allNpuNodes, ExampleStack, kubectl, previewOps, projectObjects, stateText, upOps, workloadSnapshot } from "./harness";
import { eventually } from "./poll";
import { evaluateInPodShell, podGroupsOf, rankTable, trainingPods, type TrainingPod } from "./volcano";

const STACK = "e2e-local";
const PASSWORD = "local-demo-not-a-real-password";
const ROTATED_PASSWORD = "rotated-not-a-real-password";
const SERVER = "swr.cn-southwest-2.myhuaweicloud.com";
const VOLUME = "sfs-e2e-local";
const JOB = "llama2-pretrain";
const PRETRAIN = "cd /mnt/sfs_turbo/AscendFactory && sh scripts/llama2/0_pl_pretrain_13b.sh";
const FINETUNE = "cd /mnt/sfs_turbo/AscendFactory && sh scripts/llama2/1_pl_finetune_13b.sh";

/** The job's two pods once both run `command` with their NPUs (main first). */
function runningJobPods(command = PRETRAIN): Promise<TrainingPod[]> {
  return eventually(
    () => {
      const pods = trainingPods(STACK, JOB);
      const ready = (p: TrainingPod) => p.phase === "Running" && p.devices.length === 8 && p.args[0].endsWith(command);
      return pods.length === 2 && pods.every(ready) && pods;
    },
    90_000,
    "both pods of the training job running with their NPUs",
  );
}

/** The rank table once the configmap1980 stand-in has written it for exactly these pods. */
function completedRankTable(pods: TrainingPod[]): Promise<any> {
  return eventually(
    () => {
      const t = rankTable(STACK, JOB);
      return t.status === "completed" && t.server_list.map((x: any) => x.server_id).join() === pods.map((p) => p.hostIP).join() && t;
    },
    60_000,
    "the completed rank table of the job's current pods",
  );
}
let s: ExampleStack;

beforeAll(async () => {
  s = await ExampleStack.openLocal(STACK, VOLUME);
});

afterAll(async () => {
  await s?.dispose(VOLUME);
});

describe.sequential("local example stack", () => {
  it("previews the creation of every component and object", async () => {
    const p = await previewOps(s);
    expect(Object.values(p.changed).every((op) => op === "create")).toBe(true);
    expect(Object.keys(p.changed)).toEqual(
      expect.arrayContaining([
        `${VOLUME}-pv`,
        `${VOLUME}-pvc`,
        "image-prepull-daemonset",
        "llama2-pretrain-configmap",
        "llama2-pretrain-job",
        "registry-secret",
      ]),
    );
  });

  it("up creates them; the pre-pull reaches every NPU node before the job exists", async () => {
    const r = await upOps(s);
    // The P/D instances rolled out (the engine waits for Deployment readiness) with devices from the plugin stand-in.
    for (const name of ["qwen-pd-prefill-0", "qwen-pd-decode-0", "qwen-pd-scheduler"]) {
      const d = JSON.parse(s.kubectl("get", "deployment", name, "-o", "json"));
      expect(d.status.readyReplicas, name).toBe(1);
    }
    const pods = JSON.parse(s.kubectl("get", "pods", "-l", "app.kubernetes.io/component=prefill", "-o", "json")).items;
    expect(pods).toHaveLength(1);
    const devices = JSON.parse(pods[0].metadata.annotations["cce.kubectl.kubernetes.io/ascend-1980-configuration"]).devices;
    expect(devices).toHaveLength(2);
    expect(r.outputs.inference["qwen-pd"]).toMatchObject({ endpoint: "qwen-pd.e2e-local.svc.cluster.local:9000", nodePorts: "8088,8089" });
    expect(r.outputs.trainingJobs["llama2-pretrain"]).toEqual({ job: "llama2-pretrain", configMap: "configmap1980-llama2-pretrain" });
    const ds = JSON.parse(s.kubectl("get", "daemonset", "image-prepull", "-o", "json"));
    // Every NPU node, the real one included: the pre-pull tolerates every taint.
    expect(ds.status.numberReady).toBe(allNpuNodes().length);
    const job = JSON.parse(s.kubectl("get", "jobs.batch.volcano.sh", "llama2-pretrain", "-o", "json"));
    expect(job.spec.tasks.map((t: any) => [t.name, t.replicas])).toEqual([
      ["main", 1],
      ["work", 1],
    ]);
    expect(job.spec.minAvailable).toBe(2);
    // The job was created after the DaemonSet became ready (dependsOn on the pre-pull component).
    expect(Date.parse(job.metadata.creationTimestamp)).toBeGreaterThanOrEqual(Date.parse(ds.metadata.creationTimestamp));
    const pvc = JSON.parse(s.kubectl("get", "pvc", VOLUME, "-o", "json"));
    expect(pvc.status.phase).toBe("Bound");
  });

  it("Volcano runs the two-node job: one PodGroup, one bound pod per node, the env and svc plugins' hosts, NODE_RANK 0 and 1", async () => {
    const pods = await runningJobPods();
    const groups = podGroupsOf(STACK, JOB);
    expect(groups).toHaveLength(1);
    expect(groups[0].spec.minMember).toBe(2);
    expect(groups[0].status.phase).toBe("Running");
    // Bound by Volcano's scheduler, one per node (the pod anti-affinity), each holding a whole node's NPUs.
    expect(pods.map((p) => [p.name, p.task, p.scheduled])).toEqual([
      [`${JOB}-main-0`, "main", true],
      [`${JOB}-work-0`, "work", true],
    ]);
    expect(new Set(pods.map((p) => p.node)).size).toBe(2);
    // The env plugin's task index; the svc plugin's hosts, from its ConfigMap.
    for (const p of pods) {
      expect(p.env.find((e) => e.name === "VC_TASK_INDEX")).toEqual({ name: "VC_TASK_INDEX", value: "0" });
      expect(p.env.find((e) => e.name === "VC_MAIN_HOSTS")?.valueFrom?.configMapKeyRef).toEqual({
        name: `${JOB}-svc`,
        key: "VC_MAIN_HOSTS",
      });
    }
    const hosts = JSON.parse(s.kubectl("get", "configmap", `${JOB}-svc`, "-o", "json")).data;
    expect(hosts["main.host"]).toBe(`${JOB}-main-0.${JOB}`);
    // MASTER_ADDR is the main pod's record in the svc plugin's headless Service.
    const masterAddr = pods[0].env.find((e) => e.name === "MASTER_ADDR")?.value;
    expect(masterAddr).toBe(`${hosts["main.host"]}.${STACK}.svc`);
    const svc = JSON.parse(s.kubectl("get", "service", JOB, "-o", "json"));
    expect(svc.spec).toMatchObject({ clusterIP: "None", publishNotReadyAddresses: true, selector: { "volcano.sh/job-name": JOB } });
    const endpoints = await eventually(
      () => {
        const slices = JSON.parse(s.kubectl("get", "endpointslices", "-l", `kubernetes.io/service-name=${JOB}`, "-o", "json")).items;
        const all = slices.flatMap((x: any) => x.endpoints ?? []);
        return all.length === 2 && all;
      },
      60_000,
      "the svc plugin's Service to list both pods",
    );
    const main = endpoints.find((e: any) => e.hostname === `${JOB}-main-0`);
    // (The local kwok gives hostNetwork pods a pod-network IP: its nodes' loopback IPs cannot be endpoints.)
    expect(main?.addresses).toEqual([pods[0].podIP]);
    // What each container's shell computes before training starts.
    expect(pods.map((p) => evaluateInPodShell(STACK, p, PRETRAIN, "NODE_RANK"))).toEqual(["0", "1"]);
    expect(pods.map((p) => evaluateInPodShell(STACK, p, PRETRAIN, "MASTER_ADDR"))).toEqual([masterAddr, masterAddr]);
  });

  it("the configmap1980 stand-in writes the job's HCCL rank table; then preview shows no changes and refresh no drift", async () => {
    const pods = await runningJobPods();
    const table = await completedRankTable(pods);
    expect(table).toMatchObject({ version: "1.0", server_count: "2" });
    // Ranks 0-7 on the main pod's node, 8-15 on the worker's, with the device plugin's cards.
    table.server_list.forEach((server: any, i: number) => {
      expect(server.device.map((d: any) => [d.device_id, d.device_ip])).toEqual(pods[i].devices.map((d) => [d.device_id, d.device_ip]));
      expect(server.device.map((d: any) => Number(d.rank_id))).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((r) => r + 8 * i));
    });
    expect((await previewOps(s)).changed).toEqual({});
    const r = await s.stack.refresh();
    expect(Object.keys(r.summary.resourceChanges ?? {}).filter((op) => op !== "same")).toEqual([]);
    expect((await previewOps(s)).changed).toEqual({});
  });

  it("Volcano's admission webhook rejects an in-place change of the job's pod template", async () => {
    const patch = JSON.stringify([{ op: "replace", path: "/spec/tasks/0/template/spec/containers/0/args/0", value: "echo edited" }]);
    let error = "";
    try {
      s.kubectl("patch", "jobs.batch.volcano.sh", JOB, "--type=json", "-p", patch);
    } catch (e) {
      error = String((e as { stderr?: string }).stderr ?? e);
    }
    expect(error).toMatch(/admission webhook "validatejob.volcano.sh" denied the request/);
    const job = JSON.parse(s.kubectl("get", "jobs.batch.volcano.sh", JOB, "-o", "json"));
    expect(job.spec.tasks[0].template.spec.containers[0].args[0]).toContain(PRETRAIN);
  });

  it("a second preview shows no changes", async () => {
    const p = await previewOps(s);
    expect(p.changed).toEqual({});
  });

  it("editing a training job's command replaces exactly that job; Volcano runs the new one with a new rank table", async () => {
    const before = JSON.parse(s.kubectl("get", "jobs.batch.volcano.sh", JOB, "-o", "json")).metadata.uid;
    s.edit("training", (t) => {
      t.jobs[0].command = FINETUNE;
    });
    const p = await previewOps(s);
    expect(p.changed).toEqual({ "llama2-pretrain-job": "replace" });
    expect(p.diffs["llama2-pretrain-job"]).toEqual([
      "spec.tasks[0].template.spec.containers[0].args[0]",
      "spec.tasks[1].template.spec.containers[0].args[0]",
    ]);
    // What `npm run local:preview` and the recommended pull-request preview run (docs/performance.md):
    // without the per-step snapshots a preview discards anyway, the same operations and diffs.
    expect(await previewOps(s, { PULUMI_SKIP_CHECKPOINTS: "true" })).toEqual(p);
    const r = await upOps(s);
    expect(r.changed).toEqual({ "llama2-pretrain-job": "replace" });
    const job = JSON.parse(s.kubectl("get", "jobs.batch.volcano.sh", JOB, "-o", "json"));
    expect(job.spec.tasks[0].template.spec.containers[0].args[0]).toContain("1_pl_finetune_13b.sh");
    expect(job.metadata.uid).not.toBe(before);
    // The new job's pods run the new command, and the rank table describes them.
    const pods = await runningJobPods(FINETUNE);
    expect(pods.map((p) => evaluateInPodShell(STACK, p, FINETUNE, "NODE_RANK"))).toEqual(["0", "1"]);
    await completedRankTable(pods);
  });

  it("editing one decode instance's argument updates exactly that Deployment", async () => {
    s.edit("inference", (inf) => {
      inf.deployments[0].decode[0].extraArgs = ["--gpu-memory-utilization=0.85"];
    });
    const p = await previewOps(s);
    expect(p.changed).toEqual({ "qwen-pd-decode-0": "update" });
    expect(p.diffs["qwen-pd-decode-0"].every((d) => d.startsWith("spec.template.spec.containers[0]"))).toBe(true);
    const r = await upOps(s);
    expect(r.changed).toEqual({ "qwen-pd-decode-0": "update" });
    const d = JSON.parse(s.kubectl("get", "deployment", "qwen-pd-decode-0", "-o", "json"));
    expect(JSON.stringify(d.spec.template.spec.containers)).toContain("--gpu-memory-utilization=0.85");
  });

  it("refresh finds no drift", async () => {
    const r = await s.stack.refresh();
    const changes = r.summary.resourceChanges ?? {};
    expect(Object.keys(changes).filter((op) => op !== "same")).toEqual([]);
    expect((await previewOps(s)).changed).toEqual({});
  });

  it("never stores the registry password in plaintext", async () => {
    const state = await stateText(s);
    expect(state).not.toContain(PASSWORD);
    expect(state).not.toContain(Buffer.from(`cn-southwest-2@LOCALDEMOAK:${PASSWORD}`).toString("base64"));
    const secret = JSON.parse(s.kubectl("get", "secret", "swr-pull-secret", "-o", "json"));
    const docker = JSON.parse(Buffer.from(secret.data[".dockerconfigjson"], "base64").toString());
    expect(docker.auths["swr.cn-southwest-2.myhuaweicloud.com"].password).toBe(PASSWORD);
  });

  /** The registry credentials in the live pull Secret. */
  function liveCredentials(): { uid: string; username: string; password: string } {
    const secret = JSON.parse(s.kubectl("get", "secret", "swr-pull-secret", "-o", "json"));
    const auth = JSON.parse(Buffer.from(secret.data[".dockerconfigjson"], "base64").toString()).auths[SERVER];
    return { uid: secret.metadata.uid, username: auth.username, password: auth.password };
  }

  /**
   * A credential rotation is a routine change: it must update the pull Secret in place and touch
   * nothing else (the Secret's name is unchanged, so no pod spec changes and no pod restarts).
   */
  async function expectOnlySecretUpdate(): Promise<void> {
    const before = workloadSnapshot(STACK);
    const secretUid = liveCredentials().uid;
    const p = await previewOps(s);
    expect(p.changed).toEqual({ "registry-secret": "update" });
    expect(p.diffs["registry-secret"]).toEqual([`data[".dockerconfigjson"]`]);
    const r = await upOps(s);
    expect(r.changed).toEqual({ "registry-secret": "update" });
    expect(r.diffs["registry-secret"]).toEqual([`data[".dockerconfigjson"]`]);
    // Updated in place (same object), and every workload, job and pod is the very same as before.
    expect(liveCredentials().uid).toBe(secretUid);
    const after = workloadSnapshot(STACK);
    delete before["Secret/swr-pull-secret"];
    expect(after).toEqual(before);
    expect((await previewOps(s)).changed).toEqual({});
  }

  it("rotating the registry username updates only the pull Secret, in place", async () => {
    s.edit("registry", (r) => {
      r.username = "cn-southwest-2@ROTATEDAK";
    });
    await expectOnlySecretUpdate();
    expect(liveCredentials()).toMatchObject({ username: "cn-southwest-2@ROTATEDAK", password: PASSWORD });
  });

  it("rotating the registry password updates only the pull Secret, in place, and keeps it out of the state", async () => {
    await s.setSecret("registryPassword", ROTATED_PASSWORD);
    await expectOnlySecretUpdate();
    expect(liveCredentials()).toMatchObject({ username: "cn-southwest-2@ROTATEDAK", password: ROTATED_PASSWORD });
    const state = await stateText(s);
    expect(state).not.toContain(ROTATED_PASSWORD);
    expect(state).not.toContain(Buffer.from(`cn-southwest-2@ROTATEDAK:${ROTATED_PASSWORD}`).toString("base64"));
  });

  it("a static volume's capacity edit updates the PV only (Kubernetes cannot resize a statically bound claim)", async () => {
    s.edit("storage", (st) => {
      st.volumes[0].capacity = "600Gi";
    });
    const p = await previewOps(s);
    expect(p.changed).toEqual({ [`${VOLUME}-pv`]: "update" });
    expect((await upOps(s)).changed).toEqual({ [`${VOLUME}-pv`]: "update" });
    expect(JSON.parse(kubectl("get", "pv", VOLUME, "-o", "json")).spec.capacity.storage).toBe("600Gi");
  });

  it("destroy leaves nothing of the project but the protected SFS Turbo volume, and nothing Volcano made", async () => {
    await s.stack.destroy({ excludeProtected: true });
    const mine = projectObjects().filter((o) => o.includes(`/${STACK}/`) || o.endsWith(`/${VOLUME}`));
    expect(mine).toEqual([`PersistentVolume//${VOLUME}`, `PersistentVolumeClaim/${STACK}/${VOLUME}`]);
    // The job's pods, PodGroup and the svc plugin's Service and ConfigMap go with the job.
    const kinds = "jobs.batch.volcano.sh,podgroups.scheduling.volcano.sh,pods,services,configmaps,networkpolicies";
    const left = await eventually(
      () => {
        const names = s.kubectl("get", kinds, "-o", "name").trim().split("\n").filter(Boolean);
        return names.every((n) => n === "configmap/kube-root-ca.crt") && names;
      },
      60_000,
      "Volcano's objects to be deleted",
    );
    expect(left).toEqual(["configmap/kube-root-ca.crt"]);
  });
});
