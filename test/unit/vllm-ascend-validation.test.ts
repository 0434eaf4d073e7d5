// Every rule of the vllm-ascend engine profile with a bad input: reported at its config path,
// with the rule, all at once, before anything is registered.
import { describe, expect, it } from "vitest";
import { validateStackConfig } from "../../components/config/validate";
import { issuesOf } from "./helpers";
import { inferenceRaw, VLLM_1P1D } from "./fixtures/vllm/configs";

const at = (i: number, key: string) => `inference.deployments[${i}].${key}`;
/** The issues of one bad deployment entry (with the 1P1D defaults around it). */
const issues = (...deployments: unknown[]) => issuesOf(inferenceRaw(...deployments));
const messageAt = (list: { path: string; message: string }[], path: string) => list.filter((i) => i.path === path).map((i) => i.message);

describe("the engine switch", () => {
  it("an entry without engine is ascendcloud-llm; vllm-ascend is the other; anything else is named with both", () => {
    expect(validateStackConfig(inferenceRaw(VLLM_1P1D, { name: "pd", model: "/mnt/sfs_turbo/m", servedModelName: "m" })).ok).toBe(true);
    expect(issues({ ...VLLM_1P1D, engine: "vllm" })).toEqual([
      { path: at(0, "engine"), message: '"vllm" is not a known type; the types are "ascendcloud-llm", "vllm-ascend"' },
    ]);
  });

  it("the other engine's keys are unknown on a vllm-ascend entry (and the reverse)", () => {
    const list = issues(
      { ...VLLM_1P1D, tensorParallelSize: 2, scheduler: {} },
      { name: "pd", model: "/mnt/sfs_turbo/m", servedModelName: "m", connector: "MooncakeConnectorV1" },
    );
    expect(list.map((i) => i.path).sort()).toEqual([at(0, "scheduler"), at(0, "tensorParallelSize"), at(1, "connector")]);
  });

  it("a schema error in one entry still lets the rules judge the others", () => {
    const list = issues(
      { ...VLLM_1P1D, bogus: 1 },
      { ...VLLM_1P1D, name: "b", prefill: { tensorParallelSize: 1 }, decode: { tensorParallelSize: 2 } },
    );
    expect(list.map((i) => i.path)).toEqual(expect.arrayContaining([at(0, "bogus"), at(1, "prefill.tensorParallelSize")]));
  });
});

describe("sizes", () => {
  it("an instance is one node: dp × tp ≤ npusPerNode", () => {
    expect(
      messageAt(issues({ ...VLLM_1P1D, decode: { tensorParallelSize: 1, dataParallelSize: 9 } }), at(0, "decode.dataParallelSize")),
    ).toEqual([
      "decode instances need dataParallelSize × tensorParallelSize = 9 × 1 = 9 NPUs, but an instance runs on one node with accelerator.npusPerNode = 8",
    ]);
  });

  it("the connector refuses a prefill tp below the decode's", () => {
    expect(
      messageAt(
        issues({ ...VLLM_1P1D, prefill: { tensorParallelSize: 1 }, decode: { tensorParallelSize: 2 } }),
        at(0, "prefill.tensorParallelSize"),
      )[0],
    ).toMatch(/^is 1 but must be ≥ decode.tensorParallelSize \(2\)/);
  });

  it("maxNumBatchedTokens ≥ maxNumSeqs when both are set", () => {
    expect(
      messageAt(issues({ ...VLLM_1P1D, prefill: { maxNumSeqs: 64, maxNumBatchedTokens: 32 } }), at(0, "prefill.maxNumBatchedTokens"))[0],
    ).toMatch(/^is 32 but must be ≥ maxNumSeqs \(64\)/);
  });

  it("request ≤ limit for the roles and the proxy; instance counts bounded", () => {
    const list = issues({
      ...VLLM_1P1D,
      prefill: { resources: { cpu: { request: "40", limit: "32" } } },
      proxy: { resources: { memory: { request: "9Gi", limit: "8Gi" } } },
    });
    expect(list.map((i) => i.path)).toEqual([at(0, "prefill.resources.cpu"), at(0, "proxy.resources.memory")]);
    expect(messageAt(issues({ ...VLLM_1P1D, decode: { instances: 257 } }), at(0, "decode.instances"))[0]).toMatch(/^must be at most 256/);
  });
});

