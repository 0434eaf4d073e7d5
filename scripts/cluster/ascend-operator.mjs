// Stand-in for the rank-table part of MindCluster's ascend-operator on the local cluster: for every
// Volcano Job labelled ring-controller.atlas it writes hccl.json into the job's rings-config-<job>
// ConfigMap once all its pods are placed and annotated by the device plugin (stand-in), as the real
// operator does. The assembly lives in rank-table.mjs (pure, unit-tested).
//
// Usage: node ascend-operator.mjs <cluster state dir> <apiserver url>
import { CONFIGMAP_PREFIX, INITIALIZING, RANK_TABLE_KEY, RING_LABEL, rankTableOf } from "./rank-table.mjs";
import { everySecond, kubeClient, log } from "./kube-client.mjs";

const [dir, server] = process.argv.slice(2);
if (!dir || !server) {
  console.error("usage: ascend-operator.mjs <cluster dir> <apiserver url>");
  process.exit(2);
}
const { call, list } = kubeClient(dir, server);
const selector = encodeURIComponent(RING_LABEL);

/** One pass: every rank-table job whose ConfigMap does not hold its current table gets it. */
async function reconcile() {
  // The job, its pods and its ConfigMap all carry the ring-controller label: three lists a pass.
  const [jobs, pods, configMaps] = await Promise.all([
    list(`/apis/batch.volcano.sh/v1alpha1/jobs?labelSelector=${selector}`),
    list(`/api/v1/pods?labelSelector=${selector}`),
    list(`/api/v1/configmaps?labelSelector=${selector}`),
  ]);
  for (const job of jobs) {
    const { namespace, name } = job.metadata;
    const mine = pods.filter((p) => p.metadata.namespace === namespace && p.metadata.labels?.["volcano.sh/job-name"] === name);
    const table = rankTableOf(job, mine);
    const cm = configMaps.find((c) => c.metadata.namespace === namespace && c.metadata.name === `${CONFIGMAP_PREFIX}${name}`);
    if (!cm) continue; // the ConfigMap is the user's; without it there is nothing to fill
    const cmPath = `/api/v1/namespaces/${namespace}/configmaps/${cm.metadata.name}`;
    const current = cm.data?.[RANK_TABLE_KEY];
    // Until every pod is placed the table says initializing, so a re-created job never reads its
    // predecessor's servers.
    const text = table ? JSON.stringify(table, null, 4) : current?.includes('"completed"') ? INITIALIZING : current;
    if (current === text) continue;
    const res = await call("PATCH", cmPath, { data: { [RANK_TABLE_KEY]: text } }, "application/merge-patch+json");
    if (res.status !== 200) throw new Error(`PATCH ${namespace}/${CONFIGMAP_PREFIX}${name}: HTTP ${res.status}`);
    const devices = table?.server_list.flatMap((s) => s.device).length;
    log(
      table
        ? `wrote the rank table of ${namespace}/${name}: ${table.server_count} server(s), ${devices} device(s)`
        : `reset the rank table of ${namespace}/${name} to initializing: not every pod is placed`,
    );
  }
}

await everySecond("watching rank-table jobs (every second)", reconcile);
