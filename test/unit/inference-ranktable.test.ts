// Rank tables must be exactly the manual's format (docs/manual-facts.md#rank-tables): the manual's own example is
// reproduced byte for byte, and generated topologies keep every invariant the manual states.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { validateStackConfig } from "../../components/config/validate";
import {
  globalFileName,
  globalRankTable,
  hostGlobalRankTable,
  hostRankTable,
  localRankTable,
  mergeGlobalTables,
  rankTableFiles,
  renderJson,
  type RankTopology,
} from "../../components/inference/ranktable";
import { rankTableProblems } from "../../components/inference/ranktableCheck";
import { nodePortsOf, resolveInference } from "../../components/inference/topology";
import { validConfig } from "./helpers";
import { inferenceRaw, MANUAL_1P1D, MANUAL_2P2D, NODE_18, NODE_19, TWO_HOSTS } from "./fixtures/inference/configs";

const fixture = (name: string) => JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures/inference", name), "utf8"));

/** The manual's 1p1d-tp2 example as printed (its IPs are masked as in the manual). */
const manual1p1d: RankTopology = {
  schedulerIP: "localhost",
  prefill: [
    {
      hostIP: "localhost",
      port: 8088,
      devices: [
        { id: 4, ip: "10.**.**.22" },
        { id: 5, ip: "10.**.**.23" },
      ],
    },
  ],
  decode: [
    {
      hostIP: "localhost",
      port: 8089,
      devices: [
        { id: 6, ip: "29.**.**.56" },
        { id: 7, ip: "29.**.**.72" },
      ],
    },
  ],
};

/** Test oracle: the ports in the global table's order (prefill, then decode). */
const tableOrderPorts = (t: RankTopology) => [...t.prefill, ...t.decode].map((s) => String(s.port)).join(",");

function topologyOf(deployments: unknown[], nodes?: unknown[]) {
  const config = validConfig(inferenceRaw(deployments, nodes).inference ? { inference: inferenceRaw(deployments, nodes).inference } : {});
  return resolveInference(config).deployments.map((d) => d.rankTopology!);
}

describe("the manual's 1p1d-tp2 example (devices 4,5 / 6,7 on one host)", () => {
  it("reproduces the global table exactly, key order included", () => {
    expect(JSON.stringify(globalRankTable(manual1p1d))).toBe(JSON.stringify(fixture("manual-1p1d-global.json")));
  });
  it("reproduces the decode instance's local table exactly", () => {
    expect(JSON.stringify(localRankTable(manual1p1d.decode[0]))).toBe(JSON.stringify(fixture("manual-1p1d-local-decode.json")));
  });
  it("names the files like pd_ranktable_tools.py on host 10.0.0.18, with NODE_PORTS 8088,8089", () => {
    const [t] = topologyOf([MANUAL_1P1D]);
    expect(Object.keys(rankTableFiles(t))).toEqual([
      "global_ranktable_10.0.0.18.json",
      "local_ranktable_10.0.0.18_45.json",
      "local_ranktable_10.0.0.18_67.json",
      "local_ranktable_10.0.0.18_host.json",
    ]);
    expect(tableOrderPorts(t)).toBe("8088,8089");
    expect(hostRankTable("10.0.0.18")).toEqual({
      version: "1.0",
      status: "completed",
      group_id: "0",
      server_count: "1",
      server_list: [{ server_id: "10.0.0.18", server_ip: "10.0.0.18" }],
    });
  });
  it("renders with a 4-space indent and a final newline", () => {
    expect(renderJson({ a: ["1"] })).toBe('{\n    "a": [\n        "1"\n    ]\n}\n');
  });
});

describe("2p2d-tp2 (--prefill-server-list 0,1 2,3 --decode-server-list 4,5 6,7)", () => {
  const [t] = topologyOf([MANUAL_2P2D]);
  const global = globalRankTable(t);
  it("lists both prefill instances in group 1 and both decode instances in group 2, ranks from 0 in each", () => {
    expect(global.server_group_list.map((g) => [g.group_id, g.server_count])).toEqual([
      ["0", "1"],
      ["1", "2"],
      ["2", "2"],
    ]);
    const ids = (g: number) =>
      global.server_group_list[g].server_list.map((s: any) => s.device.map((d: any) => `${d.device_id}:${d.rank_id}:${d.device_ip}`));
    expect(ids(1)).toEqual([
      ["0:0:29.18.0.10", "1:1:29.18.0.11"],
      ["2:0:29.18.0.12", "3:1:29.18.0.13"],
    ]);
    expect(ids(2)).toEqual([
      ["4:0:29.18.0.14", "5:1:29.18.0.15"],
      ["6:0:29.18.0.16", "7:1:29.18.0.17"],
    ]);
  });
  it("has one local table per instance plus the scheduler's, and NODE_PORTS prefill-then-decode", () => {
    expect(Object.keys(rankTableFiles(t)).sort()).toEqual([
      "global_ranktable_10.0.0.18.json",
      "local_ranktable_10.0.0.18_01.json",
      "local_ranktable_10.0.0.18_23.json",
      "local_ranktable_10.0.0.18_45.json",
      "local_ranktable_10.0.0.18_67.json",
      "local_ranktable_10.0.0.18_host.json",
    ]);
    // prefill k on 8088+2k, decode k on 8089+2k; NODE_PORTS lists prefill first
    expect(tableOrderPorts(t)).toBe("8088,8090,8089,8091");
    expect(rankTableProblems(t, tableOrderPorts(t))).toEqual([]);
  });
});

