/**
 * The mindcluster profile's example through the real engine, on the local cluster's fake
 * MindCluster nodes: preview, up, a second preview without changes, destroy. Volcano places the
 * training job for real; the device-plugin stand-in annotates the pods as MindCluster's does, and
 * the ascend-operator stand-in writes the rank table into rings-config-<job> from those annotations.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExampleStack, kubectl, previewOps, upOps } from "./harness";
import { eventually } from "./poll";

const VOLUME = "nfs-e2e-mindcluster";
const JOB = "llama2-pretrain-mc";
let s: ExampleStack;

beforeAll(async () => {
  s = await ExampleStack.openLocalExample("e2e-mindcluster", "Pulumi.local-mindcluster.yaml", VOLUME);
});
afterAll(async () => {
  await s?.dispose(VOLUME);
  // The provisioner's PVs (reclaim Retain) outlive their claims by design: clean the test cluster.
  const pvs = JSON.parse(kubectl("get", "pv", "-o", "json")).items as any[];
  const mine = pvs.filter((pv) => pv.spec.claimRef?.namespace === "e2e-mindcluster").map((pv) => pv.metadata.name);
  if (mine.length) kubectl("delete", "pv", ...mine, "--wait=false");
});

const nodeOf = (name: string) => JSON.parse(kubectl("get", "node", name, "-o", "json"));

describe.sequential("mindcluster example stack", () => {
  it("previews MindCluster's objects: rings-config-<job>, a claim on the RWX class", async () => {
    const p = await previewOps(s);
    expect(p.ops).toMatchObject({
      [`${JOB}-configmap`]: "create",
      [`${JOB}-job`]: "create",
      [`${VOLUME}-pvc`]: "create",
      "qwen-pd-mc-prefill-0": "create",
    });
    // No SFS Turbo PV on this profile: the class provisions the volume.
    expect(Object.keys(p.ops)).not.toContain(`${VOLUME}-pv`);
  });

  it("up: Volcano places the job on MindCluster nodes and the rank table is written from the device plugin's annotations", async () => {
    await upOps(s);
    const pods = await eventually(
      () => {
        const items = JSON.parse(s.kubectl("get", "pods", "-l", `volcano.sh/job-name=${JOB}`, "-o", "json")).items as any[];
        return (
          items.length === 2 &&
          items.every((p) => p.status.phase === "Running" && p.metadata.annotations?.["huawei.com/Ascend910"]) &&
          items
        );
      },
      60_000,
      "both training pods running and annotated",
    );
    for (const pod of pods) {
      expect(pod.spec.nodeName).toMatch(/^mindcluster-node-\d$/);
      expect(pod.metadata.labels["ring-controller.atlas"]).toBe("ascend-910b");
      expect(pod.metadata.annotations["huawei.com/Ascend910"].split(",")).toHaveLength(4);
    }
    const table = await eventually(
      () => {
        const cm = JSON.parse(s.kubectl("get", "configmap", `rings-config-${JOB}`, "-o", "json"));
        const t = JSON.parse(cm.data["hccl.json"]);
        return t.status === "completed" && t;
      },
      60_000,
      `hccl.json of rings-config-${JOB} completed`,
    );
    expect(table.server_count).toBe("2");
    // Each server is the node that runs the pod, with the chips the device plugin gave it at the
    // addresses the node itself advertises (baseDeviceInfos), ranks 0..7 across both.
    const main = pods.find((p) => p.metadata.name === `${JOB}-main-0`);
    expect(table.server_list[0].server_id).toBe(main.status.hostIP);
    const advertised = JSON.parse(nodeOf(main.spec.nodeName).metadata.annotations.baseDeviceInfos);
    for (const d of table.server_list[0].device) expect(d.device_ip).toBe(advertised[`Ascend910-${d.device_id}`].IP);
    expect(table.server_list.flatMap((sv: any) => sv.device.map((d: any) => d.rank_id))).toEqual(["0", "1", "2", "3", "4", "5", "6", "7"]);
  });

  it("the claim is bound on the Retain class; the P/D pods carry MindCluster's device annotation", async () => {
    const pvc = JSON.parse(s.kubectl("get", "pvc", VOLUME, "-o", "json"));
    expect(pvc.status.phase).toBe("Bound");
    expect(JSON.parse(kubectl("get", "pv", pvc.spec.volumeName, "-o", "json")).spec.persistentVolumeReclaimPolicy).toBe("Retain");
    const prefill = await eventually(
      () => {
        const items = JSON.parse(s.kubectl("get", "pods", "-l", "app.kubernetes.io/instance=qwen-pd-mc-prefill-0", "-o", "json"))
          .items as any[];
        return items.length === 1 && items[0].metadata.annotations?.["ascend.kubectl.kubernetes.io/ascend-910-configuration"] && items[0];
      },
      60_000,
      "the prefill pod annotated",
    );
    const info = JSON.parse(prefill.metadata.annotations["ascend.kubectl.kubernetes.io/ascend-910-configuration"]);
    expect(info.host_ip).toBe(prefill.status.hostIP);
    expect(info.devices).toHaveLength(2);
    expect(prefill.spec.containers[0].command[1]).toBe("/etc/ascend-stack/pd/mindcluster_rendezvous.py");
  });

  it("a second preview changes nothing", async () => {
    expect((await previewOps(s)).changed).toEqual({});
  });

  it("destroy removes the workloads and keeps the protected claim", async () => {
    await s.stack.destroy({ excludeProtected: true });
    expect(
      s.kubectl("get", "jobs.batch.volcano.sh,deployments,configmaps", "-l", "app.kubernetes.io/part-of=ascend-stack", "-o", "name").trim(),
    ).toBe("");
    expect(s.kubectl("get", "pvc", VOLUME, "-o", "name").trim()).toBe(`persistentvolumeclaim/${VOLUME}`);
  });
});
