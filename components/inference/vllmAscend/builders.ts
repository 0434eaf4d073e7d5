/**
 * Pure builders of one vllm-ascend deployment's objects: the launcher ConfigMap, per instance a
 * Deployment (host network, its NPUs from the device plugin) and a headless Service (its DNS name
 * is the proxy's address for it), the CPU-only proxy Deployment, its Service and a NetworkPolicy.
 * Nothing shared lives in an instance's pod template: adding an instance changes only the proxy.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { hostMountVolumes, VLLM_ASCEND_HOST_MOUNTS } from "../../common/hostMounts";
import {
  fieldEnv,
  type ConfigMapManifest,
  type DeploymentManifest,
  type NetworkPolicyManifest,
  type PodSpec,
  type ServiceManifest,
} from "../../common/kube";
import { acceleratorPlacement } from "../../common/placement";
import type { WorkloadInputs } from "../../common/workload";
import { HOST_NETWORK_POD, oneReplicaDeployment, pullSecretsOf } from "../deployment";
import { instancesNetworkPolicy } from "../networkPolicy";
import { resourcesOf } from "../modes/shared";
import { instanceCommand, proxyCommand, serversOf } from "./args";
import { instanceEnv } from "./env";
import {
  LAUNCHER,
  LAUNCHER_SCRIPT,
  vllmConfigMapNameOf,
  vllmLabels,
  vllmNetworkPolicyNameOf,
  vllmSelector,
  vllmServiceNameOf,
  VLLM_PATHS,
  type VllmComponent,
} from "./names";
import type { ResolvedVllmDeployment, VllmInstance } from "./resolve";

/** The launcher, shipped in the ConfigMap (read once, at program start). */
export const LAUNCHER_SOURCE = fs.readFileSync(path.join(__dirname, LAUNCHER_SCRIPT), "utf8");

/** Everything the builders of one deployment need (image: the deployment's; claimName: the weights' volume). */
export interface VllmAscendInputs extends WorkloadInputs {
  deployment: ResolvedVllmDeployment;
  /** Hostnames of inventory-mode nodes: these pods stay off them. */
  inventoryHosts: string[];
}

/** The tutorials' --shm-size=1g. */
const SHM_SIZE = "1Gi";

export function buildVllmConfigMap(i: VllmAscendInputs): ConfigMapManifest {
  const name = i.deployment.config.name;
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: vllmConfigMapNameOf(name), namespace: i.namespace, labels: vllmLabels(name, "proxy") },
    data: { [LAUNCHER_SCRIPT]: LAUNCHER_SOURCE },
  };
}

function deploymentOf(
  i: VllmAscendInputs,
  component: VllmComponent,
  index: number,
  name: string,
  pod: PodSpec,
  recreate: boolean,
): DeploymentManifest {
  const dep = i.deployment.config.name;
  return oneReplicaDeployment({
    name,
    namespace: i.namespace,
    labels: vllmLabels(dep, component, index),
    selector: vllmSelector(dep, component, index),
    recreate,
    pod: {
      ...pullSecretsOf(i.imagePullSecrets),
      ...acceleratorPlacement(i.accelerator, i.deployment.config.placement, i.inventoryHosts),
      ...pod,
    },
  });
}

function portsProbe(ports: number[]) {
  const exec = { command: ["python3", LAUNCHER, "ports-open", ...ports.map(String)] };
  return {
    // Loading weights takes minutes: the startup probe allows 30 min before readiness applies.
    startupProbe: { exec, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 180 },
    readinessProbe: { exec, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
  };
}

/** One prefill or decode instance: a data-parallel group on one node. */
export function buildVllmInstanceDeployment(i: VllmAscendInputs, x: VllmInstance): DeploymentManifest {
  const dep = i.deployment;
  const d = dep.config;
  const host = hostMountVolumes(VLLM_ASCEND_HOST_MOUNTS);
  return deploymentOf(
    i,
    x.role,
    x.index,
    x.name,
    {
      ...HOST_NETWORK_POD,
      containers: [
        {
          name: x.role,
          image: i.image,
          imagePullPolicy: i.imagePullPolicy,
          command: instanceCommand(dep, x),
          env: instanceEnv(dep, x.role),
          ports: x.apiPorts.map((port, r) => ({ name: `api-${r}`, containerPort: port, protocol: "TCP" })),
          resources: resourcesOf(d[x.role].resources, { name: i.accelerator.resourceName, count: x.npus }),
          ...portsProbe(x.apiPorts),
          volumeMounts: [
            ...host.volumeMounts,
            { name: "dshm", mountPath: VLLM_PATHS.shm },
            { name: "sfs-volume", mountPath: d.mountPath },
            { name: "launcher", mountPath: VLLM_PATHS.config, readOnly: true },
          ],
        },
      ],
      volumes: [
        ...host.volumes,
        { name: "dshm", emptyDir: { medium: "Memory", sizeLimit: SHM_SIZE } },
        { name: "sfs-volume", persistentVolumeClaim: { claimName: i.claimName } },
        { name: "launcher", configMap: { name: vllmConfigMapNameOf(d.name) } },
      ],
    },
    true,
  );
}

/** Headless Service of one instance: `<instance>.<namespace>.svc` resolves to its node's IP once it is ready. */
export function buildVllmInstanceService(i: VllmAscendInputs, x: VllmInstance): ServiceManifest {
  const name = i.deployment.config.name;
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: x.name, namespace: i.namespace, labels: vllmLabels(name, x.role, x.index) },
    spec: {
      clusterIP: "None",
      selector: vllmSelector(name, x.role, x.index),
      ports: x.apiPorts.map((port, r) => ({ name: `api-${r}`, port, targetPort: port, protocol: "TCP" })),
    },
  };
}

