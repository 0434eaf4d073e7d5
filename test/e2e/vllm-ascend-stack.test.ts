/**
 * The vllm-ascend engine profile's example stack (Pulumi.local-vllm.yaml) on the local cluster's
 * real node, through the real engine: one deployment per Mooncake connector. The image is the
 * local stand-in of quay.io/ascend/vllm-ascend (docs/vllm-ascend.md, "On the local cluster"): its
 * `vllm` refuses to start unless the generated contract holds (connector JSON, sizes, env, hccn
 * files) and binds the connector's side-channel ports; its proxies take the real scripts'
 * arguments. Steps run in order and build on each other.
 */
import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claimRealNode, ExampleStack, previewOps, REAL_NODE, runOnRealNode, upOps } from "./harness";
import { eventually } from "./poll";

const STACK = "e2e-vllm";
const VOLUME = "sfs-e2e-vllm";
const SHARE_ID = "00000000-0000-4000-8000-0000000000e3";
const IMAGE = "quay.io/ascend/vllm-ascend:v0.13.0";
let s: ExampleStack;
let outputs: Record<string, any> = {};

const pods = () => JSON.parse(s.kubectl("get", "pods", "-o", "json")).items as any[];
const podOf = (instance: string) => pods().find((p) => p.metadata.labels?.["app.kubernetes.io/instance"] === instance);
const readySince = (pod: any) =>
  Date.parse(pod.status.conditions.find((c: any) => c.type === "Ready" && c.status === "True").lastTransitionTime);

/** A completion by the Service's DNS name from a one-shot pod on the real node; its printed JSON answer. */
async function complete(deployment: string, name: string): Promise<any> {
  const url = `http://${outputs.inference[deployment].endpoint}/v1/completions`;
  const python = `
import json, urllib.request
req = urllib.request.Request(${JSON.stringify(url)}, data=json.dumps({"model": "qwen2.5-7b", "prompt": "What is an NPU?", "max_tokens": 4}).encode(), headers={"content-type": "application/json"})
r = urllib.request.urlopen(req, timeout=60)
print(json.dumps({"status": r.status, "body": json.loads(r.read())}))
`;
  const { phase, log } = await runOnRealNode(s, name, IMAGE, python);
  expect(phase, log).toBe("Succeeded");
  return JSON.parse(log.trim().split("\n").pop()!);
}

/** TCP ports listening on this machine (the real node's host network). */
const listening = () =>
  new Set(
    execFileSync("ss", ["-Hltn"], { encoding: "utf8" })
      .split("\n")
      .map((l) => Number(l.trim().split(/\s+/)[3]?.split(":").pop()))
      .filter(Number.isFinite),
  );

beforeAll(async () => {
  claimRealNode();
  s = await ExampleStack.open(STACK, "Pulumi.local-vllm.yaml");
  s.edit("storage", (st) => Object.assign(st.volumes[0], { name: VOLUME, shareId: SHARE_ID }));
  // Two data-parallel ranks on the first prefill: the launcher's per-rank ports and cards for real.
  s.edit("inference", (inf) => Object.assign(inf.deployments[0].prefill, { dataParallelSize: 2 }));
});
afterAll(async () => {
  await s?.dispose(VOLUME);
});

const INSTANCES = ["qwen-vllm-prefill-0", "qwen-vllm-decode-0", "qwen-layerwise-prefill-0", "qwen-layerwise-decode-0"];

