/**
 * Reads the cluster snapshot preflight judges, with the stack's own kubeconfig and context: GET
 * requests only, all at once. A part the credentials may not read (403) is recorded as unobserved
 * — the checks then say what they could not check — while an API server that cannot be reached
 * at all is one clear error.
 */
import type { StackConfig } from "../config/schema";
import { getJson, KubeApiError, type KubeTarget } from "../cluster/kubeApi";
import { observed, unobserved, type ClusterPodJson, type ClusterSnapshot, type NodeJson, type Observed } from "./snapshot";

interface List<T> {
  items: T[];
}
interface Named {
  metadata: { name: string };
}

/** The API server did not answer (network, TLS, credentials): nothing can be checked. */
export class ClusterUnreachable extends Error {}

const reasonOf = (e: unknown) =>
  e instanceof KubeApiError && e.status === 403 ? "the credentials may not read it (HTTP 403)" : (e as Error).message;

async function part<T>(read: () => Promise<T>): Promise<Observed<T>> {
  try {
    return observed(await read());
  } catch (e) {
    return unobserved(reasonOf(e));
  }
}

/** GET, or `undefined` when the API server answers 404 (no such object, or the API is not served). */
async function getUnlessMissing<T>(target: KubeTarget, apiPath: string): Promise<T | undefined> {
  try {
    return await getJson<T>(target, apiPath);
  } catch (e) {
    if (e instanceof KubeApiError && e.status === 404) return undefined;
    throw e;
  }
}

/** The resources an API group version serves (API discovery); none when it is not served. */
async function served(target: KubeTarget, groupVersion: string): Promise<string[]> {
  const list = await getUnlessMissing<{ resources: { name: string }[] }>(target, `/apis/${groupVersion}`);
  return list?.resources.map((r) => r.name) ?? [];
}

const names = async (target: KubeTarget, apiPath: string) =>
  (await getJson<List<Named>>(target, apiPath)).items.map((i) => i.metadata.name);

export async function collectSnapshot(target: KubeTarget, config: StackConfig): Promise<ClusterSnapshot> {
  try {
    await getJson(target, "/version", 10_000);
  } catch (e) {
    throw new ClusterUnreachable(`cannot reach the API server at ${target.server}: ${(e as Error).message}`);
  }
  const ns = encodeURIComponent(config.cluster.namespace);
  const volcano = part(async () => {
    const [batch, scheduling] = await Promise.all([
      served(target, "batch.volcano.sh/v1alpha1"),
      served(target, "scheduling.volcano.sh/v1beta1"),
    ]);
    return { jobs: batch.includes("jobs"), queues: scheduling.includes("queues"), podGroups: scheduling.includes("podgroups") };
  });
  const queues = volcano.then(async (apis) =>
    apis.ok && !apis.value.queues
      ? unobserved<{ name: string; state?: string }[]>("Volcano's Queue API is not served")
      : part(async () =>
          (await getJson<List<Named & { status?: { state?: string } }>>(target, "/apis/scheduling.volcano.sh/v1beta1/queues")).items.map(
            (q) => ({
              name: q.metadata.name,
              state: q.status?.state,
            }),
          ),
        ),
  );
  const [namespaceExists, volcanoApis, queueList, storageClasses, csiDrivers, claims, nodes, pods] = await Promise.all([
    part(async () => (await getUnlessMissing(target, `/api/v1/namespaces/${ns}`)) !== undefined),
    volcano,
    queues,
    part(async () =>
      (await getJson<List<Named & { reclaimPolicy?: string }>>(target, "/apis/storage.k8s.io/v1/storageclasses")).items.map((c) => ({
        name: c.metadata.name,
        reclaimPolicy: c.reclaimPolicy ?? "Delete",
      })),
    ),
    part(async () => {
      const [objects, nodeDrivers] = await Promise.all([
        names(target, "/apis/storage.k8s.io/v1/csidrivers"),
        getJson<List<{ spec?: { drivers?: { name: string }[] } }>>(target, "/apis/storage.k8s.io/v1/csinodes"),
      ]);
      return [...new Set([...objects, ...nodeDrivers.items.flatMap((n) => n.spec?.drivers?.map((d) => d.name) ?? [])])];
    }),
    part(() => names(target, `/api/v1/namespaces/${ns}/persistentvolumeclaims`)),
    part(async () => (await getJson<List<NodeJson>>(target, "/api/v1/nodes")).items),
    part(async () => {
      const running = encodeURIComponent("status.phase!=Succeeded,status.phase!=Failed");
      return (await getJson<List<ClusterPodJson>>(target, `/api/v1/pods?fieldSelector=${running}`, 60_000)).items;
    }),
  ]);
  return { namespaceExists, volcano: volcanoApis, queues: queueList, storageClasses, csiDrivers, claims, nodes, pods };
}
