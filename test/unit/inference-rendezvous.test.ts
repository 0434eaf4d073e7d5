// The rendezvous (components/inference/rendezvous.py) assembles rank tables at runtime in
// device-plugin mode. Its tables must be byte-identical to ranktable.ts, and it must restart
// the server when the topology changes. Runs the real script with python3.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { noProxyOf } from "../../components/inference/builders";
import { rankTableFiles, type RankTopology } from "../../components/inference/ranktable";
import { nodePortsOf, resolveInference, type ResolvedDeployment } from "../../components/inference/topology";
import { validConfig } from "./helpers";
import { deviceIPs, inferenceRaw, MANUAL_1P1D, MANUAL_2P2D, TWO_HOSTS } from "./fixtures/inference/configs";
import { ANNOTATION, py, rendezvousFixture, runWrapper, tmp, waitFor, runArgs } from "./rendezvousHarness";

function assembleAll(dep: ResolvedDeployment, instance?: string) {
  const f = rendezvousFixture(dep);
  const out = path.join(f.dir, "out");
  const result = JSON.parse(
    py([
      "assemble",
      "--manifest",
      f.manifest,
      "--entries",
      f.entries,
      "--out",
      out,
      "--all",
      ...(instance ? ["--instance", instance] : []),
    ]),
  );
  const files = Object.fromEntries(fs.readdirSync(out).map((n) => [n, fs.readFileSync(path.join(out, n), "utf8")]));
  return { result, files };
}

const resolve = (deployments: unknown[], nodes?: unknown[]) =>
  resolveInference(validConfig({ inference: inferenceRaw(deployments, nodes).inference })).deployments;

describe("assemble produces byte-identical tables to ranktable.ts", () => {
  for (const [label, dep] of [
    ["1p1d-tp2", MANUAL_1P1D],
    ["2p2d-tp2", MANUAL_2P2D],
    ["two hosts (merge)", TWO_HOSTS],
  ] as const) {
    it(label, () => {
      const [d] = resolve([dep]);
      const ts = rankTableFiles(d.rankTopology!);
      const { result, files } = assembleAll(d);
      expect(Object.keys(files).sort()).toEqual(Object.keys(ts).sort());
      for (const name of Object.keys(ts)) expect(files[name], name).toBe(ts[name]);
      // the scheduler's environment: NODE_PORTS in global order, no_proxy with every P/D host
      expect(result.env.NODE_PORTS).toBe(nodePortsOf(d));
      expect(result.env.no_proxy.split(",").sort()).toEqual(noProxyOf(d).split(",").sort());
      expect(path.basename(result.env.RANK_TABLE_FILE_PATH)).toBe(`local_ranktable_${d.scheduler.node!.hostIP}_host.json`);
    });
  }

  it("for generated topologies too (seeded), and points each instance at its own local table", () => {
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let run = 0; run < 12; run++) {
      const tp = [1, 2, 4][Math.floor(rand() * 3)];
      const p = 1 + Math.floor(rand() * 2);
      const dd = 1 + Math.floor(rand() * 2);
      const nodes = [
        { hostname: "a", hostIP: "10.1.0.1", deviceIPs: deviceIPs(1) },
        { hostname: "b", hostIP: "10.1.0.2", deviceIPs: deviceIPs(2) },
      ];
      const [d] = resolve(
        [
          {
            name: "gen",
            mode: "inventory",
            model: "/mnt/sfs_turbo/m",
            servedModelName: "m",
            tensorParallelSize: tp,
            prefill: p,
            decode: dd,
          },
        ],
        nodes,
      );
      const t: RankTopology = d.rankTopology!;
      const last = d.instances[d.instances.length - 1];
      const { result, files } = assembleAll(d, last.name);
      const ts = rankTableFiles(t);
      for (const name of Object.keys(ts)) expect(files[name], `run ${run} ${name}`).toBe(ts[name]);
      expect(path.basename(result.env.RANK_TABLE_FILE_PATH)).toBe(`local_ranktable_${last.node!.hostIP}_${last.devices!.join("")}.json`);
      expect(result.env.NODE_PORTS).toBeUndefined();
    }
  });
});

describe("the restart rule (changed)", () => {
  const entry = (over: Record<string, unknown> = {}) => ({
    instance: "p0",
    server_ip: "10.0.0.1",
    devices: [{ device_id: "0", device_ip: "29.0.0.1" }],
    pod_uid: "u1",
    manifest_digest: "m1",
    ...over,
  });
  const diff = (a: object, b: object) => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, "old.json"), JSON.stringify(a));
    fs.writeFileSync(path.join(dir, "new.json"), JSON.stringify(b));
    return JSON.parse(py(["changed", "--old", path.join(dir, "old.json"), "--new", path.join(dir, "new.json")]));
  };
  it("ignores an identical re-registration (a container restart in the same pod)", () => {
    expect(diff({ p0: entry(), d0: entry({ instance: "d0" }) }, { d0: entry({ instance: "d0" }), p0: entry() })).toEqual([]);
  });
  it("ignores a pod recreated on the same host and cards (its tables are the same)", () => {
    expect(diff({ p0: entry(), d0: entry() }, { p0: entry(), d0: entry({ pod_uid: "u2" }) })).toEqual([]);
  });
  it("flags new cards, a new RoCE address, a new host, another manifest, and a vanished entry", () => {
    expect(diff({ p0: entry() }, { p0: entry({ devices: [{ device_id: "1", device_ip: "29.0.0.2" }] }) })).toEqual(["p0"]);
    expect(diff({ p0: entry() }, { p0: entry({ devices: [{ device_id: "0", device_ip: "29.0.0.9" }] }) })).toEqual(["p0"]);
    expect(diff({ p0: entry() }, { p0: entry({ server_ip: "10.0.0.2" }) })).toEqual(["p0"]);
    expect(diff({ p0: entry() }, { p0: entry({ manifest_digest: "m2" }) })).toEqual(["p0"]);
    expect(diff({ p0: entry(), d0: entry() }, { p0: entry() })).toEqual(["d0"]);
  });
});

