/**
 * What the stack asks of the cluster's nodes, pod by pod, derived from the validated config the
 * same way the builders place them: NPUs, host ports, node selector, tolerations and the nodes to
 * avoid (training jobs: accelerator selector, one pod per node; device-plugin P/D pods: plus the
 * deployment's placement; inventory pods: pinned to their node by hostname). Pure.
 */
import { formatPath, type Path } from "../common/issues";
import { JOB_NAME_LABEL } from "../cluster/failFast";
import type { Toleration } from "../common/schemas";
import type { StackConfig } from "../config/schema";
import { inventoryHostsOf, reservedNodesOf } from "../inference/npuOwnership";
import { reservationNameOf } from "../inference/reservation";
import { resolveInference, type ResolvedDeployment } from "../inference/topology";
import { hostPortRangesOf, type ResolvedVllmDeployment } from "../inference/vllmAscend/resolve";
import { HOSTNAME_LABEL } from "./nodes";
import type { ClusterPodJson } from "./snapshot";

/** One pod the stack will create, as the scheduler sees it. */
export interface PodDemand {
  /** Config path of what creates it, e.g. "inference.deployments[0].prefill[1]". */
  path: string;
  /** The workload it belongs to (findings are reported per workload), e.g. "P/D deployment qwen-pd". */
  workload: string;
  /** The pod's name (or the job's pod index), for messages. */
  name: string;
  npus: number;
  ports: number[];
  nodeSelector: Record<string, string>;
  tolerations: Toleration[];
  /** Hostnames the pod must not land on (the inventory nodes, for every other NPU pod). */
  avoidHosts: string[];
  /** Pods sharing a group never share a node (a training job's pods: one per node). */
  spreadGroup?: string;
  /** A Volcano gang: all of the group's pods must fit at once. */
  gang?: boolean;
  /** Inventory mode: the node (inference.nodes[].hostname) the pod is pinned to (checked by inventoryChecks.ts). */
  pinned?: string;
}

export interface StackDemand {
  pods: PodDemand[];
  /** Whether a pod in the cluster is one of this stack's own (its NPUs and ports are the stack's to reuse). */
  isOwnPod(pod: ClusterPodJson): boolean;
}

const INSTANCE_LABEL = "app.kubernetes.io/instance";

export function stackDemand(config: StackConfig): StackDemand {
  const { accelerator, inference } = config;
  const all = resolveInference(config);
  const resolved = all.deployments;
  const inventoryHosts = inventoryHostsOf(resolved, inference.nodes);
  const pods: PodDemand[] = [];

  config.training.jobs.forEach((job, j) => {
    for (let k = 0; k < job.nodes; k++)
      pods.push({
        path: formatPath(["training", "jobs", j]),
        workload: `training job ${job.name}`,
        name: `${job.name} pod ${k}`,
        npus: job.npus ?? accelerator.npusPerNode,
        ports: [],
        nodeSelector: accelerator.nodeSelector,
        tolerations: accelerator.tolerations,
        avoidHosts: inventoryHosts,
        spreadGroup: `job/${job.name}`,
        gang: true,
      });
  });

  const onInventory = [...accelerator.tolerations, ...inference.inventoryTolerations];
  for (const reserved of reservedNodesOf(resolved, inference.nodes))
    pods.push({
      path: formatPath(["inference", "nodes", inference.nodes.indexOf(reserved)]),
      workload: `NPU reservation of inventory node ${reserved.hostname}`,
      name: reservationNameOf(reserved.hostname),
      npus: accelerator.npusPerNode,
      ports: [],
      ...pinnedTo(reserved.hostname, accelerator.nodeSelector, onInventory),
    });

  for (const dep of resolved) pods.push(...deploymentPods(config, dep, inventoryHosts, onInventory));
  for (const dep of all.vllmAscend) pods.push(...vllmAscendPods(config, dep, inventoryHosts));

  const ownNames = new Set(pods.map((p) => p.name));
  const jobNames = new Set(config.training.jobs.map((j) => j.name));
  return {
    pods,
    isOwnPod: (pod) => {
      if (pod.metadata.namespace !== config.cluster.namespace) return false;
      const labels = pod.metadata.labels ?? {};
      return ownNames.has(labels[INSTANCE_LABEL] ?? "") || jobNames.has(labels[JOB_NAME_LABEL] ?? "");
    },
  };
}

type Placement = Pick<PodDemand, "nodeSelector" | "tolerations" | "avoidHosts" | "pinned">;

/** Inventory mode: the pod goes to one node, named by its hostname, on top of `selector`. */
function pinnedTo(hostname: string | undefined, selector: Record<string, string>, tolerations: Toleration[]): Placement {
  return {
    nodeSelector: { ...selector, ...(hostname ? { [HOSTNAME_LABEL]: hostname } : {}) },
    tolerations,
    avoidHosts: [],
    pinned: hostname,
  };
}

/** A device-plugin pod: the accelerator's nodes narrowed by the workload's placement, off the inventory nodes. */
function devicePluginPlacement(
  acc: StackConfig["accelerator"],
  own: { nodeSelector: Record<string, string>; tolerations: Toleration[] } | undefined,
  inventoryHosts: string[],
): Placement {
  return {
    nodeSelector: { ...acc.nodeSelector, ...own?.nodeSelector },
    tolerations: [...acc.tolerations, ...(own?.tolerations ?? [])],
    avoidHosts: inventoryHosts,
  };
}

/** The instances and the scheduler of one P/D deployment. */
function deploymentPods(config: StackConfig, dep: ResolvedDeployment, inventoryHosts: string[], onInventory: Toleration[]): PodDemand[] {
  const d = dep.config;
  const acc = config.accelerator;
  const inventory = d.mode === "inventory";
  const placement = devicePluginPlacement(acc, d.placement, inventoryHosts);
  const pod = (path: Path, name: string, npus: number, port: number, where: Placement): PodDemand => ({
    path: formatPath(path),
    workload: `P/D deployment ${d.name}`,
    name,
    npus,
    ports: [port],
    ...where,
  });
  return [
    ...dep.instances.map((x) =>
      inventory
        ? // inventory instances open their cards by path; the node's reservation holds them
          pod(x.path, x.name, 0, x.port, pinnedTo(x.node?.hostname, acc.nodeSelector, onInventory))
        : pod(x.path, x.name, d.tensorParallelSize, x.port, placement),
    ),
    pod(
      ["inference", "deployments", dep.index, "scheduler"],
      dep.scheduler.name,
      0,
      dep.scheduler.port,
      inventory ? pinnedTo(dep.scheduler.node?.hostname, {}, onInventory) : placement,
    ),
  ];
}

/** The instances (host network: every API, kv and DP RPC port) and the proxy (pod network) of a vllm-ascend deployment. */
function vllmAscendPods(config: StackConfig, dep: ResolvedVllmDeployment, inventoryHosts: string[]): PodDemand[] {
  const d = dep.config;
  const placement = devicePluginPlacement(config.accelerator, d.placement, inventoryHosts);
  const workload = `P/D deployment ${d.name}`;
  return [
    ...dep.instances.map((x) => ({
      path: formatPath(x.path),
      workload,
      name: x.name,
      npus: x.npus,
      ports: hostPortRangesOf(dep, x).flatMap((r) => Array.from({ length: r.to - r.from + 1 }, (_, k) => r.from + k)),
      ...placement,
    })),
    {
      path: formatPath(["inference", "deployments", dep.index, "proxy"]),
      workload,
      name: dep.proxy.name,
      npus: 0,
      ports: [],
      ...placement,
    },
  ];
}
