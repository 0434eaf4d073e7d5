/**
 * The inventory-mode example through the real engine: rank tables computed at deploy time are in
 * the ConfigMap, pods are pinned to their node, and adding an instance changes only what must.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExampleStack, previewOps, upOps } from "./harness";
import { eventually } from "./poll";

const VOLUME = "sfs-e2e-inventory";
let s: ExampleStack;

beforeAll(async () => {
  s = await ExampleStack.openLocalExample("e2e-inventory", "Pulumi.local-inventory.yaml", VOLUME);
});
afterAll(async () => {
  await s?.dispose(VOLUME);
});

describe.sequential("inventory-mode example stack", () => {
  it("deploys the P/D instances pinned to their node with the rank tables of the deploy", async () => {
    const r = await upOps(s);
    expect(r.outputs.inference["qwen-2p2d"].nodePorts).toBe("8088,8090,8089");
    const cm = JSON.parse(s.kubectl("get", "configmap", "qwen-2p2d-ranktable", "-o", "json"));
    const global = JSON.parse(cm.data["global_ranktable_127.0.10.2.json"]);
    expect(global.server_group_list.map((g: any) => [g.group_id, g.server_count])).toEqual([
      ["0", "1"],
      ["1", "2"],
      ["2", "1"],
    ]);
    expect(global.server_group_list[2].server_list[0].device).toEqual([
      { device_id: "4", device_ip: "198.18.0.13", rank_id: "0" },
      { device_id: "5", device_ip: "198.18.0.14", rank_id: "1" },
    ]);
    for (const name of ["qwen-2p2d-prefill-0", "qwen-2p2d-prefill-1", "qwen-2p2d-decode-0", "qwen-2p2d-scheduler"]) {
      const pods = JSON.parse(s.kubectl("get", "pods", "-l", `app.kubernetes.io/instance=${name}`, "-o", "json")).items;
      expect(
        pods.map((p: any) => [p.spec.nodeName, p.status.phase]),
        name,
      ).toEqual([["ascend-node-1", "Running"]]);
    }
    expect((await previewOps(s)).changed).toEqual({});
  });

  it("holds the inventory node whole: one reservation pod takes all its NPU units, the instances none", async () => {
    const pods = JSON.parse(s.kubectl("get", "pods", "-l", "app.kubernetes.io/name=npu-reservation", "-o", "json")).items;
    expect(
      pods.map((p: any) => [p.spec.nodeName, p.status.phase, p.spec.containers[0].resources.requests["huawei.com/ascend-1980"]]),
    ).toEqual([["ascend-node-1", "Running", "8"]]);
    const instance = JSON.parse(s.kubectl("get", "pods", "-l", "app.kubernetes.io/instance=qwen-2p2d-prefill-0", "-o", "json")).items[0];
    expect(instance.spec.containers[0].resources.requests["huawei.com/ascend-1980"]).toBeUndefined();
    // Any other pod that asks the device plugin for a card of that node cannot be placed there.
    const probe = {
      spec: {
        nodeSelector: { "kubernetes.io/hostname": "ascend-node-1" },
        containers: [{ name: "npu-probe", image: "busybox", resources: { limits: { "huawei.com/ascend-1980": "1" } } }],
      },
    };
    s.kubectl("run", "npu-probe", "--image=busybox", "--restart=Never", `--overrides=${JSON.stringify(probe)}`);
    try {
      const reason = await eventually(() => {
        const pod = JSON.parse(s.kubectl("get", "pod", "npu-probe", "-o", "json"));
        return pod.status.conditions?.find((c: any) => c.type === "PodScheduled" && c.status === "False")?.message;
      });
      expect(reason).toMatch(/Insufficient huawei.com\/ascend-1980/);
    } finally {
      s.kubectl("delete", "pod", "npu-probe", "--wait=false");
    }
    const ledger = JSON.parse(
      JSON.parse(s.kubectl("get", "configmap", "-l", "app.kubernetes.io/name=npu-ledger", "-o", "json")).items[0].data["ledger.json"],
    );
    expect(ledger.nodes["ascend-node-1"]).toEqual({
      "0": "qwen-2p2d-prefill-0",
      "1": "qwen-2p2d-prefill-0",
      "2": "qwen-2p2d-prefill-1",
      "3": "qwen-2p2d-prefill-1",
      "4": "qwen-2p2d-decode-0",
      "5": "qwen-2p2d-decode-0",
    });
  });

  it("adding a decode instance changes only the new instance, the rank tables and the scheduler", async () => {
    s.edit("inference", (inf) => {
      inf.deployments[0].decode.push({ node: "ascend-node-1", devices: [6, 7] });
    });
    const p = await previewOps(s);
    expect(p.changed["qwen-2p2d-decode-1"]).toBe("create");
    expect(p.changed["qwen-2p2d-ranktable"]).toBe("update");
    expect(p.changed["qwen-2p2d-scheduler"]).toBe("update");
    // The NPU ledger gives cards 6,7 to the new instance (updated in place, before it starts).
    expect(p.changed["npu-exclusivity-ledger"]).toBe("update");
    const allowed = ["qwen-2p2d-decode-1", "qwen-2p2d-ranktable", "qwen-2p2d-scheduler", "qwen-2p2d-netpol", "npu-exclusivity-ledger"];
    expect(Object.keys(p.changed).filter((k) => !allowed.includes(k))).toEqual([]);
    const r = await upOps(s);
    expect(r.outputs.inference["qwen-2p2d"].nodePorts).toBe("8088,8090,8089,8091");
    expect((await previewOps(s)).changed).toEqual({});
  });
});
