// The local cluster's MindCluster stand-ins: the device plugin writes MindCluster's annotations on
// pods that request huawei.com/Ascend910, and the ascend-operator stand-in assembles hccl.json
// (version 1.0) only once every pod of the job is placed and annotated, in rank order.
import { describe, expect, it } from "vitest";
import { allocate, deviceIp, MINDCLUSTER_ANNOTATION, nodeIndexOf } from "../../scripts/cluster/device-allocator.mjs";
import { rankTableOf } from "../../scripts/cluster/rank-table.mjs";

const mindclusterPod = (name: string, n: number, uid = `uid-${name}`) => ({
  metadata: { name, namespace: "ml", uid },
  spec: { containers: [{ name: "c", resources: { requests: { "huawei.com/Ascend910": String(n) } } }] },
});

describe("the device-plugin stand-in on MindCluster nodes", () => {
  it("writes the chip lists and the device-info JSON with the pod UID as server_id and the node as host_ip", () => {
    const node = { index: nodeIndexOf("mindcluster-node-1"), ip: "127.0.11.2", used: ["0"] };
    const r = allocate(node, mindclusterPod("pt-main-0", 2))!;
    expect(r.annotations["huawei.com/Ascend910"]).toBe("Ascend910-1,Ascend910-2");
    expect(r.annotations["huawei.com/AscendReal"]).toBe("Ascend910-1,Ascend910-2");
    expect(JSON.parse(r.annotations[MINDCLUSTER_ANNOTATION])).toEqual({
      pod_name: "pt-main-0",
      server_id: "uid-pt-main-0",
      host_ip: "127.0.11.2",
      devices: [
        { device_id: "1", device_ip: deviceIp(51, 1) },
        { device_id: "2", device_ip: deviceIp(51, 2) },
      ],
    });
    // MindCluster nodes' chips never share an address with a CCE node's.
    expect(deviceIp(nodeIndexOf("mindcluster-node-0"), 0)).not.toBe(deviceIp(nodeIndexOf("ascend-node-0"), 0));
  });
  it("leaves an annotated pod alone", () => {
    const pod = mindclusterPod("p", 1) as any;
    pod.metadata.annotations = { [MINDCLUSTER_ANNOTATION]: "{}" };
    expect(allocate({ index: 50, ip: "127.0.11.1" }, pod)).toBeNull();
  });
});

const job = {
  spec: {
    tasks: [
      { name: "main", replicas: 1 },
      { name: "work", replicas: 2 },
    ],
  },
};
function placed(name: string, task: string, index: number, host: string, ids: number[]) {
  const info = {
    pod_name: name,
    server_id: `uid-${name}`,
    host_ip: host,
    devices: ids.map((id) => ({ device_id: String(id), device_ip: `198.18.9.${id + 1}` })),
  };
  return {
    metadata: {
      name,
      annotations: { "volcano.sh/task-spec": task, "volcano.sh/task-index": String(index), [MINDCLUSTER_ANNOTATION]: JSON.stringify(info) },
    },
    status: { phase: "Running", hostIP: host, podIP: host },
  };
}

describe("the ascend-operator stand-in's rank table", () => {
  const pods = [
    placed("pt-work-1", "work", 1, "127.0.11.3", [0, 1]),
    placed("pt-main-0", "main", 0, "127.0.11.1", [0, 1]),
    placed("pt-work-0", "work", 0, "127.0.11.2", [0, 1]),
  ];

  it("lists the servers in rank order (task order, then index), ranks counting across servers", () => {
    const table = rankTableOf(job, pods)!;
    expect(table.status).toBe("completed");
    expect(table.version).toBe("1.0");
    expect(table.server_count).toBe("3");
    expect(table.server_list.map((s: any) => s.server_id)).toEqual(["127.0.11.1", "127.0.11.2", "127.0.11.3"]);
    expect(table.server_list[1].device).toEqual([
      { device_id: "0", device_ip: "198.18.9.1", rank_id: "2" },
      { device_id: "1", device_ip: "198.18.9.2", rank_id: "3" },
    ]);
  });

  it("waits while a replica is missing, unplaced or not annotated", () => {
    expect(rankTableOf(job, pods.slice(0, 2))).toBeNull();
    const unplaced = structuredClone(pods);
    delete (unplaced[0].status as any).hostIP;
    expect(rankTableOf(job, unplaced)).toBeNull();
    const bare = structuredClone(pods);
    delete (bare[2].metadata.annotations as any)[MINDCLUSTER_ANNOTATION];
    expect(rankTableOf(job, bare)).toBeNull();
  });
});
