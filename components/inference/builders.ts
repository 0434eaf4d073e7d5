/**
 * Pure builders of one P/D deployment's Kubernetes objects (SPEC §4 on Kubernetes): the
 * rank-table/rendezvous ConfigMap, one Deployment per prefill/decode instance, the CPU-only
 * scheduler Deployment, its Service and a NetworkPolicy. Shared data (the global table, the
 * instance list) lives only in the ConfigMap and the scheduler, never in every pod template,
 * so adding an instance leaves the other instances' Deployments untouched.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { WorkloadInputs } from "../common/workload";
import { hostMountVolumes, INFERENCE_HOST_MOUNTS } from "../common/hostMounts";
import { envList, type ConfigMapManifest, type DeploymentManifest, type NetworkPolicyManifest, type PodSpec, type ServiceManifest } from "../common/kube";
import { avoidHosts } from "../common/placement";
import type { Toleration } from "../common/schemas";
import type { PdDeploymentConfig } from "./config";
import {
  pdConfigMapNameOf,
  DEPLOYMENT_LABEL,
  instanceLabels,
  instanceSelector,
  MANIFEST_KEY,
  networkPolicyNameOf,
  PATHS,
  RENDEZVOUS_SCRIPT,
  rendezvousDirOf,
  serviceNameOf,
  type Role,
} from "./names";
import { globalFileName, hostLocalFileName, localFileName, rankTableFiles, type RankServer } from "./ranktable";
import { LEDGER_KEY, ledgerConfigMapNameOf, NPU_PATHS } from "./reservation";
import { nodePortsOf, type ResolvedDeployment, type ResolvedInstance } from "./topology";

/** The wrapper script, shipped in the ConfigMap (read once, at program start). */
export const RENDEZVOUS_SOURCE = fs.readFileSync(path.join(__dirname, RENDEZVOUS_SCRIPT), "utf8");

/** image: deployment.image or images.base; claimName: the SFS Turbo volume with the weights. */
export interface PdInputs extends WorkloadInputs {
  deployment: ResolvedDeployment;
  /** Hostnames of inventory-mode nodes (all of inference.nodes): device-plugin pods stay off them. */
  inventoryHosts: string[];
  /** The stack's identity: scopes the rendezvous dir and names the NPU ledger. */
  stackId: string;
  /** Extra tolerations of inventory-mode pods (inference.inventoryTolerations). */
  inventoryTolerations: Toleration[];
}

const SCRIPT = `${PATHS.config}/${RENDEZVOUS_SCRIPT}`;
const workDirOf = (d: PdDeploymentConfig) => d.workDir ?? d.mountPath;

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

/** The rank-table server of an inventory instance. */
function rankServer(x: ResolvedInstance): RankServer {
  return { hostIP: x.node!.hostIP, port: x.port, devices: x.devices!.map((id) => ({ id, ip: x.node!.deviceIPs[String(id)] })) };
}

/** The declared instance list the rendezvous assembles from (device-plugin mode). */
export function rendezvousManifest(dep: ResolvedDeployment) {
  return {
    deployment: dep.config.name,
    // Every instance's annotation must list exactly this many cards.
    tensor_parallel_size: dep.config.tensorParallelSize,
    scheduler: { name: dep.scheduler.name, port: dep.scheduler.port },
    instances: dep.instances.map((x) => ({ name: x.name, role: x.role, index: x.index, port: x.port })),
  };
}

export function buildConfigMap(i: PdInputs): ConfigMapManifest {
  const dep = i.deployment;
  const topology = dep.rankTopology;
  const data: Record<string, string> = topology
    ? { ...rankTableFiles(topology) }
    : { [MANIFEST_KEY]: JSON.stringify(rendezvousManifest(dep), null, 2) + "\n" };
  data[RENDEZVOUS_SCRIPT] = RENDEZVOUS_SOURCE;
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: pdConfigMapNameOf(dep.config.name), namespace: i.namespace, labels: instanceLabels(dep.config.name, "scheduler") },
    data,
  };
}


const fieldEnv = (name: string, fieldPath: string) => ({ name, valueFrom: { fieldRef: { fieldPath } } });

function resourcesOf(rl: PdDeploymentConfig["resources"], npus?: { name: string; count: number }) {
  const extra = npus ? { [npus.name]: String(npus.count) } : {};
  return {
    requests: { cpu: rl.cpu.request, memory: rl.memory.request, ...extra },
    limits: { cpu: rl.cpu.limit, memory: rl.memory.limit, ...extra },
  };
}

