/**
 * Resolves the vllm-ascend deployments into instances with their derived ports (docs/vllm-ascend.md#ports).
 * Instance slot s (prefill k: 2k, decode k: 2k + 1) gets API ports api + 100·s … + dp − 1, kv_port
 * kv + 100·s (the connector binds kv_port … kv_port + dp·tp; the tutorial reserves up to
 * kv_port + chips) and, with dp > 1, the DP RPC port dataParallelRpc + s. A slot depends only on the
 * role and index, so adding an instance moves no other. Instances use the host network and the
 * device plugin may put them on any accelerator node, so every port range must be disjoint from
 * every other one of the stack (and from the AscendCloud-LLM deployments' device-plugin ports) and
 * lie outside Mooncake's transport range [20000, 20000 + 1000 × NPUs per node). Pure.
 */
import type { Path, Problem } from "../../common/issues";
import { isVllmAscend, type InferenceConfig } from "../config";
import type { VllmAscendDeploymentConfig } from "./config";
import { vllmObjectNameOf, type VllmRole } from "./names";

/** Port distance between consecutive slots (API and kv). */
export const SLOT_STEP = 100;
const TRANSPORT_BASE = 20000;

/** The lowest kv_port above Mooncake's AscendDirectTransport range for this many NPUs per node. */
export const kvPortFloor = (npusPerNode: number) => TRANSPORT_BASE + 1000 * npusPerNode;

export interface VllmInstance {
  role: VllmRole;
  index: number;
  /** Deployment, headless Service and engine_id: <dep>-prefill-0. */
  name: string;
  /** 2k for prefill k, 2k + 1 for decode k. */
  slot: number;
  /** One per data-parallel rank, consecutive. */
  apiPorts: number[];
  /** kv_port of the connector. */
  kvPort: number;
  /** Last port of the connector's range (kv_port + chips, as the tutorial reserves it). */
  kvPortLast: number;
  /** --data-parallel-rpc-port (dataParallelSize > 1). */
  dpRpcPort?: number;
  /** NPUs of the instance's pod: dataParallelSize × tensorParallelSize. */
  npus: number;
  extraArgs: string[];
  /** Config path of the instance (list entry, or the count). */
  path: Path;
}

export interface ResolvedVllmDeployment {
  /** Index in inference.deployments. */
  index: number;
  config: VllmAscendDeploymentConfig;
  /** Every prefill instance, then every decode instance. */
  instances: VllmInstance[];
  proxy: { name: string; port: number };
  /** HCCL_INTRA_ROCE_ENABLE=1 (hccl.intraRoce, or auto: a prefill and a decode instance fit on one node). */
  intraRoce: boolean;
}

/** A port range some pod holds on its node. */
export interface HostPortRange {
  from: number;
  to: number;
  owner: string;
  path: Path;
  /** A connector's kv_port range: judged by the ports.kv floor rule, not by the transport-range check. */
  kv?: true;
}

function declared(d: VllmAscendDeploymentConfig, role: VllmRole) {
  const v = d[role].instances;
  return typeof v === "number"
    ? Array.from({ length: v }, () => ({ extraArgs: [] as string[], path: [role, "instances"] as Path }))
    : v.map((x, j) => ({ extraArgs: x.extraArgs, path: [role, "instances", j] as Path }));
}

function resolveOne(d: VllmAscendDeploymentConfig, index: number, npusPerNode: number): ResolvedVllmDeployment {
  const kvBase = d.ports.kv ?? kvPortFloor(npusPerNode);
  const instances = (["prefill", "decode"] as const).flatMap((role) => {
    const r = d[role];
    const npus = r.dataParallelSize * r.tensorParallelSize;
    return declared(d, role).map(({ extraArgs, path }, k): VllmInstance => {
      const slot = 2 * k + (role === "decode" ? 1 : 0);
      const kvPort = kvBase + SLOT_STEP * slot;
      return {
        role,
        index: k,
        name: vllmObjectNameOf(d.name, role, k),
        slot,
        apiPorts: Array.from({ length: r.dataParallelSize }, (_, i) => d.ports.api + SLOT_STEP * slot + i),
        kvPort,
        kvPortLast: kvPort + npus,
        ...(r.dataParallelSize > 1 ? { dpRpcPort: d.ports.dataParallelRpc + slot } : {}),
        npus,
        extraArgs,
        path: ["inference", "deployments", index, ...path],
      };
    });
  });
  const chips = (role: VllmRole) => d[role].dataParallelSize * d[role].tensorParallelSize;
  const intraRoce = d.hccl.intraRoce === "on" || (d.hccl.intraRoce === "auto" && chips("prefill") + chips("decode") <= npusPerNode);
  return { index, config: d, instances, proxy: { name: vllmObjectNameOf(d.name, "proxy"), port: d.ports.proxy }, intraRoce };
}

