/**
 * The local example stack through the real engine: preview, up, idempotence, a targeted config
 * edit, refresh, secrets, destroy. Steps run in order and build on each other.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExampleStack, kubectl, previewOps, projectObjects, stateText, upOps, workloadSnapshot } from "./harness";

const STACK = "e2e-local";
const PASSWORD = "local-demo-not-a-real-password";
const ROTATED_PASSWORD = "rotated-not-a-real-password";
const SERVER = "swr.cn-southwest-2.myhuaweicloud.com";
const VOLUME = "sfs-e2e-local";
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
    const npuNodes = kubectl("get", "nodes", "-l", "accelerator/huawei-npu=ascend-1980", "-o", "name").trim().split("\n");
    expect(ds.status.numberReady).toBe(npuNodes.length);
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

  it("a second preview shows no changes", async () => {
    const p = await previewOps(s);
    expect(p.changed).toEqual({});
  });

  it("editing a training job's command replaces exactly that job", async () => {
    s.edit("training", (t) => {
      t.jobs[0].command = "cd /mnt/sfs_turbo/AscendFactory && sh scripts/llama2/1_pl_finetune_13b.sh";
    });
    const p = await previewOps(s);
    expect(p.changed).toEqual({ "llama2-pretrain-job": "replace" });
    expect(p.diffs["llama2-pretrain-job"]).toEqual([
      "spec.tasks[0].template.spec.containers[0].args[0]",
      "spec.tasks[1].template.spec.containers[0].args[0]",
    ]);
    const r = await upOps(s);
    expect(r.changed).toEqual({ "llama2-pretrain-job": "replace" });
    const job = JSON.parse(s.kubectl("get", "jobs.batch.volcano.sh", "llama2-pretrain", "-o", "json"));
    expect(job.spec.tasks[0].template.spec.containers[0].args[0]).toContain("1_pl_finetune_13b.sh");
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

  it("destroy leaves nothing of the project but the protected SFS Turbo volume", async () => {
    await s.stack.destroy({ excludeProtected: true });
    const mine = projectObjects().filter((o) => o.includes(`/${STACK}/`) || o.endsWith(`/${VOLUME}`));
    expect(mine).toEqual([`PersistentVolume//${VOLUME}`, `PersistentVolumeClaim/${STACK}/${VOLUME}`]);
  });
});