describe("multi-host", () => {
  const [t] = topologyOf([TWO_HOSTS]);
  it("uses global_ranktable_merge.json, equal to merging each host's gen output in host order", () => {
    expect(globalFileName(t)).toBe("global_ranktable_merge.json");
    const merged = mergeGlobalTables([hostGlobalRankTable(t, "10.0.0.18"), hostGlobalRankTable(t, "10.0.0.19")]);
    expect(renderJson(merged)).toBe(renderJson(globalRankTable(t)));
    // only the host with --api-server carries the scheduler
    expect(hostGlobalRankTable(t, "10.0.0.19").server_group_list[0]).toEqual({ group_id: "0", server_count: "0", server_list: [] });
  });
  it("assigns ports per instance role and index, so adding an instance moves no other port", () => {
    expect(tableOrderPorts(t)).toBe("8088,8090,8089,8091");
    expect(Object.keys(rankTableFiles(t))).toContain("local_ranktable_10.0.0.19_01.json");
  });
});

describe("rankTableProblems catches defective tables (the rules the generator guarantees by construction)", () => {
  const [t] = topologyOf([MANUAL_2P2D]);
  const files = rankTableFiles(t);
  const g = "global_ranktable_10.0.0.18.json";
  const edit = (f: (x: any) => void) => {
    const x = JSON.parse(files[g]);
    f(x);
    return { ...files, [g]: renderJson(x) };
  };
  it("NODE_PORTS not in global-table order", () => {
    expect(rankTableProblems(t, "8089,8091,8088,8090", files)).toEqual([
      expect.stringContaining('NODE_PORTS "8089,8091,8088,8090" is not in the global table\'s order'),
    ]);
  });
  it("two schedulers", () => {
    const bad = edit((x) => x.server_group_list[0].server_list.push({ server_id: "10.0.0.19", server_ip: "10.0.0.19" }));
    expect(rankTableProblems(t, tableOrderPorts(t), bad).join()).toMatch(
      /server_count 1 does not match its 2 server\(s\).*exactly one scheduler/,
    );
  });
  it("groups out of order", () => {
    const bad = edit((x) => x.server_group_list.reverse());
    expect(rankTableProblems(t, tableOrderPorts(t), bad)).toEqual([expect.stringContaining("exactly three groups in order")]);
  });
  it("a rank not starting at 0", () => {
    const bad = edit((x) => (x.server_group_list[1].server_list[0].device[0].rank_id = "1"));
    expect(rankTableProblems(t, tableOrderPorts(t), bad).join()).toMatch(/rank_id 1 at position 0/);
  });
  it("a local table missing or differing from its global entry (one-to-one)", () => {
    const { ["local_ranktable_10.0.0.18_45.json"]: _, ...missing } = files;
    expect(rankTableProblems(t, tableOrderPorts(t), missing).join()).toMatch(/do not correspond one-to-one/);
    const other = { ...files, "local_ranktable_10.0.0.18_45.json": files["local_ranktable_10.0.0.18_67.json"] };
    expect(rankTableProblems(t, tableOrderPorts(t), other).join()).toMatch(/do not correspond one-to-one/);
  });
  it("a number instead of a string, and one NPU in two instances", () => {
    const bad = edit((x) => {
      x.server_group_list[2].server_list[1].device[0].device_id = 4;
    });
    const problems = rankTableProblems(t, tableOrderPorts(t), bad).join();
    expect(problems).toMatch(/must be a string/);
    const dup = edit((x) => (x.server_group_list[2].server_list[1].device[0].device_id = "4"));
    expect(rankTableProblems(t, tableOrderPorts(t), dup).join()).toMatch(/NPU 10.0.0.18\/4 is used by two instances/);
  });
  it("clashing ports on a host", () => {
    const clash: RankTopology = { ...t, decode: [{ ...t.decode[0], port: 8088 }, t.decode[1]] };
    expect(rankTableProblems(clash, tableOrderPorts(clash)).join()).toMatch(/ports on host 10.0.0.18 are not distinct/);
    expect(rankTableProblems(t, tableOrderPorts(t), undefined, 8091).join()).toMatch(
      /ports on host 10.0.0.18 are not distinct: 8088,8090,8089,8091,8091/,
    );
  });
});

