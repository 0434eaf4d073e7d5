// Pure logic of the local stand-in for MindCluster's ascend-operator (ascend-operator.mjs): the
// hccl.json it writes into rings-config-<job> once every pod of a rank-table Volcano Job is placed
// and annotated by the device plugin (MindCluster's hccl.json, version 1.0: docs/cluster-profiles.md).

import { MINDCLUSTER_ANNOTATION } from "./device-allocator.mjs";

export const RING_LABEL = "ring-controller.atlas";
export const CONFIGMAP_PREFIX = "rings-config-";
export const RANK_TABLE_KEY = "hccl.json";
/** What the table says until every pod is placed (as the job's ConfigMap is created). */
export const INITIALIZING = '{"status":"initializing"}\n';

/** Pods of job `job` in rank order: the job's tasks in order, each by the index Volcano gives it. */
function ordered(job, pods) {
  const tasks = (job.spec?.tasks ?? []).map((t) => t.name);
  const index = (p) => Number(p.metadata.annotations?.["volcano.sh/task-index"] ?? /-(\d+)$/.exec(p.metadata.name)?.[1] ?? 0);
  const task = (p) => tasks.indexOf(p.metadata.annotations?.["volcano.sh/task-spec"] ?? "");
  return [...pods].sort((a, b) => task(a) - task(b) || index(a) - index(b));
}

/**
 * The completed rank table of `job` (a batch.volcano.sh Job) from its live pods, or null while any
 * of its replicas is missing, unbound or not yet annotated (MindCluster writes it only then).
 */
export function rankTableOf(job, pods) {
  const replicas = (job.spec?.tasks ?? []).reduce((n, t) => n + (t.replicas ?? 0), 0);
  const live = pods.filter((p) => !p.metadata.deletionTimestamp && p.status?.phase !== "Failed" && p.status?.phase !== "Succeeded");
  if (replicas === 0 || live.length !== replicas) return null;
  const servers = [];
  let rank = 0;
  for (const pod of ordered(job, live)) {
    const value = pod.metadata.annotations?.[MINDCLUSTER_ANNOTATION];
    const hostIP = pod.status?.hostIP;
    if (!value || !hostIP) return null;
    let info;
    try {
      info = JSON.parse(value);
    } catch {
      return null;
    }
    servers.push({
      device: [...(info.devices ?? [])]
        .sort((x, y) => Number(x.device_id) - Number(y.device_id))
        .map((d) => ({ device_id: String(d.device_id), device_ip: d.device_ip, rank_id: String(rank++) })),
      server_id: info.host_ip ?? hostIP,
      container_ip: pod.status?.podIP ?? hostIP,
    });
  }
  return { status: "completed", server_list: servers, server_count: String(servers.length), version: "1.0" };
}