/** The host ports one instance holds, each range with the config key that sets its base. */
export function hostPortRangesOf(dep: ResolvedVllmDeployment, x: VllmInstance): HostPortRange[] {
  const at = (key: string): Path => ["inference", "deployments", dep.index, "ports", key];
  return [
    { from: x.apiPorts[0], to: x.apiPorts[x.apiPorts.length - 1], owner: `${x.name} (API)`, path: at("api") },
    { from: x.kvPort, to: x.kvPortLast, owner: `${x.name} (kv_port range)`, path: at("kv"), kv: true },
    ...(x.dpRpcPort ? [{ from: x.dpRpcPort, to: x.dpRpcPort, owner: `${x.name} (DP RPC)`, path: at("dataParallelRpc") }] : []),
  ];
}

const RULE =
  "vllm-ascend instances use the host network and may share any accelerator node, so their ports must not overlap any other pod's";

/**
 * Every port problem of the vllm-ascend deployments: out of range, inside Mooncake's transport
 * range, or overlapping another range (`taken`: the AscendCloud-LLM device-plugin ports).
 */
function portProblems(deployments: ResolvedVllmDeployment[], npusPerNode: number, taken: HostPortRange[]): Problem[] {
  // One message per config key and cause: two deployments on the same bases overlap at every instance.
  const found = new Map<string, { path: Path; message: string; more: number }>();
  const push = (path: Path, cause: string, message: string) => {
    const key = JSON.stringify(path) + cause;
    const seen = found.get(key);
    if (seen) seen.more++;
    else found.set(key, { path, message, more: 0 });
  };
  const floor = kvPortFloor(npusPerNode);
  const all = [...taken];
  for (const dep of deployments) {
    if (dep.config.ports.kv !== undefined && dep.config.ports.kv < floor)
      push(
        ["inference", "deployments", dep.index, "ports", "kv"],
        "floor",
        `is ${dep.config.ports.kv} but must be at least ${floor}: Mooncake's transport picks random ports in [${TRANSPORT_BASE}, ${floor}) with accelerator.npusPerNode = ${npusPerNode}`,
      );
    for (const x of dep.instances)
      for (const r of hostPortRangesOf(dep, x)) {
        if (r.to > 65535) {
          push(r.path, "range", `gives ${r.owner} ports up to ${r.to}, beyond 65535: lower the base or declare fewer instances`);
          continue;
        }
        if (!r.kv && r.from < floor && r.to >= TRANSPORT_BASE)
          push(
            r.path,
            "transport",
            `gives ${r.owner} ${portsText(r)}, inside Mooncake's transport range [${TRANSPORT_BASE}, ${floor}) (accelerator.npusPerNode = ${npusPerNode}): choose a base outside it`,
          );
        const other = all.find((o) => o.from <= r.to && r.from <= o.to);
        if (other) {
          const clash = (a: HostPortRange, b: HostPortRange) =>
            `gives ${a.owner} ${portsText(a)}, overlapping ${b.owner} (${portsText(b)}): ${RULE}`;
          push(r.path, JSON.stringify(other.path), clash(r, other));
          // Both bases may have been set on purpose: show the clash at each, so the key just edited is among them.
          push(other.path, JSON.stringify(r.path), clash(other, r));
        }
        all.push(r);
      }
  }
  return [...found.values()].map((f) => ({
    path: f.path,
    message: f.more ? `${f.message} (and ${f.more} more overlap${f.more > 1 ? "s" : ""} of the same cause)` : f.message,
  }));
}

const portsText = (r: HostPortRange) => (r.from === r.to ? `port ${r.from}` : `ports ${r.from}-${r.to}`);

/** The vllm-ascend deployments of `inference`, and their port problems. */
export function resolveVllmAscend(
  inference: InferenceConfig,
  npusPerNode: number,
  taken: HostPortRange[] = [],
): { deployments: ResolvedVllmDeployment[]; problems: Problem[] } {
  const deployments = inference.deployments.flatMap((d, i) => (isVllmAscend(d) ? [resolveOne(d, i, npusPerNode)] : []));
  return { deployments, problems: portProblems(deployments, npusPerNode, taken) };
}
