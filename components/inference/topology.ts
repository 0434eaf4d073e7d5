/**
 * Resolves the inference config into concrete instances: NPU placement (inventory mode: explicit
 * devices first, then automatic packing in node order on contiguous device ids) and ports (prefill
 * k from 8088 + 2k, decode k from 8089 + 2k, the next free one on the instance's host). Pure; the rules report its problems and
 * deployInference uses its result, so what is validated is exactly what is deployed.
 */
import type { Path } from "../config/issues";
import type { StackConfig } from "../config/schema";
import type { InferenceNodeConfig, InstanceConfig, PdDeploymentConfig } from "./config";
import { PD_DEFAULTS } from "./config";
import { instanceNameOf } from "./names";
import type { RankTopology } from "./ranktable";

export interface ResolvedInstance {
  role: "prefill" | "decode";
  /** Index within its role (declared order). */
  index: number;
  /** Kubernetes name, e.g. qwen-prefill-0. */
  name: string;
  port: number;
  /** inventory mode: the node and the physical cards (rank order). */
  node?: InferenceNodeConfig;
  devices?: number[];
  /** Arguments for this instance only (instance entry's extraArgs). */
  extraArgs: string[];
  /** Config path of the instance (list entry, or the count). */
  path: Path;
}

export interface ResolvedDeployment {
  index: number;
  config: PdDeploymentConfig;
  /** Every prefill instance, then every decode instance: the global table's order. */
  instances: ResolvedInstance[];
  scheduler: { name: string; port: number; node?: InferenceNodeConfig };
}

export interface Problem {
  path: Path;
  message: string;
}

export interface ResolvedInference {
  deployments: ResolvedDeployment[];
  problems: Problem[];
}

/** Any host: device-plugin pods may land on any accelerator node, so their ports clash everywhere. */
const ANY_HOST = "*";

interface Reservation {
  host: string;
  port: number;
  owner: string;
  /** The config key that set the port; undefined for an automatically chosen one. */
  path?: Path;
}

const clashes = (a: Reservation, host: string, port: number) =>
  a.port === port && (a.host === host || a.host === ANY_HOST || host === ANY_HOST);

function declared(dep: PdDeploymentConfig, role: "prefill" | "decode"): { spec: InstanceConfig; path: Path }[] {
  const v = dep[role];
  return typeof v === "number"
    ? Array.from({ length: v }, () => ({ spec: { extraArgs: [] }, path: [role] }))
    : v.map((spec, j) => ({ spec, path: [role, j] }));
}

/** First run of `n` contiguous card ids that have a device IP and are free, or undefined. */
function contiguousRun(node: InferenceNodeConfig, n: number, npusPerNode: number, used: Set<number>): number[] | undefined {
  for (let start = 0; start + n <= npusPerNode; start++) {
    const run = Array.from({ length: n }, (_, k) => start + k);
    if (run.every((d) => !used.has(d) && node.deviceIPs[String(d)] !== undefined)) return run;
  }
  return undefined;
}