describe("ports", () => {
  it("kv below Mooncake's transport floor", () => {
    expect(messageAt(issues({ ...VLLM_1P1D, ports: { kv: 27999 } }), at(0, "ports.kv"))).toEqual([
      "is 27999 but must be at least 28000: Mooncake's transport picks random ports in [20000, 28000) with accelerator.npusPerNode = 8",
    ]);
  });

  it("an API or DP RPC base inside the transport range", () => {
    const list = issues({ ...VLLM_1P1D, ports: { api: 21000, dataParallelRpc: 25000 }, prefill: { dataParallelSize: 2 } });
    expect(messageAt(list, at(0, "ports.api"))[0]).toMatch(
      /^gives qwen-prefill-0 \(API\) ports 21000-21001, inside Mooncake's transport range \[20000, 28000\)/,
    );
    expect(messageAt(list, at(0, "ports.dataParallelRpc"))[0]).toMatch(/^gives qwen-prefill-0 \(DP RPC\) port 25000, inside/);
  });

  it("ranges beyond 65535", () => {
    expect(messageAt(issues({ ...VLLM_1P1D, ports: { kv: 65500 } }), at(0, "ports.kv"))[0]).toMatch(
      /^gives qwen-decode-0 \(kv_port range\) ports up to 65601, beyond 65535/,
    );
  });

  it("two deployments on the same bases: one message per key and deployment, naming both owners", () => {
    const list = issues(VLLM_1P1D, { ...VLLM_1P1D, name: "other" });
    expect(messageAt(list, at(1, "ports.api"))).toEqual([
      "gives other-prefill-0 (API) port 8100, overlapping qwen-prefill-0 (API) (port 8100): vllm-ascend instances use the host network and may share any accelerator node, so their ports must not overlap any other pod's (and 1 more overlap of the same cause)",
    ]);
    expect(messageAt(list, at(0, "ports.kv"))).toHaveLength(1);
    expect(validateStackConfig(inferenceRaw(VLLM_1P1D, { ...VLLM_1P1D, name: "other", ports: { api: 9100, kv: 29000 } })).ok).toBe(true);
  });

  it("an overlap with an ascendcloud-llm device-plugin deployment's ports", () => {
    const list = issues({ name: "pd", model: "/mnt/sfs_turbo/m", servedModelName: "m" }, { ...VLLM_1P1D, ports: { api: 8088 } });
    expect(messageAt(list, at(1, "ports.api"))[0]).toMatch(
      /^gives qwen-prefill-0 \(API\) port 8088, overlapping pd-prefill-0 \(port 8088\)/,
    );
  });
});

describe("arguments, env, names, paths", () => {
  it("flags the stack sets are refused in every extraArgs list, with the key to use", () => {
    const list = issues({
      ...VLLM_1P1D,
      extraArgs: ["--kv_transfer_config={}"],
      prefill: { extraArgs: ["-tp", "4"] },
      decode: { instances: [{ extraArgs: ["--port=9"] }] },
    });
    expect(messageAt(list, at(0, "extraArgs[0]"))[0]).toMatch(
      /sets --kv-transfer-config, which the stack sets itself .* use connector, ports.kv/,
    );
    expect(messageAt(list, at(0, "prefill.extraArgs[0]"))[0]).toMatch(
      /sets --tensor-parallel-size, .* use prefill\/decode.tensorParallelSize/,
    );
    expect(messageAt(list, at(0, "decode.instances[0].extraArgs[0]"))[0]).toMatch(/sets --port, .* use ports.api/);
  });

  it("derived variables cannot be set in env; names must be valid", () => {
    const list = issues({ ...VLLM_1P1D, env: { HCCL_IF_IP: "10.0.0.1", HCCL_BUFFSIZE: "1", "BAD-NAME": "x" } });
    expect(messageAt(list, at(0, "env.HCCL_IF_IP"))).toEqual([
      `"HCCL_IF_IP" is derived by the stack (the node's IP); it cannot be set here`,
    ]);
    expect(messageAt(list, at(0, "env.HCCL_BUFFSIZE"))[0]).toMatch(/prefill\/decode.hcclBuffSize/);
    expect(list.map((i) => i.path)).toContain(at(0, "env.BAD-NAME"));
  });

  it("derived names fit 63 characters; no deployment is named like another's instance Service", () => {
    const long = "v".repeat(55);
    expect(messageAt(issues({ ...VLLM_1P1D, name: long }), at(0, "name"))[0]).toMatch(/derived Service name/);
    const list = issues(VLLM_1P1D, { name: "qwen-decode-0", model: "/mnt/sfs_turbo/m", servedModelName: "m" });
    expect(messageAt(list, at(1, "name"))[0]).toMatch(
      /^"qwen-decode-0" is also the Service of decode instance 0 of inference.deployments\[0\] \("qwen"\)/,
    );
  });

  it("the model under mountPath; mountPath clear of the launcher and host mounts; the NIC a name; the volume known", () => {
    const list = issues({ ...VLLM_1P1D, model: "/models/q", mountPath: "/etc/ascend-stack", volume: "nope" });
    expect(list.map((i) => i.path).sort()).toEqual([at(0, "model"), at(0, "mountPath"), at(0, "volume")].sort());
    expect(messageAt(list, at(0, "mountPath"))[0]).toMatch(
      /overlaps \/etc\/ascend-stack\/vllm-ascend, where every instance mounts the launcher's ConfigMap/,
    );
    expect(messageAt(issues({ ...VLLM_1P1D, networkInterface: "eth0; rm" }), at(0, "networkInterface"))[0]).toMatch(
      /^must be a network interface name/,
    );
  });
});
