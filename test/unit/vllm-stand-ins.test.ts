// The local real node's vllm-ascend stand-ins (scripts/cluster/node-image/stand-ins/vllm-ascend/), run
// here as local processes on loopback: the `vllm serve` stand-in's contract checks (exit 2, one
// `vllm stand-in: …` line per broken rule) and a full 1P1D request through each proxy stand-in, for
// MooncakeConnectorV1 (prefill first, the decode pulls) and MooncakeLayerwiseConnector (decode first
// through the proxy's metaserver, the prefill pushes).
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

const IMAGE_DIR = path.resolve(__dirname, "../../scripts/cluster/node-image");
const STANDINS = path.join(IMAGE_DIR, "stand-ins/vllm-ascend");
const VLLM = path.join(STANDINS, "vllm");
const PROXY = path.join(STANDINS, "load_balance_proxy_server_example.py");
const LAYERWISE_PROXY = path.join(STANDINS, "load_balance_proxy_layerwise_server_example.py");

type Proc = { child: ChildProcess; out: () => string; err: () => string; exit: Promise<number | null> };
const running: Proc[] = [];
let root: string; // VLLM_STANDIN_ROOT: the host files the tutorial mounts
let emptyRoot: string;

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "vllm-standin-"));
  emptyRoot = fs.mkdtempSync(path.join(os.tmpdir(), "vllm-standin-empty-"));
  fs.mkdirSync(path.join(root, "etc"));
  fs.mkdirSync(path.join(root, "usr/local/Ascend/driver/tools"), { recursive: true });
  fs.writeFileSync(path.join(root, "etc/hccn.conf"), "address_0=198.18.3.51\n");
  fs.writeFileSync(path.join(root, "usr/local/Ascend/driver/tools/hccn_tool"), "#!/bin/sh\n", { mode: 0o755 });
});
afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
  fs.rmSync(emptyRoot, { recursive: true, force: true });
});
afterEach(async () => {
  for (const p of running.splice(0)) {
    p.child.kill("SIGTERM");
    await p.exit;
  }
});

function baseEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    PYTHONDONTWRITEBYTECODE: "1",
    VLLM_STANDIN_ROOT: root,
    HCCL_IF_IP: "127.0.0.1",
    GLOO_SOCKET_IFNAME: "lo",
    TP_SOCKET_IFNAME: "lo",
    HCCL_SOCKET_IFNAME: "lo",
    HCCL_BUFFSIZE: "256",
    VLLM_STANDIN_PUSH_TIMEOUT: "5",
  };
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

function start(args: string[], env: NodeJS.ProcessEnv): Proc {
  const child = spawn("python3", args, { env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (err += d));
  const exit = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  const p = { child, out: () => out, err: () => err, exit };
  running.push(p);
  return p;
}

async function runToExit(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string }> {
  const p = start(args, env);
  const timer = setTimeout(() => p.child.kill("SIGKILL"), 10_000);
  const code = await p.exit;
  clearTimeout(timer);
  return { code, stderr: p.err() };
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "0.0.0.0", () => s.close(() => resolve(true)));
  });
}

// `count` consecutive free ports (kv_port ranges and HTTP ports).
async function freePorts(count: number): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    let ok = true;
    for (let p = base; ok && p < base + count; p++) ok = await portFree(p);
    if (ok) return base;
  }
  throw new Error("no free port range");
}

