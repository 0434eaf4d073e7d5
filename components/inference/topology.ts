/**
 * Resolves the inference config into concrete instances, in three steps: declare (one instance
 * per prefill/decode entry, the global table's order), place (placement.ts: inventory cards,
 * explicit first, then automatic packing) and ports (ports.ts). Pure; the rules report its
 * problems and the stack deploys its result, so what is validated is exactly what is deployed.
 */
import type { AcceleratorConfig } from "../common/accelerator";
import type { Problem } from "../common/issues";
import { isAscendCloud, type InferenceConfig, type InferenceNodeConfig, type InstanceConfig, type PdDeploymentConfig } from "./config";
import { instanceNameOf, type Role } from "./names";
import { placeInstances } from "./placement";
import { assignPorts } from "./ports";
import type { RankTopology } from "./ranktable";
import type { Path } from "../common/issues";
import { resolveVllmAscend, type HostPortRange, type ResolvedVllmDeployment } from "./vllmAscend/resolve";

export interface ResolvedInstance {
  role: Exclude<Role, "scheduler">;
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
  /** inventory mode with every card placed: the rank tables' view, computed once. */
  rankTopology?: RankTopology;
}

export interface ResolvedInference {
  /** The ascendcloud-llm deployments. */
  deployments: ResolvedDeployment[];
  /** The vllm-ascend deployments (vllmAscend/resolve.ts). */
  vllmAscend: ResolvedVllmDeployment[];
  problems: Problem[];
}

/** What resolving needs: the inference section and the cards per node. */
export interface InferenceInput {
  inference: InferenceConfig;
  accelerator: Pick<AcceleratorConfig, "npusPerNode">;
}

/** An instance while it is being resolved: its config entry travels with it. */
export interface DraftInstance extends ResolvedInstance {
  spec: InstanceConfig;
}
export interface DraftDeployment extends Omit<ResolvedDeployment, "instances"> {
  instances: DraftInstance[];
}

function declared(dep: PdDeploymentConfig, role: ResolvedInstance["role"]): { spec: InstanceConfig; path: Path }[] {
  const v = dep[role];
  return typeof v === "number"
    ? Array.from({ length: v }, () => ({ spec: { extraArgs: [] }, path: [role] }))
    : v.map((spec, j) => ({ spec, path: [role, j] }));
}

function declare(inference: InferenceConfig): DraftDeployment[] {
  const nodes = new Map(inference.nodes.map((n) => [n.hostname, n]));
  // The vllm-ascend engine's deployments are resolved by vllmAscend/resolve.ts.
  return inference.deployments.flatMap((dep, i) => (isAscendCloud(dep) ? [draftOf(dep, i, nodes)] : []));
}

function draftOf(dep: PdDeploymentConfig, i: number, nodes: Map<string, InferenceNodeConfig>): DraftDeployment {
  return {
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
  };
}

export function resolveInference(input: InferenceInput): ResolvedInference {
  const problems: Problem[] = [];
  const drafts = declare(input.inference);
  placeInstances(drafts, input.inference.nodes, input.accelerator.npusPerNode, problems);
  assignPorts(drafts, problems);
  const deployments = drafts.map((d): ResolvedDeployment => {
    const instances = d.instances.map(({ spec: _spec, ...x }) => x);
    const resolved = { ...d, instances };
    return { ...resolved, rankTopology: rankTopologyOf(resolved) };
  });
  const vllm = resolveVllmAscend(input.inference, input.accelerator.npusPerNode, devicePluginPorts(deployments));
  return { deployments, vllmAscend: vllm.deployments, problems: [...problems, ...vllm.problems] };
}

/** Host ports of the device-plugin deployments' pods (they may land on any accelerator node, like vllm-ascend's). */
function devicePluginPorts(deployments: ResolvedDeployment[]): HostPortRange[] {
  return deployments
    .filter((d) => d.config.mode === "device-plugin")
    .flatMap((d) => [
      ...d.instances.map((x) => ({ from: x.port, to: x.port, owner: x.name, path: x.path })),
      { from: d.scheduler.port, to: d.scheduler.port, owner: d.scheduler.name, path: ["inference", "deployments", d.index, "scheduler"] },
    ]);
}

/** NODE_PORTS: every prefill port, then every decode port (the global table's order). The value the scheduler gets, and the one the checks verify. */
export function nodePortsOf(dep: Pick<ResolvedDeployment, "instances">): string {
  const ports = (role: ResolvedInstance["role"]) => dep.instances.filter((x) => x.role === role).map((x) => String(x.port));
  return [...ports("prefill"), ...ports("decode")].join(",");
}

/** The rank-table view of an inventory deployment (all placements known), else undefined. */
function rankTopologyOf(d: Omit<ResolvedDeployment, "rankTopology">): RankTopology | undefined {
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
