/**
 * Pure builders of one P/D deployment's Kubernetes objects: the rank-table/rendezvous ConfigMap,
 * one Deployment per prefill/decode instance, the CPU-only scheduler Deployment, its Service and
 * a NetworkPolicy. What differs between the NPU assignment modes (placement, the wrapper's command,
 * env, volumes) comes from one strategy per mode (modes/). Shared data (the global table, the
 * instance list) lives only in the ConfigMap and the scheduler, never in every pod template, so
 * adding an instance leaves the other instances' Deployments untouched.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { hostMountVolumes, INFERENCE_HOST_MOUNTS } from "../common/hostMounts";
import {
  envList,
  type ConfigMapManifest,
  type Container,
  type DeploymentManifest,
  type NetworkPolicyManifest,
  type PodSpec,
  type ServiceManifest,
} from "../common/kube";
import type { Toleration } from "../common/schemas";
import type { WorkloadInputs } from "../common/workload";
import type { PdDeploymentConfig } from "./config";
import { devicePluginMode } from "./modes/devicePlugin";
import { inventoryMode } from "./modes/inventory";
import type { ModeStrategy, PodParts } from "./modes/podParts";
import { resourcesOf, useOpenAIEnv, workDirOf } from "./modes/shared";
import {
  instanceLabels,
  instanceSelector,
  networkPolicyNameOf,
  PATHS,
  pdConfigMapNameOf,
  RENDEZVOUS_SCRIPT,
  serviceNameOf,
  type Role,
} from "./names";
import { HOST_NETWORK_POD, oneReplicaDeployment, pullSecretsOf } from "./deployment";
import { instancesNetworkPolicy } from "./networkPolicy";
import { nodePortsOf, type ResolvedDeployment, type ResolvedInstance } from "./topology";

/** The wrapper script, shipped in the ConfigMap (read once, at program start). */
export const RENDEZVOUS_SOURCE = fs.readFileSync(path.join(__dirname, RENDEZVOUS_SCRIPT), "utf8");

/** Everything the builders of one deployment need. image: deployment.image or images.base; claimName: the SFS Turbo volume with the weights. */
export interface PdInputs extends WorkloadInputs {
  /** The resolved deployment (placement and ports decided by resolveInference). */
  deployment: ResolvedDeployment;
  /** Hostnames of inventory-mode nodes (all of inference.nodes): device-plugin pods stay off them. */
  inventoryHosts: string[];
  /** The stack's identity: scopes the rendezvous dir and names the NPU ledger. */
  stackId: string;
  /** Extra tolerations of inventory-mode pods (inference.inventoryTolerations). */
  inventoryTolerations: Toleration[];
}

const modeOf = (i: PdInputs): ModeStrategy => (i.deployment.config.mode === "inventory" ? inventoryMode : devicePluginMode);

/** The manual's start command (an argv, no shell quoting needed). */
export function serverArgs(d: PdDeploymentConfig, role: Role, port: number, instanceArgs: string[] = []): string[] {
  const v = d.vllm;
  const args = [
    "sh",
    `${d.llmToolsPath}/PD_separate/start_servers.sh`,
    `--model=${d.model}`,
    `--tensor-parallel-size=${d.tensorParallelSize}`,
    `--max-model-len=${v.maxModelLen}`,
    `--max-num-seqs=${v.maxNumSeqs}`,
    `--max-num-batched-tokens=${v.maxNumBatchedTokens}`,
    "--host=0.0.0.0",
    `--port=${port}`,
    "--served-model-name",
    d.servedModelName,
  ];
  if (v.quantization) args.push(`--quantization=${v.quantization}`);
  if (v.enableChunkedPrefill) args.push("--enable-chunked-prefill");
  if (role === "prefill") args.push(`--prefill-batching-policy=${d.prefillBatchingPolicy}`);
  if (role === "scheduler") args.push(`--prefill-routing-policy=${d.scheduler.routingPolicy}`);
  return [...args, ...v.extraArgs, ...instanceArgs];
}

export function buildConfigMap(i: PdInputs): ConfigMapManifest {
  const dep = i.deployment;
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: pdConfigMapNameOf(dep.config.name), namespace: i.namespace, labels: instanceLabels(dep.config.name, "scheduler") },
    data: { ...modeOf(i).configMapData(i), [RENDEZVOUS_SCRIPT]: RENDEZVOUS_SOURCE },
  };
}

function tcpProbes(port: number) {
  return {
    // Loading weights takes minutes: the startup probe allows 30 min before liveness applies.
    startupProbe: { tcpSocket: { port }, periodSeconds: 10, failureThreshold: 180 },
    readinessProbe: { tcpSocket: { port }, periodSeconds: 10, failureThreshold: 3 },
  };
}

/** Volumes every container of the deployment mounts: host paths, the SFS Turbo work dir, the ConfigMap. */
function commonVolumes(i: PdInputs) {
  const host = hostMountVolumes(INFERENCE_HOST_MOUNTS);
  const d = i.deployment.config;
  return {
    volumes: [
      ...host.volumes,
      { name: "sfs-volume", persistentVolumeClaim: { claimName: i.claimName } },
      { name: "pd-config", configMap: { name: pdConfigMapNameOf(d.name) } },
    ],
    volumeMounts: [
      ...host.volumeMounts,
      { name: "sfs-volume", mountPath: d.mountPath },
      { name: "pd-config", mountPath: PATHS.config, readOnly: true },
    ],
  };
}