async function waitUntil(url: string, p: Proc): Promise<void> {
  const deadline = Date.now() + 10_000;
  let exited = false;
  void p.exit.then(() => (exited = true));
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${url}: the process exited:\n${p.err()}${p.out()}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer within 10 s:\n${p.err()}${p.out()}`);
}

type Side = { dp_size: number; tp_size: number };
function kvConfig(o: {
  connector: string;
  role: "kv_producer" | "kv_consumer";
  kvPort: number;
  engineId: string;
  prefill: Side;
  decode: Side;
}) {
  return JSON.stringify({
    kv_connector: o.connector,
    kv_role: o.role,
    kv_port: String(o.kvPort),
    engine_id: o.engineId,
    kv_connector_extra_config: { prefill: o.prefill, decode: o.decode },
  });
}

const serveArgs = (port: number, tp: number, kv: string, extra: string[] = []) => [
  VLLM,
  "serve",
  "/models/qwen",
  "--host",
  "127.0.0.1",
  "--port",
  String(port),
  "--served-model-name",
  "qwen",
  "--tensor-parallel-size",
  String(tp),
  ...extra,
  "--max-model-len",
  "4096",
  "--seed",
  "1024",
  "--enforce-eager",
  "--kv-transfer-config",
  kv,
];

async function post(url: string, body: unknown): Promise<{ status: number; json: any }> {
  const r = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: r.status, json: await r.json() };
}

/** A proxy's argv on loopback: one prefill and one decode server, then any extra arguments. */
function proxyArgs(script: string, port: number, prefill: number, decode: number, ...extra: string[]): string[] {
  return [
    script,
    "--host",
    "127.0.0.1",
    "--port",
    String(port),
    "--prefiller-hosts",
    "127.0.0.1",
    "--prefiller-ports",
    String(prefill),
  ].concat(["--decoder-hosts", "127.0.0.1", "--decoder-ports", String(decode)], extra);
}

describe("the vllm-ascend stand-ins: a 1P1D request through the proxy", () => {
  it("MooncakeConnectorV1: prefill first, the decode pulls from every side-channel port of the prefill it was given", async () => {
    const [pHttp, dHttp, proxyPort] = [await freePorts(1), await freePorts(1), await freePorts(1)];
    const pKv = await freePorts(2);
    const dKv = await freePorts(2); // decode DP rank 1 of 2, TP 1: side channel on dKv + 1
    const sizes = { prefill: { dp_size: 1, tp_size: 2 }, decode: { dp_size: 2, tp_size: 1 } };
    const c = "MooncakeConnectorV1";
    const p = start(serveArgs(pHttp, 2, kvConfig({ connector: c, role: "kv_producer", kvPort: pKv, engineId: "p0", ...sizes })), baseEnv());
    const dpArgs = [
      "--data-parallel-size",
      "2",
      "--data-parallel-rank",
      "1",
      "--data-parallel-address",
      "127.0.0.1",
      "--data-parallel-rpc-port",
      "12321",
    ];
    const d = start(
      serveArgs(dHttp, 1, kvConfig({ connector: c, role: "kv_consumer", kvPort: dKv, engineId: "d0", ...sizes }), dpArgs),
      baseEnv({ ASCEND_RT_VISIBLE_DEVICES: "1" }),
    );
    const x = start(proxyArgs(PROXY, proxyPort, pHttp, dHttp), baseEnv());
    await waitUntil(`http://127.0.0.1:${pHttp}/health`, p);
    await waitUntil(`http://127.0.0.1:${dHttp}/health`, d);
    await waitUntil(`http://127.0.0.1:${proxyPort}/healthcheck`, x);

    const r = await post(`http://127.0.0.1:${proxyPort}/v1/completions`, { model: "qwen", prompt: "hello", max_tokens: 5 });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(r.json.choices[0].text).toContain("decode d0");
    expect(r.json.usage.completion_tokens).toBe(5);
    expect(r.json.served_by).toMatchObject({ role: "decode", engine_id: "d0", port: dHttp, kv_port: dKv + 1, connector: c });
    expect(r.json.served_by.prefill).toEqual({ engine_id: "p0", host: "127.0.0.1", port: pHttp, kv_port: pKv, request_known: true });
    expect(r.json.proxied_by).toMatchObject({ prefill: `127.0.0.1:${pHttp}`, decode: `127.0.0.1:${dHttp}` });
    // The pull reached both of the prefill's TP side-channel ports.
    const rid = `cmpl-${r.json.proxied_by.request_id}-0`;
    expect(p.out()).toContain(`side channel ${pKv}: d0 pulls ${rid}`);
    expect(p.out()).toContain(`side channel ${pKv + 1}: d0 pulls ${rid}`);

    const chat = await post(`http://127.0.0.1:${proxyPort}/v1/chat/completions`, {
      model: "qwen",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(chat.status, JSON.stringify(chat.json)).toBe(200);
    expect(chat.json.object).toBe("chat.completion");
    expect(chat.json.served_by.prefill.engine_id).toBe("p0");

    // Straight to the decode (not through the proxy): refused.
    const direct = await post(`http://127.0.0.1:${dHttp}/v1/completions`, { model: "qwen", prompt: "hello" });
    expect(direct.status).toBe(400);
    expect(direct.json.error.message).toMatch(/do_remote_prefill=true/);
  });

  it("MooncakeLayerwiseConnector: decode first through the metaserver, the prefill pushes to every side-channel port of the decode", async () => {
    const [pHttp, dHttp, proxyPort] = [await freePorts(1), await freePorts(1), await freePorts(1)];
    const pKv = await freePorts(2);
    const dKv = await freePorts(2);
    const sizes = { prefill: { dp_size: 1, tp_size: 2 }, decode: { dp_size: 1, tp_size: 2 } };
    const c = "MooncakeLayerwiseConnector";
    const p = start(serveArgs(pHttp, 2, kvConfig({ connector: c, role: "kv_producer", kvPort: pKv, engineId: "p0", ...sizes })), baseEnv());
    const d = start(serveArgs(dHttp, 2, kvConfig({ connector: c, role: "kv_consumer", kvPort: dKv, engineId: "d0", ...sizes })), baseEnv());
    const x = start(proxyArgs(LAYERWISE_PROXY, proxyPort, pHttp, dHttp), baseEnv());
    await waitUntil(`http://127.0.0.1:${pHttp}/health`, p);
    await waitUntil(`http://127.0.0.1:${dHttp}/health`, d);
    await waitUntil(`http://127.0.0.1:${proxyPort}/healthcheck`, x);

    const r = await post(`http://127.0.0.1:${proxyPort}/v1/completions`, { model: "qwen", prompt: "hello", max_tokens: 3 });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(r.json.served_by).toMatchObject({ role: "decode", engine_id: "d0", kv_port: dKv, connector: c });
    expect(r.json.served_by.prefill).toEqual({ engine_id: "p0", host: "127.0.0.1", port: pHttp, kv_port: pKv });
    expect(r.json.proxied_by).toMatchObject({ prefill: `127.0.0.1:${pHttp}`, decode: `127.0.0.1:${dHttp}` });
    const rid = `cmpl-${r.json.proxied_by.request_id}-0`;
    expect(x.out()).toContain(`POST /v1/metaserver 200 ${rid} -> prefiller 127.0.0.1:${pHttp}`);
    expect(d.out()).toContain(`side channel ${dKv}: p0 pushes ${rid}`);
    expect(d.out()).toContain(`side channel ${dKv + 1}: p0 pushes ${rid}`);

    // The prefill-first proxy in front of layerwise instances: the prefill refuses (no metaserver params).
    const wrongProxy = await freePorts(1);
    const y = start(proxyArgs(PROXY, wrongProxy, pHttp, dHttp, "--max-retries", "1"), baseEnv());
    await waitUntil(`http://127.0.0.1:${wrongProxy}/healthcheck`, y);
    const bad = await post(`http://127.0.0.1:${wrongProxy}/v1/completions`, { model: "qwen", prompt: "hello" });
    expect(bad.status).toBe(502);
    expect(bad.json.error.message).toMatch(/metaserver/);
  });

  it("a decode whose engine_id equals the prefill's fails the request with the connector's 'Conflict engine id'", async () => {
    const [pHttp, dHttp, proxyPort] = [await freePorts(1), await freePorts(1), await freePorts(1)];
    const pKv = await freePorts(1);
    const dKv = await freePorts(1);
    const sizes = { prefill: { dp_size: 1, tp_size: 1 }, decode: { dp_size: 1, tp_size: 1 } };
    const c = "MooncakeConnectorV1";
    const p = start(serveArgs(pHttp, 1, kvConfig({ connector: c, role: "kv_producer", kvPort: pKv, engineId: "0", ...sizes })), baseEnv());
    const d = start(serveArgs(dHttp, 1, kvConfig({ connector: c, role: "kv_consumer", kvPort: dKv, engineId: "0", ...sizes })), baseEnv());
    const x = start(proxyArgs(PROXY, proxyPort, pHttp, dHttp, "--max-retries", "1"), baseEnv());
    await waitUntil(`http://127.0.0.1:${pHttp}/health`, p);
    await waitUntil(`http://127.0.0.1:${dHttp}/health`, d);
    await waitUntil(`http://127.0.0.1:${proxyPort}/healthcheck`, x);
    const r = await post(`http://127.0.0.1:${proxyPort}/v1/completions`, { model: "qwen", prompt: "hello" });
    expect(r.status).toBe(502);
    expect(r.json.error.message).toContain("Conflict engine id 0 with local engine id 0");
  });
});

