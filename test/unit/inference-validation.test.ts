// Every inference rule, each with a bad input through validateStackConfig: the issue must name
// the config path and the rule. Valid setups (the manual's) must pass.
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { readStackFile } from "../../components/config/stackFile";
import { validateStackConfig } from "../../components/config/validate";
import { issuesOf } from "./helpers";
import { DEVICE_PLUGIN, deviceIPs, inferenceRaw, MANUAL_1P1D, MANUAL_2P2D, NODE_18, TWO_HOSTS } from "./fixtures/inference/configs";

const D = "inference.deployments";
const expectIssue = (raw: unknown, pathText: string, message: RegExp) => {
  const issues = issuesOf(raw);
  expect(issues, JSON.stringify(issues, null, 2)).toContainEqual({ path: pathText, message: expect.stringMatching(message) });
  return issues;
};
const dep = (over: Record<string, unknown> = {}) => ({ ...MANUAL_1P1D, ...over });

describe("valid setups", () => {
  it("accepts the manual's 1p1d-tp2, a two-host, a packed and a device-plugin deployment together", () => {
    // 16 cards: 1p1d takes node-18 4-7, the two-host one 0-3 on both nodes, the packed one node-19 4-7.
    const r = validateStackConfig(inferenceRaw([MANUAL_1P1D, TWO_HOSTS, { ...MANUAL_2P2D, prefill: 1, decode: 1 }, DEVICE_PLUGIN]));
    expect(r.ok ? [] : r.issues).toEqual([]);
    if (r.ok) expect(validateStackConfig(inferenceRaw([MANUAL_2P2D])).ok).toBe(true);
  });
  it("accepts a deployment that names only model and servedModelName (the manual's defaults)", () => {
    const r = validateStackConfig(inferenceRaw([{ name: "m", model: "/mnt/sfs_turbo/m", servedModelName: "m" }]));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const d = r.config.inference.deployments[0];
    expect(d).toMatchObject({
      mode: "device-plugin",
      mountPath: "/mnt/sfs_turbo",
      tensorParallelSize: 2,
      prefill: 1,
      decode: 1,
      vllm: { maxModelLen: 4096, maxNumSeqs: 256, maxNumBatchedTokens: 4096, enableChunkedPrefill: false, extraArgs: [] },
      prefillBatchingPolicy: "fcfs",
      scheduler: { routingPolicy: "RoundRobin", useOpenAI: true, noProxy: [] },
      llmToolsPath: "/home/ma-user/AscendCloud/AscendCloud-LLM/llm_tools",
    });
  });
  it("Pulumi.pd-examples.yaml is valid", () => {
    const { raw, secrets } = readStackFile(path.join(__dirname, "../../Pulumi.pd-examples.yaml"));
    const r = validateStackConfig(raw, secrets);
    expect(r.ok ? [] : r.issues).toEqual([]);
  });
});

describe("names", () => {
  it("deployment names are unique", () => {
    expectIssue(
      inferenceRaw([DEVICE_PLUGIN, DEVICE_PLUGIN]),
      `${D}[1].name`,
      /deployment name "qwen-dp" is already used by entry \[0\]; deployment names must be unique/,
    );
  });
  it("the Service name (the deployment name) must be an RFC 1035 label", () => {
    expectIssue(inferenceRaw([{ ...DEVICE_PLUGIN, name: "9qwen" }]), `${D}[0].name`, /must start with a lower-case letter.*RFC 1035/);
  });
  it("derived names must fit 63 characters", () => {
    expectIssue(inferenceRaw([{ ...DEVICE_PLUGIN, name: "q".repeat(55) }]), `${D}[0].name`, /derived name "q+-scheduler" is 65 characters/);
  });
});