describe("run (device-plugin mode, end to end with a fake server)", () => {
  it("waits for its annotation and every entry, starts the server with the tables, and exits 75 when a peer moves", async () => {
    const [d] = resolve([MANUAL_1P1D]);
    const f = rendezvousFixture(d);
    const prefill = d.instances[0];
    fs.rmSync(path.join(f.entries, `${prefill.name}.json`)); // this pod registers itself
    const annotations = path.join(f.dir, "annotations");
    const out = path.join(f.dir, "tables");
    const seen = path.join(f.dir, "server-env");
    const server = `import os,time; open(${JSON.stringify(seen)},'w').write(os.environ['GLOBAL_RANK_TABLE_FILE_PATH']+'|'+os.environ['RANK_TABLE_FILE_PATH']); time.sleep(60)`;
    const w = runWrapper(runArgs(f, prefill.name, out, annotations, server), { POD_UID: "uid-new" });
    try {
      await new Promise((r) => setTimeout(r, 300));
      expect(fs.existsSync(path.join(f.entries, `${prefill.name}.json`))).toBe(false); // no annotation yet
      // The device plugin's annotation, in the downward API's key="quoted" format, cards out of order.
      const value = JSON.stringify({
        pod_name: "qwen-1p1d-prefill-0-x",
        server_id: "10.0.0.18",
        devices: [
          { device_id: "5", device_ip: "29.18.0.15" },
          { device_id: "4", device_ip: "29.18.0.14" },
        ],
      });
      fs.writeFileSync(annotations, `kubernetes.io/config.seen=${JSON.stringify("2024")}\n${ANNOTATION}=${JSON.stringify(value)}\n`);
      await waitFor(() => fs.existsSync(seen) && fs.readFileSync(seen, "utf8").length > 0, "the server to start");
      const entry = JSON.parse(fs.readFileSync(path.join(f.entries, `${prefill.name}.json`), "utf8"));
      expect(entry).toMatchObject({ instance: prefill.name, role: "prefill", index: 0, server_ip: "10.0.0.18", pod_uid: "uid-new" });
      expect(entry.devices.map((x: any) => x.device_id)).toEqual(["4", "5"]);
      const [globalPath, localPath] = fs.readFileSync(seen, "utf8").split("|");
      expect(path.basename(globalPath)).toBe("global_ranktable_10.0.0.18.json");
      expect(path.basename(localPath)).toBe("local_ranktable_10.0.0.18_45.json");
      expect(fs.readFileSync(globalPath, "utf8")).toBe(rankTableFiles(d.rankTopology!)["global_ranktable_10.0.0.18.json"]);

      // The decode instance's pod is recreated on other cards: the wrapper must stop the server and exit 75.
      const decodeFile = path.join(f.entries, `${d.instances[1].name}.json`);
      const decode = JSON.parse(fs.readFileSync(decodeFile, "utf8"));
      fs.writeFileSync(
        decodeFile,
        JSON.stringify({
          ...decode,
          pod_uid: "uid-recreated",
          devices: [
            { device_id: "2", device_ip: "29.18.0.12" },
            { device_id: "3", device_ip: "29.18.0.13" },
          ],
        }),
      );
      expect(await w.exited).toBe(75);
      expect(w.log()).toMatch(/entries changed: qwen-1p1d-decode-0/);
    } finally {
      w.child.kill("SIGKILL");
    }
  }, 20_000);

  it("passes the server's own exit code through", async () => {
    const dir = tmp();
    const watched = path.join(dir, "table.json");
    fs.writeFileSync(watched, "{}");
    const w = runWrapper(["run-static", "--watch", watched, "--poll", "0.1", "--", "python3", "-c", "import sys; sys.exit(3)"], {});
    expect(await w.exited).toBe(3);
  });
});

describe("run-static (inventory mode)", () => {
  it("exits 75 when the mounted table changes (the ConfigMap was updated)", async () => {
    const dir = tmp();
    const watched = path.join(dir, "global_ranktable_10.0.0.18.json");
    fs.writeFileSync(watched, "old");
    const started = path.join(dir, "started");
    const server = `import time; open(${JSON.stringify(started)},'w').close(); time.sleep(60)`;
    const w = runWrapper(["run-static", "--watch", watched, "--poll", "0.1", "--", "python3", "-c", server], {});
    try {
      await waitFor(() => fs.existsSync(started), "the server to start");
      fs.writeFileSync(watched, "new");
      expect(await w.exited).toBe(75);
    } finally {
      w.child.kill("SIGKILL");
    }
  }, 15_000);
});

describe("wait-ports", () => {
  it("returns once every port answers and times out otherwise", async () => {
    const net = await import("node:net");
    const server = net.createServer().listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    const port = (server.address() as { port: number }).port;
    try {
      const ok = runWrapper(["wait-ports", `127.0.0.1:${port}`, "--poll", "0.1"], {});
      expect(await ok.exited).toBe(0);
      const bad = runWrapper(["wait-ports", "127.0.0.1:1", "--poll", "0.1", "--timeout", "0.5"], {});
      expect(await bad.exited).toBe(1);
    } finally {
      server.close();
    }
  }, 15_000);
});