describe("the vllm serve stand-in refuses a broken contract (exit 2, one line per rule)", () => {
  const sizes = { prefill: { dp_size: 1, tp_size: 1 }, decode: { dp_size: 1, tp_size: 1 } };
  const good = (kvPort: number) =>
    JSON.parse(kvConfig({ connector: "MooncakeConnectorV1", role: "kv_producer", kvPort, engineId: "0", ...sizes }));

  it("a kv-transfer-config without engine_id, with prefill tp < decode tp, or with kv_port as a number", async () => {
    const kv = good(await freePorts(1));
    delete kv.engine_id;
    kv.kv_connector_extra_config = { prefill: { dp_size: 1, tp_size: 1 }, decode: { dp_size: 1, tp_size: 2 } };
    kv.kv_port = Number(kv.kv_port);
    const r = await runToExit(serveArgs(await freePorts(1), 1, JSON.stringify(kv)), baseEnv());
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split("\n");
    expect(
      lines.every((l) => l.startsWith("vllm stand-in: ")),
      r.stderr,
    ).toBe(true);
    expect(lines).toContain("vllm stand-in: --kv-transfer-config lacks engine_id");
    expect(r.stderr).toContain("prefill tp_size (1) must be >= decode tp_size (2)");
    expect(r.stderr).toMatch(/kv_port must be a decimal string/);
  });

  it("the own role's sizes must match the server's flags, and a DP rank must be in range", async () => {
    const kv = good(await freePorts(1));
    const r = await runToExit(
      serveArgs(await freePorts(1), 2, JSON.stringify(kv), ["--data-parallel-size", "2", "--data-parallel-rank", "2"]),
      baseEnv(),
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("kv_connector_extra_config.prefill.tp_size (1) differs from --tensor-parallel-size (2)");
    expect(r.stderr).toContain("kv_connector_extra_config.prefill.dp_size (1) differs from --data-parallel-size (2)");
    expect(r.stderr).toContain("--data-parallel-rank 2 is not in [0, 2)");
    expect(r.stderr).toContain("ASCEND_RT_VISIBLE_DEVICES is not set");
  });

  it("the environment and the host files the tutorial mounts", async () => {
    const kv = JSON.stringify(good(await freePorts(1)));
    const env = baseEnv({ VLLM_STANDIN_ROOT: emptyRoot, HCCL_IF_IP: "192.0.2.77", TP_SOCKET_IFNAME: "eth0", HCCL_BUFFSIZE: undefined });
    const r = await runToExit(serveArgs(await freePorts(1), 1, kv), env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("HCCL_IF_IP=192.0.2.77 is not an address of this host");
    expect(r.stderr).toContain("GLOO_SOCKET_IFNAME/TP_SOCKET_IFNAME/HCCL_SOCKET_IFNAME must name one interface");
    expect(r.stderr).toContain("HCCL_BUFFSIZE is not set");
    expect(r.stderr).toContain("/etc/hccn.conf is missing in the container");
    expect(r.stderr).toContain("/usr/local/Ascend/driver/tools/hccn_tool is missing in the container");
  });

  it("a kv port already in use (kv_port + dp_rank*tp .. +tp-1)", async () => {
    const kvPort = await freePorts(2);
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(kvPort + 1, "0.0.0.0", resolve));
    try {
      const kv = kvConfig({
        connector: "MooncakeConnectorV1",
        role: "kv_producer",
        kvPort,
        engineId: "0",
        ...sizes,
        prefill: { dp_size: 1, tp_size: 2 },
      });
      const r = await runToExit(serveArgs(await freePorts(1), 2, kv), baseEnv());
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`^vllm stand-in: kv port ${kvPort + 1} is in use`, "m"));
      expect(r.stderr).not.toContain(`kv port ${kvPort} is`);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});

describe("the proxy stand-ins' arguments", () => {
  it("unequal host and port lists fail with the real scripts' ValueError", async () => {
    const p = await runToExit([PROXY, "--prefiller-hosts", "a", "b", "--prefiller-ports", "8001"], baseEnv());
    expect(p.code).not.toBe(0);
    expect(p.stderr).toContain("ValueError: Number of prefiller hosts must match number of prefiller ports");
    const d = await runToExit([LAYERWISE_PROXY, "--decoder-hosts", "a", "--decoder-ports", "8002", "8003"], baseEnv());
    expect(d.code).not.toBe(0);
    expect(d.stderr).toContain("ValueError: Number of decoder hosts must match number of decoder ports");
  });

  it("the layerwise proxy refuses a wildcard --host (decoders call back to its metaserver)", async () => {
    const r = await runToExit([LAYERWISE_PROXY, "--host", "0.0.0.0", "--port", String(await freePorts(1))], baseEnv());
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("the Wildcard Address 0.0.0.0 is not allowed for proxy");
  });
});

describe("the image", () => {
  it("the local registry serves vllm-ascend's image with the vllm stand-ins", () => {
    const refs = fs
      .readFileSync(path.join(IMAGE_DIR, "images.txt"), "utf8")
      .split("\n")
      .filter((l) => l && !l.startsWith("#"))
      .map((l) => l.split(/\s+/));
    expect(refs).toContainEqual(["quay.io/ascend/vllm-ascend:v0.13.0", "vllm"]);
    expect(fs.statSync(VLLM).mode & 0o111).not.toBe(0);
  });
});