describe("storage and paths", () => {
  it("needs an SFS Turbo volume", () => {
    expectIssue(
      { ...inferenceRaw([DEVICE_PLUGIN]), storage: { volumes: [] }, training: { jobs: [] } },
      `${D}[0].volume`,
      /add one under storage.volumes/,
    );
  });
  it("the named volume must exist", () => {
    expectIssue(
      inferenceRaw([{ ...DEVICE_PLUGIN, volume: "nope" }]),
      `${D}[0].volume`,
      /refers to volume "nope", which is not in storage.volumes/,
    );
  });
  it("the model must lie under the mount path", () => {
    expectIssue(
      inferenceRaw([{ ...DEVICE_PLUGIN, model: "/data/qwen" }]),
      `${D}[0].model`,
      /must lie under the volume's mount path \/mnt\/sfs_turbo/,
    );
    expectIssue(inferenceRaw([{ ...DEVICE_PLUGIN, model: "/mnt/sfs_turbo_x/q" }]), `${D}[0].model`, /must lie under/);
  });
  it("the work dir must not be /home/ma-user or below", () => {
    expectIssue(
      inferenceRaw([{ ...DEVICE_PLUGIN, workDir: "/home/ma-user/work" }]),
      `${D}[0].workDir`,
      /must not be \/home\/ma-user or below it/,
    );
    expectIssue(
      inferenceRaw([{ ...DEVICE_PLUGIN, mountPath: "/home/ma-user", model: "/home/ma-user/m" }]),
      `${D}[0].mountPath`,
      /must not be \/home\/ma-user/,
    );
  });
  it("the work dir must be on the shared volume", () => {
    expectIssue(inferenceRaw([{ ...DEVICE_PLUGIN, workDir: "/tmp/work" }]), `${D}[0].workDir`, /must lie under mountPath \/mnt\/sfs_turbo/);
  });
});

describe("vLLM arguments", () => {
  it("maxNumBatchedTokens ≥ maxModelLen, unless chunked prefill", () => {
    expectIssue(
      inferenceRaw([{ ...DEVICE_PLUGIN, vllm: { maxModelLen: 8192 } }]),
      `${D}[0].vllm.maxNumBatchedTokens`,
      /is 4096 but must be ≥ maxModelLen \(8192\) unless enableChunkedPrefill/,
    );
    expect(validateStackConfig(inferenceRaw([{ ...DEVICE_PLUGIN, vllm: { maxModelLen: 8192, enableChunkedPrefill: true } }])).ok).toBe(
      true,
    );
  });
  it("maxNumBatchedTokens ≥ maxNumSeqs", () => {
    expectIssue(
      inferenceRaw([{ ...DEVICE_PLUGIN, vllm: { maxModelLen: 128, maxNumBatchedTokens: 128, maxNumSeqs: 256 } }]),
      `${D}[0].vllm.maxNumBatchedTokens`,
      /must be ≥ maxNumSeqs \(256\)/,
    );
  });
  it("ports are 1024-65535", () => {
    expectIssue(inferenceRaw([{ ...DEVICE_PLUGIN, prefill: [{ port: 80 }] }]), `${D}[0].prefill[0].port`, /must be 1024-65535/);
    expectIssue(inferenceRaw([{ ...DEVICE_PLUGIN, scheduler: { port: 70000 } }]), `${D}[0].scheduler.port`, /must be 1024-65535/);
  });
  it("resources: request ≤ limit; env names valid", () => {
    expectIssue(
      inferenceRaw([{ ...DEVICE_PLUGIN, resources: { cpu: { request: "64", limit: "32" } } }]),
      `${D}[0].resources.cpu`,
      /request 64 exceeds limit 32/,
    );
    expectIssue(
      inferenceRaw([{ ...DEVICE_PLUGIN, scheduler: { resources: { memory: { request: "64Gi", limit: "1Gi" } } } }]),
      `${D}[0].scheduler.resources.memory`,
      /exceeds limit/,
    );
    expectIssue(
      inferenceRaw([{ ...DEVICE_PLUGIN, env: { "BAD-NAME": "1" } }]),
      `${D}[0].env.BAD-NAME`,
      /not a valid environment variable name/,
    );
  });
  it("tensorParallelSize fits on one node", () => {
    expectIssue(inferenceRaw([{ ...DEVICE_PLUGIN, tensorParallelSize: 16 }]), `${D}[0].tensorParallelSize`, /accelerator.npusPerNode = 8/);
  });
});

