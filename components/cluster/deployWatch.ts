/**
 * The fail-fast watch of `pulumi up` (docs/fail-fast.md). While the engine applies the stack,
 * the program polls the pods this update creates; when one has been unschedulable, or stuck
 * before its containers start, for longer than cluster.failFast.timeoutSeconds, it reports the
 * scheduler's (or kubelet's) reason as an error and cancels the update the way Ctrl-C does —
 * the engine then stops waiting on the providers and records the state. New training jobs hold
 * the update until Volcano has placed their pods. Never runs during preview or render.
 */
import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterConfig } from "./config";
import {
  fatalFindings,
  formatFinding,
  JOB_NAME_LABEL,
  jobScheduled,
  jobsToAwait,
  leftUnplacedBefore,
  podsOfJob,
  unplacedJobMessage,
  type PodGroupJson,
  type PodJson,
  type ProblemClock,
} from "./failFast";
import { getJson, loadKubeTarget, type KubeTarget } from "./kubeApi";

const POLL_MS = 3000;
const STACK_PODS = "app.kubernetes.io/part-of%3Dascend-stack";

export interface WatchedJob {
  name: string;
  /** Pods the job creates (its nodes). */
  pods: number;
}

interface List<T> {
  items: T[];
}

async function listPods(target: KubeTarget, namespace: string): Promise<PodJson[]> {
  const base = `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods?labelSelector=`;
  const [stack, jobs] = await Promise.all([
    getJson<List<PodJson>>(target, base + STACK_PODS),
    getJson<List<PodJson>>(target, base + JOB_NAME_LABEL),
  ]);
  const byUid = new Map([...stack.items, ...jobs.items].map((p) => [p.metadata.uid, p]));
  return [...byUid.values()];
}

async function existingJobs(target: KubeTarget, namespace: string): Promise<{ name: string; phase?: string }[]> {
  try {
    const jobs = await getJson<List<{ metadata: { name: string }; status?: { state?: { phase?: string } } }>>(
      target,
      `/apis/batch.volcano.sh/v1alpha1/namespaces/${encodeURIComponent(namespace)}/jobs`,
    );
    return jobs.items.map((j) => ({ name: j.metadata.name, phase: j.status?.state?.phase }));
  } catch {
    return []; // no Volcano CRDs: every job is new (and will not be placed; the timeout says so)
  }
}

async function listPodGroups(target: KubeTarget, namespace: string): Promise<PodGroupJson[]> {
  const path = `/apis/scheduling.volcano.sh/v1beta1/namespaces/${encodeURIComponent(namespace)}/podgroups`;
  return (await getJson<List<PodGroupJson>>(target, path).catch(() => ({ items: [] }))).items;
}

/** The pulumi CLI process above this program (language host in between), found through /proc. */
function pulumiCliPid(): number | undefined {
  let pid = process.ppid;
  for (let depth = 0; depth < 4 && pid > 1; depth++) {
    try {
      if (fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim() === "pulumi") return pid;
      const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
      pid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Cancels the running update as Ctrl-C would: the engine cancels in-flight waits and saves the state. */
async function cancelUpdate(why: string): Promise<void> {
  const cli = pulumiCliPid();
  // The engine must have the reason before the cancellation arrives.
  await pulumi.log.error(`${why}\nCancelling the update (cluster.failFast); fix the cause and run pulumi up again.`);
  if (cli) process.kill(cli, "SIGINT");
  else process.exitCode = 1;
}

/**
 * Starts the watch when `pulumi up` runs against a cluster. `jobs`: the stack's training jobs;
 * those that do not exist yet when the update starts are awaited until their pods are placed.
 */
export function startDeployWatch(cluster: ClusterConfig, jobs: WatchedJob[]): void {
  const ff = cluster.failFast;
  if (pulumi.runtime.isDryRun() || !ff.enabled || cluster.renderYamlToDirectory) return;
  let target: KubeTarget;
  try {
    target = loadKubeTarget(cluster.kubeconfig, cluster.context);
  } catch (e) {
    void pulumi.log.warn(`fail-fast watch disabled: cannot read the kubeconfig (${(e as Error).message})`);
    return;
  }
  void watch(target, cluster.namespace, ff.timeoutSeconds * 1000, ff.awaitTrainingJobs ? jobs : []).catch((e) =>
    pulumi.log.warn(`fail-fast watch stopped: ${(e as Error).message}`),
  );
}

async function watch(target: KubeTarget, namespace: string, timeoutMs: number, jobs: WatchedJob[]): Promise<void> {
  const started = Date.now();
  const before = await listPods(target, namespace);
  const existing = new Set(before.map((p) => p.metadata.uid));
  const pending = jobsToAwait(jobs, await existingJobs(target, namespace), before);
  const clock: ProblemClock = new Map();
  for (;;) {
    // Only pending training jobs keep the program (and so the update) alive; otherwise the
    // timer is unref'd and the watch simply ends with the program.
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, POLL_MS);
      if (pending.length === 0) t.unref();
    });
    const pods = await listPods(target, namespace).catch(() => undefined);
    if (!pods) continue; // the API server may be briefly away; the provider reports real outages
    const fatal = fatalFindings(pods, existing, clock, Date.now(), timeoutMs);
    const overdue = Date.now() - started >= timeoutMs;
    const unplaced = overdue ? pending.filter((j) => podsOfJob(pods, j.name).length === 0) : [];
    if (fatal.length > 0 || unplaced.length > 0) {
      const groups = unplaced.length > 0 ? await listPodGroups(target, namespace) : [];
      const lines = [...fatal.map(formatFinding), ...unplaced.map((j) => unplacedJobMessage(j.name, Math.round(timeoutMs / 1000), groups))];
      await cancelUpdate(`deploy cannot succeed:\n  - ${lines.join("\n  - ")}`);
      return;
    }
    for (let i = pending.length - 1; i >= 0; i--) {
      const unchanged = overdue && leftUnplacedBefore(pods, pending[i].name, existing);
      if (unchanged) void pulumi.log.warn(`training job ${pending[i].name} is still not placed (unchanged by this update; not awaited)`);
      if (unchanged || jobScheduled(pods, pending[i].name, pending[i].pods)) pending.splice(i, 1);
    }
  }
}