function tcpProbes(port: number) {
  return {
    // Loading weights takes minutes: the startup probe allows 30 min before liveness applies.
    startupProbe: { tcpSocket: { port }, periodSeconds: 10, failureThreshold: 180 },
    readinessProbe: { tcpSocket: { port }, periodSeconds: 10, failureThreshold: 3 },
  };
}

/** Device nodes of inventory mode: the manual's `--device` list. */
function deviceVolumes(devices: number[]) {
  const devs = [...devices.map((d) => ({ name: `davinci${d}`, path: `/dev/davinci${d}` })), { name: "davinci-manager", path: "/dev/davinci_manager" }, { name: "devmm-svm", path: "/dev/devmm_svm" }, { name: "hisi-hdc", path: "/dev/hisi_hdc" }];
  return {
    volumes: devs.map((d) => ({ name: d.name, hostPath: { path: d.path, type: "CharDevice" } })),
    volumeMounts: devs.map((d) => ({ name: d.name, mountPath: d.path })),
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
    volumeMounts: [...host.volumeMounts, { name: "sfs-volume", mountPath: d.mountPath }, { name: "pd-config", mountPath: PATHS.config, readOnly: true }],
  };
}

/** Device-plugin mode: the pod's annotations (downward API) and an emptyDir for the assembled tables. */
function rendezvousVolumes() {
  return {
    volumes: [
      { name: "podinfo", downwardAPI: { items: [{ path: "annotations", fieldRef: { fieldPath: "metadata.annotations" } }] } },
      { name: "ranktable", emptyDir: {} },
    ],
    volumeMounts: [
      { name: "podinfo", mountPath: PATHS.podInfo, readOnly: true },
      { name: "ranktable", mountPath: PATHS.tables },
    ],
  };
}

function rendezvousCommand(i: PdInputs, name: string, server: string[]): string[] {
  const d = i.deployment.config;
  return [
    "python3", SCRIPT, "run",
    "--manifest", `${PATHS.config}/${MANIFEST_KEY}`,
    "--instance", name,
    "--dir", rendezvousDirOf(workDirOf(d), i.namespace, i.stackId, d.name),
    "--out", PATHS.tables,
    "--annotations", `${PATHS.podInfo}/annotations`,
    "--annotation-key", i.accelerator.deviceAnnotation,
    "--", ...server,
  ];
}

/** Device-plugin pods stay off inventory nodes (their cards are handed out by hand). */
function avoidInventory(i: PdInputs) {
  return avoidHosts(i.inventoryHosts);
}

/** Tolerations of a pod: the accelerator's, plus inventoryTolerations on inventory nodes. */
function tolerationsOf(i: PdInputs, onInventoryNode: boolean) {
  const all = [...i.accelerator.tolerations, ...(onInventoryNode ? i.inventoryTolerations : [])];
  return all.length ? { tolerations: all } : {};
}

/**
 * Inventory mode: the instance takes a lock per card on its node and checks the stack's NPU
 * ledger before and while it runs (rendezvous.py run-static; docs/npu-exclusivity.md).
 */
function exclusivityArgs(x: ResolvedInstance): string[] {
  return [
    "--npu-node", x.node!.hostname,
    "--npu-owner", x.name,
    "--npus", x.devices!.join(","),
    "--ledger", `${NPU_PATHS.ledgerDir}/${LEDGER_KEY}`,
    "--lock-dir", NPU_PATHS.lockDir,
  ];
}

function exclusivityVolumes(i: PdInputs) {
  return {
    volumes: [
      { name: "npu-ledger", configMap: { name: ledgerConfigMapNameOf(i.stackId) } },
      { name: "npu-locks", hostPath: { path: NPU_PATHS.lockDir, type: "DirectoryOrCreate" } },
    ],
    volumeMounts: [
      { name: "npu-ledger", mountPath: NPU_PATHS.ledgerDir, readOnly: true },
      { name: "npu-locks", mountPath: NPU_PATHS.lockDir },
    ],
  };
}