describe("ports", () => {
  it("instances on one host need distinct ports", () => {
    const d = dep({
      prefill: [{ node: "npu-node-18", devices: [4, 5], port: 8100 }],
      decode: [{ node: "npu-node-18", devices: [6, 7], port: 8100 }],
    });
    expectIssue(
      inferenceRaw([d]),
      `${D}[0].decode[0].port`,
      /port 8100 of qwen-1p1d-decode-0 clashes with qwen-1p1d-prefill-0 on host "npu-node-18"/,
    );
  });
  it("instance ports must not clash with the scheduler's", () => {
    const d = dep({ prefill: [{ node: "npu-node-18", devices: [4, 5], port: 9000 }], scheduler: { port: 9000 } });
    expectIssue(inferenceRaw([d]), `${D}[0].prefill[0].port`, /port 9000 of qwen-1p1d-prefill-0 clashes with qwen-1p1d-scheduler/);
  });
  it("across deployments on the same host, and device-plugin ports against every host", () => {
    const a = dep({ prefill: [{ node: "npu-node-18", devices: [4, 5], port: 8100 }] });
    const b = { ...DEVICE_PLUGIN, prefill: [{ port: 8100 }] };
    expectIssue(inferenceRaw([a, b]), `${D}[1].prefill[0].port`, /clashes with qwen-1p1d-prefill-0 on a host both may run on/);
  });
  it("auto-assigns the lowest free ports per host, schedulers from 9000", () => {
    const r = validateStackConfig(
      inferenceRaw([
        MANUAL_1P1D,
        { ...MANUAL_2P2D, prefill: [{ node: "npu-node-18", devices: [0, 1] }], decode: [{ node: "npu-node-18", devices: [2, 3] }] },
      ]),
    );
    expect(r.ok).toBe(true);
  });
});

describe("NPU placement (inventory mode)", () => {
  it("no NPU is used by two instances", () => {
    const d = dep({ decode: [{ node: "npu-node-18", devices: [5, 6] }] });
    expectIssue(
      inferenceRaw([d]),
      `${D}[0].decode[0].devices`,
      /NPU 5 on node "npu-node-18" is already used by qwen-1p1d-prefill-0: never bind two containers to the same NPU/,
    );
  });
  it("... also across deployments on the same node", () => {
    expectIssue(
      inferenceRaw([MANUAL_1P1D, MANUAL_2P2D]),
      `${D}[1].decode[0].devices`,
      /NPU 4 on node "npu-node-18" is already used by qwen-1p1d-prefill-0/,
    );
  });
  it("devices must exist on the node (accelerator.npusPerNode)", () => {
    const d = dep({ prefill: [{ node: "npu-node-18", devices: [8, 9] }] });
    expectIssue(inferenceRaw([d]), `${D}[0].prefill[0].devices`, /device 8 does not exist: accelerator.npusPerNode is 8 \(ids 0-7\)/);
  });
  it("an instance uses exactly tensorParallelSize devices (so prefill and decode TP are equal)", () => {
    const d = dep({ decode: [{ node: "npu-node-18", devices: [6] }] });
    expectIssue(
      inferenceRaw([d]),
      `${D}[0].decode[0].devices`,
      /lists 1 device\(s\) but tensorParallelSize is 2.*prefill and decode TP must be equal/,
    );
  });
  it("referenced nodes must be in inference.nodes", () => {
    const d = dep({ decode: [{ node: "ghost", devices: [6, 7] }] });
    expectIssue(inferenceRaw([d]), `${D}[0].decode[0].node`, /node "ghost" is not in inference.nodes/);
    expectIssue(inferenceRaw([dep({ scheduler: { node: "ghost" } })]), `${D}[0].scheduler.node`, /node "ghost" is not in inference.nodes/);
  });
  it("used devices need a device IP", () => {
    const node = { ...NODE_18, deviceIPs: deviceIPs(18, [4, 5, 6]) };
    expectIssue(
      inferenceRaw([MANUAL_1P1D], [node]),
      `${D}[0].decode[0].devices`,
      /device 7 has no device IP in inference.nodes "npu-node-18".deviceIPs \(read it with hccn_tool -i 7 -ip -g\)/,
    );
  });
  it("devices need a node", () => {
    expectIssue(inferenceRaw([dep({ decode: [{ devices: [6, 7] }] })]), `${D}[0].decode[0].node`, /is required with devices/);
  });
  it("automatic packing must fit", () => {
    expectIssue(
      inferenceRaw([{ ...DEVICE_PLUGIN, mode: "inventory", prefill: 5, decode: 4 }]),
      `${D}[0].decode`,
      /automatic packing cannot fit qwen-dp-decode-3: any node of inference.nodes has no 2 contiguous free NPUs/,
    );
    expectIssue(inferenceRaw([{ ...DEVICE_PLUGIN, mode: "inventory" }], []), `${D}[0].prefill`, /inference.nodes \(it is empty\)/);
  });
  it("placement keys are only for inventory mode", () => {
    const issues = expectIssue(
      inferenceRaw([{ ...DEVICE_PLUGIN, prefill: [{ node: "npu-node-18", devices: [0, 1] }] }]),
      `${D}[0].prefill[0].node`,
      /only used in inventory mode/,
    );
    expect(issues).toContainEqual({ path: `${D}[0].prefill[0].devices`, message: expect.stringMatching(/only used in inventory mode/) });
    expectIssue(
      inferenceRaw([{ ...DEVICE_PLUGIN, scheduler: { node: "npu-node-18" } }]),
      `${D}[0].scheduler.node`,
      /only used in inventory mode/,
    );
  });
  it("local tables must correspond one-to-one with the global table (file names must not collide)", () => {
    // devices 1,10 and 11,0 both give local_ranktable_<ip>_110.json
    const node = { ...NODE_18, deviceIPs: Object.fromEntries(Array.from({ length: 16 }, (_, i) => [String(i), `29.18.1.${i}`])) };
    const raw = inferenceRaw(
      [dep({ prefill: [{ node: "npu-node-18", devices: [1, 10] }], decode: [{ node: "npu-node-18", devices: [11, 0] }] })],
      [node],
      { accelerator: { npusPerNode: 16 } },
    );
    expectIssue(raw, `${D}[0]`, /rank tables: local tables \(1\) do not correspond one-to-one/);
  });
});