/** Deterministic PRNG (mulberry32): reproducible topologies without a dependency. */
function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("property: generated topologies keep the manual's invariants", () => {
  const runs = 300;
  it(`holds for ${runs} random inventory and mixed stacks`, () => {
    const rand = prng(20241213);
    const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
    let valid = 0;
    for (let run = 0; run < runs; run++) {
      const nodeCount = 1 + Math.floor(rand() * 3);
      const nodes = [NODE_18, NODE_19, { hostname: "npu-node-20", hostIP: "10.0.0.20", deviceIPs: NODE_18.deviceIPs }]
        .slice(0, nodeCount)
        .map((n, i) => ({
          ...n,
          deviceIPs: Object.fromEntries(Object.entries(n.deviceIPs).map(([id]) => [id, `29.${i}.0.${10 + Number(id)}`])),
        }));
      const tp = pick([1, 2, 4]);
      const deployments = Array.from({ length: 1 + Math.floor(rand() * 3) }, (_, d) => {
        const inventory = rand() < 0.75;
        const count = () => 1 + Math.floor(rand() * 3);
        const withPort = () => (rand() < 0.2 ? [{ port: 10000 + Math.floor(rand() * 50) }] : count());
        return {
          name: `dep-${d}`,
          model: "/mnt/sfs_turbo/m",
          servedModelName: "m",
          mode: inventory ? "inventory" : "device-plugin",
          tensorParallelSize: tp,
          prefill: withPort(),
          decode: count(),
        };
      });
      const demand = deployments
        .filter((d) => d.mode === "inventory")
        .reduce((n, d) => n + tp * ((Array.isArray(d.prefill) ? 1 : d.prefill) + d.decode), 0);
      const result = validateStackConfig(inferenceRaw(deployments, nodes));
      const explicitPorts = deployments.filter((d) => Array.isArray(d.prefill)).map((d) => (d.prefill as any)[0].port);
      const portClash = new Set(explicitPorts).size !== explicitPorts.length;
      if (!result.ok) {
        // The only acceptable failures: not enough cards, or two explicit ports drawn equal.
        for (const issue of result.issues)
          expect(issue.message, JSON.stringify(deployments)).toMatch(/automatic packing cannot fit|clashes with/);
        expect(demand > nodeCount * 8 || portClash, JSON.stringify(result.issues)).toBe(true);
        continue;
      }
      expect(demand <= nodeCount * 8 || portClash).toBe(true);
      valid++;
      const resolved = resolveInference(result.config);
      expect(resolved.problems).toEqual([]);
      const cards = new Set<string>();
      const portsPerHost = new Map<string, number[]>();
      const anyHostPorts: number[] = [];
      for (const d of resolved.deployments) {
        for (const x of d.instances) {
          if (x.node) portsPerHost.set(x.node.hostIP, [...(portsPerHost.get(x.node.hostIP) ?? []), x.port]);
          else anyHostPorts.push(x.port);
        }
        if (d.scheduler.node)
          portsPerHost.set(d.scheduler.node.hostIP, [...(portsPerHost.get(d.scheduler.node.hostIP) ?? []), d.scheduler.port]);
        else anyHostPorts.push(d.scheduler.port);
        const t = d.rankTopology;
        if (d.config.mode !== "inventory") {
          expect(t).toBeUndefined();
          continue;
        }
        expect(rankTableProblems(t!, nodePortsOf(d), undefined, d.scheduler.port)).toEqual([]);
        const files = rankTableFiles(t!);
        const global = JSON.parse(files[globalFileName(t!)]);
        // exactly one scheduler, three groups
        expect(global.server_group_list.map((g: any) => g.group_id)).toEqual(["0", "1", "2"]);
        expect(global.server_group_list[0].server_list).toHaveLength(1);
        const entries = [...global.server_group_list[1].server_list, ...global.server_group_list[2].server_list];
        expect(entries).toHaveLength(d.instances.length);
        // one-to-one local/global, ranks 0..tp-1, (host, device) unique across the whole stack
        const locals = Object.keys(files).filter((f) => f.startsWith("local_") && !f.endsWith("_host.json"));
        expect(locals).toHaveLength(entries.length);
        entries.forEach((e: any, k: number) => {
          const x = d.instances[k];
          expect(e.server_ip).toBe(x.node!.hostIP);
          expect(e.device.map((v: any) => v.rank_id)).toEqual(Array.from({ length: tp }, (_, r) => String(r)));
          expect(JSON.parse(files[`local_ranktable_${e.server_ip}_${x.devices!.join("")}.json`]).server_list[0]).toEqual(e);
          for (const dev of x.devices!) {
            const key = `${x.node!.hostname}/${dev}`;
            expect(cards.has(key), key).toBe(false);
            cards.add(key);
          }
        });
        // NODE_PORTS = ports in the global table's order (prefill first)
        const ordered = [...d.instances.filter((x) => x.role === "prefill"), ...d.instances.filter((x) => x.role === "decode")];
        expect(nodePortsOf(d)).toBe(ordered.map((x) => x.port).join(","));
        expect(d.instances).toEqual(ordered);
      }
      for (const [host, ports] of portsPerHost) {
        expect(new Set([...ports, ...anyHostPorts]).size, host).toBe(ports.length + anyHostPorts.length);
      }
    }
    expect(valid).toBeGreaterThan(runs / 3);
  });
});

// Keep the unused-node fixtures honest: both nodes exist in every config above.
void NODE_19;
