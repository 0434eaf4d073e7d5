// Stand-in for the Ascend device plugins on the local kwok cluster (no kubelet, no NPUs).
// It gives every NPU pod bound to a fake node the annotations the real plugin writes (CCE's
// cce.kubectl.kubernetes.io/ascend-1980-configuration; on MindCluster nodes,
// ascend.kubectl.kubernetes.io/ascend-910-configuration and the chip lists), so code and tests
// that read them see realistic data. Allocation logic lives in device-allocator.mjs (pure, unit-tested).
//
// Usage: node device-plugin.mjs <cluster state dir> <apiserver url>
// Plain Node 20 ESM without npm dependencies: it runs before `npm ci` may have happened.
import https from "node:https";
import { allocate, allocationAnnotationOf, devicesFromAnnotation, nodeIndexOf, requestedDevices } from "./device-allocator.mjs";
import { kubeClient, log, sleep } from "./kube-client.mjs";

const [dir, server] = process.argv.slice(2);
if (!dir || !server) {
  console.error("usage: device-plugin.mjs <cluster dir> <apiserver url>");
  process.exit(2);
}
const { agent, call } = kubeClient(dir, server);

// State: fake nodes by name, and which pod (uid) holds which device ids on which node.
const nodes = new Map(); // name -> { index, ip } | null (not a fake node)
const holders = new Map(); // uid -> { node, ids }
// Pods that did not fit (only possible when pods bypass the scheduler via spec.nodeName):
// retried whenever devices are freed on their node.
const waiting = new Map(); // uid -> pod

async function nodeInfo(name) {
  if (nodes.has(name)) return nodes.get(name);
  const { status, body } = await call("GET", `/api/v1/nodes/${encodeURIComponent(name)}`);
  if (status !== 200) throw new Error(`GET node ${name}: HTTP ${status}`);
  const fake = body.metadata?.annotations?.["kwok.x-k8s.io/node"] === "fake";
  const ip = body.status?.addresses?.find((a) => a.type === "InternalIP")?.address ?? "";
  const info = fake ? { index: nodeIndexOf(name), ip } : null;
  nodes.set(name, info);
  return info;
}

function usedOn(node) {
  return [...holders.values()].filter((h) => h.node === node).flatMap((h) => h.ids);
}

async function onPod(type, pod) {
  const uid = pod.metadata.uid;
  const phase = pod.status?.phase;
  if (type === "DELETED" || phase === "Succeeded" || phase === "Failed") {
    waiting.delete(uid);
    const held = holders.get(uid);
    if (!held) return;
    holders.delete(uid);
    log(`freed devices [${held.ids}] of ${pod.metadata.namespace}/${pod.metadata.name}`);
    for (const p of waiting.values()) if (p.spec.nodeName === held.node) enqueue("RETRY", p);
    return;
  }
  const nodeName = pod.spec?.nodeName;
  if (!nodeName || requestedDevices(pod) === 0) return;
  const node = await nodeInfo(nodeName);
  if (!node) return;
  const existing = pod.metadata.annotations?.[allocationAnnotationOf(pod)];
  if (existing) {
    holders.set(uid, { node: nodeName, ids: devicesFromAnnotation(existing) });
    return;
  }
  if (holders.has(uid)) return; // our patch is in flight or already applied
  let result;
  try {
    result = allocate({ ...node, used: usedOn(nodeName) }, pod);
  } catch (e) {
    waiting.set(uid, pod);
    throw e;
  }
  waiting.delete(uid);
  if (!result) return;
  const ids = result.devices.map((d) => d.device_id);
  holders.set(uid, { node: nodeName, ids });
  const { namespace, name } = pod.metadata;
  const patch = { metadata: { annotations: result.annotations } };
  const res = await call("PATCH", `/api/v1/namespaces/${namespace}/pods/${name}`, patch, "application/merge-patch+json");
  if (res.status !== 200) {
    holders.delete(uid);
    throw new Error(`PATCH ${namespace}/${name}: HTTP ${res.status} ${res.body?.message ?? ""}`);
  }
  log(`allocated devices [${ids}] on ${nodeName} to ${namespace}/${name}`);
}

// Events are handled one at a time so two pods can never be handed the same device.
let queue = Promise.resolve();
function enqueue(type, pod) {
  queue = queue.then(() => onPod(type, pod)).catch((e) => log("error:", e.message));
  return queue;
}

/** List all pods (rebuilding state), then stream changes; returns when the watch must restart. */
async function listAndWatch() {
  const { status, body } = await call("GET", "/api/v1/pods");
  if (status !== 200) throw new Error(`list pods: HTTP ${status}`);
  const live = new Set(body.items.map((p) => p.metadata.uid));
  for (const uid of holders.keys()) if (!live.has(uid)) holders.delete(uid);
  waiting.clear();
  // Record existing allocations before handing out new ones.
  const sorted = [...body.items].sort(
    (a, b) => (b.metadata.annotations?.[allocationAnnotationOf(b)] ? 1 : 0) - (a.metadata.annotations?.[allocationAnnotationOf(a)] ? 1 : 0),
  );
  for (const p of sorted) await enqueue("ADDED", p);
  let rv = body.metadata.resourceVersion;
  log(`watching pods from resourceVersion ${rv}`);
  for (;;) {
    const qs = `watch=1&allowWatchBookmarks=true&timeoutSeconds=300&resourceVersion=${rv}`;
    const gone = await new Promise((resolve, reject) => {
      const req = https.get(new URL(`/api/v1/pods?${qs}`, server), { agent }, (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          return reject(new Error(`watch pods: HTTP ${res.statusCode}`));
        }
        let buf = "";
        let expired = false;
        res.setEncoding("utf8");
        res.on("data", (chunk) => {
          buf += chunk;
          let nl;
          while ((nl = buf.indexOf("\n")) >= 0) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            if (!line.trim()) continue;
            const ev = JSON.parse(line);
            if (ev.type === "ERROR") {
              expired = true;
              continue;
            } // usually 410 Gone: relist
            rv = ev.object.metadata.resourceVersion;
            if (ev.type !== "BOOKMARK") enqueue(ev.type, ev.object);
          }
        });
        res.on("end", () => resolve(expired));
        res.on("error", reject);
      });
      req.on("error", reject);
    });
    if (gone) return;
  }
}

process.on("SIGTERM", () => process.exit(0));
for (;;) {
  try {
    await listAndWatch();
  } catch (e) {
    log("reconnecting after error:", e.message);
    await sleep(1000);
  }
}
