// Pure NPU allocation logic of the local device-plugin stand-in (device-plugin.mjs).
// Kept free of I/O so the unit tests can pin down exactly what a pod is handed, mirroring the
// annotations the Ascend device plugins write: CCE's on its snt9b nodes, MindCluster's on 910B
// nodes of any Kubernetes (docs/cluster-profiles.md). A pod's profile is the resource it requests.

export const RESOURCE = "huawei.com/ascend-1980";
export const ANNOTATION = "cce.kubectl.kubernetes.io/ascend-1980-configuration";
export const MINDCLUSTER_RESOURCE = "huawei.com/Ascend910";
export const MINDCLUSTER_ANNOTATION = "ascend.kubectl.kubernetes.io/ascend-910-configuration";
export const DEVICES_PER_NODE = 8;

/**
 * Per profile: the resource, the annotation whose JSON lists the chips, and the rest of what the
 * plugin writes. CCE: server_id is the host IP. MindCluster: server_id is the pod's UID and
 * host_ip the host; the chips are also listed by name in annotations named like the resource.
 */
const PROFILES = [
  {
    resource: RESOURCE,
    annotation: ANNOTATION,
    write: (pod, node, devices) => ({ [ANNOTATION]: JSON.stringify({ pod_name: pod.metadata.name, server_id: node.ip, devices }) }),
  },
  {
    resource: MINDCLUSTER_RESOURCE,
    annotation: MINDCLUSTER_ANNOTATION,
    write(pod, node, devices) {
      const names = devices.map((d) => `Ascend910-${d.device_id}`).join(",");
      const info = { pod_name: pod.metadata.name, server_id: pod.metadata.uid ?? "", host_ip: node.ip, devices };
      return { [MINDCLUSTER_RESOURCE]: names, "huawei.com/AscendReal": names, [MINDCLUSTER_ANNOTATION]: JSON.stringify(info) };
    },
  },
];

/** The profile of the first NPU resource the pod's containers name (requests or limits), or undefined. */
function profileOf(pod) {
  const spec = pod?.spec ?? {};
  const named = [...(spec.containers ?? []), ...(spec.initContainers ?? [])].flatMap((c) => [
    ...Object.keys(c?.resources?.requests ?? {}),
    ...Object.keys(c?.resources?.limits ?? {}),
  ]);
  return PROFILES.find((p) => named.includes(p.resource));
}

/** The annotation that records the pod's allocation under its profile (undefined: not an NPU pod). */
export function allocationAnnotationOf(pod) {
  return profileOf(pod)?.annotation;
}

// The stand-in RoCE addresses come from 198.18.0.0/15 (RFC 2544, benchmarking), which the local
// cluster routes as unreachable (scripts/cluster/node/net.sh): nothing can ever send to them off
// this machine. Same scheme as the real node's device plugin (toolchain/modules/node/deviceplugin).
const ADDRESSES = 2 * 256 * 250;

/** Parse a quantity of whole devices ("2", 2); anything else counts as 0. */
function count(q) {
  const n = Number(q ?? 0);
  return Number.isInteger(n) && n > 0 ? n : 0;
}

/** Devices a container asks for: requests win; extended resources may be set in limits only. */
function containerDevices(c, resource) {
  const r = c?.resources ?? {};
  return count(r.requests?.[resource] ?? r.limits?.[resource]);
}

/**
 * Number of NPUs a pod needs, computed like the scheduler's effective request:
 * max(sum over app containers, largest single init container).
 */
export function requestedDevices(pod) {
  return devicesOf(pod, profileOf(pod)?.resource);
}

function devicesOf(pod, resource) {
  if (!resource) return 0;
  const spec = pod?.spec ?? {};
  const app = (spec.containers ?? []).reduce((s, c) => s + containerDevices(c, resource), 0);
  const init = Math.max(0, ...(spec.initContainers ?? []).map((c) => containerDevices(c, resource)));
  return Math.max(app, init);
}

/**
 * The index a fake node's chip addresses derive from: ascend-node-<i> is i, mindcluster-node-<i>
 * 50 + i (distinct addresses for the two kinds); stable across restarts since it is in the name.
 */
export function nodeIndexOf(name) {
  const n = Number(/-(\d+)$/.exec(name)?.[1] ?? 0);
  return name.startsWith("mindcluster-node-") ? 50 + n : n;
}

/** Deterministic fake RoCE address of device `id` on node number `nodeIndex`. */
export function deviceIp(nodeIndex, id) {
  const k = nodeIndex * DEVICES_PER_NODE + Number(id);
  if (k >= ADDRESSES) throw new Error(`node index ${nodeIndex} is beyond the simulated address space`);
  return `198.${18 + Math.floor(k / (256 * 250))}.${Math.floor(k / 250) % 256}.${(k % 250) + 1}`;
}

/** Device ids recorded in an existing annotation value (empty on missing or malformed JSON). */
export function devicesFromAnnotation(value) {
  try {
    const ids = JSON.parse(value).devices.map((d) => String(d.device_id));
    return ids.every((id) => /^\d+$/.test(id)) ? ids : [];
  } catch {
    return [];
  }
}

/**
 * Allocate devices for `pod` on a node.
 * nodeState: { index, ip, used: Iterable<string|number>, total? }.
 * Returns { devices: [{device_id, device_ip}], annotation } or null when nothing is needed
 * (no request, or already annotated); throws when the node has too few free devices.
 * Lowest free ids first, so the result only depends on the inputs.
 */
export function allocate(nodeState, pod) {
  const profile = profileOf(pod);
  const want = devicesOf(pod, profile?.resource);
  if (want === 0 || pod?.metadata?.annotations?.[profile.annotation]) return null;
  const used = new Set([...(nodeState.used ?? [])].map(String));
  const total = nodeState.total ?? DEVICES_PER_NODE;
  const free = [];
  for (let id = 0; id < total && free.length < want; id++) if (!used.has(String(id))) free.push(id);
  if (free.length < want) {
    throw new Error(`pod ${pod.metadata?.name} needs ${want} devices, node has ${free.length} free`);
  }
  const devices = free.map((id) => ({ device_id: String(id), device_ip: deviceIp(nodeState.index, id) }));
  const annotations = profile.write(pod, nodeState, devices);
  return { devices, annotation: annotations[profile.annotation], annotations };
}