/** The CPU-only proxy: waits for every instance's servers (also after a restart), then routes. */
export function buildVllmProxyDeployment(i: VllmAscendInputs): DeploymentManifest {
  const dep = i.deployment;
  const d = dep.config;
  const resources = resourcesOf(d.proxy.resources);
  const addresses = (["prefill", "decode"] as const).flatMap((role) => serversOf(dep, role, i.namespace).map((x) => `${x.host}:${x.port}`));
  const launcher = [{ name: "launcher", mountPath: VLLM_PATHS.config, readOnly: true }];
  return deploymentOf(
    i,
    "proxy",
    0,
    dep.proxy.name,
    {
      initContainers: [
        {
          name: "wait-instances",
          image: i.image,
          imagePullPolicy: i.imagePullPolicy,
          command: ["python3", LAUNCHER, "wait", ...addresses],
          resources,
          volumeMounts: launcher,
        },
      ],
      containers: [
        {
          name: "proxy",
          image: i.image,
          imagePullPolicy: i.imagePullPolicy,
          command: proxyCommand(dep, i.namespace),
          ...(d.connector === "MooncakeLayerwiseConnector" ? { env: [fieldEnv("POD_IP", "status.podIP")] } : {}),
          ports: [{ name: "http", containerPort: dep.proxy.port, protocol: "TCP" }],
          readinessProbe: { tcpSocket: { port: dep.proxy.port }, periodSeconds: 10, failureThreshold: 3 },
          // No NPU request: the proxy is CPU-only.
          resources,
          volumeMounts: launcher,
        },
      ],
      volumes: [{ name: "launcher", configMap: { name: vllmConfigMapNameOf(d.name) } }],
    },
    false,
  );
}

/** ClusterIP Service of the proxy: the deployment's OpenAI endpoint. */
export function buildVllmService(i: VllmAscendInputs): ServiceManifest {
  const dep = i.deployment;
  const name = dep.config.name;
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: vllmServiceNameOf(name), namespace: i.namespace, labels: vllmLabels(name, "proxy") },
    spec: {
      type: "ClusterIP",
      selector: vllmSelector(name, "proxy"),
      ports: [{ name: "http", port: dep.proxy.port, targetPort: dep.proxy.port, protocol: "TCP" }],
    },
  };
}

/**
 * Instance API ports accept traffic only from the proxy; the instances talk to each other on any
 * port (the connector's side channel and transfer engine). Most CNIs do not isolate hostNetwork
 * pods: see docs/vllm-ascend.md.
 */
export function buildVllmNetworkPolicy(i: VllmAscendInputs): NetworkPolicyManifest {
  const dep = i.deployment;
  const name = dep.config.name;
  return instancesNetworkPolicy({
    name: vllmNetworkPolicyNameOf(name),
    deployment: name,
    namespace: i.namespace,
    labels: vllmLabels(name, "proxy"),
    router: [{ podSelector: { matchLabels: vllmSelector(name, "proxy") } }],
    ports: dep.instances.flatMap((x) => x.apiPorts),
  });
}

/** Stack-output view: where each instance listens, its connector's ports and engine_id. */
export function vllmTopologyOutput(dep: ResolvedVllmDeployment) {
  return {
    engine: "vllm-ascend",
    connector: dep.config.connector,
    proxy: { name: dep.proxy.name, port: dep.proxy.port },
    instances: dep.instances.map((x) => ({
      name: x.name,
      role: x.role,
      apiPorts: x.apiPorts,
      kvPort: x.kvPort,
      engineId: x.name,
      npus: x.npus,
      ...(x.dpRpcPort ? { dataParallelRpcPort: x.dpRpcPort } : {}),
    })),
  };
}