function deploymentObject(i: PdInputs, role: Role, index: number, name: string, podSpec: PodSpec): DeploymentManifest {
  const dep = i.deployment.config.name;
  const labels = instanceLabels(dep, role, index);
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: i.namespace, labels },
    spec: {
      replicas: 1,
      // NPUs and host ports are exclusive: a rolling update would start the new pod on top of the old one.
      strategy: { type: "Recreate" },
      selector: { matchLabels: instanceSelector(dep, role, index) },
      template: {
        metadata: { labels },
        spec: {
          hostNetwork: true,
          dnsPolicy: "ClusterFirstWithHostNet",
          terminationGracePeriodSeconds: 60,
          ...(i.imagePullSecrets?.length ? { imagePullSecrets: i.imagePullSecrets.map((n) => ({ name: n })) } : {}),
          ...podSpec,
        },
      },
    },
  };
}

/** One prefill or decode instance. */
export function buildInstanceDeployment(i: PdInputs, x: ResolvedInstance): DeploymentManifest {
  const d = i.deployment.config;
  const common = commonVolumes(i);
  const server = serverArgs(d, x.role, x.port, x.extraArgs);
  const npus = { name: i.accelerator.resourceName, count: d.tensorParallelSize };
  const useOpenAI = { name: "USE_OPENAI", value: d.scheduler.useOpenAI ? "1" : "0" };
  const container = {
    name: x.role,
    image: i.image,
    imagePullPolicy: i.imagePullPolicy,
    workingDir: workDirOf(d),
    ports: [{ name: "http", containerPort: x.port, protocol: "TCP" }],
    ...tcpProbes(x.port),
  };
  const topology = i.deployment.rankTopology;
  if (topology) {
    const globalPath = `${PATHS.config}/${globalFileName(topology)}`;
    const localPath = `${PATHS.config}/${localFileName(rankServer(x))}`;
    const devices = deviceVolumes(x.devices!);
    const exclusive = exclusivityVolumes(i);
    return deploymentObject(i, x.role, x.index, x.name, {
      nodeSelector: { ...i.accelerator.nodeSelector, "kubernetes.io/hostname": x.node!.hostname },
      ...tolerationsOf(i, true),
      containers: [
        {
          ...container,
          command: ["python3", SCRIPT, "run-static", "--watch", globalPath, "--watch", localPath, ...exclusivityArgs(x), "--", ...server],
          env: [
            { name: "GLOBAL_RANK_TABLE_FILE_PATH", value: globalPath },
            { name: "RANK_TABLE_FILE_PATH", value: localPath },
            useOpenAI,
            // The process uses exactly its cards; privileged is needed to open them by path.
            { name: "ASCEND_RT_VISIBLE_DEVICES", value: x.devices!.join(",") },
            ...envList(d.env),
          ],
          // No NPU request: the node's reservation pod holds every unit, so the device plugin
          // gives no card of this node to anyone; the cards are this instance's by the ledger.
          resources: resourcesOf(d.resources),
          // The device plugin would mount the cards it picks, not these: opening explicit
          // /dev/davinciN needs the device cgroup that only privileged grants.
          securityContext: { privileged: true },
          volumeMounts: [...devices.volumeMounts, ...exclusive.volumeMounts, ...common.volumeMounts],
        },
      ],
      volumes: [...devices.volumes, ...exclusive.volumes, ...common.volumes],
    });
  }
  const rdv = rendezvousVolumes();
  return deploymentObject(i, x.role, x.index, x.name, {
    nodeSelector: i.accelerator.nodeSelector,
    ...avoidInventory(i),
    ...tolerationsOf(i, false),
    containers: [
      {
        ...container,
        command: rendezvousCommand(i, x.name, server),
        env: [fieldEnv("POD_UID", "metadata.uid"), fieldEnv("HOST_IP", "status.hostIP"), useOpenAI, ...envList(d.env)],
        resources: resourcesOf(d.resources, npus),
        volumeMounts: [...rdv.volumeMounts, ...common.volumeMounts],
      },
    ],
    volumes: [...rdv.volumes, ...common.volumes],
  });
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
  const common = commonVolumes(i);
  const server = serverArgs(d, "scheduler", dep.scheduler.port);
  const env = [
    { name: "NODE_PORTS", value: nodePortsOf(dep) },
    { name: "USE_OPENAI", value: d.scheduler.useOpenAI ? "1" : "0" },
    { name: "no_proxy", value: noProxyOf(dep) },
  ];
  const container = {
    name: "scheduler",
    image: i.image,
    imagePullPolicy: i.imagePullPolicy,
    workingDir: workDirOf(d),
    ports: [{ name: "http", containerPort: dep.scheduler.port, protocol: "TCP" }],
    ...tcpProbes(dep.scheduler.port),
    // No NPU request: the scheduler is CPU-only.
    resources: resourcesOf(d.scheduler.resources),
  };
  const topology = dep.rankTopology;
  if (topology) {
    const globalPath = `${PATHS.config}/${globalFileName(topology)}`;
    const hostPath = `${PATHS.config}/${hostLocalFileName(topology.schedulerIP)}`;
    const targets = dep.instances.map((x) => `${x.node!.hostIP}:${x.port}`);
    return deploymentObject(i, "scheduler", 0, dep.scheduler.name, {
      nodeSelector: { "kubernetes.io/hostname": dep.scheduler.node!.hostname },
      ...tolerationsOf(i, true),
      // After a restart (no Pulumi ordering then), wait until every P/D instance answers.
      initContainers: [
        {
          name: "wait-instances",
          image: i.image,
          imagePullPolicy: i.imagePullPolicy,
          command: ["python3", SCRIPT, "wait-ports", ...targets],
          resources: resourcesOf(d.scheduler.resources),
          volumeMounts: [{ name: "pd-config", mountPath: PATHS.config, readOnly: true }],
        },
      ],
      containers: [
        {
          ...container,
          command: ["python3", SCRIPT, "run-static", "--watch", globalPath, "--", ...server],
          env: [{ name: "GLOBAL_RANK_TABLE_FILE_PATH", value: globalPath }, { name: "RANK_TABLE_FILE_PATH", value: hostPath }, ...env, ...envList(d.env)],
          volumeMounts: common.volumeMounts,
        },
      ],
      volumes: common.volumes,
    });
  }
  const rdv = rendezvousVolumes();
  return deploymentObject(i, "scheduler", 0, dep.scheduler.name, {
    nodeSelector: i.accelerator.nodeSelector,
    ...avoidInventory(i),
    ...tolerationsOf(i, false),
    containers: [
      {
        ...container,
        // The rendezvous registers this host, assembles the tables, waits for every instance's
        // port, then starts the server; NODE_PORTS and no_proxy (with the P/D IPs) are set by it too.
        command: rendezvousCommand(i, dep.scheduler.name, server),
        env: [fieldEnv("POD_UID", "metadata.uid"), fieldEnv("HOST_IP", "status.hostIP"), ...env, ...envList(d.env)],
        volumeMounts: [...rdv.volumeMounts, ...common.volumeMounts],
      },
    ],
    volumes: [...rdv.volumes, ...common.volumes],
  });
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
  const scheduler = instanceSelector(name, "scheduler");
  // With host networking the scheduler's traffic comes from its node's IP.
  const schedulerHost = dep.scheduler.node ? [{ ipBlock: { cidr: `${dep.scheduler.node.hostIP}/32` } }] : [];
  const pdPods = { podSelector: { matchLabels: { [DEPLOYMENT_LABEL]: name }, matchExpressions: [{ key: "app.kubernetes.io/component", operator: "In", values: ["prefill", "decode"] }] } };
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: networkPolicyNameOf(name), namespace: i.namespace, labels: instanceLabels(name, "scheduler") },
    spec: {
      podSelector: pdPods.podSelector,
      policyTypes: ["Ingress"],
      ingress: [
        {
          from: [{ podSelector: { matchLabels: scheduler } }, ...schedulerHost],
          ports: [...new Set(dep.instances.map((x) => x.port))].map((port) => ({ protocol: "TCP", port })),
        },
        { from: [pdPods] },
      ],
    },
  };
}

/** Stack-output view of the topology: where each instance runs, where known. */
export function topologyOutput(dep: ResolvedDeployment) {
  return {
    mode: dep.config.mode,
    scheduler: { name: dep.scheduler.name, port: dep.scheduler.port, ...(dep.scheduler.node ? { node: dep.scheduler.node.hostname, hostIP: dep.scheduler.node.hostIP } : {}) },
    instances: dep.instances.map((x) => ({
      name: x.name,
      role: x.role,
      port: x.port,
      ...(x.node ? { node: x.node.hostname, hostIP: x.node.hostIP, devices: x.devices } : {}),
    })),
  };
}