describe("inference.nodes", () => {
  it("hostnames and host IPs are unique, device IPs distinct and within npusPerNode", () => {
    const raw = inferenceRaw([], [NODE_18, { ...NODE_18, deviceIPs: { "9": "29.9.9.9", "0": "29.18.0.10" } }]);
    const issues = expectIssue(raw, "inference.nodes[1].hostname", /hostname "npu-node-18" is already used by entry \[0\]/);
    expect(issues).toContainEqual({
      path: "inference.nodes[1].hostIP",
      message: expect.stringMatching(/host IP 10.0.0.18 is already used/),
    });
    expect(issues).toContainEqual({ path: "inference.nodes[1].deviceIPs.9", message: expect.stringMatching(/device 9 does not exist/) });
    expect(issues).toContainEqual({
      path: "inference.nodes[1].deviceIPs.0",
      message: expect.stringMatching(/device IP 29.18.0.10 is also given for npu-node-18\/0/),
    });
  });
  it("rejects malformed IPs and device ids in the schema", () => {
    const issues = issuesOf(inferenceRaw([], [{ hostname: "n", hostIP: "10.0.0", deviceIPs: { x: "1.2.3.4" } }]));
    expect(issues.map((i) => i.path)).toEqual(expect.arrayContaining(["inference.nodes[0].hostIP", "inference.nodes[0].deviceIPs.x"]));
  });
});

describe("placement", () => {
  it("is for device-plugin mode only, and its node-selector labels follow Kubernetes' syntax", () => {
    expectIssue(inferenceRaw([dep({ placement: { nodeSelector: { pool: "a" } } })]), `${D}[0].placement`, /device-plugin mode only/);
    expectIssue(
      inferenceRaw([{ ...DEVICE_PLUGIN, placement: { nodeSelector: { "bad key!": "x" } } }]),
      `${D}[0].placement.nodeSelector.bad key!`,
      /node-selector key/,
    );
    expectIssue(inferenceRaw([{ ...DEVICE_PLUGIN, placement: { nodeSelecter: {} } }]), `${D}[0].placement.nodeSelecter`, /unknown key/);
    expect(validateStackConfig(inferenceRaw([{ ...DEVICE_PLUGIN, placement: { nodeSelector: { pool: "a" } } }])).ok).toBe(true);
  });
});