/** The container every P/D pod runs: the image in the work dir, its port probed. */
function baseContainer(i: PdInputs, name: Role, port: number) {
  return {
    name,
    image: i.image,
    imagePullPolicy: i.imagePullPolicy,
    workingDir: workDirOf(i.deployment.config),
    ports: [{ name: "http", containerPort: port, protocol: "TCP" }],
    ...tcpProbes(port),
  };
}

/** A pod spec from the mode's parts: its placement, init containers and volumes before the shared ones. */
function podSpecOf(i: PdInputs, parts: PodParts, container: Container): PodSpec {
  const common = commonVolumes(i);
  return {
    ...parts.placement,
    ...(parts.initContainers ? { initContainers: parts.initContainers } : {}),
    containers: [{ ...container, volumeMounts: [...parts.volumeMounts, ...common.volumeMounts] }],
    volumes: [...parts.volumes, ...common.volumes],
  };
}

function deploymentObject(i: PdInputs, role: Role, index: number, name: string, podSpec: PodSpec): DeploymentManifest {
  const dep = i.deployment.config.name;
  return oneReplicaDeployment({
    name,
    namespace: i.namespace,
    labels: instanceLabels(dep, role, index),
    selector: instanceSelector(dep, role, index),
    recreate: true,
    pod: {
      ...HOST_NETWORK_POD,
      ...pullSecretsOf(i.imagePullSecrets),
      ...podSpec,
    },
  });
}

/** One prefill or decode instance. */
export function buildInstanceDeployment(i: PdInputs, x: ResolvedInstance): DeploymentManifest {
  const d = i.deployment.config;
  const parts = modeOf(i).instance(i, x, serverArgs(d, x.role, x.port, x.extraArgs));
  return deploymentObject(
    i,
    x.role,
    x.index,
    x.name,
    podSpecOf(i, parts, {
      ...baseContainer(i, x.role, x.port),
      command: parts.command,
      env: [...parts.env, ...envList(d.env)],
      resources: parts.resources,
      ...(parts.securityContext ? { securityContext: parts.securityContext } : {}),
    }),
  );
}

/** no_proxy of the scheduler: localhost, 127.0.0.1, extra hosts and the P/D host IPs where known. */
export function noProxyOf(dep: ResolvedDeployment): string {
  const ips = dep.instances.flatMap((x) => (x.node ? [x.node.hostIP] : []));
  return [...new Set(["localhost", "127.0.0.1", ...dep.config.scheduler.noProxy, ...ips])].join(",");
}

/** The CPU-only scheduler (api-server): the public endpoint; starts once every instance answers. */
export function buildSchedulerDeployment(i: PdInputs): DeploymentManifest {
  const dep = i.deployment;
  const d = dep.config;
  const parts = modeOf(i).scheduler(i, serverArgs(d, "scheduler", dep.scheduler.port));
  const shared = [{ name: "NODE_PORTS", value: nodePortsOf(dep) }, useOpenAIEnv(d), { name: "no_proxy", value: noProxyOf(dep) }];
  return deploymentObject(
    i,
    "scheduler",
    0,
    dep.scheduler.name,
    podSpecOf(i, parts, {
      ...baseContainer(i, "scheduler", dep.scheduler.port),
      // No NPU request: the scheduler is CPU-only.
      resources: resourcesOf(d.scheduler.resources),
      command: parts.command,
      env: [...parts.env, ...shared, ...envList(d.env)],
    }),
  );
}

/** ClusterIP Service of the scheduler's OpenAI endpoint (selectors work with hostNetwork pods too). */
export function buildService(i: PdInputs): ServiceManifest {
  const dep = i.deployment;
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: serviceNameOf(dep.config.name), namespace: i.namespace, labels: instanceLabels(dep.config.name, "scheduler") },
    spec: {
      type: "ClusterIP",
      selector: instanceSelector(dep.config.name, "scheduler"),
      ports: [{ name: "http", port: dep.scheduler.port, targetPort: dep.scheduler.port, protocol: "TCP" }],
    },
  };
}

/**
 * Instance ports accept traffic only from the scheduler (and the deployment's own P/D pods).
 * Most CNIs do not isolate hostNetwork pods: see docs/pd-inference.md.
 */
export function buildNetworkPolicy(i: PdInputs): NetworkPolicyManifest {
  const dep = i.deployment;
  const name = dep.config.name;
  // With host networking the scheduler's traffic comes from its node's IP.
  const schedulerHost = dep.scheduler.node ? [{ ipBlock: { cidr: `${dep.scheduler.node.hostIP}/32` } }] : [];
  return instancesNetworkPolicy({
    name: networkPolicyNameOf(name),
    deployment: name,
    namespace: i.namespace,
    labels: instanceLabels(name, "scheduler"),
    router: [{ podSelector: { matchLabels: instanceSelector(name, "scheduler") } }, ...schedulerHost],
    ports: [...new Set(dep.instances.map((x) => x.port))],
  });
}

/** Stack-output view of the topology: where each instance runs, where known. */
export function topologyOutput(dep: ResolvedDeployment) {
  return {
    mode: dep.config.mode,
    scheduler: {
      name: dep.scheduler.name,
      port: dep.scheduler.port,
      ...(dep.scheduler.node ? { node: dep.scheduler.node.hostname, hostIP: dep.scheduler.node.hostIP } : {}),
    },
    instances: dep.instances.map((x) => ({
      name: x.name,
      role: x.role,
      port: x.port,
      ...(x.node ? { node: x.node.hostname, hostIP: x.node.hostIP, devices: x.devices } : {}),
    })),
  };
}