describe.sequential("the vllm-ascend example stack on the real node", () => {
  it("previews each deployment's launcher, instances with their DNS Services, proxy, Service and NetworkPolicy", async () => {
    const p = await previewOps(s);
    for (const dep of ["qwen-vllm", "qwen-layerwise"])
      for (const child of ["launcher", "prefill-0", "prefill-0-dns", "decode-0", "decode-0-dns", "proxy", "service", "netpol"])
        expect(p.ops[`${dep}-${child}`], `${dep}-${child}`).toBe("create");
  });

  it("up: the stand-in engine accepts every instance's contract and holds the connector's ports; the proxies start after the instances", async () => {
    const up = await upOps(s);
    outputs = up.outputs;
    for (const name of [...INSTANCES, "qwen-vllm-proxy", "qwen-layerwise-proxy"]) {
      const pod = podOf(name);
      expect(pod.spec.nodeName, name).toBe(REAL_NODE.name);
      expect(pod.status.containerStatuses[0].ready, name).toBe(true);
      const restarts = pod.status.containerStatuses[0].restartCount;
      expect(restarts, restarts ? `${name} restarted: ${s.kubectl("logs", pod.metadata.name, "--previous")}` : name).toBe(0);
    }
    // Each DP rank's server logged its connector settings; the prefill has two ranks.
    const prefillLog = s.kubectl("logs", podOf("qwen-vllm-prefill-0").metadata.name);
    expect(prefillLog).toMatch(/engine_id qwen-vllm-prefill-0, tp 1, dp rank 0\/2\): KV side channel on 0\.0\.0\.0:28000\.\.28000/);
    expect(prefillLog).toMatch(/dp rank 1\/2\): KV side channel on 0\.0\.0\.0:28001\.\.28001/);
    // The derived ports are held on the node: API ports and each rank's side channel.
    const open = listening();
    for (const port of [8100, 8101, 8200, 28000, 28001, 28100, 9100, 9200, 29000, 29100]) expect(open.has(port), `port ${port}`).toBe(true);
    // Start order: each proxy was created only once every instance of its deployment was ready.
    for (const dep of ["qwen-vllm", "qwen-layerwise"]) {
      const proxy = podOf(`${dep}-proxy`);
      for (const x of INSTANCES.filter((n) => n.startsWith(`${dep}-`)))
        expect(Date.parse(proxy.metadata.creationTimestamp), `${dep}-proxy after ${x}`).toBeGreaterThanOrEqual(readySince(podOf(x)));
      expect(s.kubectl("logs", proxy.metadata.name, "-c", "wait-instances")).toMatch(/every instance answers/);
    }
  });

  it("the proxies' host/port lists are the instances' DNS names and API ports, by position", async () => {
    const args = (dep: string) =>
      (JSON.parse(s.kubectl("get", "deployment", `${dep}-proxy`, "-o", "json")).spec.template.spec.containers[0].command as string[]).join(
        " ",
      );
    expect(args("qwen-vllm")).toContain(
      `--prefiller-hosts qwen-vllm-prefill-0.${STACK}.svc qwen-vllm-prefill-0.${STACK}.svc --prefiller-ports 8100 8101 --decoder-hosts qwen-vllm-decode-0.${STACK}.svc --decoder-ports 8200`,
    );
    expect(args("qwen-layerwise")).toMatch(/load_balance_proxy_layerwise_server_example\.py --host \$\(POD_IP\) --port 8000/);
    expect(outputs.inference["qwen-vllm"].topology.instances.map((x: any) => [x.name, x.apiPorts, x.kvPort])).toEqual([
      ["qwen-vllm-prefill-0", [8100, 8101], 28000],
      ["qwen-vllm-decode-0", [8200], 28100],
    ]);
  });

  it("MooncakeConnectorV1: a completion by the Service name travels proxy → prefill → decode, which pulls from the prefill's side channel", async () => {
    const r = await complete("qwen-vllm", "vllm-client-v1");
    expect(r.status).toBe(200);
    const by = r.body.served_by;
    expect(by).toMatchObject({
      role: "decode",
      engine_id: "qwen-vllm-decode-0",
      connector: "MooncakeConnectorV1",
      host: REAL_NODE.ip,
      port: 8200,
    });
    expect(by.prefill.engine_id).toBe("qwen-vllm-prefill-0");
    expect([28000, 28001]).toContain(by.prefill.kv_port);
    expect(r.body.proxied_by.decode).toBe(`qwen-vllm-decode-0.${STACK}.svc:8200`);
  });

  it("MooncakeLayerwiseConnector: decode first, through the proxy's metaserver; the prefill pushes to the decode's side channel", async () => {
    const r = await complete("qwen-layerwise", "vllm-client-layerwise");
    expect(r.status).toBe(200);
    expect(r.body.served_by).toMatchObject({
      role: "decode",
      engine_id: "qwen-layerwise-decode-0",
      connector: "MooncakeLayerwiseConnector",
    });
    expect(r.body.served_by.prefill.engine_id).toBe("qwen-layerwise-prefill-0");
  });

  it("a second preview shows no changes", async () => {
    const p = await previewOps(s);
    expect(p.changed).toEqual({});
  });

  it("editing one decode instance's extraArgs restarts exactly that instance", async () => {
    const uids = Object.fromEntries([...INSTANCES, "qwen-vllm-proxy", "qwen-layerwise-proxy"].map((n) => [n, podOf(n).metadata.uid]));
    s.edit("inference", (inf) => {
      inf.deployments[0].decode.instances[0].extraArgs = ["--seed", "7"];
    });
    const p = await previewOps(s);
    expect(p.changed).toEqual({ "qwen-vllm-decode-0": "update" });
    await upOps(s);
    await eventually(() => podOf("qwen-vllm-decode-0")?.status?.containerStatuses?.[0]?.ready === true, 120_000, "the new decode pod");
    for (const [name, uid] of Object.entries(uids))
      if (name === "qwen-vllm-decode-0") expect(podOf(name).metadata.uid).not.toBe(uid);
      else expect(podOf(name).metadata.uid, name).toBe(uid);
    expect((await complete("qwen-vllm", "vllm-client-after")).status).toBe(200);
  });
});
