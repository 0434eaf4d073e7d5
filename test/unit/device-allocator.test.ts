// The local cluster's device-plugin stand-in must hand out NPUs like the CCE plugin: never the
// same device twice on a node, exactly as many as requested, and the annotation in CCE's format.
import { describe, expect, it } from "vitest";
import { ANNOTATION, allocate, deviceIp, devicesFromAnnotation, requestedDevices } from "../../scripts/cluster/device-allocator.mjs";

const npuPod = (name: string, n: number | string, where: "requests" | "limits" = "requests") => ({
  metadata: { name, namespace: "default" },
  spec: { containers: [{ name: "c", resources: { [where]: { "huawei.com/ascend-1980": String(n) } } }] },
});
const node = (used: Array<string | number> = []) => ({ index: 1, ip: "127.0.10.2", used });

describe("requestedDevices", () => {
  it("sums app containers and honours limits-only requests", () => {
    const pod = npuPod("p", 2);
    pod.spec.containers.push({ name: "d", resources: { limits: { "huawei.com/ascend-1980": "3" } } } as never);
    expect(requestedDevices(pod)).toBe(5);
  });
  it("uses the largest init container when it exceeds the app containers", () => {
    const pod = { spec: { containers: [], initContainers: [npuPod("i", 4).spec.containers[0]] } };
    expect(requestedDevices(pod)).toBe(4);
  });
  it("is 0 for pods without NPUs", () => {
    expect(requestedDevices({ spec: { containers: [{ name: "c", resources: { requests: { cpu: "1" } } }] } })).toBe(0);
  });
});

describe("allocate", () => {
  it("hands out the lowest free device ids with the CCE annotation", () => {
    const result = allocate(node(["0", 2]), npuPod("train-0", 2))!;
    expect(result.devices.map((d) => d.device_id)).toEqual(["1", "3"]);
    expect(JSON.parse(result.annotation)).toEqual({
      pod_name: "train-0",
      server_id: "127.0.10.2",
      devices: [
        { device_id: "1", device_ip: deviceIp(1, 1) },
        { device_id: "3", device_ip: deviceIp(1, 3) },
      ],
    });
  });
  it("never reuses a device across successive pods on one node", () => {
    const used: string[] = [];
    for (let i = 0; i < 4; i++) used.push(...allocate(node(used), npuPod(`p${i}`, 2))!.devices.map((d) => d.device_id));
    expect(new Set(used).size).toBe(8);
    expect(() => allocate(node(used), npuPod("extra", 1))).toThrow(/needs 1 devices, node has 0 free/);
  });
  it("skips pods without NPU requests and pods already annotated", () => {
    expect(allocate(node(), { metadata: { name: "x" }, spec: { containers: [{ name: "c" }] } })).toBeNull();
    const done = npuPod("y", 1) as ReturnType<typeof npuPod> & { metadata: { annotations?: object } };
    done.metadata.annotations = { [ANNOTATION]: "{}" };
    expect(allocate(node(), done)).toBeNull();
  });
  it("takes a whole node for an 8-card request", () => {
    expect(allocate(node(), npuPod("full", 8, "limits"))!.devices).toHaveLength(8);
  });
});

describe("deviceIp / devicesFromAnnotation", () => {
  it("gives distinct addresses in the unreachable-routed 198.18.0.0/15 per node and device (the real node's scheme)", () => {
    const ips = [0, 1, 2, 89].flatMap((n) => [0, 7].map((d) => deviceIp(n, d)));
    expect(new Set(ips).size).toBe(ips.length);
    for (const ip of ips) expect(ip).toMatch(/^198\.1[89]\.\d+\.\d+$/);
    // The same addresses the real node's device plugin gives (deviceplugin.DeviceIP).
    expect([deviceIp(0, 0), deviceIp(0, 7), deviceIp(100, 0)]).toEqual(["198.18.0.1", "198.18.0.8", "198.18.3.51"]);
  });
  it("round-trips the annotation and tolerates garbage", () => {
    const { annotation } = allocate(node(), npuPod("r", 3))!;
    expect(devicesFromAnnotation(annotation)).toEqual(["0", "1", "2"]);
    expect(devicesFromAnnotation("not json")).toEqual([]);
    expect(devicesFromAnnotation(undefined)).toEqual([]);
  });
});