export function resolveInference(c: StackConfig): ResolvedInference {
  const problems: Problem[] = [];
  const nodes = new Map(c.inference.nodes.map((n) => [n.hostname, n]));
  const npusPerNode = c.accelerator.npusPerNode;
  // hostname → device id → owner instance name
  const used = new Map<string, Map<number, string>>();
  const usedOn = (host: string) => used.get(host) ?? used.set(host, new Map()).get(host)!;

  const deployments: ResolvedDeployment[] = c.inference.deployments.map((dep, i) => ({
    index: i,
    config: dep,
    instances: (["prefill", "decode"] as const).flatMap((role) =>
      declared(dep, role).map(({ spec, path }, index) => ({
        role,
        index,
        name: instanceNameOf(dep.name, role, index),
        port: spec.port ?? 0,
        path: ["inference", "deployments", i, ...path],
        node: spec.node ? nodes.get(spec.node) : undefined,
        devices: spec.devices,
        extraArgs: spec.extraArgs,
        spec,
      })),
    ),
    scheduler: { name: instanceNameOf(dep.name, "scheduler"), port: dep.scheduler.port ?? 0 },
  }));
  const specOf = (inst: ResolvedInstance) => (inst as ResolvedInstance & { spec: InstanceConfig }).spec;

  // 1. Explicit placements (inventory) / placement keys where they do not apply (device-plugin).
  for (const d of deployments) {
    const tp = d.config.tensorParallelSize;
    for (const inst of d.instances) {
      const spec = specOf(inst);
      if (d.config.mode === "device-plugin") {
        if (spec.node !== undefined) problems.push({ path: [...inst.path, "node"], message: "is only used in inventory mode; in device-plugin mode the scheduler and device plugin choose node and cards" });
        if (spec.devices !== undefined) problems.push({ path: [...inst.path, "devices"], message: "is only used in inventory mode; in device-plugin mode the device plugin chooses the cards" });
        inst.devices = undefined;
        continue;
      }
      if (spec.node !== undefined && !inst.node) {
        problems.push({ path: [...inst.path, "node"], message: `node "${spec.node}" is not in inference.nodes (${[...nodes.keys()].join(", ") || "empty"})` });
        continue;
      }
      if (spec.devices === undefined) continue;
      if (!inst.node) {
        problems.push({ path: [...inst.path, "node"], message: "is required with devices: device ids are per node" });
        continue;
      }
      const devPath = [...inst.path, "devices"];
      if (spec.devices.length !== tp)
        problems.push({ path: devPath, message: `lists ${spec.devices.length} device(s) but tensorParallelSize is ${tp}: every prefill and decode instance uses exactly tensorParallelSize NPUs (prefill and decode TP must be equal)` });
      const mine = usedOn(inst.node.hostname);
      spec.devices.forEach((dev, k) => {
        if (spec.devices!.indexOf(dev) < k) {
          problems.push({ path: devPath, message: `device ${dev} is listed twice; an instance uses ${tp} distinct NPUs` });
          return;
        }
        if (dev >= npusPerNode) problems.push({ path: devPath, message: `device ${dev} does not exist: accelerator.npusPerNode is ${npusPerNode} (ids 0-${npusPerNode - 1})` });
        else if (inst.node!.deviceIPs[String(dev)] === undefined)
          problems.push({ path: devPath, message: `device ${dev} has no device IP in inference.nodes "${inst.node!.hostname}".deviceIPs (read it with hccn_tool -i ${dev} -ip -g)` });
        const owner = mine.get(dev);
        if (owner !== undefined) problems.push({ path: devPath, message: `NPU ${dev} on node "${inst.node!.hostname}" is already used by ${owner}: never bind two containers to the same NPU` });
        else mine.set(dev, inst.name);
      });
    }
  }

  // 2. Automatic packing (inventory): node order, first contiguous run of free cards.
  for (const d of deployments) {
    if (d.config.mode !== "inventory") continue;
    const tp = d.config.tensorParallelSize;
    for (const inst of d.instances) {
      const spec = specOf(inst);
      if (spec.devices !== undefined || (spec.node !== undefined && !inst.node)) continue;
      const candidates = inst.node ? [inst.node] : c.inference.nodes;
      let placed = false;
      for (const node of candidates) {
        const mine = usedOn(node.hostname);
        const run = contiguousRun(node, tp, npusPerNode, new Set(mine.keys()));
        if (!run) continue;
        run.forEach((dev) => mine.set(dev, inst.name));
        inst.node = node;
        inst.devices = run;
        placed = true;
        break;
      }
      if (!placed) {
        const where = inst.node ? `node "${inst.node.hostname}"` : c.inference.nodes.length ? "any node of inference.nodes" : "inference.nodes (it is empty)";
        problems.push({ path: inst.path, message: `automatic packing cannot fit ${inst.name}: ${where} has no ${tp} contiguous free NPUs with device IPs; add nodes or device IPs, or lower the instance count` });
      }
    }
    const sched = d.config.scheduler.node;
    const schedPath: Path = ["inference", "deployments", d.index, "scheduler", "node"];
    if (sched !== undefined) {
      d.scheduler.node = nodes.get(sched);
      if (!d.scheduler.node) problems.push({ path: schedPath, message: `node "${sched}" is not in inference.nodes` });
    } else d.scheduler.node = d.instances.find((x) => x.role === "prefill")?.node;
  }
  for (const d of deployments) {
    if (d.config.mode === "device-plugin" && d.config.scheduler.node !== undefined)
      problems.push({ path: ["inference", "deployments", d.index, "scheduler", "node"], message: "is only used in inventory mode" });
  }

  // 3. Ports: explicit ones first, then schedulers from 9000, then instances from 8088 (lowest free per host).
  const reserved: Reservation[] = [];
  const hostOf = (d: ResolvedDeployment, node?: InferenceNodeConfig) => (d.config.mode === "inventory" && node ? node.hostname : ANY_HOST);
  const reserve = (host: string, port: number, owner: string, path: Path) => {
    const other = reserved.find((r) => clashes(r, host, port));
    if (other) {
      const where = host === ANY_HOST || other.host === ANY_HOST ? "a host both may run on (device-plugin pods can land on any accelerator node)" : `host "${host}"`;
      const rule = "instances sharing a host (host network) need distinct ports, also distinct from the scheduler's";
      problems.push({ path, message: `port ${port} of ${owner} clashes with ${other.owner} on ${where}: ${rule}` });
      // Both keys were set explicitly: show the clash at each, so the key just edited is among them.
      if (other.path) problems.push({ path: other.path, message: `port ${port} of ${other.owner} clashes with ${owner} on ${where}: ${rule}` });
    }
    reserved.push({ host, port, owner, path });
  };
  for (const d of deployments) {
    if (d.scheduler.port) reserve(hostOf(d, d.scheduler.node), d.scheduler.port, d.scheduler.name, ["inference", "deployments", d.index, "scheduler", "port"]);
    for (const inst of d.instances) if (inst.port) reserve(hostOf(d, inst.node), inst.port, inst.name, [...inst.path, ...(Array.isArray(d.config[inst.role]) ? ["port"] : [])]);
  }
  const firstFree = (host: string, from: number, step: number, owner: string) => {
    let port = from;
    while (reserved.some((r) => clashes(r, host, port))) port += step;
    reserved.push({ host, port, owner });
    return port;
  };
  for (const d of deployments) if (!d.scheduler.port) d.scheduler.port = firstFree(hostOf(d, d.scheduler.node), PD_DEFAULTS.schedulerPort, 1, d.scheduler.name);
  // Prefill k starts at 8088 + 2k, decode k at 8089 + 2k (the manual's 8088/8089 for 1p1d): an
  // instance's port depends only on its own role and index, so adding an instance moves no other.
  for (const d of deployments)
    for (const inst of d.instances) {
      if (inst.port) continue;
      const from = PD_DEFAULTS.firstInstancePort + (inst.role === "decode" ? 1 : 0) + 2 * inst.index;
      inst.port = firstFree(hostOf(d, inst.node), from, 2, inst.name);
    }
  for (const d of deployments) for (const inst of d.instances) delete (inst as Partial<{ spec: unknown }>).spec;
  return { deployments, problems };
}

/** The rank-table view of an inventory deployment (all placements known), else undefined. */
export function rankTopologyOf(d: ResolvedDeployment): RankTopology | undefined {
  if (d.config.mode !== "inventory" || !d.scheduler.node || d.instances.some((x) => !x.node || !x.devices)) return undefined;
  const server = (x: ResolvedInstance) => ({
    hostIP: x.node!.hostIP,
    port: x.port,
    devices: x.devices!.map((id) => ({ id, ip: x.node!.deviceIPs[String(id)] ?? "" })),
  });
  return {
    schedulerIP: d.scheduler.node.hostIP,
    prefill: d.instances.filter((x) => x.role === "prefill").map(server),
    decode: d.instances.filter((x) => x.role === "decode").map(server),
  };
}
